using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Hosted;
using Judge.Providers.Tests.Fakes;
using Judge.Rubrics;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Benchmarks.Hosted;

/// <summary>
/// A fault storm against the loopback OpenAI-compatible server (<c>hosted storm [--items N]</c>): at least
/// 10,000 judge calls while the server answers 429 to 10% of requests (half of them in bursts where 50% are), 500/503 to 2%,
/// replies slower than the attempt timeout to 1%, resets 1%, cuts 1% of bodies short or truncates their JSON,
/// and content-filters 1% of items. Counts, from the client's results and the server's own log: judgments
/// lost (no verdict, and not a permanent failure recorded with its cause), duplicated, and paid twice (an item
/// the server delivered more than one complete, in-time answer for); then re-runs everything from the cache.
/// </summary>
internal static partial class StormBenchmark
{
    private static readonly Rubric Rubric = new()
    {
        Id = "storm",
        Version = 1,
        Title = "Storm rubric",
        Mode = RubricMode.Absolute,
        Scale = new RubricScale(1, 10, new Dictionary<int, string>()),
        Output = new VerdictFormat { Tag = "[[{verdict}]]", FeedbackFirst = true },
        System = PromptTemplate.Parse("You are a strict judge."),
        Prompt = PromptTemplate.Parse("Rate the answer from {scale_min} to {scale_max}.\n{question}\n{answer}"),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var items = args.SkipWhile(a => a != "--items").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(10_000);
        var concurrency = args.SkipWhile(a => a != "--concurrency").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(32);
        var dir = Directory.CreateTempSubdirectory("judge-storm-").FullName;
        try
        {
            return await RunAsync(items, concurrency, Path.Combine(dir, "cache.sqlite")).ConfigureAwait(false) ? 0 : 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<bool> RunAsync(int count, int concurrency, string cachePath)
    {
        var attemptTimeout = TimeSpan.FromSeconds(2);
        var random = new Random(20261202);
        var gate = new Lock();
        var faults = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var delivered = new ConcurrentDictionary<int, int>();
        var lateDelivered = 0;
        void Count(string fault) => faults.AddOrUpdate(fault, 1, (_, n) => n + 1);

        using var server = LoopbackOpenAIServer.Start(r =>
        {
            var item = ItemOf(r.LastUserText);
            double u;
            lock (gate)
            {
                u = random.NextDouble();
            }

            // Bursts: 500 requests of every 5,000 are answered 429 half the time; the rest 5.56%, so 10% overall.
            var burst = r.Index % 5000 < 500;
            var rate429 = burst ? 0.5 : 0.0556;
            ServerReply reply;
            if (item % 100 == 0)
            {
                // A content filter judges the content: the same item is filtered every time.
                Count("content_filter");
                reply = ServerReply.Completion(string.Empty, finishReason: "content_filter");
            }
            else if (u < rate429)
            {
                Count(burst ? "429 (burst)" : "429");
                var retryAfter = (r.Index % 3) switch
                {
                    0 => new Dictionary<string, string> { ["Retry-After"] = "1" },
                    1 => new Dictionary<string, string> { ["Retry-After"] = DateTimeOffset.UtcNow.AddSeconds(2).ToString("R", CultureInfo.InvariantCulture) },
                    _ => new Dictionary<string, string>(),
                };
                reply = ServerReply.Error(429, "rate limited", retryAfter);
            }
            else if ((u -= rate429) < 0.02)
            {
                var status = u < 0.01 ? 500 : 503;
                Count(status.ToString(CultureInfo.InvariantCulture));
                reply = ServerReply.Error(status, "server error");
            }
            else if ((u -= 0.02) < 0.01)
            {
                Count("slow");
                reply = Good(item) with { Delay = attemptTimeout + TimeSpan.FromSeconds(1) };
            }
            else if ((u -= 0.01) < 0.01)
            {
                Count("reset");
                reply = new ServerReply { Reset = true };
            }
            else if ((u -= 0.01) < 0.01)
            {
                var good = Good(item);
                Count(u < 0.005 ? "body cut short" : "truncated JSON");
                reply = u < 0.005 ? good with { CutBodyAt = good.Body.Length / 2 } : new ServerReply { Body = good.Body[..(good.Body.Length / 2)] };
            }
            else
            {
                reply = Good(item);
            }

            return reply;
        });
        server.Latency = TimeSpan.FromMilliseconds(20);
        server.OnDelivered = (request, reply) =>
        {
            // Paid: a complete answer with a verdict, written in full (a truncated JSON body is not one).
            if (reply.Status == 200 && IsCompleteJson(reply.Body) && !reply.Body.Contains("content_filter", StringComparison.Ordinal))
            {
                if (reply.Delay > attemptTimeout)
                {
                    // Written after the client gave up on the attempt: not an answer it could use.
                    Interlocked.Increment(ref lateDelivered);
                }
                else
                {
                    delivered.AddOrUpdate(ItemOf(request.LastUserText), 1, (_, n) => n + 1);
                }
            }
        };

        var options = new HostedJudgeOptions
        {
            AttemptTimeout = attemptTimeout,
            SelfHostedAttemptTimeout = attemptTimeout,
            BaseDelay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(5),
            CallDeadline = TimeSpan.FromMinutes(10),
        };
        var spec = JudgeSpec.Parse($"openai:gpt-4o-mini?base_url={server.BaseUrl}&concurrency={concurrency}&cache={cachePath}");
        var items = Enumerable.Range(1, count).Select(Item).ToList();
        Line($"storm: {count} items, client concurrency at most {concurrency}, attempt timeout {attemptTimeout.TotalSeconds:F0} s, call deadline {options.CallDeadline.TotalMinutes:F0} min, server latency 20 ms; machine {Environment.ProcessorCount} cores, .NET {Environment.Version}");

        AbsoluteVerdict[] results;
        var sw = Stopwatch.StartNew();
        int clientPeak;
        var limits = new List<int>();
        using (var client = HostedChatClients.CreateOpenAI(spec, options, name => name == "OPENAI_API_KEY" ? "sk-storm" : null))
        {
            var budget = client.GetService<Judge.Providers.Hosted.EndpointRouterChatClient>()!.Endpoints[0].Endpoint.Budget;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    lock (limits)
                    {
                        limits.Add(budget.ConcurrencyLimit);
                    }

                    await Task.Delay(250, CancellationToken.None).ConfigureAwait(false);
                }
            });
            results = await HostedBenchmark.RunAllAsync(new ChatAbsoluteJudge(spec.Text, client, new FixedRubricSelector(Rubric)), items, concurrency).ConfigureAwait(false);
            await sampling.CancelAsync().ConfigureAwait(false);
            await sampler.ConfigureAwait(false);
            clientPeak = budget.PeakInFlight;
        }

        var elapsed = sw.Elapsed;
        var parsed = results.Count(r => r.Status == VerdictStatus.Parsed);
        var errors = results.Where(r => r.Status == VerdictStatus.Error).ToList();
        var permanent = errors.Count(e => e.Error!.Contains("content filter", StringComparison.Ordinal));
        var lost = count - parsed - permanent;
        var duplicated = results.GroupBy(r => r.Item).Count(g => g.Count() > 1);
        var paidTwice = delivered.Count(d => d.Value > 1);
        var filteredItems = items.Count(i => int.Parse(i.Question.Id, CultureInfo.InvariantCulture) % 100 == 0);

        Line($"  server faults injected over {server.RequestCount} requests: {string.Join(", ", faults.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} {f.Value}"))}");
        Line($"  {elapsed.TotalSeconds:F1} s, {count / elapsed.TotalSeconds:F0} judgments/s: {parsed} parsed, {permanent} content-filtered (recorded with cause; {filteredItems} items are filtered by the server), other errors {errors.Count - permanent}");
        Line($"  lost {lost}, duplicated {duplicated}, paid twice {paidTwice} (items with more than one complete in-time answer; {lateDelivered} answers arrived after their attempt had timed out)");
        Line($"  peak requests in flight: {clientPeak}; adaptive limit min {limits.DefaultIfEmpty(concurrency).Min()}, mean {limits.DefaultIfEmpty(concurrency).Average():F1}, max {limits.DefaultIfEmpty(concurrency).Max()}");
        foreach (var e in errors.Where(e => !e.Error!.Contains("content filter", StringComparison.Ordinal)).Take(5))
        {
            Line($"  unexpected error: {e.Item}: {e.Error}");
        }

        if (errors.FirstOrDefault(e => e.Error!.Contains("content filter", StringComparison.Ordinal)) is { } example)
        {
            Line($"  e.g. {example.Item}: {example.Error}");
        }

        // Everything again from the cache: nothing may be asked of the server twice.
        var before = server.RequestCount;
        var rerun = Stopwatch.StartNew();
        AbsoluteVerdict[] again;
        using (var client = HostedChatClients.CreateOpenAI(spec, options, name => name == "OPENAI_API_KEY" ? "sk-storm" : null))
        {
            again = await HostedBenchmark.RunAllAsync(new ChatAbsoluteJudge(spec.Text, client, new FixedRubricSelector(Rubric)), items, concurrency).ConfigureAwait(false);
        }

        var rerunRequests = server.RequestCount - before;
        var same = results.Zip(again).Count(p => p.First.Status == VerdictStatus.Parsed && p.Second.Score == p.First.Score);
        Line($"  re-run from the cache: {rerun.Elapsed.TotalSeconds:F1} s, {rerunRequests} server requests (the {filteredItems} filtered items are asked again: a refusal is not cached), {same}/{parsed} verdicts identical");

        var pass = lost == 0 && duplicated == 0 && paidTwice == 0 && errors.Count == permanent && permanent == filteredItems && same == parsed && rerunRequests == filteredItems;
        Line($"  target lost 0, duplicated 0, paid twice 0, every other failure recorded with its cause: {(pass ? "met" : "MISSED")}");
        return pass;
    }

    private static ServerReply Good(int item) => ServerReply.Completion($"Reasonable answer. Rating: [[{(item % 10) + 1}]]");

    private static int ItemOf(string prompt) =>
        ItemRegex().Match(prompt) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;

    private static bool IsCompleteJson(string body)
    {
        try
        {
            using var _ = System.Text.Json.JsonDocument.Parse(body);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static AbsoluteItem Item(int i) =>
        new(new Question($"{i}", "writing", [$"Storm question {i}: explain the idea in two sentences."]), new ModelAnswer($"{i}", "model-x", [$"Answer {i}: a short, plausible explanation."]), 1);

    private static void Line(FormattableString text) => Console.WriteLine(text.ToString(CultureInfo.InvariantCulture));

    [GeneratedRegex(@"Storm question (\d+):")]
    private static partial Regex ItemRegex();
}

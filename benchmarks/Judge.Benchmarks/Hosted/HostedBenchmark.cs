using System.Diagnostics;
using System.Globalization;
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
/// Measures the hosted-judge stack (SDK client, Polly retry layer, budgets, SQLite cache) against a loopback
/// server: budget saturation, cached re-run speed, and what the retry layer buys under a scripted 429 rate.
/// </summary>
internal static class HostedBenchmark
{
    private static readonly Rubric Rubric = new()
    {
        Id = "bench",
        Version = 1,
        Title = "Benchmark rubric",
        Mode = RubricMode.Absolute,
        Scale = new RubricScale(1, 10, new Dictionary<int, string>()),
        Output = new VerdictFormat { Tag = "[[{verdict}]]", FeedbackFirst = true },
        System = PromptTemplate.Parse("You are a strict judge."),
        Prompt = PromptTemplate.Parse("Rate the answer from {scale_min} to {scale_max}.\n{question}\n{answer}"),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.FirstOrDefault() == "storm")
        {
            return await StormBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
        }

        var quick = args.Contains("--quick");
        var budgetMinutes = quick ? 0.5 : 2.0;
        var cachedItems = quick ? 2_000 : 10_000;
        Line($"machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}");
        var ok = true;
        ok &= await BudgetAsync(rpm: 600, minutes: budgetMinutes, latency: TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
        ok &= await CachedRerunAsync(cachedItems).ConfigureAwait(false);
        ok &= await RetryLayerAsync(items: quick ? 200 : 600, rate: 0.10).ConfigureAwait(false);
        Console.WriteLine(ok ? "all targets met" : "SOME TARGETS MISSED");
        return ok ? 0 : 1;
    }

    /// <summary>
    /// A run given 600 requests/minute against a 200 ms server that answers 429 when it has accepted 600 in the
    /// last 60 s (rejected requests do not count, as with the hosted APIs).
    /// </summary>
    private static async Task<bool> BudgetAsync(int rpm, double minutes, TimeSpan latency)
    {
        var throttled = 0;
        var maxAccepted = 0;
        var accepted = new Queue<TimeSpan>();
        using var server = LoopbackOpenAIServer.Start(r =>
        {
            lock (accepted)
            {
                while (accepted.Count > 0 && r.Arrived - accepted.Peek() >= TimeSpan.FromSeconds(60))
                {
                    accepted.Dequeue();
                }

                if (accepted.Count >= rpm)
                {
                    throttled++;
                    return ServerReply.Error(429, "over the per-minute limit", new Dictionary<string, string> { ["Retry-After"] = "1" });
                }

                accepted.Enqueue(r.Arrived);
                maxAccepted = Math.Max(maxAccepted, accepted.Count);
            }

            return ServerReply.Completion("Clear and correct. Rating: [[8]]");
        });
        server.Latency = latency;
        using var client = Create(server, $"&rpm={rpm}&concurrency=16", new HostedJudgeOptions());
        var judge = new ChatAbsoluteJudge("openai:bench", client, new FixedRubricSelector(Rubric));

        // Workers pull items until the run's time is up; every started judgment is awaited and counted.
        var duration = TimeSpan.FromMinutes(minutes);
        var sw = Stopwatch.StartNew();
        var next = 0;
        var results = new System.Collections.Concurrent.ConcurrentBag<AbsoluteVerdict>();
        var workers = Enumerable.Range(0, 16).Select(async _ =>
        {
            while (sw.Elapsed < duration)
            {
                var i = Interlocked.Increment(ref next);
                results.Add(await judge.GradeAsync(Item(i)).ConfigureAwait(false));
            }
        });
        await Task.WhenAll(workers).ConfigureAwait(false);
        var elapsed = sw.Elapsed;

        var failed = results.Count(r => r.Status != VerdictStatus.Parsed);
        var distinct = results.Select(r => r.Item).Distinct().Count();
        var perMinute = results.Count / elapsed.TotalMinutes;
        var share = perMinute / rpm;
        Line($"budget: {rpm} rpm, {latency.TotalMilliseconds:F0} ms latency, {elapsed.TotalSeconds:F1} s: {results.Count} judgments ({distinct} distinct), {failed} failed, {server.RequestCount} requests, {throttled} answered 429; {perMinute:F1}/min = {share:P1} of budget; max {server.MaxInAnyWindow(TimeSpan.FromSeconds(60))} requests in any 60 s ({maxAccepted} accepted)");
        var pass = share >= 0.95 && failed == 0 && distinct == results.Count;
        Line($"  target >= 95% of budget, no failures: {(pass ? "met" : "MISSED")}");
        return pass;
    }

    /// <summary>Fills a cache with <paramref name="count"/> judgments, then re-runs them from it with a fresh client.</summary>
    private static async Task<bool> CachedRerunAsync(int count)
    {
        var dir = Directory.CreateTempSubdirectory("judge-bench-").FullName;
        try
        {
            var cache = Path.Combine(dir, "cache.db");
            using var server = LoopbackOpenAIServer.Start(r => ServerReply.Completion($"Rating: [[{(r.Index % 10) + 1}]]"));
            var items = Enumerable.Range(1, count).Select(Item).ToList();

            var fill = Stopwatch.StartNew();
            AbsoluteVerdict[] first;
            using (var client = Create(server, $"&cache={cache}&concurrency=32", new HostedJudgeOptions()))
            {
                first = await RunAllAsync(new ChatAbsoluteJudge("openai:bench", client, new FixedRubricSelector(Rubric)), items, 32).ConfigureAwait(false);
            }

            var fillSeconds = fill.Elapsed.TotalSeconds;
            var served = server.RequestCount;
            var rerun = Stopwatch.StartNew();
            AbsoluteVerdict[] second;
            using (var client = Create(server, $"&cache={cache}&concurrency=32", new HostedJudgeOptions()))
            {
                second = await RunAllAsync(new ChatAbsoluteJudge("openai:bench", client, new FixedRubricSelector(Rubric)), items, 32).ConfigureAwait(false);
            }

            var seconds = rerun.Elapsed.TotalSeconds;
            var extra = server.RequestCount - served;
            var same = first.Zip(second).All(p => p.First.Score == p.Second.Score && p.Second.Status == VerdictStatus.Parsed);
            Line($"cache: filled {count} judgments in {fillSeconds:F1} s ({count / fillSeconds:F0}/s, loopback server, no latency); cached re-run {seconds:F2} s = {count / seconds:F0} judgments/s; server requests during re-run: {extra}; identical verdicts: {same}");
            return extra == 0 && same;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The same run with and without the Polly retry layer, the server answering 429 to 10% of requests at random.</summary>
    private static async Task<bool> RetryLayerAsync(int items, double rate)
    {
        var pass = true;
        foreach (var retries in new[] { true, false })
        {
            var random = new Random(20240611);
            var gate = new Lock();
            var rejected = 0;
            using var server = LoopbackOpenAIServer.Start(_ =>
            {
                bool reject;
                lock (gate)
                {
                    reject = random.NextDouble() < rate;
                }

                if (reject)
                {
                    Interlocked.Increment(ref rejected);
                    return ServerReply.Error(429, "rate limited", new Dictionary<string, string> { ["Retry-After"] = "0" });
                }

                return ServerReply.Completion("Rating: [[6]]");
            });
            server.Latency = TimeSpan.FromMilliseconds(50);
            var options = new HostedJudgeOptions { EnableRetries = retries, BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(2) };
            using var client = Create(server, "&concurrency=16", options);
            var sw = Stopwatch.StartNew();
            var results = await RunAllAsync(new ChatAbsoluteJudge("openai:bench", client, new FixedRubricSelector(Rubric)), [.. Enumerable.Range(1, items).Select(Item)], 16).ConfigureAwait(false);
            var seconds = sw.Elapsed.TotalSeconds;
            var succeeded = results.Count(r => r.Status == VerdictStatus.Parsed);
            Line($"429 at {rate:P0}, retry layer {(retries ? "on " : "off")}: {succeeded}/{items} succeeded ({(double)succeeded / items:P1}), {server.RequestCount} requests ({rejected} answered 429), {seconds:F1} s, {succeeded / seconds:F1} successful judgments/s");
            pass &= !retries || succeeded == items;
        }

        return pass;
    }

    /// <summary>Grades every item with a fixed number of workers; results in item order.</summary>
    internal static async Task<AbsoluteVerdict[]> RunAllAsync(ChatAbsoluteJudge judge, List<AbsoluteItem> items, int concurrency)
    {
        var results = new AbsoluteVerdict[items.Count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < items.Count)
            {
                results[i] = await judge.GradeAsync(items[i]).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        return results;
    }

    private static IChatClient Create(LoopbackOpenAIServer server, string extra, HostedJudgeOptions options) =>
        HostedChatClients.CreateOpenAI(JudgeSpec.Parse($"openai:gpt-4o-mini?base_url={server.BaseUrl}{extra}"), options, name => name == "OPENAI_API_KEY" ? "sk-bench" : null);

    private static AbsoluteItem Item(int i) =>
        new(new Question($"{i}", "writing", [$"Benchmark question {i}: explain the idea in two sentences."]), new ModelAnswer($"{i}", "model-x", [$"Answer {i}: a short, plausible explanation."]), 1);

    private static void Line(FormattableString text) => Console.WriteLine(text.ToString(CultureInfo.InvariantCulture));
}

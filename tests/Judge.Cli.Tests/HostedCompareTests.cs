using System.Text.Json;
using Judge.Providers.Tests.Fakes;
using Judge.Verdicts;

namespace Judge.Cli.Tests;

/// <summary><c>judge compare --judge openai:…</c> end to end against a scripted OpenAI-shaped server on loopback.</summary>
public class HostedCompareTests
{
    private static string[] SampleArgs(string judge, string outPath) =>
    [
        "compare", "-q", Path.Combine(Paths.Sample, "question.jsonl"),
        "-a", .. Directory.GetFiles(Path.Combine(Paths.Sample, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal),
        "--judge", judge, "--turn", "1", "--out", outPath, "--rubrics-dir", Paths.Rubrics, "--concurrency", "4",
    ];

    // A judge that prefers whichever assistant is named "A" in the prompt's first fence: consistent across
    // orders only when the answers are the same length, so both agreement and flips occur.
    private static ServerReply PreferFirstShown(ServerRequest request) =>
        ServerReply.Completion("Assistant A explains more carefully. [[A]]");

    [Fact]
    public async Task Compare_OpenAiJudgeOnLoopback_JudgesBothOrdersAndRecordsEveryCall()
    {
        using var server = LoopbackOpenAIServer.Start(PreferFirstShown);
        var outPath = Paths.Temp("hosted.jsonl");

        var (exit, output) = await CliRunner.RunAsync(SampleArgs($"openai:gpt-4o?base_url={server.BaseUrl}&attempts=2&timeout=5", outPath));

        Assert.True(exit == 0, output);
        var records = File.ReadLines(outPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var verdicts = records.Where(r => r.GetProperty("type").GetString() == "pairwise").ToList();
        var calls = records.Where(r => r.GetProperty("type").GetString() == "call").ToList();

        // 6 questions x 3 pairs, each judged in both orders.
        Assert.Equal(18, verdicts.Count);
        Assert.Equal(36, calls.Count);
        Assert.Equal(36, server.RequestCount);
        Assert.Equal(18, calls.Count(c => c.GetProperty("order").GetString() == "AB"));
        Assert.Equal(18, calls.Count(c => c.GetProperty("order").GetString() == "BA"));

        // Always "A" whatever the order: every item flips and becomes an inconsistent tie.
        Assert.All(verdicts, v => Assert.Equal("tie (inconsistent)", v.GetProperty("winner").GetString()));
        Assert.All(verdicts, v => Assert.True(v.GetProperty("flipped").GetBoolean()));
        Assert.All(calls, c => Assert.Equal(120, c.GetProperty("input_tokens").GetInt64()));
        Assert.Contains("position flips: 18 of 18", output);

        // gpt-4o is in the built-in price table: 36 calls x (120 in, 12 out) tokens.
        Assert.Matches(@"cost: \$0\.\d{4} for 36 calls, \$\d+\.\d{2} per 1,000 judgments", output);
        Assert.All(calls, c => Assert.True(c.GetProperty("cost_usd").GetDecimal() > 0));
    }

    [Fact]
    public async Task Compare_CacheFlags_SecondRunIsServedFromCacheRefreshAndNoCacheCallAgain()
    {
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("The second one. [[B]]"));
        var cache = Paths.Temp("judge-cache.db");
        var judge = $"openai:gpt-4o?base_url={server.BaseUrl}&cache={cache}";

        async Task<int> RequestsFor(params string[] extra)
        {
            var before = server.RequestCount;
            var (exit, output) = await CliRunner.RunAsync([.. SampleArgs(judge, Paths.Temp("c.jsonl")), .. extra]);
            Assert.True(exit == 0, output);
            return server.RequestCount - before;
        }

        Assert.Equal(36, await RequestsFor());
        Assert.Equal(0, await RequestsFor());
        Assert.Equal(36, await RequestsFor("--refresh"));
        Assert.Equal(36, await RequestsFor("--no-cache"));
        Assert.Equal(0, await RequestsFor());
    }

    [Fact]
    public async Task Compare_DryRun_EstimatesWithoutCallingOrNeedingAKey()
    {
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("[[A]]"));

        var (exit, output) = await CliRunner.RunAsync([.. SampleArgs($"openai:gpt-4o?base_url={server.BaseUrl}", Paths.Temp("dry.jsonl")), "--dry-run"]);

        Assert.True(exit == 0, output);
        Assert.Equal(0, server.RequestCount);
        Assert.Contains("nothing was sent", output);
        Assert.Matches(@"│ 36\s+│", output);
        Assert.Matches(@"\$\d+\.\d{4}", output);
    }

    [Fact]
    public async Task Compare_ServerFailsSomeRequestsForGood_RecordsErrorsExitsThreeAndKeepsTheRest()
    {
        // Questions 2 and 5 always get a 400 (not retried); everything else a clean verdict.
        using var server = LoopbackOpenAIServer.Start(r =>
            r.LastUserText.Contains("<<<BEGIN ANSWER A", StringComparison.Ordinal) && (QuestionOf(r) is 2 or 5)
                ? ServerReply.Error(400, "bad request for this item")
                : ServerReply.Completion("Both are fine. [[C]]"));
        var outPath = Paths.Temp("hosted-faults.jsonl");

        var (exit, output) = await CliRunner.RunAsync(SampleArgs($"openai:gpt-4o?base_url={server.BaseUrl}&attempts=2&timeout=5", outPath));

        Assert.Equal(ExitCodes.JudgeError, exit);
        var verdicts = File.ReadLines(outPath).Select(l => JsonDocument.Parse(l).RootElement).Where(r => r.GetProperty("type").GetString() == "pairwise").ToList();
        Assert.Equal(18, verdicts.Count);
        Assert.Equal(6, verdicts.Count(v => v.GetProperty("status").GetString() == "error"));
        Assert.All(verdicts.Where(v => v.GetProperty("status").GetString() == "error"), v => Assert.False(v.TryGetProperty("winner", out _)));
        Assert.Equal(12, verdicts.Count(v => v.TryGetProperty("winner", out var w) && w.GetString() == "tie"));
        Assert.Contains("6 items have no verdict", output);
    }

    [Fact]
    public async Task Compare_TransientFaults_AreRetriedAndNoJudgmentIsLost()
    {
        // The first three requests fail transiently (429 with Retry-After: 0, 503, a reset connection).
        var replies = new List<ServerReply>
        {
            ServerReply.Error(429, "slow down", new Dictionary<string, string> { ["Retry-After"] = "0" }),
            ServerReply.Error(503, "unavailable"),
            new() { Reset = true },
        };
        using var server = LoopbackOpenAIServer.Start(LoopbackOpenAIServer.Sequence(replies, _ => ServerReply.Completion("The second one. [[B]]")));
        var outPath = Paths.Temp("hosted-retries.jsonl");

        var (exit, output) = await CliRunner.RunAsync(SampleArgs($"openai:gpt-4o?base_url={server.BaseUrl}&attempts=4&timeout=5", outPath));

        Assert.True(exit == 0, output);
        var verdicts = File.ReadLines(outPath).Select(l => JsonDocument.Parse(l).RootElement).Where(r => r.GetProperty("type").GetString() == "pairwise").ToList();
        Assert.Equal(18, verdicts.Count);
        Assert.All(verdicts, v => Assert.Equal("parsed", v.GetProperty("status").GetString()));
        Assert.Equal(36 + 3, server.RequestCount);
    }

    private static int QuestionOf(ServerRequest request)
    {
        // The sample's questions are numbered 1-6 and each prompt carries its question text; match on it.
        var questions = File.ReadLines(Path.Combine(Paths.Sample, "question.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        foreach (var q in questions)
        {
            if (request.LastUserText.Contains(q.GetProperty("turns")[0].GetString()!, StringComparison.Ordinal))
            {
                return q.GetProperty("question_id").GetInt32();
            }
        }

        return 0;
    }
}

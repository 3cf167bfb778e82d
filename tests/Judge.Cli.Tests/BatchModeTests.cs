using System.Text.Json;
using System.Text.Json.Nodes;
using Judge.Judging;
using Judge.Providers;
using Judge.Providers.Tests.Fakes;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Judge.Cli.Tests;

/// <summary>Batch mode (<c>batch=on</c>) against a loopback fake of the files and batches endpoints.</summary>
public class BatchModeTests
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(30);

    private static string[] CompareArgs(string judge, string outPath, params string[] extra) =>
    [
        "compare", "-q", Path.Combine(Paths.Sample, "question.jsonl"),
        "-a", .. Directory.GetFiles(Path.Combine(Paths.Sample, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal),
        "--judge", judge, "--turn", "1", "--out", outPath, "--rubrics-dir", Paths.Rubrics, "--concurrency", "4", .. extra,
    ];

    /// <summary>A judge that prefers the longer of the two answers shown: consistent across orders.</summary>
    private static string PreferLonger(JsonNode body)
    {
        var text = new ServerRequest(0, TimeSpan.Zero, "POST", "/v1/chat/completions", string.Empty, null, null, body.ToJsonString()).LastUserText;
        var a = Between(text, "Reply from assistant A:", "Reply from assistant B:");
        var b = Between(text, "Reply from assistant B:", "Explain briefly");
        return ServerReply.Completion(a.Length >= b.Length ? "A is more complete. [[A]]" : "B is more complete. [[B]]").Body;
    }

    private static string Between(string text, string start, string end)
    {
        var i = text.IndexOf(start, StringComparison.Ordinal);
        var j = text.IndexOf(end, StringComparison.Ordinal);
        return i < 0 || j < i ? string.Empty : text[(i + start.Length)..j];
    }

    [Fact]
    public async Task Compare_BatchOnAgainstAServerWithoutABatchApi_RunsLiveWithANoteAndLeavesNoBatchState()
    {
        // A server like llama-server: chat completions, but POST /v1/files answers 404.
        var api = new LoopbackBatchApi { Answer = PreferLonger };
        var uploads = 0;
        using var server = LoopbackOpenAIServer.Start(r => r.Path.EndsWith("/files", StringComparison.Ordinal) && Interlocked.Increment(ref uploads) > 0
            ? ServerReply.Error(404, "File Not Found")
            : api.Handle(r));
        var outPath = Paths.Temp("no-batch-api.jsonl");

        var (exit, output) = await CliRunner.RunAsync(CompareArgs($"openai:gpt-4o?base_url={server.BaseUrl}&batch=on&batch_poll=0.001", outPath));

        Assert.True(exit == 0, output);
        Assert.Contains("has no batch API (POST files: HTTP 404", output, StringComparison.Ordinal);
        Assert.Contains("36 calls are made live", output, StringComparison.Ordinal);
        Assert.Equal(1, uploads);
        Assert.Equal(0, api.Creates);
        Assert.Equal(36, api.LiveCalls);
        Assert.Equal(18, File.ReadLines(outPath).Count(l => l.Contains("\"type\":\"pairwise\"", StringComparison.Ordinal)));
        var batches = Path.Combine(Path.GetDirectoryName(outPath)!, "batches");
        Assert.False(Directory.Exists(batches) && Directory.EnumerateFiles(batches, "*", SearchOption.AllDirectories).Any(), "a request file was left behind");

        // The finished run is an ordinary one: --resume finds nothing to do and calls nothing.
        var (again, againOutput) = await CliRunner.RunAsync(CompareArgs($"openai:gpt-4o?base_url={server.BaseUrl}&batch=on&batch_poll=0.001", outPath, "--resume"));
        Assert.True(again == 0, againOutput);
        Assert.Equal(36, api.LiveCalls);
    }

    [Fact]
    public async Task Compare_BatchOn_EveryVerdictFromTheBatchNoLiveCallAndBatchPrice()
    {
        var api = new LoopbackBatchApi { Answer = PreferLonger };
        using var server = LoopbackOpenAIServer.Start(api.Handle);
        var live = Paths.Temp("live.jsonl");
        var batched = Paths.Temp("batch.jsonl");

        var (liveExit, liveOutput) = await CliRunner.RunAsync(CompareArgs($"openai:gpt-4o?base_url={server.BaseUrl}", live));
        Assert.True(liveExit == 0, liveOutput);
        Assert.Equal(36, api.LiveCalls);

        var (exit, output) = await CliRunner.RunAsync(CompareArgs($"openai:gpt-4o?base_url={server.BaseUrl}&batch=on&batch_poll=0.001", batched));

        Assert.True(exit == 0, output);
        Assert.True(api.LiveCalls == 36, output);
        Assert.Equal(1, api.Uploads);
        Assert.Equal(1, api.Creates);
        Assert.Equal(36, api.LinesSubmitted.Count);

        // The same verdicts and raw outputs as the live run; every call priced at half the live price.
        var liveRecords = JudgmentsReader.Read(live);
        var batchRecords = JudgmentsReader.Read(batched);
        Assert.Contains(batchRecords.OfType<PairwiseVerdict>(), r => r.Winner == Judge.Data.PairOutcome.A);
        Assert.Contains(batchRecords.OfType<PairwiseVerdict>(), r => r.Winner == Judge.Data.PairOutcome.B);
        Assert.Equal(
            liveRecords.OfType<PairwiseVerdict>().Select(r => (r.Item, r.Winner)).Order(),
            batchRecords.OfType<PairwiseVerdict>().Select(r => (r.Item, r.Winner)).Order());
        var liveCalls = liveRecords.OfType<JudgeCall>().ToDictionary(c => (c.Item, c.Order));
        var batchCalls = batchRecords.OfType<JudgeCall>().ToList();
        Assert.Equal(36, batchCalls.Count);
        Assert.All(batchCalls, c =>
        {
            var l = liveCalls[(c.Item, c.Order)];
            Assert.Equal(l.RawOutput, c.RawOutput);
            Assert.Equal(l.PromptHash, c.PromptHash);
            Assert.Equal(l.InputTokens, c.InputTokens);
            Assert.Equal(l.CostUsd / 2, c.CostUsd);
        });

        // The manifest names the batch and the file it was made from.
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(batched, null) + ".manifest.json"));
        var batch = Assert.Single(manifest.RootElement.GetProperty("batches").EnumerateArray());
        Assert.Equal("batch_001", batch.GetProperty("batch_id").GetString());
        Assert.Equal("completed", batch.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Compare_BatchLines_AreTheLiveRequestBodiesByteForByte()
    {
        var api = new LoopbackBatchApi { Answer = PreferLonger };
        using var server = LoopbackOpenAIServer.Start(api.Handle);
        var judge = $"openai:gpt-4o?base_url={server.BaseUrl}&logprobs=3&seed=7&temperature=0";
        var (liveExit, liveOutput) = await CliRunner.RunAsync(CompareArgs(judge, Paths.Temp("live.jsonl"), "--verdict", "json"));
        Assert.True(liveExit == 0, liveOutput);
        var liveBodies = server.Requests.Where(r => r.Path.EndsWith("chat/completions", StringComparison.Ordinal)).Select(r => JsonNode.Parse(r.Body)!.ToJsonString()).ToHashSet(StringComparer.Ordinal);

        var (exit, output) = await CliRunner.RunAsync(CompareArgs(judge + "&batch=on&batch_poll=0.001", Paths.Temp("batch.jsonl"), "--verdict", "json"));

        Assert.True(exit == 0, output);
        var file = api.UploadedFiles.Single();
        var lines = file.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(36, lines.Count);
        Assert.All(lines, l =>
        {
            Assert.Equal("/v1/chat/completions", (string?)l["url"]);
            Assert.Matches(@"^.+\|(AB|BA)\|1\|sha256:[0-9a-f]{64}$", (string?)l["custom_id"]);
            Assert.Contains(l["body"]!.ToJsonString(), liveBodies);
        });

        // Structured output and logprobs ride in the lines as they do in live calls.
        Assert.All(lines, l => Assert.Equal("json_schema", (string?)l["body"]!["response_format"]!["type"]));
        Assert.All(lines, l => Assert.True((bool)l["body"]!["logprobs"]!));
    }

    private static RunConfig CompareConfig(string output, string judge) => new()
    {
        SourcePath = "test",
        Hash = "h",
        Mode = RunMode.Compare,
        Data = new RunData
        {
            Questions = Path.Combine(Paths.Sample, "question.jsonl"),
            Answers = Directory.GetFiles(Path.Combine(Paths.Sample, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal).ToList(),
        },
        Rubrics = ["pairwise-general"],
        Judges = [JudgeSpec.Parse(judge)],
        Options = new RunOptions { Concurrency = 4 },
        Output = output,
    };

    private static RubricLibrary Library => RubricLibrary.LoadDirectory(Paths.Rubrics);

    /// <summary>
    /// Runs the engine on a fake clock: advances it a poll interval whenever the run waits, until the run ends. The
    /// bounded wait only lets the run reach its next timer; no outcome depends on real time.
    /// </summary>
    internal static async Task<T> DriveAsync<T>(Task<T> run, FakeTimeProvider clock)
    {
        while (!run.IsCompleted)
        {
            clock.Advance(Poll);
            await Task.WhenAny(run, Task.Delay(TimeSpan.FromMilliseconds(2), TimeProvider.System));
        }

        return await run;
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("azure")]
    public async Task Engine_StateTransitions_PolledOnTheFakeClockToCompletion(string scheme)
    {
        var api = new LoopbackBatchApi { Answer = PreferLonger };
        using var server = LoopbackOpenAIServer.Start(api.Handle);
        var seen = new List<string>();
        api.OnRequest = (method, path) =>
        {
            lock (seen)
            {
                seen.Add($"{method} {path}");
            }
        };
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var folder = Path.GetDirectoryName(Paths.Temp("x"))!;
        var judge = scheme == "openai" ? $"openai:gpt-4o?base_url={server.BaseUrl}&batch=on" : $"azure:gpt-4o-batch?endpoint={server.Root}&batch=on";
        var notes = new List<string>();
        var engine = new RunEngine(new JudgeFactory(environment: n => n == "AZURE_OPENAI_API_KEY" ? "k" : null), clock);

        var result = await DriveAsync(engine.RunAsync(CompareConfig(folder, judge), RunFiles.InFolder(folder), RunStart.New, Library, new RunObserver { Note = notes.Add }), clock);

        Assert.Equal(18, result.Records.OfType<PairwiseVerdict>().Count());
        Assert.True(api.LiveCalls == 0, string.Join("\n", notes));
        Assert.Equal(3, api.Polls);
        Assert.Equal(["POST files", "POST batches", "GET batches/batch_001", "GET batches/batch_001", "GET batches/batch_001", "GET files/file-2/content"], seen);
        Assert.Contains(notes, n => n.Contains("batch batch_001: validating", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.Contains("batch batch_001: in_progress", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.Contains("batch batch_001: finalizing", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.Contains("batch batch_001: completed, 36/36 done, 0 failed", StringComparison.Ordinal));
        if (scheme == "azure")
        {
            Assert.All(server.Requests, r => Assert.Contains("api-version=", r.Query, StringComparison.Ordinal));
            Assert.All(server.Requests, r => Assert.Equal("k", r.ApiKey));
        }
    }

    private static async Task<(RunResult Result, List<string> Notes)> RunEngineAsync(LoopbackOpenAIServer server, string folder, RunStart start = RunStart.New, CancellationToken cancellationToken = default)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var notes = new List<string>();
        var engine = new RunEngine(new JudgeFactory(), clock);
        var observer = new RunObserver { Note = n => { lock (notes) { notes.Add(n); } } };
        var result = await DriveAsync(engine.RunAsync(CompareConfig(folder, $"openai:gpt-4o?base_url={server.BaseUrl}&batch=on"), RunFiles.InFolder(folder), start, Library, observer, cancellationToken), clock);
        return (result, notes);
    }

    private static void AssertEveryItemOnce(RunResult result)
    {
        var verdicts = result.Records.OfType<PairwiseVerdict>().ToList();
        Assert.Equal(18, verdicts.Count);
        Assert.Equal(18, verdicts.Select(v => v.Item).Distinct().Count());
        Assert.Equal(36, result.Records.OfType<JudgeCall>().Select(c => (c.Item, c.Order)).Distinct().Count());
        Assert.Equal(36, result.Records.OfType<JudgeCall>().Count());
        Assert.All(verdicts, v => Assert.Equal("parsed", v.Status.ToString().ToLowerInvariant()));
    }

    [Theory]
    [InlineData("failed", 0, 36)]
    [InlineData("expired", 20, 16)]
    [InlineData("cancelled", 10, 26)]
    public async Task Engine_BatchEndsEarly_KeepsAnsweredLinesAndResubmitsOnlyTheRest(string end, int answered, int resubmitted)
    {
        var api = new LoopbackBatchApi { Answer = PreferLonger, Fate = n => n == 0 ? new BatchFate { End = end, AnsweredBeforeEnd = answered } : new BatchFate() };
        using var server = LoopbackOpenAIServer.Start(api.Handle);

        var (result, notes) = await RunEngineAsync(server, Path.GetDirectoryName(Paths.Temp("x"))!);

        AssertEveryItemOnce(result);
        Assert.Equal(0, api.LiveCalls);
        Assert.Equal(2, api.Creates);
        Assert.Equal(36 + resubmitted, api.LinesSubmitted.Values.Sum());
        Assert.Equal(resubmitted, api.LinesSubmitted.Values.Count(c => c == 2));
        Assert.Contains(notes, n => n.Contains($"batch batch_001: {end}", StringComparison.Ordinal));
        Assert.Equal(["completed", end], result.Manifest.Batches.Select(b => b.Status).Reverse());
    }

    [Fact]
    public async Task Engine_PartialErrorFileAndMalformedLines_RetryableInAFollowUpBatchOthersLiveNoneDropped()
    {
        // In the first batch: 4 lines fail with 500 (retryable), 3 with 400 (not: called live), 2 come back malformed.
        var ids = new List<string>();
        int? Fail(string id)
        {
            lock (ids)
            {
                if (!ids.Contains(id))
                {
                    ids.Add(id);
                }

                var i = ids.IndexOf(id);
                return i < 4 ? 500 : i < 7 ? 400 : null;
            }
        }

        var malformed = new HashSet<string>(StringComparer.Ordinal);
        var api = new LoopbackBatchApi
        {
            Answer = PreferLonger,
            Fate = n => n == 0
                ? new BatchFate { FailLine = Fail, MalformLine = id => { lock (ids) { return ids.IndexOf(id) is 7 or 8 && malformed.Add(id); } } }
                : new BatchFate(),
        };
        using var server = LoopbackOpenAIServer.Start(api.Handle);

        var (result, notes) = await RunEngineAsync(server, Path.GetDirectoryName(Paths.Temp("x"))!);

        AssertEveryItemOnce(result);
        Assert.Equal(3, api.LiveCalls);
        Assert.Equal(2, api.Creates);
        Assert.Equal(36 + 4 + 2, api.LinesSubmitted.Values.Sum());
        Assert.Equal(2, notes.Count(n => n.Contains("malformed result line", StringComparison.Ordinal)));
        Assert.Contains(notes, n => n.Contains("3 of 36 requests got no batch answer (3 HTTP 400)", StringComparison.Ordinal));

        // Live calls are priced live, batch answers at half: 33 calls at the batch price, 3 at the live one.
        var costs = result.Records.OfType<JudgeCall>().Select(c => c.CostUsd!.Value).ToList();
        Assert.Equal(2, costs.Distinct().Count());
        Assert.Equal(3, costs.Count(c => c == costs.Max()));
        Assert.Equal(costs.Max() / 2, costs.Min());
    }

    [Fact]
    public async Task Engine_EveryRoundFails_AfterThreeBatchesTheRestGoesLive()
    {
        var api = new LoopbackBatchApi { Answer = PreferLonger, Fate = _ => new BatchFate { End = "failed" } };
        using var server = LoopbackOpenAIServer.Start(api.Handle);

        var (result, notes) = await RunEngineAsync(server, Path.GetDirectoryName(Paths.Temp("x"))!);

        AssertEveryItemOnce(result);
        Assert.Equal(BatchDriver.MaxRounds, api.Creates);
        Assert.Equal(36, api.LiveCalls);
        Assert.Contains(notes, n => n.Contains("36 of 36 requests got no batch answer (36 no answer)", StringComparison.Ordinal));
    }

    /// <summary>
    /// A crash at each stage, simulated in process by cancelling the run the moment the fake sees the stage's request
    /// (nothing after that point runs, as after kill -9; every file write before it is atomic), then --resume.
    /// </summary>
    [Theory]
    [InlineData("POST", "files", 1)]
    [InlineData("POST", "batches", 1)]
    [InlineData("GET", "batches/batch_001", 1)]
    [InlineData("GET", "batches/batch_001", 3)]
    [InlineData("GET", "files/file-2/content", 1)]
    public async Task Engine_KilledAtStageThenResumed_NothingLostDuplicatedOrResubmitted(string method, string path, int nth)
    {
        var api = new LoopbackBatchApi { Answer = PreferLonger };
        using var server = LoopbackOpenAIServer.Start(api.Handle);
        var folder = Path.GetDirectoryName(Paths.Temp("x"))!;
        using var kill = new CancellationTokenSource();
        var seen = 0;
        api.OnRequest = (m, p) =>
        {
            if (m == method && p == path && Interlocked.Increment(ref seen) == nth)
            {
                kill.Cancel();
            }
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunEngineAsync(server, folder, RunStart.New, kill.Token));
        api.OnRequest = null;
        var uploadsAtKill = api.Uploads;
        var createsAtKill = api.Creates;

        var (result, notes) = await RunEngineAsync(server, folder, RunStart.Resume);

        AssertEveryItemOnce(result);
        Assert.Equal(0, api.LiveCalls);
        Assert.Equal(1, api.Creates);
        Assert.All(api.LinesSubmitted.Values, c => Assert.Equal(1, c));
        Assert.Equal(36, api.LinesSubmitted.Count);

        // Once the file id is recorded, the resume neither uploads nor creates again: it re-attaches.
        if (createsAtKill == 1)
        {
            Assert.Equal(uploadsAtKill, api.Uploads);
            Assert.DoesNotContain(notes, n => n.Contains("requests submitted", StringComparison.Ordinal));
        }

        Assert.Single(result.Manifest.Batches);
        Assert.Equal("completed", result.Manifest.Batches[0].Status);
    }

    /// <summary>
    /// A real <c>judge compare</c> process in batch mode, killed with SIGKILL while it polls its batch, then resumed:
    /// the resume re-attaches to the recorded batch (no second upload or batch), and every verdict comes from it.
    /// </summary>
    [Fact]
    public async Task Compare_Kill9WhilePollingThenResume_ReattachesToTheRecordedBatch()
    {
        // The batch stays in progress for 400 polls (20 s at 50 ms) unless the resume's polls finish it sooner.
        var api = new LoopbackBatchApi { Answer = PreferLonger, Fate = _ => new BatchFate { Steps = [.. Enumerable.Repeat("in_progress", 400)] } };
        using var server = LoopbackOpenAIServer.Start(api.Handle);
        var outPath = Paths.Temp("killed.jsonl");
        var manifest = Path.ChangeExtension(outPath, null) + ".manifest.json";
        var judge = $"openai:gpt-4o?base_url={server.BaseUrl}&batch=on&batch_poll=0.05";

        using (var first = JudgeProcess.Start(Path.GetDirectoryName(outPath)!, CompareArgs(judge, outPath)))
        {
            var deadline = DateTime.UtcNow.AddSeconds(45);
            while (api.Polls < 3 && !first.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(25);
            }

            var exitedEarly = first.HasExited;
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
            Assert.False(exitedEarly, "the run ended before it could be killed: " + await first.StandardOutput.ReadToEndAsync());
        }

        Assert.Contains("\"batch_id\": \"batch_001\"", File.ReadAllText(manifest), StringComparison.Ordinal);
        Assert.Equal(1, api.Uploads);
        Assert.Equal(1, api.Creates);

        // Finish the batch at the next poll, then resume.
        api.Fate = _ => new BatchFate();
        var (exit, output) = await CliRunner.RunAsync(CompareArgs(judge, outPath, "--resume"));

        Assert.True(exit == 0, output);
        Assert.Equal(1, api.Uploads);
        Assert.Equal(1, api.Creates);
        Assert.Equal(0, api.LiveCalls);
        var records = JudgmentsReader.Read(outPath);
        Assert.Equal(18, records.OfType<PairwiseVerdict>().Select(r => r.Item).Distinct().Count());
        Assert.Equal(18, records.OfType<PairwiseVerdict>().Count());
        Assert.Equal(36, records.OfType<JudgeCall>().Count());
    }

    /// <summary>Answers as the seeded mock model would, so a generation pipeline runs end to end against the fake.</summary>
    private static Func<JsonNode, string> MockAnswers()
    {
        var mock = ChatClientRegistry.CreateDefault().Create(JudgeSpec.Parse("mock:5"));
        return body =>
        {
            var messages = body["messages"]!.AsArray().Select(m => new ChatMessage(
                new ChatRole((string)m!["role"]!),
                m["content"] switch
                {
                    JsonValue v => (string?)v ?? string.Empty,
                    JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"])),
                    _ => string.Empty,
                })).ToList();
            return ServerReply.Completion(mock.GetResponseAsync(messages).GetAwaiter().GetResult().Text).Body;
        };
    }

    [Fact]
    public async Task FeedbackGenerate_GeneratorInBatchMode_EachStageOneBatchSameFilesAsLive()
    {
        var api = new LoopbackBatchApi { Answer = MockAnswers() };
        using var server = LoopbackOpenAIServer.Start(api.Handle);
        string[] Args(string generator, string outDir) =>
            ["feedback", "generate", "--out", outDir, "--generator", generator, "--judge", "mock:2", "--rubrics", "2", "--rubrics-per-call", "1", "--instructions-per-rubric", "1", "--include-seeds", "--rubrics-dir", Paths.Rubrics];
        var liveDir = Paths.Temp("live");
        var batchDir = Paths.Temp("batch");

        var (liveExit, liveOutput) = await CliRunner.RunAsync(Args($"openai:gpt-4o?base_url={server.BaseUrl}", liveDir));
        Assert.True(liveExit == 0, liveOutput);
        var liveCalls = api.LiveCalls;
        Assert.True(liveCalls > 0);

        var (exit, output) = await CliRunner.RunAsync(Args($"openai:gpt-4o?base_url={server.BaseUrl}&batch=on&batch_poll=0.001", batchDir));

        Assert.True(exit == 0, output);
        Assert.Equal(liveCalls, api.LiveCalls);
        Assert.Equal(liveCalls, api.LinesSubmitted.Count);
        using var ledger = JsonDocument.Parse(File.ReadAllText(Path.Combine(batchDir, "batches.json")));
        Assert.Equal(api.Creates, ledger.RootElement.GetArrayLength());
        Assert.All(ledger.RootElement.EnumerateArray(), b => Assert.Equal("completed", b.GetProperty("status").GetString()));

        // One batch per stage that calls the generator (the mock's answers leave rubrics and instructions), and the
        // same stage files as the live run.
        Assert.Equal(2, api.Creates);
        foreach (var file in new[] { "rubrics.jsonl", "rubrics.rejected.jsonl", "instructions.jsonl", "instructions.rejected.jsonl" })
        {
            Assert.Equal(File.ReadAllText(Path.Combine(liveDir, file)), File.ReadAllText(Path.Combine(batchDir, file)));
        }
    }

    private static decimal[] Dollars(string row) =>
        [.. System.Text.RegularExpressions.Regex.Matches(row, @"\$([0-9,]+\.[0-9]+)").Select(m => decimal.Parse(m.Groups[1].Value, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture))];

    [Fact]
    public async Task FeedbackDryRun_100kPlan_ShowsLiveAndBatchCostSideBySide()
    {
        var (exit, output) = await CliRunner.RunAsync(
            "feedback", "generate", "--out", Paths.Temp("plan"), "--generator", "openai:gpt-4o?batch=on", "--judge", "openai:gpt-4o?batch=on",
            "--rubrics", "1000", "--instructions-per-rubric", "20", "--responses-per-level", "1", "--dry-run", "--rubrics-dir", Paths.Rubrics);

        Assert.True(exit == 0, output);
        Assert.Contains("batch cost (est.)", output, StringComparison.Ordinal);
        var total = output.Split('\n').Single(l => l.StartsWith("│ total ", StringComparison.Ordinal));
        var (live, batch) = (Dollars(total)[0], Dollars(total)[1]);

        // gpt-4o has no batch price in the built-in table: half the live price, within the rounding of the shown cents.
        Assert.True(live > 100, total);
        Assert.InRange(batch, (live / 2) - 0.05m, (live / 2) + 0.05m);
    }

    [Fact]
    public async Task CompareDryRun_ShowsBatchCostAtTheTablesBatchPrice()
    {
        var prices = Paths.Temp("prices.yaml");
        File.WriteAllText(prices, "gpt-4o: { input: 2.5, output: 10, batch_input: 1, batch_output: 2 }\n");

        var (exit, output) = await CliRunner.RunAsync(CompareArgs("openai:gpt-4o?batch=on", Paths.Temp("dry.jsonl"), "--dry-run", "--prices", prices, "--expected-output-tokens", "100"));

        Assert.True(exit == 0, output);
        var row = output.Split('\n').Single(l => l.StartsWith("│ 36 ", StringComparison.Ordinal));
        var cells = row.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var input = long.Parse(cells[1], System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture);
        var costs = Dollars(row);

        // 3,600 output tokens; live: (in × 2.5 + 3,600 × 10) / 1e6, batch: (in × 1 + 3,600 × 2) / 1e6.
        Assert.Equal(Math.Round(((input * 2.5m) + 36_000m) / 1_000_000m, 4), costs[0]);
        Assert.Equal(Math.Round(((input * 1m) + 7_200m) / 1_000_000m, 4), costs[1]);
    }

    [Fact]
    public async Task Run_ConfigOptionBatchOn_PutsTheHostedJudgeInBatchMode()
    {
        var api = new LoopbackBatchApi { Answer = PreferLonger };
        using var server = LoopbackOpenAIServer.Start(api.Handle);
        var config = RunConfigs.Write("compare", $"openai:gpt-4o?base_url={server.BaseUrl}&batch_poll=0.001", "options:\n  batch: on\n  turns: [1]");

        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.True(exit is 0 or 1, output);
        Assert.Equal(0, api.LiveCalls);
        Assert.Equal(1, api.Creates);
        Assert.Equal(36, api.LinesSubmitted.Count);
        Assert.Equal(18, RunConfigs.Verdicts(config).Count);
        Assert.All(RunConfigs.Verdicts(config), v => Assert.Contains("batch=on", v.GetProperty("judge").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_ConfigOptionBatchNotOnOrOff_IsAnInputErrorNamingTheKey()
    {
        var config = RunConfigs.Write("compare", "openai:gpt-4o", "options:\n  batch: maybe");

        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.Equal(2, exit);
        Assert.Contains("options.batch", output, StringComparison.Ordinal);
        Assert.Contains("on, off", output, StringComparison.Ordinal);
    }

    /// <summary>Answers a request file as vLLM's run_batch would: one output line per request, same custom_id.</summary>
    private static string RunBatchLikeVllm(string requests, Func<JsonNode, string> answer) => string.Concat(
        File.ReadLines(requests).Select(l => JsonNode.Parse(l)!).Select((r, i) => new JsonObject
        {
            ["id"] = $"vllm-{i}",
            ["custom_id"] = (string?)r["custom_id"],
            ["response"] = new JsonObject { ["status_code"] = 200, ["request_id"] = $"vllm-batch-{i}", ["body"] = JsonNode.Parse(answer(r["body"]!)) },
            ["error"] = null,
        }.ToJsonString() + "\n"));

    [Fact]
    public async Task BatchExportThenImport_AnEngineOutputFileIsRecordedAsIfLive()
    {
        // An unreachable base URL: nothing may be called, neither by the export nor by the import.
        var judge = "openai:Qwen/Qwen2.5-7B-Instruct?base_url=http://127.0.0.1:9/v1&batch=on";
        var config = RunConfigs.Write("compare", judge, "options:\n  turns: [1]");
        var requests = Path.Combine(Path.GetDirectoryName(config)!, "requests.jsonl");

        var (exportExit, exportOutput) = await CliRunner.RunAsync("batch", "export", config, "--out", requests);

        Assert.True(exportExit == 0, exportOutput);
        var lines = File.ReadAllLines(requests);
        Assert.Equal(36, lines.Length);
        Assert.All(lines, l => Assert.Equal("Qwen/Qwen2.5-7B-Instruct", (string?)JsonNode.Parse(l)!["body"]!["model"]));

        var results = Path.Combine(Path.GetDirectoryName(config)!, "results.jsonl");
        File.WriteAllText(results, RunBatchLikeVllm(requests, PreferLonger));
        var (exit, output) = await CliRunner.RunAsync("batch", "import", config, results);

        Assert.True(exit is 0 or 1, output);
        var verdicts = RunConfigs.Verdicts(config);
        Assert.Equal(18, verdicts.Count);
        Assert.All(verdicts, v => Assert.Equal("parsed", v.GetProperty("status").GetString()));
        Assert.Contains(verdicts, v => v.GetProperty("winner").GetString() == "model_a");
        Assert.Contains(verdicts, v => v.GetProperty("winner").GetString() == "model_b");
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(RunConfigs.Out(config), "manifest.json")));
        Assert.Equal(JsonValueKind.String, manifest.RootElement.GetProperty("finished_at").ValueKind);
        Assert.Equal("completed", manifest.RootElement.GetProperty("batches")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task BatchExport_NoJudgeInBatchMode_IsAnInputError()
    {
        var config = RunConfigs.Write("compare", "openai:gpt-4o?base_url=http://127.0.0.1:9/v1", "options:\n  turns: [1]");

        var (exit, output) = await CliRunner.RunAsync("batch", "export", config, "--out", Paths.Temp("r.jsonl"));

        Assert.Equal(2, exit);
        Assert.Contains("no judge in batch mode", output, StringComparison.Ordinal);
    }
}

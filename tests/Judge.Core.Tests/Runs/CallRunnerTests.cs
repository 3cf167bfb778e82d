using Judge.Feedback;
using Judge.Judging;
using Judge.Runs;
using Judge.Tests.Feedback;
using Judge.Tests.Support;
using Judge.Verdicts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Judge.Tests.Runs;

/// <summary>
/// The call runner every producer of model calls runs on: its journal, batches and pricing, through a judge run and
/// through a feedback generation.
/// </summary>
public class CallRunnerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>$1 / $2 per million tokens, and by default half that through a batch.</summary>
    private static readonly PriceTable Flat = PriceTable.WithFlatPrice(new ModelPrice(1m, 2m));

    private static List<IReadOnlyList<ChatMessage>> Prompts(int count) =>
        [.. Enumerable.Range(1, count).Select(i => (IReadOnlyList<ChatMessage>)[new ChatMessage(ChatRole.User, $"prompt {i}")])];

    private static CallProgress Counted(List<RunProgressSnapshot> snapshots, List<CostTotals> spent) =>
        new("stage", 1, (_, text) => text.StartsWith("answer", StringComparison.Ordinal), snapshots.Add, c =>
        {
            lock (spent)
            {
                spent.Add(c);
            }
        });

    [Fact]
    public async Task CallAllAsync_ResumedOverItsJournal_CallsTheModelOnlyForWhatTheJournalLacks()
    {
        using var dir = new TempDir();
        var journal = Path.Combine(dir.Path, "journal.jsonl");
        var spec = JudgeSpec.Parse("fake:model");
        var model = new ScriptedJudges((n, _) => $"answer {n}");
        var time = new FakeTimeProvider(Start);
        using (var first = CallRunner.Open(journal, resume: true, () => throw new InvalidOperationException("no batch"), time, null))
        {
            await first.CallAllAsync(new CallModel(spec, model.Live(), new CallPricer(Flat, spec), null), Prompts(3), new ChatOptions(), Counted([], []), CancellationToken.None);
        }

        var snapshots = new List<RunProgressSnapshot>();
        var spent = new List<CostTotals>();
        using var runner = CallRunner.Open(journal, resume: true, () => throw new InvalidOperationException("no batch"), time, null);
        var answers = await runner.CallAllAsync(new CallModel(spec, model.Live(), new CallPricer(Flat, spec), null), Prompts(5), new ChatOptions(), Counted(snapshots, spent), CancellationToken.None);

        // Prompts 1-3 were answered before the stop: served from the journal with their recorded text; 4 and 5 reach the model.
        Assert.Equal(["answer 1", "answer 2", "answer 3", "answer 4", "answer 5"], answers.Select(a => a.Text));
        Assert.Equal(5, model.Calls);
        Assert.Equal((2, 3), (runner.ModelCalls, runner.Journal.Served));

        // Progress counts all five calls with their tokens; only the two paid for now are priced: 2 × $0.00012.
        var last = snapshots[^1];
        Assert.Equal((5, 5, 0, 5L, 500L), (last.Done, last.Total, last.WithoutVerdict, last.Calls, last.InputTokens));
        Assert.Equal(2 * TestRuns.CallCost, last.Cost);
        Assert.Equal(new CostTotals(2, 200, 20, 2, 2 * TestRuns.CallCost), spent.Aggregate(CostTotals.None, (a, b) => a.Add(b)));
    }

    [Fact]
    public async Task CallAllAsync_FailingCall_IsAnAnswerWithItsErrorNotTheEndOfTheWork()
    {
        using var dir = new TempDir();
        var spec = JudgeSpec.Parse("fake:model");
        var model = new ScriptedJudges((n, _) => n == 2 ? throw new HttpRequestException("unreachable") : $"answer {n}");
        var snapshots = new List<RunProgressSnapshot>();
        using var runner = CallRunner.Open(Path.Combine(dir.Path, "journal.jsonl"), resume: false, () => throw new InvalidOperationException("no batch"), new FakeTimeProvider(Start), null);

        var answers = await runner.CallAllAsync(new CallModel(spec, model.Live(), new CallPricer(Flat, spec), null), Prompts(3), new ChatOptions(), Counted(snapshots, []), CancellationToken.None);

        Assert.Equal(("answer 1", (string?)null), (answers[0].Text, answers[0].Error));
        Assert.Equal("fake:model: HttpRequestException: unreachable", answers[1].Error);
        Assert.Equal("answer 3", answers[2].Text);
        Assert.Equal((3, 1), (snapshots[^1].Done, snapshots[^1].WithoutVerdict));

        // Nothing of a failed call is journalled: a rerun tries it again.
        Assert.Equal(2, File.ReadAllLines(Path.Combine(dir.Path, "journal.jsonl")).Length);
    }

    [Fact]
    public async Task CallAllAsync_BatchMode_SendsWhatTheJournalLacksAndPricesItAtTheBatchPrice()
    {
        using var dir = new TempDir();
        var journal = Path.Combine(dir.Path, "journal.jsonl");
        var spec = JudgeSpec.Parse("fake:model?batch=on");
        var model = new ScriptedJudges((n, _) => $"answer live {n}");
        var clock = new FakeTimeProvider(Start);
        using (var first = CallRunner.Open(journal, resume: true, () => throw new InvalidOperationException("no batch"), clock, null))
        {
            await first.CallAllAsync(new CallModel(spec, model.Live(), new CallPricer(Flat, spec), null), Prompts(1), new ChatOptions(), Counted([], []), CancellationToken.None);
        }

        var batches = new FakeBatches(user => $"answer from the batch to {user}");
        var side = new BatchSide(batches, new BatchAnswers());
        var spent = new List<CostTotals>();
        var notes = new List<string>();
        using var runner = CallRunner.Open(journal, resume: true, () => BatchBook.InFile(Path.Combine(dir.Path, "batches.json")), clock, notes.Add);

        var answers = await TestRuns.DriveAsync(
            runner.CallAllAsync(new CallModel(spec, FakeBatches.Serving(side.Answers, model.Live()), new CallPricer(Flat, spec), side), Prompts(3), new ChatOptions(), Counted([], spent), CancellationToken.None),
            clock);

        // Prompt 1 was answered live before and is served from the journal; 2 and 3 go in one batch, polled once on the
        // fake clock, and are answered from it: no live call, each priced at the batch price (half of $0.00012).
        Assert.Equal(["answer live 1", "answer from the batch to prompt 2", "answer from the batch to prompt 3"], answers.Select(a => a.Text));
        Assert.Equal(1, model.Calls);
        Assert.Equal((2, 1, 1), (batches.LinesSubmitted, batches.Creates, batches.Polls));
        Assert.Equal(new CostTotals(2, 200, 20, 2, 2 * TestRuns.BatchCallCost), spent.Aggregate(CostTotals.None, (a, b) => a.Add(b)));
        var recorded = Assert.Single(BatchBook.InFile(Path.Combine(dir.Path, "batches.json")).Records);
        Assert.Equal((BatchStatus.Completed, 2), (recorded.Status, recorded.Requests));
        Assert.All(BatchRequestLine.ReadFile(Path.Combine(dir.Path, recorded.RequestFile)), l => Assert.Matches(@"^stage\|[12]\|[0-9a-f]{16}$", l.CustomId));
    }

    [Fact]
    public async Task RunAsync_BatchJudge_EveryCallAnsweredByTheBatchAndPricedAtTheBatchPrice()
    {
        using var dir = new TempDir();
        var clock = new FakeTimeProvider(Start);
        var batches = new FakeBatches(_ => "Fine. Rating: [[7]]");
        var judges = new ScriptedJudges((_, _) => "Live. Rating: [[1]]") { Batches = batches };
        var notes = new List<string>();

        var result = await TestRuns.DriveAsync(
            new RunEngine(judges, clock).RunAsync(TestRuns.Grade(dir.Path, "single-general"), RunFiles.InFolder(dir.Path), RunStart.New, TestRuns.Library, new RunObserver { Note = notes.Add }),
            clock);

        Assert.Equal(0, judges.Calls);
        Assert.Equal((18, 1, 1), (batches.LinesSubmitted, batches.Creates, batches.Polls));
        Assert.All(result.Records.OfType<AbsoluteVerdict>(), v => Assert.Equal(7, v.Score));
        Assert.All(result.Records.OfType<JudgeCall>(), c => Assert.Equal(TestRuns.BatchCallCost, c.CostUsd));
        Assert.Equal(18 * TestRuns.BatchCallCost, result.Analysis.Cost.Usd);
        var batch = Assert.Single(result.Manifest.Batches);
        Assert.Equal(("batch-1", BatchStatus.Completed), (batch.BatchId, batch.Status));
        Assert.Contains(notes, n => n.StartsWith("batch batch-1: in_progress, 0/18 done", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FeedbackRunAsync_ResumedAfterAStop_CallsTheModelOnlyForWhatTheJournalLacksAndPricesOnlyThose()
    {
        using var dir = new TempDir();
        using var stop = new CancellationTokenSource();
        var calls = 0;
        var dying = new FakeChatClient(m =>
        {
            // The 5th answer arrives, then the run is stopped.
            if (Interlocked.Increment(ref calls) == 5)
            {
                stop.Cancel();
            }

            return FakeGenerator.Respond(m);
        });
        FeedbackStage[] stages = [FeedbackStage.Rubrics, FeedbackStage.Instructions];
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Pipeline(dir.Path, dying).RunAsync(Seeds, stages, cancellationToken: stop.Token));

        var fresh = FakeGenerator.Create();
        var result = await Pipeline(dir.Path, new UsageReporting(fresh)).RunAsync(Seeds, stages);

        // 2 rubric calls and 12 instruction calls; 5 were paid for before the stop and are served from the journal.
        Assert.Equal(14 - 5, fresh.Requests.Count);
        Assert.Equal((5, 9), (result.Stages.Sum(s => s.JournalCalls), result.Stages.Sum(s => s.ModelCalls)));

        // Only the calls a model answered now are priced: 1,000 prompt and 100 completion tokens at $1 / $2 per million.
        var spent = result.Stages.Aggregate(CostTotals.None, (a, s) => a.Add(s.Cost));
        Assert.Equal(new CostTotals(9, 9_000, 900, 9, 9 * 0.0012m), spent);
    }

    private static IReadOnlyList<FeedbackRubric> Seeds => FeedbackPrompts.LoadSeeds(Path.Combine(TestPaths.Rubrics, "feedback", "seeds")).Take(3).ToList();

    private static FeedbackPipeline Pipeline(string dir, IChatClient model) =>
        new(
            FeedbackPrompts.LoadDirectory(Path.Combine(TestPaths.Rubrics, "feedback")),
            TestPaths.Rubric("prometheus-absolute"),
            new FeedbackModels { Generator = new(JudgeSpec.Parse("fake:generator"), model), Judge = new(JudgeSpec.Parse("fake:judge"), model), Prices = Flat },
            new FeedbackOptions { NewRubrics = 3, RubricsPerCall = 2, InstructionsPerRubric = 4, Concurrency = 1 },
            dir,
            new FakeTimeProvider(Start));

    /// <summary>Reports 1,000 prompt and 100 completion tokens for every answer.</summary>
    private sealed class UsageReporting(IChatClient inner) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            response.Usage = new UsageDetails { InputTokenCount = 1000, OutputTokenCount = 100 };
            return response;
        }
    }
}

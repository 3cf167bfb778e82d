using Judge.Feedback;
using Judge.Judging;
using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Judge.Tests.Feedback;

/// <summary>The pipeline's live progress: per stage batch, calls done, unreadable answers, tokens, cost and time.</summary>
public class FeedbackProgressTests
{
    private static readonly FeedbackStage[] FirstTwo = [FeedbackStage.Rubrics, FeedbackStage.Instructions];

    [Fact]
    public async Task RunAsync_PricedModel_ReportsEachCallWithTokensCostAndTime()
    {
        using var temp = new TempDir();
        var time = new FakeTimeProvider();
        var model = new PricedFake(FakeGenerator.Create(), time);
        var snapshots = new List<RunProgressSnapshot>();

        await Pipeline(temp.Path, model, time).RunAsync(Seeds, FirstTwo, onProgress: snapshots.Add);

        // One snapshot as each batch starts and one per call: rubrics 2 calls (2 + 1 rubrics asked), instructions 3 rubrics x 4.
        Assert.Equal(["rubrics", "rubrics", "rubrics", .. Enumerable.Repeat("instructions", 13)], snapshots.Select(s => s.Label));
        Assert.Equal((0, 2, TimeSpan.Zero), (snapshots[0].Done, snapshots[0].Total, snapshots[0].Elapsed));

        // Each call takes one (fake) second and reports 1,000 prompt and 100 completion tokens from gpt-4o-2024-08-06,
        // priced as gpt-4o ($2.50 and $10 per million): 0.0025 + 0.001 = $0.0035 a call.
        var rubrics = snapshots[2];
        Assert.Equal((2, 2, 0, 2, 2000L, 200L, 0.0070m, TimeSpan.FromSeconds(2)), (rubrics.Done, rubrics.Total, rubrics.WithoutVerdict, rubrics.Calls, rubrics.InputTokens, rubrics.OutputTokens, rubrics.Cost, rubrics.Elapsed));

        // Instructions: variant 3 of each rubric's four is prose, so 3 of 12 answers have nothing to read.
        var instructions = snapshots[^1];
        Assert.Equal((12, 12, 3, 12, 12_000L, 1_200L, 0.0420m, TimeSpan.FromSeconds(12)), (instructions.Done, instructions.Total, instructions.WithoutVerdict, instructions.Calls, instructions.InputTokens, instructions.OutputTokens, instructions.Cost, instructions.Elapsed));
        Assert.Equal("instructions 12/12 100% 1.0/s ETA 0:00 no verdict 3 $0.0420", instructions.Line());
        var half = snapshots[3 + 6];
        Assert.Equal("instructions 6/12 50% 1.0/s ETA 0:06 no verdict 1 $0.0210", half.Line());
        Assert.All(snapshots, s => Assert.True(s.Line().Length <= 80, s.Line()));
    }

    [Fact]
    public async Task RunAsync_Rerun_CountsJournalledCallsButPricesNothing()
    {
        using var temp = new TempDir();
        var time = new FakeTimeProvider();
        var model = new PricedFake(FakeGenerator.Create(), time);
        await Pipeline(temp.Path, model, time).RunAsync(Seeds, FirstTwo);
        var paid = model.Calls;
        var snapshots = new List<RunProgressSnapshot>();

        await Pipeline(temp.Path, model, time).RunAsync(Seeds, FirstTwo, onProgress: snapshots.Add);

        // Every answer comes from the journal (with its recorded tokens); it was paid for by the first run.
        Assert.Equal(paid, model.Calls);
        var last = snapshots[^1];
        Assert.Equal((12, 12, 3, 12_000L, (decimal?)null, TimeSpan.Zero), (last.Done, last.Calls, last.WithoutVerdict, last.InputTokens, last.Cost, last.Elapsed));
        Assert.Equal("instructions 12/12 100% 0.0/s ETA ? no verdict 3", last.Line());
    }

    [Fact]
    public async Task RunAsync_FailingCalls_CountAsWithoutVerdict()
    {
        using var temp = new TempDir();
        var time = new FakeTimeProvider();
        var failing = new PricedFake(FakeGenerator.Create(), time) { Fail = true };
        var snapshots = new List<RunProgressSnapshot>();

        await Pipeline(temp.Path, failing, time).RunAsync(Seeds, [FeedbackStage.Rubrics], onProgress: snapshots.Add);

        // The calls reached the model and failed: counted, without verdict, and not priced (no usage came back).
        Assert.Equal((2, 2, 2, (decimal?)null), (snapshots[^1].Done, snapshots[^1].WithoutVerdict, snapshots[^1].Calls, snapshots[^1].Cost));
    }

    private static IReadOnlyList<FeedbackRubric> Seeds => FeedbackPrompts.LoadSeeds(Path.Combine(TestPaths.Rubrics, "feedback", "seeds")).Take(3).ToList();

    private static FeedbackPipeline Pipeline(string dir, IChatClient model, TimeProvider time) =>
        new(
            FeedbackPrompts.LoadDirectory(Path.Combine(TestPaths.Rubrics, "feedback")),
            TestPaths.Rubric("prometheus-absolute"),
            new FeedbackModels { Generator = new(JudgeSpec.Parse("fake:generator"), model), Judge = new(JudgeSpec.Parse("fake:judge"), model), Prices = PriceTable.BuiltIn },
            new FeedbackOptions { NewRubrics = 3, RubricsPerCall = 2, InstructionsPerRubric = 4, Concurrency = 1 },
            dir,
            time);

    /// <summary>A model that takes one fake second per call and reports usage as a dated gpt-4o would.</summary>
    private sealed class PricedFake(IChatClient inner, FakeTimeProvider time) : DelegatingChatClient(inner)
    {
        private int _calls;

        public bool Fail { get; init; }

        public int Calls => Volatile.Read(ref _calls);

        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            time.Advance(TimeSpan.FromSeconds(1));
            if (Fail)
            {
                throw new HttpRequestException("unreachable");
            }

            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            response.ModelId = "gpt-4o-2024-08-06";
            response.Usage = new UsageDetails { InputTokenCount = 1000, OutputTokenCount = 100 };
            return response;
        }
    }
}

using Judge.Feedback;
using Judge.Judging;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Tests.Support;
using Microsoft.Extensions.AI;

namespace Judge.Tests.Runs;

/// <summary>Dry runs: tokens counted without a tokenizer, and the one pricing rule of every estimate.</summary>
public class EstimateTests
{
    [Fact]
    public void TokenEstimate_CountsAQuarterOfTheCharactersPlusFourPerMessage()
    {
        // 40 characters -> 10 tokens + 4 framing = 14; 41 characters round up to 11 + 4 = 15.
        Assert.Equal(14, TokenEstimate.Of([new ChatMessage(ChatRole.User, new string('x', 40))]));
        Assert.Equal(15 + 4, TokenEstimate.Of([new ChatMessage(ChatRole.User, new string('x', 41)), new ChatMessage(ChatRole.System, string.Empty)]));
    }

    [Fact]
    public void CostEstimate_HostedModel_IsPricedLiveAndThroughItsBatchApi()
    {
        // 100 calls of 14 prompt tokens = 1,400 in, 100 × 50 = 5,000 out; gpt-4o at $2.5/$10 per million:
        // 1400 × 2.5 / 1e6 + 5000 × 10 / 1e6 = 0.0035 + 0.05 = $0.0535 live, half that ($0.02675) through a batch.
        var estimate = CostEstimate.For(JudgeSpec.Parse("openai:gpt-4o"), PriceTable.BuiltIn, 100, 1400, 5000);

        Assert.Equal(CostBasis.Priced, estimate.Basis);
        Assert.Equal("gpt-4o", estimate.Model);
        Assert.Equal(0.0535m, estimate.Usd);
        Assert.Equal(0.02675m, estimate.BatchUsd);
        Assert.Equal(0.02675m, estimate.CheapestUsd);
    }

    [Theory]
    [InlineData("replay:recorded.jsonl", 10, CostBasis.Replay)]
    [InlineData("llama:model.gguf", 10, CostBasis.Local)]
    [InlineData("mock:7", 10, CostBasis.Local)]
    [InlineData("openai:no-such-model", 10, CostBasis.Unpriced)]
    [InlineData("openai:gpt-4o", 0, CostBasis.NoCalls)]
    public void CostEstimate_NothingToPayOrNoPrice_SaysWhy(string spec, long calls, CostBasis basis)
    {
        var estimate = CostEstimate.For(JudgeSpec.Parse(spec), PriceTable.BuiltIn, calls, 1000, 1000);

        Assert.Equal(basis, estimate.Basis);
        Assert.Equal(0m, estimate.Usd);
        Assert.Null(estimate.BatchUsd);
        Assert.Equal(basis != CostBasis.Unpriced, estimate.Known);
    }

    [Fact]
    public void Estimate_CompareBothOrders_RendersEveryPromptAndPricesTheJudge()
    {
        // Sample data, turn 1: 6 questions × 3 model pairs = 18 pairs, each in both orders = 36 calls.
        var config = new RunConfig
        {
            SourcePath = "test",
            Hash = "h",
            Mode = RunMode.Compare,
            Data = new RunData
            {
                Questions = Path.Combine(TestPaths.Sample, "question.jsonl"),
                Answers = Directory.GetFiles(Path.Combine(TestPaths.Sample, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal).ToList(),
                References = Path.Combine(TestPaths.Sample, "reference_answer", "reference.jsonl"),
            },
            Judges = [JudgeSpec.Parse("openai:gpt-4o")],
            Output = "unused",
        };
        var judges = new ScriptedJudges((_, _) => throw new InvalidOperationException("a dry run calls no judge"));

        var estimate = new RunEngine(judges).Estimate(config, RubricLibrary.LoadDirectory(TestPaths.Rubrics), expectedOutputTokens: 100);

        var judge = Assert.Single(estimate.Judges);
        Assert.Equal(36, judge.Calls);
        Assert.Equal(3600, judge.OutputTokens);
        Assert.True(judge.InputTokens > 36 * 100, $"{judge.InputTokens} prompt tokens");
        Assert.Equal(CostEstimate.For(JudgeSpec.Parse("openai:gpt-4o"), PriceTable.BuiltIn, 36, judge.InputTokens, 3600), judge.Cost);
        Assert.Equal(0, judges.Calls);
    }

    [Fact]
    public void FeedbackEstimate_UnpricedStage_IsCountedApartAndLeftOutOfTheTotals()
    {
        StagePlan[] plan =
        [
            new(FeedbackStage.Rubrics, "generator", "openai:gpt-4o", 10, 1000, 2000, 10),
            new(FeedbackStage.Feedback, "judge", "openai:unpriced", 30, 3000, 3000, 30),
            new(FeedbackStage.Export, "-", "-", 0, 0, 0, 0),
        ];
        JudgeSpec[] models = [JudgeSpec.Parse("openai:gpt-4o"), JudgeSpec.Parse("openai:unpriced")];

        var estimate = FeedbackEstimate.Of(plan, [FeedbackStage.Rubrics, FeedbackStage.Feedback, FeedbackStage.Export], models, PriceTable.BuiltIn, requestsPerMinute: 20);

        // Rubrics: 1000 × 2.5 / 1e6 + 2000 × 10 / 1e6 = $0.0225 live, $0.01125 batched; 40 calls at 20 rpm = 2 minutes.
        Assert.Equal(3, estimate.Stages.Count);
        Assert.Equal(CostBasis.NoCalls, estimate.Stages[2].Cost.Basis);
        Assert.Equal(1, estimate.UnpricedStages);
        Assert.Equal(0.0225m, estimate.Usd);
        Assert.Equal(0.01125m, estimate.CheapestUsd);
        Assert.Equal(40, estimate.Calls);
        Assert.Equal(TimeSpan.FromMinutes(2), estimate.Time);
    }
}

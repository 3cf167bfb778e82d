using Judge.Feedback;
using Judge.Judging;
using Judge.Reports.Terminal;
using Judge.Runs;

namespace Judge.Reports.Tests;

/// <summary>The dry-run tables say why a cost is nothing or unknown, and never hide an unpriced stage in a total.</summary>
public class EstimateConsoleTests
{
    [Fact]
    public void RunEstimate_OneJudge_ShowsItsCallsTokensAndWhyItCostsNothing()
    {
        using var console = new TestConsole();
        var estimate = new RunEstimate([new JudgeEstimate("replay:recorded.jsonl", 36, 17_142, 7_200, new CostEstimate(CostBasis.Replay, "recorded.jsonl", 0, null))], 200);

        RunEstimateConsole.Write(console.Console, estimate);

        Assert.Matches(@"│ 36\s+│ 17,142\s+│ 7,200\s+│ \$0 \(replay\)\s+│ -\s+│", console.Output);
        Assert.DoesNotContain("judge ", console.Output.Split('\n')[2], StringComparison.Ordinal);
    }

    [Fact]
    public void RunEstimate_PricedWithBatchApi_ShowsBothCostsAndNamesJudgesWhenThereAreSeveral()
    {
        using var console = new TestConsole();
        var estimate = new RunEstimate(
        [
            new JudgeEstimate("openai:gpt-4o", 18, 7_139, 3_600, CostEstimate.For(JudgeSpec.Parse("openai:gpt-4o"), PriceTable.BuiltIn, 18, 7_139, 3_600)),
            new JudgeEstimate("llama:/models/m.gguf", 18, 7_139, 3_600, CostEstimate.For(JudgeSpec.Parse("llama:/models/m.gguf"), PriceTable.BuiltIn, 18, 7_139, 3_600)),
        ], 200);

        RunEstimateConsole.Write(console.Console, estimate);

        // 7,139 × 2.5 / 1e6 + 3,600 × 10 / 1e6 = 0.0178475 + 0.036 = $0.0538475 live; half through a batch.
        Assert.Matches(@"│ openai:gpt-4o\s+│ 18\s+│ 7,139\s+│ 3,600\s+│ \$0\.0538\s+│ \$0\.0269\s+│", console.Output);
        Assert.Matches(@"│ llama:m\.gguf\s+│ 18\s+│ 7,139\s+│ 3,600\s+│ \$0 \(local\)\s+│ -\s+│", console.Output);
    }

    [Fact]
    public void FeedbackPlan_UnpricedStage_MarksTheTotalsAndSaysSo()
    {
        using var console = new TestConsole();
        StagePlan[] plan =
        [
            new(FeedbackStage.Rubrics, "generator", "openai:gpt-4o", 10, 1000, 2000, 10),
            new(FeedbackStage.Feedback, "second judge", "openai:unpriced", 30, 3000, 3000, 30),
        ];
        var estimate = FeedbackEstimate.Of(plan, [FeedbackStage.Rubrics, FeedbackStage.Feedback], [JudgeSpec.Parse("openai:gpt-4o"), JudgeSpec.Parse("openai:unpriced")], PriceTable.BuiltIn, 500);

        FeedbackConsole.WritePlan(console.Console, estimate);

        Assert.Contains("feedback (2nd judge)", console.Output, StringComparison.Ordinal);
        Assert.Contains("unknown: no price for 'unpriced'", console.Output, StringComparison.Ordinal);
        Assert.Matches(@"│ total\s+│\s+│ 40\s+│ 4,000\s+│ 5,000\s+│ \$0\.0225 \+ unknown\s+│ \$0\.0113 \+ unknown\s+│", console.Output);
        Assert.Contains("1 stage(s) call a model without a price", console.Output, StringComparison.Ordinal);
    }
}

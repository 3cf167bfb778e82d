using Judge.Data;
using Judge.Judging;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests;

/// <summary>Cascades and panels from code (issue 21, parts 3, 4 and 6).</summary>
public sealed class CascadeTests
{
    private static PairwiseItem Item(string id) => new(Samples.MathQuestion with { Id = id }, Samples.Large with { QuestionId = id }, Samples.Tiny with { QuestionId = id }, 1);

    /// <summary>A judge that answers from a table by question id: its winner and confidence, counting its calls and cost.</summary>
    private sealed class TableJudge(string id, Func<string, (PairOutcome? Winner, double? Confidence)> table, decimal costPerCall = 0) : IPairwiseJudge
    {
        private int _calls;

        public string Id => id;

        public int Calls => _calls;

        public Task<PairwiseVerdict> JudgeAsync(PairwiseItem item, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            var (winner, confidence) = table(item.Question.Id);
            var call = new JudgeCall { Item = item.Key, Judge = id, Rubric = "r@1", Order = "AB", PromptHash = "h", Status = winner is null ? VerdictStatus.Error : VerdictStatus.Parsed, CostUsd = costPerCall };
            return Task.FromResult(new PairwiseVerdict
            {
                Item = item.Key,
                Judge = id,
                Rubric = "r@1",
                QuestionId = item.Question.Id,
                Turn = item.Turn,
                ModelA = item.ModelA,
                ModelB = item.ModelB,
                Winner = winner,
                Status = winner is null ? VerdictStatus.Error : VerdictStatus.Parsed,
                Confidence = winner is null ? null : confidence,
                ConfidenceSource = confidence is null ? null : VerdictConfidence.Logits,
                Calls = [call],
            });
        }
    }

    [Fact]
    public async Task Cascade_ConfidentCheapJudge_DecidesAlone_OnlyEscalatedItemsPayForTheStrongOne()
    {
        var cheap = new TableJudge("cheap", q => q == "sure" ? (PairOutcome.A, 0.95) : (PairOutcome.B, 0.6), 0.001m);
        var strong = new TableJudge("strong", _ => (PairOutcome.A, 0.9), 0.03m);
        var cascade = new CascadePairwiseJudge("cascade", [new(cheap, 0.9), new(strong, 0.85)]);

        var sure = await cascade.JudgeAsync(Item("sure"));
        var unsure = await cascade.JudgeAsync(Item("unsure"));

        Assert.Equal((PairOutcome.A, 1, true), (sure.Winner, sure.Stage, sure.Guaranteed));
        Assert.Single(sure.Cascade!);
        Assert.Equal("cascade", sure.Judge);
        Assert.Equal((PairOutcome.A, 2), (unsure.Winner, unsure.Stage));
        Assert.Equal([false, true], unsure.Cascade!.Select(s => s.Decided));
        Assert.Equal(("cheap", "model_b", 0.6, 0.9), (unsure.Cascade![0].Judge, unsure.Cascade[0].Verdict, unsure.Cascade[0].Confidence!.Value, unsure.Cascade[0].Threshold!.Value));
        Assert.Equal((2, 1), (cheap.Calls, strong.Calls));
        Assert.Equal(0.031m, unsure.Calls.Sum(c => c.CostUsd));
    }

    [Fact]
    public async Task Cascade_NoStageConfident_AbstainsWithTheReasons_OrKeepsTheLastUnguaranteed()
    {
        var cheap = new TableJudge("cheap", _ => (PairOutcome.B, 0.6));
        var strong = new TableJudge("strong", _ => (PairOutcome.A, 0.7));
        var uncalibrated = new TableJudge("uncalibrated", _ => (PairOutcome.A, 1.0));

        var abstained = await new CascadePairwiseJudge("c", [new(cheap, 0.9), new(strong, 0.85), new(uncalibrated, null)]).JudgeAsync(Item("q"));
        var kept = await new CascadePairwiseJudge("c", [new(cheap, 0.9), new(strong, 0.85)], AbstainPolicy.LastUnguaranteed).JudgeAsync(Item("q"));

        Assert.Equal(VerdictStatus.Abstained, abstained.Status);
        Assert.Null(abstained.Winner);
        Assert.Null(abstained.Confidence);
        Assert.Equal("no stage was confident enough: cheap 0.6 < 0.9; strong 0.7 < 0.85; uncalibrated not calibrated to decide", abstained.Error);
        Assert.Equal(3, abstained.Cascade!.Count);
        Assert.Equal((PairOutcome.A, false, (int?)null), (kept.Winner, kept.Guaranteed, kept.Stage));
        Assert.Equal(1, MissingVerdicts.Count([abstained.Status]).Abstained);
        Assert.Equal("1 (abstained 1)", MissingVerdicts.Count([abstained.Status]).ToString());
    }

    [Fact]
    public async Task Cascade_FailedStageEscalates_AndTheVerdictRoundTripsThroughAJudgmentsFile()
    {
        var failing = new TableJudge("cheap", _ => (null, null));
        var strong = new TableJudge("strong", _ => (PairOutcome.B, 0.99));

        var verdict = await new CascadePairwiseJudge("c", [new(failing, 0.9), new(strong, 0.85)]).JudgeAsync(Item("q"));
        var back = (PairwiseVerdict)JudgmentsReader.ParseRecord("x.jsonl", 1, JudgmentsWriter.ToLine(verdict));

        Assert.Equal((PairOutcome.B, 2), (back.Winner, back.Stage));
        Assert.Equal(VerdictStatus.Error, back.Cascade![0].Status);
        Assert.Equal(0.99, back.Confidence);
    }

    [Fact]
    public async Task Panel_MajorityOfMembers_WithVoteShare_AsACascadeStage()
    {
        var panel = new PanelPairwiseJudge("panel", [new TableJudge("x", _ => (PairOutcome.A, null)), new TableJudge("y", _ => (PairOutcome.A, null)), new TableJudge("z", _ => (PairOutcome.B, null))]);
        var cascade = new CascadePairwiseJudge("c", [new(panel, 0.6)]);

        var verdict = await cascade.JudgeAsync(Item("q"));

        Assert.Equal((PairOutcome.A, 1), (verdict.Winner, verdict.Stage));
        Assert.Equal(2.0 / 3, verdict.Confidence!.Value, 12);
        Assert.Equal(3, verdict.Calls.Count);
    }

    private sealed class ScoreJudge(string id, double? score) : IAbsoluteJudge
    {
        public string Id => id;

        public Task<AbsoluteVerdict> GradeAsync(AbsoluteItem item, CancellationToken cancellationToken = default) => Task.FromResult(new AbsoluteVerdict
        {
            Item = item.Key,
            Judge = id,
            Rubric = "r@1",
            QuestionId = item.Question.Id,
            Turn = 1,
            Model = item.Answer.ModelId,
            Score = score,
            Status = score is null ? VerdictStatus.Unparsed : VerdictStatus.Parsed,
        });
    }

    [Theory]
    [InlineData(PanelScore.Median, 7.0, 0.4)]
    [InlineData(PanelScore.Mean, 6.75, 0.0)]
    public async Task AbsolutePanel_MedianOrMean_ConfidenceIsTheShareGivingThatScore(PanelScore combine, double score, double confidence)
    {
        // Scores 5, 7, 7, 8 and one member unparsed: median (7 + 7) / 2 = 7, given by 2 of the 5 members = 0.4;
        // mean 27 / 4 = 6.75, given by none = 0.
        var members = new IAbsoluteJudge[] { new ScoreJudge("a", 5), new ScoreJudge("b", 7), new ScoreJudge("c", 7), new ScoreJudge("d", 8), new ScoreJudge("e", null) };

        var grade = await new PanelAbsoluteJudge("p", members, combine).GradeAsync(new AbsoluteItem(Samples.MathQuestion, Samples.Large, 1));

        Assert.Equal(score, grade.Score);
        Assert.Equal(confidence, grade.Confidence!.Value, 12);
    }
}

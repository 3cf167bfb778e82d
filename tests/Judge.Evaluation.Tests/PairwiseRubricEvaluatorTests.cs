using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Judge.Evaluation.Tests;

public sealed class PairwiseRubricEvaluatorTests
{
    private const string Question = "How long is a train journey from 09:40 to 13:05?";
    private const string Good = "09:40 to 13:05 is 3 h 25 min, so the journey takes 205 minutes.";
    private const string Bad = "It takes 3 hours and 65 minutes, which is 245 minutes.";

    /// <summary>Whether the good answer is the one shown first (answer A) in the rendered prompt.</summary>
    private static bool GoodFirst(string prompt) => prompt.IndexOf(Good, StringComparison.Ordinal) < prompt.IndexOf(Bad, StringComparison.Ordinal);

    /// <summary>A fair judge: picks the good answer wherever it is shown.</summary>
    private static string Fair(string prompt) => GoodFirst(prompt) ? "The first is right. [[A]]" : "The second is right. [[B]]";

    private static Task<EvaluationResult> Evaluate(FakeChatClient judge, string response, string baseline, PairwiseRubricEvaluatorOptions? options = null) =>
        new PairwiseRubricEvaluator(options: options).EvaluateAsync(
            [new ChatMessage(ChatRole.User, Question)],
            new ChatResponse(new ChatMessage(ChatRole.Assistant, response)),
            new ChatConfiguration(judge),
            [new PairwiseContext(baseline)]).AsTask();

    private static (StringMetric Winner, NumericMetric Credit) Metrics(EvaluationResult result) =>
        (result.Get<StringMetric>("pairwise-general winner"), result.Get<NumericMetric>("pairwise-general win credit"));

    [Theory]
    [InlineData(Good, Bad, PairwiseRubricEvaluator.Response, 1.0, false)]
    [InlineData(Bad, Good, PairwiseRubricEvaluator.Baseline, 0.0, true)]
    public async Task EvaluateAsync_FairJudge_JudgesBothOrdersAndNamesTheWinner(string response, string baseline, string expected, double credit, bool failed)
    {
        var judge = new FakeChatClient(Fair);

        var (winner, winCredit) = Metrics(await Evaluate(judge, response, baseline));

        Assert.Equal(expected, winner.Value);
        Assert.Equal(credit, winCredit.Value);
        Assert.Equal(failed, winCredit.Interpretation!.Failed);
        Assert.Equal("false", winCredit.Metadata![PairwiseRubricEvaluator.FlippedKey]);
        Assert.False(winCredit.ContainsDiagnostics());

        // Both presentation orders were asked: once with each answer first.
        Assert.Equal(2, judge.Prompts.Count);
        Assert.Single(judge.Prompts, GoodFirst);
        Assert.Contains("[AB: response shown first]", winCredit.Reason);
        Assert.Contains("[BA: baseline shown first]", winCredit.Reason);
    }

    [Fact]
    public async Task EvaluateAsync_JudgeThatAlwaysPicksTheFirst_IsAnInconsistentTieWithAFlipWarning()
    {
        var judge = new FakeChatClient(_ => "The first one. [[A]]");

        var (winner, credit) = Metrics(await Evaluate(judge, Good, Bad));

        Assert.Equal(PairwiseRubricEvaluator.InconsistentTie, winner.Value);
        Assert.Equal(0.5, credit.Value);
        Assert.False(credit.Interpretation!.Failed);
        Assert.Equal("true", credit.Metadata![PairwiseRubricEvaluator.FlippedKey]);
        Assert.Equal("A", credit.Metadata["judge.ab.verdict"]);
        Assert.Equal("A", credit.Metadata["judge.ba.verdict"]);
        Assert.True(credit.ContainsDiagnostics(d =>
            d.Severity == EvaluationDiagnosticSeverity.Warning && d.Message.Contains("AB chose response", StringComparison.Ordinal) && d.Message.Contains("BA chose baseline", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task EvaluateAsync_FlipWithDropPolicy_HasNoValue()
    {
        var judge = new FakeChatClient(_ => "[[B]]");
        var options = new PairwiseRubricEvaluatorOptions { Swap = new PositionSwapOptions { OnDisagreement = DisagreementPolicy.Drop } };

        var (winner, credit) = Metrics(await Evaluate(judge, Good, Bad, options));

        Assert.Null(winner.Value);
        Assert.Null(credit.Value);
        Assert.Equal("dropped", credit.Metadata!["judge.status"]);
        Assert.True(credit.ContainsDiagnostics(d => d.Severity == EvaluationDiagnosticSeverity.Warning && d.Message.Contains("dropped", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task EvaluateAsync_ConsistentTie_IsATieWorthHalf()
    {
        var (winner, credit) = Metrics(await Evaluate(new FakeChatClient(_ => "Equally good. [[C]]"), Good, Good + " "));

        Assert.Equal(PairwiseRubricEvaluator.Tie, winner.Value);
        Assert.Equal(0.5, credit.Value);
    }

    [Fact]
    public async Task EvaluateAsync_OneOrderUnparsed_HasNoValueAndAnErrorDiagnostic()
    {
        // Answers A when the good answer is first; says nothing readable in the other order.
        var judge = new FakeChatClient(prompt => GoodFirst(prompt) ? "[[A]]" : "Hard to say.");

        var (winner, credit) = Metrics(await Evaluate(judge, Good, Bad));

        Assert.Null(winner.Value);
        Assert.Null(credit.Value);
        Assert.Equal("unparsed", credit.Metadata!["judge.status"]);
        Assert.True(credit.ContainsDiagnostics(d => d.Severity == EvaluationDiagnosticSeverity.Error && d.Message.Contains("could not be read", StringComparison.Ordinal)));
        Assert.True(winner.Interpretation!.Failed);
    }

    [Fact]
    public async Task EvaluateAsync_FailedCall_HasNoValueAndNamesTheCause()
    {
        var judge = new FakeChatClient(_ => throw new InvalidOperationException("quota exhausted"));

        var (_, credit) = Metrics(await Evaluate(judge, Good, Bad));

        Assert.Null(credit.Value);
        Assert.True(credit.ContainsDiagnostics(d => d.Severity == EvaluationDiagnosticSeverity.Error && d.Message.Contains("quota exhausted", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task EvaluateAsync_NoPairwiseContext_IsAnErrorDiagnosticAndNoCall()
    {
        var judge = new FakeChatClient(Fair);

        var result = await new PairwiseRubricEvaluator().EvaluateAsync(Question, Good, new ChatConfiguration(judge));

        Assert.Null(Metrics(result).Credit.Value);
        Assert.True(Metrics(result).Credit.ContainsDiagnostics(d => d.Message.Contains(nameof(PairwiseContext), StringComparison.Ordinal)));
        Assert.Empty(judge.Prompts);
    }

    [Fact]
    public void Constructor_AbsoluteRubricOrBadPassMark_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new PairwiseRubricEvaluator(StandardRubrics.Get(StandardRubrics.SingleGeneral)));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new PairwiseRubricEvaluator(options: new PairwiseRubricEvaluatorOptions { PassMark = 2 }));
        Assert.Contains("between 0 and 1", ex.Message);
    }

    [Fact]
    public void EvaluationMetricNames_FollowTheMetricName()
    {
        var evaluator = new PairwiseRubricEvaluator(options: new PairwiseRubricEvaluatorOptions { MetricName = "vs-gpt4" });

        Assert.Equal(["vs-gpt4 winner", "vs-gpt4 win credit"], evaluator.EvaluationMetricNames);
    }
}

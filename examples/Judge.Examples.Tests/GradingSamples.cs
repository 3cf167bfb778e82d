using Judge.Evaluation;
using Judge.Judging;
using Judge.Providers;
using Judge.Providers.Llama;
using Judge.Rubrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Judge.Examples;

/// <summary>
/// Grading answers with Judge's shipped rubrics through Microsoft.Extensions.AI.Evaluation's <see cref="IEvaluator"/>.
/// The judges here need no network and download nothing: the <c>mock:</c> judge (seeded made-up verdicts in the
/// rubric's format — for wiring, never for judging) and the tiny real model <c>../shared/models/stories260K.gguf</c>
/// through llama.cpp. Swap in a real judge with <c>HostedJudges.CreateOpenAI(...)</c> and nothing else changes.
/// </summary>
public sealed class GradingSamples
{
    private const string Question = "How long is a train journey from 09:40 to 13:05?";
    private const string Answer = "09:40 to 13:05 is 3 h 25 min, so the journey takes 205 minutes.";
    private const string WorseAnswer = "It takes 3 hours and 65 minutes.";

    [Fact]
    public async Task Grade_WithAStandardRubric_ReturnsTheScoreTheJudgeGave()
    {
        // Any IChatClient can judge; here the mock judge from a spec string, as the CLI builds it.
        using var judge = ChatClientRegistry.CreateDefault().Create(JudgeSpec.Parse("mock:7"));
        var evaluator = new AbsoluteRubricEvaluator(StandardRubrics.Get(StandardRubrics.SingleGeneral));

        EvaluationResult result = await evaluator.EvaluateAsync(Question, Answer, new ChatConfiguration(judge));

        NumericMetric score = result.Get<NumericMetric>("single-general");
        Assert.NotNull(score.Value);
        Assert.InRange(score.Value.Value, 1, 10);
        Assert.Equal(Math.Floor(score.Value.Value), score.Value.Value);
        Assert.Equal("parsed", score.Metadata!["judge.status"]);
        Assert.Equal("json", score.Metadata["judge.method"]);
        Assert.False(score.ContainsDiagnostics());
        Assert.Equal(score.Value < evaluator.PassMark, score.Interpretation!.Failed);

        // The judge is deterministic for a seed: the same answer gets the same score again.
        var again = await evaluator.EvaluateAsync(Question, Answer, new ChatConfiguration(judge));
        Assert.Equal(score.Value, again.Get<NumericMetric>("single-general").Value);
    }

    [Fact]
    public async Task Compare_WithABaseline_JudgesBothOrders()
    {
        using var judge = ChatClientRegistry.CreateDefault().Create(JudgeSpec.Parse("mock:7"));
        var evaluator = new PairwiseRubricEvaluator();

        var result = await evaluator.EvaluateAsync(
            [new ChatMessage(ChatRole.User, Question)],
            new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer)),
            new ChatConfiguration(judge),
            [new PairwiseContext(WorseAnswer)]);

        var winner = result.Get<StringMetric>(evaluator.WinnerMetricName);
        var credit = result.Get<NumericMetric>(evaluator.WinCreditMetricName);
        Assert.Contains(winner.Value, new[] { PairwiseRubricEvaluator.Response, PairwiseRubricEvaluator.Baseline, PairwiseRubricEvaluator.Tie });
        Assert.Equal(winner.Value switch { PairwiseRubricEvaluator.Response => 1.0, PairwiseRubricEvaluator.Baseline => 0.0, _ => 0.5 }, credit.Value);

        // Both presentation orders were asked; the mock's verdict follows the answers, not their order, so no flip.
        Assert.Equal("parsed", credit.Metadata!["judge.ab.status"]);
        Assert.Equal("parsed", credit.Metadata["judge.ba.status"]);
        Assert.Equal("false", credit.Metadata[PairwiseRubricEvaluator.FlippedKey]);
    }

    [Fact]
    public async Task Grade_WithTheTinyLocalModel_ReadsTheVerdictFromItsNextTokenProbabilities()
    {
        using var judge = LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedModel("stories260K.gguf") });
        var evaluator = new AbsoluteRubricEvaluator(
            StandardRubrics.Get(StandardRubrics.SingleGeneral),
            new AbsoluteRubricEvaluatorOptions { Chat = new ChatJudgeOptions { MaxOutputTokens = 32 } });

        var result = await evaluator.EvaluateAsync(Question, Answer, new ChatConfiguration(judge));

        // A llama judge offers its logits: the verdict is the most probable label on the scale, so it always parses.
        // The model is not instruction-tuned, so the score proves the mechanics, not the answer's quality.
        var score = result.Get<NumericMetric>("single-general");
        Assert.NotNull(score.Value);
        Assert.InRange(score.Value.Value, 1, 10);
        Assert.Equal("logits", score.Metadata!["judge.method"]);
        Assert.False(score.ContainsDiagnostics());
    }

    [Fact]
    public async Task Grade_WhenTheJudgeWritesNoVerdict_TheMetricHasNoValueAndSaysWhy()
    {
        // Made to write its verdict as text, the tiny story model writes a story instead: an unparsed verdict.
        using var judge = LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedModel("stories260K.gguf") });
        var evaluator = new AbsoluteRubricEvaluator(
            StandardRubrics.Get(StandardRubrics.SingleGeneral),
            new AbsoluteRubricEvaluatorOptions { Chat = new ChatJudgeOptions { UseLogitVerdicts = false, MaxOutputTokens = 48 } });

        var result = await evaluator.EvaluateAsync(Question, Answer, new ChatConfiguration(judge));

        var score = result.Get<NumericMetric>("single-general");
        Assert.Null(score.Value);
        Assert.Equal("unparsed", score.Metadata!["judge.status"]);
        Assert.False(string.IsNullOrWhiteSpace(score.Metadata["judge.raw_output"]));
        var diagnostic = Assert.Single(score.Diagnostics!);
        Assert.Equal(EvaluationDiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains("could not be read", diagnostic.Message, StringComparison.Ordinal);
        Assert.True(score.Interpretation!.Failed);
    }

    /// <summary>A model in <c>../shared/models</c> beside the checkout (found by walking up to Judge.sln).</summary>
    private static string SharedModel(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Judge.sln")))
            {
                var path = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "models", name));
                Assert.True(File.Exists(path), $"{path} is missing: ../shared must sit beside the checkout");
                return path;
            }
        }

        throw new InvalidOperationException($"no Judge.sln above {AppContext.BaseDirectory}");
    }
}

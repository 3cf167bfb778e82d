using Judge.Rubrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Judge.Evaluation.Tests;

public sealed class AbsoluteRubricEvaluatorTests
{
    private const string Question = "How long is a train journey from 09:40 to 13:05?";
    private const string Answer = "09:40 to 13:05 is 3 h 25 min, so the journey takes 205 minutes.";

    private static Task<EvaluationResult> Evaluate(IEvaluator evaluator, FakeChatClient judge, IEnumerable<ChatMessage>? messages = null, string answer = Answer, params EvaluationContext[] context) =>
        evaluator.EvaluateAsync(messages ?? [new ChatMessage(ChatRole.User, Question)], new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)), new ChatConfiguration(judge), context).AsTask();

    private static bool HasError(EvaluationMetric metric, string text) =>
        metric.ContainsDiagnostics(d => d.Severity == EvaluationDiagnosticSeverity.Error && d.Message.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task EvaluateAsync_ParsedVerdict_ReturnsTheScoreWithFeedbackAsReason()
    {
        var judge = new FakeChatClient(_ => "Correct arithmetic and clearly stated.\nRating: [[8]]");
        var evaluator = new AbsoluteRubricEvaluator();

        var result = await Evaluate(evaluator, judge);

        var metric = result.Get<NumericMetric>("single-general");
        Assert.Equal(8, metric.Value);
        Assert.Contains("Correct arithmetic", metric.Reason);
        Assert.False(metric.Interpretation!.Failed);
        Assert.Equal(EvaluationRating.Good, metric.Interpretation.Rating);
        Assert.False(metric.ContainsDiagnostics());
        Assert.Equal("parsed", metric.Metadata!["judge.status"]);
        Assert.Equal("single-general@1", metric.Metadata["judge.rubric"]);
        Assert.Equal("8", metric.Metadata["judge.verdict"]);

        // The judge saw the question and the answer through the rubric's own prompt.
        var prompt = Assert.Single(judge.Prompts);
        Assert.Contains(Question, prompt);
        Assert.Contains(Answer, prompt);
        Assert.Equal(["single-general"], evaluator.EvaluationMetricNames);
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(6, false)]
    public async Task EvaluateAsync_DefaultPassMark_IsTheMiddleOfTheScale(int score, bool failed)
    {
        var result = await Evaluate(new AbsoluteRubricEvaluator(), new FakeChatClient(_ => $"Fine. [[{score}]]"));

        var metric = result.Get<NumericMetric>("single-general");
        Assert.Equal(score, metric.Value);
        Assert.Equal(failed, metric.Interpretation!.Failed);
    }

    [Fact]
    public async Task EvaluateAsync_ConfiguredPassMark_FailsBelowIt()
    {
        var evaluator = new AbsoluteRubricEvaluator(options: new AbsoluteRubricEvaluatorOptions { PassMark = 9, MetricName = "Quality" });

        var result = await Evaluate(evaluator, new FakeChatClient(_ => "Good. [[8]]"));

        var metric = result.Get<NumericMetric>("Quality");
        Assert.Equal(8, metric.Value);
        Assert.True(metric.Interpretation!.Failed);
        Assert.Contains("below the pass mark 9", metric.Interpretation.Reason);
    }

    [Fact]
    public async Task EvaluateAsync_UnparsedVerdict_HasNoValueAndAnErrorDiagnostic()
    {
        const string raw = "The answer looks fine to me, I would give it a good mark.";
        var result = await Evaluate(new AbsoluteRubricEvaluator(), new FakeChatClient(_ => raw));

        var metric = result.Get<NumericMetric>("single-general");
        Assert.Null(metric.Value);
        Assert.True(HasError(metric, "could not be read"));
        Assert.True(metric.Interpretation!.Failed);
        Assert.Equal(EvaluationRating.Inconclusive, metric.Interpretation.Rating);
        Assert.Equal("unparsed", metric.Metadata!["judge.status"]);
        Assert.Equal(raw, metric.Metadata["judge.raw_output"]);
    }

    [Fact]
    public async Task EvaluateAsync_OutOfRangeVerdict_HasNoValueAndSaysSo()
    {
        var result = await Evaluate(new AbsoluteRubricEvaluator(), new FakeChatClient(_ => "Superb. [[12]]"));

        var metric = result.Get<NumericMetric>("single-general");
        Assert.Null(metric.Value);
        Assert.True(HasError(metric, "outside what the rubric offers"));
        Assert.Equal("out_of_range", metric.Metadata!["judge.status"]);
        Assert.Equal("12", metric.Metadata["judge.verdict"]);
    }

    [Fact]
    public async Task EvaluateAsync_FailedCall_HasNoValueAndNamesTheCause()
    {
        var result = await Evaluate(new AbsoluteRubricEvaluator(), new FakeChatClient(_ => throw new HttpRequestException("connection refused (judge.example:443)")));

        var metric = result.Get<NumericMetric>("single-general");
        Assert.Null(metric.Value);
        Assert.True(HasError(metric, "the judge call failed"));
        Assert.True(HasError(metric, "connection refused"));
        Assert.Equal("error", metric.Metadata!["judge.status"]);
    }

    [Fact]
    public async Task EvaluateAsync_ReferenceRubricWithReference_ShowsTheReference()
    {
        const string reference = "3 hours 25 minutes (205 minutes).";
        var judge = new FakeChatClient(_ => "Matches the reference. [[10]]");
        var evaluator = new AbsoluteRubricEvaluator(StandardRubrics.Get(StandardRubrics.SingleReference));

        var result = await Evaluate(evaluator, judge, context: new ReferenceAnswerContext(reference));

        var metric = result.Get<NumericMetric>("single-reference");
        Assert.Equal(10, metric.Value);
        Assert.Contains(reference, Assert.Single(judge.Prompts));
        Assert.Equal(EvaluationRating.Exceptional, metric.Interpretation!.Rating);
        Assert.True(metric.Context!.ContainsKey(ReferenceAnswerContext.ContextName));
    }

    [Fact]
    public async Task EvaluateAsync_ReferenceRubricWithoutReference_CallsNoJudgeAndSaysWhy()
    {
        var judge = new FakeChatClient(_ => "[[10]]");

        var result = await Evaluate(new AbsoluteRubricEvaluator(StandardRubrics.Get(StandardRubrics.SingleReference)), judge);

        var metric = result.Get<NumericMetric>("single-reference");
        Assert.Null(metric.Value);
        Assert.True(HasError(metric, "needs a reference answer"));
        Assert.Empty(judge.Prompts);
    }

    [Fact]
    public async Task EvaluateAsync_SecondTurnOnMultiTurnRubric_ShowsTheWholeConversation()
    {
        ChatMessage[] conversation =
        [
            new(ChatRole.System, "You are a helpful assistant."),
            new(ChatRole.User, Question),
            new(ChatRole.Assistant, Answer),
            new(ChatRole.User, "And in hours?"),
        ];
        var judge = new FakeChatClient(_ => "Consistent with turn 1. [[9]]");

        var result = await Evaluate(new AbsoluteRubricEvaluator(StandardRubrics.Get(StandardRubrics.SingleMultiTurn)), judge, conversation, "About 3.42 hours.");

        Assert.Equal(9, result.Get<NumericMetric>("single-multiturn").Value);
        var prompt = Assert.Single(judge.Prompts);
        Assert.Contains(Answer, prompt);
        Assert.Contains("About 3.42 hours.", prompt);
        Assert.Contains("And in hours?", prompt);
        Assert.DoesNotContain("helpful assistant", prompt);
    }

    [Fact]
    public async Task EvaluateAsync_SecondTurnOnSingleTurnRubric_IsAnErrorDiagnostic()
    {
        ChatMessage[] conversation = [new(ChatRole.User, Question), new(ChatRole.Assistant, Answer), new(ChatRole.User, "And in hours?")];
        var judge = new FakeChatClient(_ => "[[9]]");

        var result = await Evaluate(new AbsoluteRubricEvaluator(), judge, conversation);

        var metric = result.Get<NumericMetric>("single-general");
        Assert.Null(metric.Value);
        Assert.True(HasError(metric, "multi-turn rubric"));
        Assert.Empty(judge.Prompts);
    }

    [Theory]
    [InlineData("assistant-first")]
    [InlineData("assistant-last")]
    [InlineData("no-user")]
    public async Task EvaluateAsync_ConversationNotEndingWithAUserTurn_IsAnErrorDiagnostic(string shape)
    {
        ChatMessage[] conversation = shape switch
        {
            "assistant-first" => [new(ChatRole.Assistant, "Hello."), new(ChatRole.User, Question)],
            "assistant-last" => [new(ChatRole.User, Question), new(ChatRole.Assistant, Answer)],
            _ => [new(ChatRole.System, "Be brief.")],
        };
        var judge = new FakeChatClient(_ => "[[9]]");

        var result = await Evaluate(new AbsoluteRubricEvaluator(), judge, conversation);

        var metric = result.Get<NumericMetric>("single-general");
        Assert.Null(metric.Value);
        Assert.True(metric.ContainsDiagnostics(d => d.Severity == EvaluationDiagnosticSeverity.Error));
        Assert.Empty(judge.Prompts);
    }

    [Fact]
    public async Task EvaluateAsync_CallerCancels_ThrowsInsteadOfRecordingAFailure()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new AbsoluteRubricEvaluator()
            .EvaluateAsync([new ChatMessage(ChatRole.User, Question)], new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer)), new ChatConfiguration(new FakeChatClient(_ => "[[7]]")), cancellationToken: cts.Token)
            .AsTask());
    }

    [Fact]
    public void Constructor_PassMarkOffTheScale_NamesTheAllowedRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new AbsoluteRubricEvaluator(options: new AbsoluteRubricEvaluatorOptions { PassMark = 11 }));

        Assert.Contains("1 to 10", ex.Message);
    }

    [Fact]
    public void Constructor_PairwiseRubric_IsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new AbsoluteRubricEvaluator(StandardRubrics.Get(StandardRubrics.PairwiseGeneral)));

        Assert.Contains("PairwiseRubricEvaluator", ex.Message);
    }

    [Fact]
    public async Task EvaluateAsync_ThroughTheStringExtension_GradesLikeTheMessageForm()
    {
        // Microsoft.Extensions.AI.Evaluation's own convenience overload: a user request and a response as strings.
        var judge = new FakeChatClient(_ => "Right. [[7]]");

        var result = await new AbsoluteRubricEvaluator().EvaluateAsync(Question, Answer, new ChatConfiguration(judge));

        Assert.Equal(7, result.Get<NumericMetric>("single-general").Value);
        Assert.Contains(Answer, Assert.Single(judge.Prompts));
    }

    [Fact]
    public async Task EvaluateAsync_Usage_IsRecordedInTheStandardMetadata()
    {
        var result = await Evaluate(new AbsoluteRubricEvaluator(), new FakeChatClient(_ => "[[6]]"));

        var metadata = result.Get<NumericMetric>("single-general").Metadata!;
        Assert.Contains(metadata, m => m.Key.Contains("input-tokens", StringComparison.Ordinal) && m.Value == "100");
        Assert.Contains(metadata, m => m.Value == "fake-judge");
    }
}

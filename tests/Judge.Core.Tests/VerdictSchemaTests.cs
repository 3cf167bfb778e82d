using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Core.Tests;

public class VerdictSchemaTests
{
    private static readonly Rubric FeedbackFirst = MinimalRubrics.FeedbackFirst;

    private static readonly Rubric Pairwise = MinimalRubrics.Pairwise;

    private static readonly Rubric Labelled = RubricLoader.Parse("""
        id: l
        version: 1
        title: L
        mode: absolute
        scale:
          min: 0
          max: 1
        output:
          tag: "[[{verdict}]]"
          labels:
            CORRECT: "1"
            INCORRECT: "0"
        prompt: "{question} {answer}"
        """, "inline");

    private static AbsoluteItem AnswerItem() => new(new Question("q1", "w", ["Why?"]), new ModelAnswer("q1", "x", ["Because."]), 1);

    private static PairwiseItem PairItem()
    {
        var q = new Question("q1", "writing", ["Why?"]);
        return new PairwiseItem(q, new ModelAnswer("q1", "x", ["Because."]), new ModelAnswer("q1", "y", ["No."]), 1);
    }

    // The document around the feedback, at one token per character: {"feedback":" (13) + "," (3) + score (5) + ": (2)
    // + the longest verdict (1 digit on 1..5; "A" with quotes, 3, pairwise) + } (1) + 8 optional spaces = 33 (pairwise
    // with "verdict", 7 letters, and a 3-character label: 37); the feedback gets the rest of the token budget.
    [Fact]
    public void For_FeedbackFirstAbsolute_FeedbackThenScoreOnTheScale() =>
        Assert.Equal(
            """{"type":"object","properties":{"feedback":{"type":"string","maxLength":267},"score":{"type":"integer","enum":[1,2,3,4,5]}},"required":["feedback","score"],"additionalProperties":false}""",
            VerdictSchema.For(FeedbackFirst, 300).GetRawText());

    [Fact]
    public void For_Pairwise_VerdictFirstAndOneOfTheLabels() =>
        Assert.Equal(
            """{"type":"object","properties":{"verdict":{"enum":["A","B","C"]},"feedback":{"type":"string","maxLength":2000}},"required":["verdict","feedback"],"additionalProperties":false}""",
            VerdictSchema.For(Pairwise, null).GetRawText());

    [Theory]
    [InlineData(1, 1)]
    [InlineData(34, 1)]
    [InlineData(48, 15)]
    [InlineData(1024, 991)]
    [InlineData(100_000, 2000)]
    public void For_FeedbackLength_FollowsTheTokenBudgetWithinBounds(int maxTokens, int maxLength) =>
        Assert.Equal(maxLength, VerdictSchema.For(FeedbackFirst, maxTokens).GetProperty("properties").GetProperty("feedback").GetProperty("maxLength").GetInt32());

    [Fact]
    public void ReservedTokens_CountsTheDocumentAroundTheFeedbackAndTheLongestVerdict()
    {
        Assert.Equal(33, VerdictSchema.ReservedTokens(FeedbackFirst));
        Assert.Equal(37, VerdictSchema.ReservedTokens(Pairwise));

        // "INCORRECT" with its quotes (11) is longer than the scale's digits.
        Assert.Equal(43, VerdictSchema.ReservedTokens(Labelled));
        Assert.Equal(1024 - 37, VerdictSchema.For(Pairwise, 1024).GetProperty("properties").GetProperty("feedback").GetProperty("maxLength").GetInt32());
    }

    [Fact]
    public void For_AbsoluteWithLabelWords_ScoreIsAScaleNumberOrAWord() =>
        Assert.Equal(
            """{"enum":[0,1,"CORRECT","INCORRECT"]}""",
            VerdictSchema.For(Labelled, 64).GetProperty("properties").GetProperty("score").GetRawText());

    [Fact]
    public async Task GradeAsync_ConstrainVerdict_AsksForTheSchemaAndReadsTheJsonAnswer()
    {
        var client = new FakeChatClient(_ => """{"feedback": "Clear but thin.", "score": 4}""");
        var judgment = await new ChatAbsoluteJudge("fake", client, new FixedRubricSelector(FeedbackFirst), new ChatJudgeOptions { ConstrainVerdict = true, MaxOutputTokens = 300 }).GradeAsync(AnswerItem());

        var format = Assert.IsType<ChatResponseFormatJson>(client.Options.Single()!.ResponseFormat);
        Assert.Equal(VerdictSchema.For(FeedbackFirst, 300).GetRawText(), format.Schema!.Value.GetRawText());
        Assert.Equal("verdict", format.SchemaName);
        Assert.Equal(VerdictStatus.Parsed, judgment.Status);
        Assert.Equal(4, judgment.Score);
        Assert.Equal("json", judgment.Calls[0].Method);
        Assert.Equal("Clear but thin.", judgment.Calls[0].Feedback);
    }

    [Fact]
    public async Task JudgeAsync_ConstrainVerdict_PairwiseAnswerIsRead()
    {
        var client = new FakeChatClient(_ => """{"verdict": "B", "feedback": "B answers."}""");
        var judgment = await new ChatPairwiseJudge("fake", client, new FixedRubricSelector(Pairwise), new ChatJudgeOptions { ConstrainVerdict = true }).JudgeAsync(PairItem());
        Assert.IsType<ChatResponseFormatJson>(client.Options.Single()!.ResponseFormat);
        Assert.Equal(PairOutcome.B, judgment.Winner);
    }

    [Fact]
    public async Task GradeAsync_ConstrainVerdictOff_LeavesTheResponseFormatAlone()
    {
        var client = new FakeChatClient(_ => "Fine. [RESULT] 3");
        var judgment = await new ChatAbsoluteJudge("fake", client, new FixedRubricSelector(FeedbackFirst)).GradeAsync(AnswerItem());
        Assert.Null(client.Options.Single()!.ResponseFormat);
        Assert.Equal(3, judgment.Score);
    }
}

using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Core.Tests;

public class LogitVerdictsTests
{
    private static readonly Rubric Pairwise = MinimalRubrics.Pairwise;

    private static readonly Rubric Absolute = RubricLoader.Parse("""
        id: a
        version: 1
        title: A
        mode: absolute
        scale:
          min: 1
          max: 5
        output:
          tag: "[RESULT] {verdict}"
        prompt: "{question} {answer}"
        """, "inline");

    private static PairwiseItem Item()
    {
        var q = new Question("q1", "writing", ["Why?"]);
        return new PairwiseItem(q, new ModelAnswer("q1", "x", ["Because."]), new ModelAnswer("q1", "y", ["No."]), 1);
    }

    [Fact]
    public void PrefixAndLabels_ComeFromTheRubric()
    {
        Assert.Equal("[[", LogitVerdicts.PrefixOf(Pairwise));
        Assert.Equal(["A", "B", "C"], LogitVerdicts.LabelsOf(Pairwise));
        Assert.Equal("[RESULT] ", LogitVerdicts.PrefixOf(Absolute));
        Assert.Equal(["1", "2", "3", "4", "5"], LogitVerdicts.LabelsOf(Absolute));
    }

    [Fact]
    public void ExpectedScore_IsProbabilityWeightedMean()
    {
        // 0.5·1 + 0.25·3 + 0.25·5 = 0.5 + 0.75 + 1.25 = 2.5
        var p = new Dictionary<string, double> { ["1"] = 0.5, ["2"] = 0, ["3"] = 0.25, ["4"] = 0, ["5"] = 0.25 };
        Assert.Equal(2.5, LogitVerdicts.ExpectedScore(Absolute, p)!.Value, 12);
        Assert.Null(LogitVerdicts.ExpectedScore(Pairwise, new Dictionary<string, double> { ["A"] = 1 }));
    }

    [Fact]
    public async Task ChatPairwiseJudge_ClientOffersScorer_ReadsVerdictFromLogits()
    {
        var client = new ScoringClient(new Dictionary<string, double> { ["A"] = 0.2, ["B"] = 0.7, ["C"] = 0.1 });
        var judgment = await new ChatPairwiseJudge("fake", client, new FixedRubricSelector(Pairwise)).JudgeAsync(Item());
        var call = Assert.Single(judgment.Calls);
        Assert.Equal(PairOutcome.B, judgment.Winner);
        Assert.Equal("logits", call.Method);
        Assert.Equal("[[B]]", call.RawOutput);
        Assert.Equal(0.7, call.Probabilities!["B"]);
        // The confidence is the chosen label's probability, on the call and on the item's verdict.
        Assert.Equal((0.7, "logits"), (call.Confidence, call.ConfidenceSource));
        Assert.Equal((0.7, "logits"), (judgment.Confidence, judgment.ConfidenceSource));
        Assert.Equal(0, client.TextCalls);
        Assert.Equal(("[[", 3), (client.LastRequest!.VerdictPrefix, client.LastRequest.Labels.Count));
    }

    [Fact]
    public async Task ChatPairwiseJudge_LogitVerdictsOff_GeneratesText()
    {
        var client = new ScoringClient(new Dictionary<string, double> { ["A"] = 1, ["B"] = 0, ["C"] = 0 });
        var judgment = await new ChatPairwiseJudge("fake", client, new FixedRubricSelector(Pairwise), new ChatJudgeOptions { UseLogitVerdicts = false }).JudgeAsync(Item());
        Assert.Equal(1, client.TextCalls);
        Assert.Equal(PairOutcome.Tie, judgment.Winner);
        Assert.Null(judgment.Calls[0].Probabilities);
    }

    [Fact]
    public async Task ChatAbsoluteJudge_ScorerFails_RecordsErrorNotScore()
    {
        var client = new ScoringClient(null);
        var judgment = await new ChatAbsoluteJudge("fake", client, new FixedRubricSelector(Absolute)).GradeAsync(
            new AbsoluteItem(new Question("q1", "w", ["Why?"]), new ModelAnswer("q1", "x", ["Because."]), 1));
        Assert.Equal(VerdictStatus.Error, judgment.Status);
        Assert.Null(judgment.Score);
        Assert.Contains("no model", judgment.Error, StringComparison.Ordinal);
    }

    private static readonly Rubric FeedbackFirst = MinimalRubrics.FeedbackFirst;

    private static AbsoluteItem AnswerItem() => new(new Question("q1", "w", ["Why?"]), new ModelAnswer("q1", "x", ["Because."]), 1);

    [Fact]
    public async Task GradeAsync_FeedbackFirstRubric_GeneratesFeedbackThenReadsTheVerdictAfterIt()
    {
        var client = new ScoringClient(new Dictionary<string, double> { ["1"] = 0.1, ["2"] = 0.1, ["3"] = 0.1, ["4"] = 0.6, ["5"] = 0.1 }, feedback: "Clear but thin.");

        var judgment = await new ChatAbsoluteJudge("fake", client, new FixedRubricSelector(FeedbackFirst), new ChatJudgeOptions { MaxOutputTokens = 64 }).GradeAsync(AnswerItem());

        Assert.Equal(1, client.TextCalls);
        Assert.Equal(["[RESULT]"], client.LastStops);
        Assert.Equal(64, client.LastMaxTokens);
        Assert.Equal("Clear but thin.\n[RESULT] ", client.LastRequest!.VerdictPrefix);
        var call = Assert.Single(judgment.Calls);
        Assert.Equal("Clear but thin.", call.Feedback);
        Assert.Equal("Clear but thin.\n[RESULT] 4", call.RawOutput);
        Assert.Equal(4, judgment.Score);

        // The recorded output re-parses to the same verdict, so a replay agrees with the live run.
        Assert.Equal(4, VerdictParser.Parse(FeedbackFirst, call.RawOutput).Score);
    }

    [Fact]
    public async Task GradeAsync_FeedbackFirstRubricWithFeedbackOff_ReadsTheVerdictStraightAfterThePrompt()
    {
        var client = new ScoringClient(new Dictionary<string, double> { ["1"] = 0.1, ["2"] = 0.1, ["3"] = 0.6, ["4"] = 0.1, ["5"] = 0.1 }, feedback: "unused");

        var judgment = await new ChatAbsoluteJudge("fake", client, new FixedRubricSelector(FeedbackFirst), new ChatJudgeOptions { FeedbackBeforeLogitVerdict = false }).GradeAsync(AnswerItem());

        Assert.Equal(0, client.TextCalls);
        Assert.Equal("[RESULT] ", client.LastRequest!.VerdictPrefix);
        Assert.Null(judgment.Calls[0].Feedback);
        Assert.Equal(3, judgment.Score);
    }

    [Fact]
    public async Task GradeAsync_RubricWithoutFeedbackFirst_NeverGeneratesText()
    {
        var client = new ScoringClient(new Dictionary<string, double> { ["1"] = 0.1, ["2"] = 0.1, ["3"] = 0.1, ["4"] = 0.1, ["5"] = 0.6 }, feedback: "unused");

        var judgment = await new ChatAbsoluteJudge("fake", client, new FixedRubricSelector(Absolute)).GradeAsync(AnswerItem());

        Assert.Equal(0, client.TextCalls);
        Assert.Equal(5, judgment.Score);
    }

    /// <summary>A chat client that also scores labels with a fixed distribution (or fails when given none).</summary>
    private sealed class ScoringClient(Dictionary<string, double>? distribution, string feedback = "A tie. [[C]]") : IChatClient, ILogitVerdictScorer
    {
        public int TextCalls { get; private set; }

        public LogitVerdictRequest? LastRequest { get; private set; }

        public IList<string>? LastStops { get; private set; }

        public int? LastMaxTokens { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            TextCalls++;
            LastStops = options?.StopSequences;
            LastMaxTokens = options?.MaxOutputTokens;
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, feedback)));
        }

        public Task<LogitVerdictResult> ScoreAsync(LogitVerdictRequest request, CancellationToken cancellationToken = default)
        {
            LastRequest = request;
            return distribution is null
                ? throw new JudgeUnavailableException("no model")
                : Task.FromResult(new LogitVerdictResult(distribution.MaxBy(p => p.Value).Key, distribution, 0.9, 42, "fake"));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }
}

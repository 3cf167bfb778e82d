using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Tests.Support;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Tests;

/// <summary>Part 1 of issue 21: a confidence on every verdict from a real source, and none where there is no source.</summary>
public sealed class ConfidenceTests
{
    private static readonly FixedRubricSelector Rubric = new(TestPaths.Rubric("pairwise-general"));

    private static PairwiseItem Item() => new(Samples.MathQuestion, Samples.Large, Samples.Tiny, 1);

    /// <summary>A hosted model as a provider hands it over: text, plus token log-probabilities under the agreed key.</summary>
    private sealed class LogProbClient(Func<IReadOnlyList<ChatMessage>, (string Text, string? LogProbs)> respond) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var (text, logprobs) = respond(messages.ToList());
            var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text));
            if (logprobs is not null)
            {
                response.AdditionalProperties = new() { [VerdictTokenProbabilities.PropertyKey] = logprobs };
            }

            return Task.FromResult(response);
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    /// <summary>Log-probabilities of "[[X]]" whose verdict token had these alternatives.</summary>
    private static string Tokens(string verdict, params (string Token, double LogProb)[] top) =>
        "[{\"token\":\"Verdict: [[\",\"logprob\":-0.01,\"top\":[]},"
        + $"{{\"token\":\"{verdict}\",\"logprob\":{top.First(t => t.Token.Trim() == verdict).LogProb.ToString(System.Globalization.CultureInfo.InvariantCulture)},\"top\":["
        + string.Join(',', top.Select(t => $"{{\"token\":\"{t.Token}\",\"logprob\":{t.LogProb.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}"))
        + "]},{\"token\":\"]]\",\"logprob\":0,\"top\":[]}]";

    [Fact]
    public async Task JudgeAsync_HostedLogProbs_ConfidenceIsTheVerdictLabelRenormalisedOverTheLabels()
    {
        // Top alternatives at the verdict token: "A" e^-0.3, " A" e^-3.5 (the same label, summed), "B" e^-2,
        // "The" e^-2.5 (not a label, left out). P(A) = (0.74082 + 0.03020) / (0.74082 + 0.03020 + 0.13534) = 0.77102 / 0.90636 = 0.8507.
        var client = new LogProbClient(_ => ("The first is right. [[A]]", Tokens("A", ("A", -0.3), ("B", -2), ("The", -2.5), (" A", -3.5))));

        var verdict = await new ChatPairwiseJudge("hosted", client, Rubric).JudgeAsync(Item());

        var call = Assert.Single(verdict.Calls);
        var a = Math.Exp(-0.3) + Math.Exp(-3.5);
        var expected = a / (a + Math.Exp(-2));
        Assert.Equal(expected, call.Confidence!.Value, 12);
        Assert.Equal(0.8507, expected, 4);
        Assert.Equal(VerdictConfidence.LogProbs, call.ConfidenceSource);
        Assert.Equal(1 - expected, call.Probabilities!["B"], 12);
        Assert.False(call.Probabilities.ContainsKey("C"));
        Assert.Equal(a + Math.Exp(-2), call.LabelMass!.Value, 12);
        Assert.Equal((call.Confidence, VerdictConfidence.LogProbs), (verdict.Confidence, verdict.ConfidenceSource));
    }

    [Fact]
    public async Task JudgeAsync_NoLogProbs_RecordsNoConfidence()
    {
        var client = new LogProbClient(_ => ("The first is right. [[A]]", null));

        var verdict = await new ChatPairwiseJudge("hosted", client, Rubric).JudgeAsync(Item());

        Assert.Null(verdict.Confidence);
        Assert.Null(verdict.ConfidenceSource);
        Assert.Null(Assert.Single(verdict.Calls).Confidence);
    }

    [Fact]
    public async Task JudgeAsync_UnparsedVerdictWithLogProbs_RecordsNoConfidence()
    {
        var client = new LogProbClient(_ => ("I cannot decide.", Tokens("A", ("A", -0.1))));

        var verdict = await new ChatPairwiseJudge("hosted", client, Rubric).JudgeAsync(Item());

        Assert.Equal(VerdictStatus.Unparsed, verdict.Status);
        Assert.Null(verdict.Confidence);
    }

    [Fact]
    public async Task JudgeAsync_BothOrdersAgreeWithLogProbs_ConfidenceIsTheMeanProbability()
    {
        // The large answer wins in both orders: shown first it is "A" at e^-0.1 vs "B" e^-2.5; shown second
        // it is "B" at e^-0.5 vs "A" e^-1.5. Mean of 1/(1+e^-2.4) = 0.91683 and 1/(1+e^-1) = 0.73106.
        var client = new LogProbClient(m => FakeChatClient.UserText(m).IndexOf(Samples.Large.Turns[0][..20], StringComparison.Ordinal) < FakeChatClient.UserText(m).IndexOf(Samples.Tiny.Turns[0][..20], StringComparison.Ordinal)
            ? ("[[A]]", Tokens("A", ("A", -0.1), ("B", -2.5)))
            : ("[[B]]", Tokens("B", ("B", -0.5), ("A", -1.5))));

        var verdict = await new PositionSwapJudge(new ChatPairwiseJudge("hosted", client, Rubric)).JudgeAsync(Item());

        Assert.Equal(PairOutcome.A, verdict.Winner);
        Assert.Equal(VerdictConfidence.OrdersProbability, verdict.ConfidenceSource);
        Assert.Equal(((1 / (1 + Math.Exp(-2.4))) + (1 / (1 + Math.Exp(-1)))) / 2, verdict.Confidence!.Value, 12);
        Assert.Equal(0.82394, verdict.Confidence.Value, 5);
    }

    [Theory]
    [InlineData(true, 1.0)]
    [InlineData(false, 0.0)]
    public async Task JudgeAsync_BothOrdersWithoutProbabilities_ConfidenceIsTheirAgreement(bool fair, double expected)
    {
        // A fair judge picks the large answer wherever it is shown; a first-position judge always says A.
        var client = new FakeChatClient(m => !fair || FakeChatClient.UserText(m).IndexOf(Samples.Large.Turns[0][..20], StringComparison.Ordinal) < FakeChatClient.UserText(m).IndexOf(Samples.Tiny.Turns[0][..20], StringComparison.Ordinal) ? "[[A]]" : "[[B]]");

        var verdict = await new PositionSwapJudge(new ChatPairwiseJudge("text", client, Rubric)).JudgeAsync(Item());

        Assert.Equal(fair ? PairOutcome.A : PairOutcome.InconsistentTie, verdict.Winner);
        Assert.Equal((expected, VerdictConfidence.Orders), (verdict.Confidence!.Value, verdict.ConfidenceSource));
    }

    [Fact]
    public async Task JudgeAsync_BothOrdersDropped_NoVerdictNoConfidence()
    {
        var client = new FakeChatClient(_ => "[[A]]");

        var verdict = await new PositionSwapJudge(new ChatPairwiseJudge("text", client, Rubric), new PositionSwapOptions { OnDisagreement = DisagreementPolicy.Drop }).JudgeAsync(Item());

        Assert.Equal(VerdictStatus.Dropped, verdict.Status);
        Assert.Null(verdict.Confidence);
    }

    [Fact]
    public void ParseRecord_FileWrittenBeforeConfidences_LoadsWithNone_AndNewFieldsRoundTrip()
    {
        const string old = """{"type":"pairwise","item":"q1|t1|a|b","judge":"j","rubric":"r@1","question_id":"q1","turn":1,"model_a":"a","model_b":"b","winner":"model_a","status":"parsed","flipped":false}""";

        var record = (PairwiseVerdict)JudgmentsReader.ParseRecord("old.jsonl", 1, old);
        Assert.Null(record.Confidence);
        Assert.DoesNotContain("confidence", JudgmentsWriter.ToLine(record), StringComparison.Ordinal);

        var line = JudgmentsWriter.ToLine(record with { Confidence = 0.75, ConfidenceSource = VerdictConfidence.Orders });
        Assert.Contains("\"confidence\":0.75,\"confidence_source\":\"orders\"", line, StringComparison.Ordinal);
        var back = (PairwiseVerdict)JudgmentsReader.ParseRecord("new.jsonl", 1, line);
        Assert.Equal((0.75, "orders"), (back.Confidence, back.ConfidenceSource));
    }

    [Fact]
    public async Task RecordedPairwiseJudge_MtBenchGpt4_SwapConsistencyAsConfidence()
    {
        var judge = new RecordedPairwiseJudge("replay", Path.Combine(TestPaths.MtBench, "gpt4_pair_judgments.jsonl"));

        // Question 81, turn 1: gpt-3.5-turbo vs claude-v1 is "tie (inconsistent)" in the file; alpaca-13b vs claude-v1 is model_b.
        var q = new Question("81", "writing", ["x"]);
        var inconsistent = await judge.JudgeAsync(new PairwiseItem(q, new ModelAnswer("81", "gpt-3.5-turbo", ["a"]), new ModelAnswer("81", "claude-v1", ["b"]), 1));
        var consistent = await judge.JudgeAsync(new PairwiseItem(q, new ModelAnswer("81", "alpaca-13b", ["a"]), new ModelAnswer("81", "claude-v1", ["b"]), 1));

        Assert.Equal((0.0, "orders"), (inconsistent.Confidence!.Value, inconsistent.ConfidenceSource));
        Assert.Equal((1.0, "orders"), (consistent.Confidence!.Value, consistent.ConfidenceSource));
    }

    private static PairwiseVerdict Vote(string judge, PairOutcome? winner, bool reversed = false) => new()
    {
        Item = "q|1|a|b",
        Judge = judge,
        Rubric = "r@1",
        QuestionId = "q",
        Turn = 1,
        ModelA = reversed ? "b" : "a",
        ModelB = reversed ? "a" : "b",
        Winner = winner,
        Status = winner is null ? VerdictStatus.Error : VerdictStatus.Parsed,
    };

    [Fact]
    public void PanelVotes_Majority_ConfidenceIsTheVoteShareCountingFailedMembersAgainst()
    {
        // Three of four members chose model a (one of them saw the pair reversed and said B); one failed.
        var panel = PanelVotes.Combine("panel", [Vote("x", PairOutcome.A), Vote("y", PairOutcome.B, reversed: true), Vote("z", PairOutcome.A), Vote("w", null)]);

        Assert.Equal((PairOutcome.A, VerdictStatus.Parsed), (panel.Winner, panel.Status));
        Assert.Equal((0.75, "panel"), (panel.Confidence!.Value, panel.ConfidenceSource));
        Assert.Equal("panel", panel.Judge);
    }

    [Fact]
    public void PanelVotes_EvenSplit_IsAnInconsistentTieWithNoVoteForIt()
    {
        var panel = PanelVotes.Combine("panel", [Vote("x", PairOutcome.A), Vote("y", PairOutcome.B)]);

        Assert.Equal(PairOutcome.InconsistentTie, panel.Winner);
        Assert.Equal(0.0, panel.Confidence);
    }

    [Fact]
    public void PanelVotes_NoMemberVerdict_NoVerdictNoConfidence()
    {
        var panel = PanelVotes.Combine("panel", [Vote("x", null), Vote("y", null)]);

        Assert.Equal(VerdictStatus.Error, panel.Status);
        Assert.Null(panel.Winner);
        Assert.Null(panel.Confidence);
    }

    [Fact]
    public void PanelVotes_Weighted_TheHeavierSideWins_ConfidenceIsItsShareOfAllWeight()
    {
        // One vote each, B would win 2 to 1. With weights 2, 1 and 0.5: A has 2, B has 1.5, so A wins with 2 / 3.5 of the weight.
        var panel = PanelVotes.Combine("panel", [Vote("x", PairOutcome.A), Vote("y", PairOutcome.B), Vote("z", PairOutcome.A, reversed: true)], [2, 1, 0.5]);
        var unweighted = PanelVotes.Combine("panel", [Vote("x", PairOutcome.A), Vote("y", PairOutcome.B), Vote("z", PairOutcome.A, reversed: true)]);

        Assert.Equal(PairOutcome.A, panel.Winner);
        Assert.Equal(2 / 3.5, panel.Confidence!.Value, 12);
        Assert.Equal(PairOutcome.B, unweighted.Winner);
    }

    [Fact]
    public void PanelVotes_WeightsOfTheWrongCountOrNegative_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => PanelVotes.Combine("panel", [Vote("x", PairOutcome.A), Vote("y", PairOutcome.B)], [1]));
        Assert.Throws<ArgumentException>(() => PanelVotes.Combine("panel", [Vote("x", PairOutcome.A), Vote("y", PairOutcome.B)], [1, -1]));
    }

    [Fact]
    public void VoteWeights_AreSmoothedLogOdds_ChanceOrWorseIsZero()
    {
        var stage = new Judge.Statistics.StageCalibration { Judge = "j", Items = 100, WithoutConfidence = 0, Delta = 0.1, Decided = 98, Agreeing = 89, MinimumDecided = 22, Tests = [] };
        var file = new Judge.Statistics.CalibrationFile
        {
            Target = 0.8, Delta = 0.1, Mode = "pairwise", Confidence = "recorded", Items = 100, Unlabelled = 0,
            Stages = [stage, stage with { Agreeing = 40 }, stage with { Decided = 0, Agreeing = 0 }],
        };

        var weights = file.VoteWeights();

        // p = (89 + 1) / (98 + 2) = 0.9: ln(0.9 / 0.1) = ln 9. p = 41 / 100 < 0.5: 0. Nothing decided: p = 1/2, ln 1 = 0.
        Assert.Equal(Math.Log(9), weights[0], 12);
        Assert.Equal(0, weights[1]);
        Assert.Equal(0, weights[2]);
    }
}

using FsCheck;
using FsCheck.Xunit;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Runs;
using Judge.Statistics;
using Judge.Statistics.Bias;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Core.Tests.Bias;

public class BiasAnalysisTests
{
    private const string Baseline = "base";

    [Property(MaxTest = 25)]
    public bool JointLengthControl_EqualLengthsEverywhere_ControlledEqualsRaw(int seed, PositiveInt length)
    {
        // With every length difference 0 the length column is all zeros, so its coefficient is 0 and
        // each model's free term makes the mean prediction equal its mean outcome (the score
        // equation of θₘ); only the 1e-3 penalty on θₘ separates the two.
        var (battles, answers) = Synthetic(seed, lengthOf: (_, _) => 1 + (length.Get % 2000), judgePrefersLonger: false);

        var result = JointLengthControl.Compute(battles, answers, new JointLengthControlOptions { Baseline = Baseline, BootstrapResamples = 0 });

        return result.Models.Count == 2
            && result.LengthCoefficient == 0
            && result.Converged
            && result.Models.All(m => Math.Abs(m.RawWinRate - m.ControlledWinRate) < 0.005);
    }

    [Fact]
    public void JointLengthControl_JudgeThatPrefersLonger_ControlledFarBelowRaw()
    {
        // "long" writes 600-3000 characters, the baseline 300-1500; the judge picks the longer answer
        // 90% of the time and otherwise flips a coin, so all of long's raw advantage is length.
        var (battles, answers) = Synthetic(seed: 2, lengthOf: (model, r) => model == "long" ? 600 + r.Next(2400) : 300 + r.Next(1200), judgePrefersLonger: true);

        var result = JointLengthControl.Compute(battles, answers, new JointLengthControlOptions { Baseline = Baseline, BootstrapResamples = 50, Seed = 3 });

        var longRow = result.Models.Single(m => m.Model == "long");
        Assert.True(longRow.RawWinRate > 0.7, $"raw {longRow.RawWinRate}");
        Assert.True(longRow.RawWinRate - longRow.ControlledWinRate > 0.15, $"raw {longRow.RawWinRate}, controlled {longRow.ControlledWinRate}");
        Assert.True(result.LengthCoefficient > 1, $"length coefficient {result.LengthCoefficient}");
        Assert.NotNull(longRow.ControlledInterval);
        Assert.True(longRow.ControlledInterval!.Lower <= longRow.ControlledWinRate && longRow.ControlledWinRate <= longRow.ControlledInterval.Upper);
    }

    [Fact]
    public void JointLengthControl_StyleControl_ReportsThreeStyleCoefficients()
    {
        var (battles, answers) = Synthetic(seed: 4, lengthOf: (_, r) => 300 + r.Next(600), judgePrefersLonger: false);

        var result = JointLengthControl.Compute(battles, answers, new JointLengthControlOptions { Baseline = Baseline, StyleControl = true, BootstrapResamples = 0 });

        Assert.Equal(["bold", "headers", "list_items"], result.StyleCoefficients.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void StyleCounts_Of_CountsHeadersListItemsAndBold()
    {
        var counts = StyleCounts.Of("# Title\nSome **bold** and __more__.\n- one\n* two\n1. three\nnot a #header\n## Sub");

        Assert.Equal(new StyleCounts(2, 3, 2), counts);
        Assert.Equal(0.5, StyleCounts.NormalizedDifference(3, 1));
        Assert.Equal(0, StyleCounts.NormalizedDifference(0, 0));
    }

    [Fact]
    public void PrefersLonger_HandBuiltSet_CountsDecisiveVerdictsOnly()
    {
        // q1: a (5 chars) beats b (2): longer wins. q2: b (2) beats a (5): shorter wins.
        // q3: a beats b, equal lengths: left out. q4: tie: not decisive. q5: b's answer missing.
        var answers = new AnswerTexts(
        [
            new ModelAnswer("1", "a", ["aaaaa"]), new ModelAnswer("1", "b", ["bb"]),
            new ModelAnswer("2", "a", ["aaaaa"]), new ModelAnswer("2", "b", ["bb"]),
            new ModelAnswer("3", "a", ["aaa"]), new ModelAnswer("3", "b", ["bbb"]),
            new ModelAnswer("4", "a", ["aaaaa"]), new ModelAnswer("4", "b", ["bb"]),
            new ModelAnswer("5", "a", ["aaaaa"]),
        ]);
        PairwiseLabel L(string q, PairOutcome w) => new(q, "a", "b", w, "j", 1);

        var counts = PositionBias.PrefersLonger([L("1", PairOutcome.A), L("2", PairOutcome.B), L("3", PairOutcome.A), L("4", PairOutcome.Tie), L("5", PairOutcome.A)], answers);

        Assert.Equal(new LongerCounts(2, 1, 1, 1), counts);
        Assert.Equal(0.5, counts.Rate);
    }

    [Fact]
    public void FromCalls_HandBuiltCalls_CountsPositionsAndFailures()
    {
        JudgeCall C(string order, string status, string? choice) => new() { Item = "i", Judge = "j", Rubric = "r", Order = order, PromptHash = "h", Status = status == "parsed" ? VerdictStatus.Parsed : VerdictStatus.Unparsed, Choice = PairOutcomes.FromPosition(choice) };

        var counts = PositionBias.FromCalls([C("AB", "parsed", "first"), C("BA", "parsed", "first"), C("AB", "parsed", "second"), C("BA", "parsed", "tie"), C("AB", "unparsed", null), C("single", "parsed", null)]);

        // Five pairwise calls: 2 first, 1 second, 1 tie, 1 unparsed; P(first) = 2 / 3 over decisive calls.
        Assert.Equal(new PositionCounts(5, 2, 1, 1, 1), counts);
        Assert.Equal(2.0 / 3, counts.FirstRate!.Value, 12);
        Assert.Equal(0.2, counts.ParseFailureRate!.Value, 12);
    }

    [Fact]
    public void SelfPreference_HandBuiltSet_GapIsJudgeMinusHuman()
    {
        // Judge family openai. Items with exactly one openai candidate: q1 gpt-4 vs vicuna (judge 1,
        // human 0), q2 claude vs gpt-4 (judge 1, human 1), q4 gpt-3.5 vs llama (judge tie 0.5, humans
        // 0 and 1 → 0.5 averaged). q3 claude vs vicuna has no openai candidate and is ignored.
        // Judge: (1 + 1 + 0.5) / 3 = 5/6; human: (0 + 1 + 0.5) / 3 = 1/2; gap = 1/3.
        PairwiseLabel L(string q, string a, string b, PairOutcome w, string who) => new(q, a, b, w, who, 1);
        PairwiseLabel[] judge =
        [
            L("1", "gpt-4", "vicuna-13b", PairOutcome.A, "j"),
            L("2", "claude-v1", "gpt-4", PairOutcome.B, "j"),
            L("3", "claude-v1", "vicuna-13b", PairOutcome.A, "j"),
            L("4", "gpt-3.5-turbo", "llama-13b", PairOutcome.InconsistentTie, "j"),
        ];
        PairwiseLabel[] human =
        [
            L("1", "vicuna-13b", "gpt-4", PairOutcome.A, "h1"),
            L("2", "gpt-4", "claude-v1", PairOutcome.A, "h1"),
            L("3", "claude-v1", "vicuna-13b", PairOutcome.B, "h1"),
            L("4", "gpt-3.5-turbo", "llama-13b", PairOutcome.A, "h1"),
            L("4", "gpt-3.5-turbo", "llama-13b", PairOutcome.B, "h2"),
        ];

        var result = SelfPreference.Compute(judge, human, "openai", new ModelFamilies(), resamples: 200, seed: 1);

        Assert.Equal(3, result.Items);
        Assert.Equal(5.0 / 6, result.JudgeWinRate!.Value, 12);
        Assert.Equal(0.5, result.ReferenceWinRate!.Value, 12);
        Assert.Equal(1.0 / 3, result.Gap!.Value, 12);
        Assert.Equal(["gpt-3.5-turbo", "gpt-4"], result.FamilyModels);
        Assert.True(result.GapInterval!.Contains(1.0 / 3));
    }

    [Theory]
    [InlineData("gpt-4", "openai")]
    [InlineData("gpt-3.5-turbo", "openai")]
    [InlineData("claude-v1", "anthropic")]
    [InlineData("vicuna-13b-v1.2", "llama")]
    [InlineData("alpaca-13b", "llama")]
    [InlineData("llama-13b", "llama")]
    [InlineData("unknown-model", "unknown-model")]
    public void ModelFamilies_DefaultTable_MapsMtBenchModels(string model, string family)
    {
        Assert.Equal(family, new ModelFamilies().Of(model));
    }

    [Fact]
    public void ModelFamilies_Override_WinsOverPrefix()
    {
        var families = new ModelFamilies(new Dictionary<string, string> { ["vicuna-13b-v1.2"] = "lmsys" });

        Assert.Equal("lmsys", families.Of("vicuna-13b-v1.2"));
        Assert.Equal("llama", families.Of("llama-13b"));
    }

    [Fact]
    public void LengthAdjustedScores_HandBuilt_AdjustsToOverallMeanLength()
    {
        // A: (5, 100), (7, 300); B: (6, 300), (8, 500). Within each model the score rises 2 per 200
        // characters: slope 0.01/char = 10 per 1,000. Overall mean length 300; A's mean length 200, so
        // A's adjusted mean is 6 − 0.01·(200 − 300) = 7; B's is 7 − 0.01·(400 − 300) = 6.
        var answers = new AnswerTexts(
        [
            new ModelAnswer("1", "A", [new string('x', 100)]), new ModelAnswer("2", "A", [new string('x', 300)]),
            new ModelAnswer("1", "B", [new string('x', 300)]), new ModelAnswer("2", "B", [new string('x', 500)]),
        ]);

        var result = LengthAdjustedScores.Compute([new("A", "1", 1, 5), new("A", "2", 1, 7), new("B", "1", 1, 6), new("B", "2", 1, 8), new("B", "3", 1, 9)], answers);

        Assert.Equal(10, result.SlopePer1000Chars, 9);
        Assert.Equal(7, result.Models[0].AdjustedMean, 9);
        Assert.Equal(6, result.Models[1].AdjustedMean, 9);
        Assert.Equal(1, result.SkippedWithoutAnswer);
    }

    [Fact]
    public void PadAll_SameSeed_IsDeterministicLongerAndKeepsOriginal()
    {
        var answers = MtBenchFiles.ReadAnswers(Path.Combine(TestPaths.MtBench, "model_answer", "gpt-4.jsonl"));

        var first = VerbositySet.PadAll(answers, seed: 7);
        var again = VerbositySet.PadAll(answers.AsEnumerable().Reverse(), seed: 7).Reverse().ToList();
        var other = VerbositySet.PadAll(answers, seed: 8);

        Assert.Equal(answers.Count, first.Count);
        for (var i = 0; i < answers.Count; i++)
        {
            Assert.Equal("gpt-4-padded", first[i].ModelId);
            Assert.Equal(first[i].Turns, again[i].Turns);
            for (var t = 0; t < answers[i].Turns.Count; t++)
            {
                Assert.StartsWith(answers[i].Turns[t], first[i].Turns[t], StringComparison.Ordinal);
                Assert.True(first[i].Turns[t].Length > answers[i].Turns[t].Length);
            }
        }

        Assert.Contains(Enumerable.Range(0, answers.Count), i => !first[i].Turns.SequenceEqual(other[i].Turns));
    }

    [Fact]
    public void Write_VerbositySet_ReadsBackAsValidDataset()
    {
        var questions = MtBenchFiles.ReadQuestions(Path.Combine(TestPaths.MtBench, "question.jsonl"));
        var answers = MtBenchFiles.ReadAnswers(Path.Combine(TestPaths.MtBench, "model_answer", "claude-v1.jsonl"));
        var dir = Path.Combine(Path.GetTempPath(), "judge-bias-tests", Guid.NewGuid().ToString("N"));

        var files = VerbositySet.Write(dir, questions, answers, seed: 1);

        Assert.Equal(3, files.Count);
        var readAnswers = files.Skip(1).SelectMany(f => MtBenchFiles.ReadAnswers(f)).ToList();
        var data = Dataset.Create(MtBenchFiles.ReadQuestions(files[0]), readAnswers);
        Assert.Equal(["claude-v1", "claude-v1-padded"], data.Models);
        Assert.Equal(answers[0].Turns[0], data.Answer("claude-v1", answers[0].QuestionId)!.Turns[0]);
        Assert.StartsWith(answers[0].Turns[0], data.Answer("claude-v1-padded", answers[0].QuestionId)!.Turns[0], StringComparison.Ordinal);
    }

    [Fact]
    public void VerbosityAnalysis_HandBuilt_CountsPaddedWinsAndTiesSeparately()
    {
        PairwiseLabel L(string q, string a, string b, PairOutcome w) => new(q, a, b, w, "j", 1);

        var rows = VerbosityAnalysis.Analyze(
        [
            L("1", "m", "m-padded", PairOutcome.B),
            L("2", "m-padded", "m", PairOutcome.A),
            L("3", "m", "m-padded", PairOutcome.A),
            L("4", "m", "m-padded", PairOutcome.Tie),
            L("5", "m", "m-padded", PairOutcome.InconsistentTie),
            L("6", "m", "n", PairOutcome.A),
        ]);

        Assert.Equal([new VerbosityCounts("m", 5, 2, 1, 1, 1), new VerbosityCounts("all", 5, 2, 1, 1, 1)], rows);
        Assert.Equal(0.4, rows[0].PaddedWinRate);
    }

    /// <summary>
    /// Two models ("long", "other") and the baseline answer 60 questions; the judge either prefers the
    /// longer answer 90% of the time or flips a fair coin (ties one time in ten).
    /// </summary>
    private static (List<PairwiseLabel> Battles, AnswerTexts Answers) Synthetic(int seed, Func<string, Random, int> lengthOf, bool judgePrefersLonger)
    {
        var random = new Random(seed);
        var answers = new List<ModelAnswer>();
        var battles = new List<PairwiseLabel>();
        for (var q = 1; q <= 60; q++)
        {
            var id = q.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var lengths = new Dictionary<string, int>();
            foreach (var m in new[] { Baseline, "long", "other" })
            {
                lengths[m] = lengthOf(m, random);
                answers.Add(new ModelAnswer(id, m, [new string('w', lengths[m])]));
            }

            foreach (var m in new[] { "long", "other" })
            {
                PairOutcome winner;
                var u = random.NextDouble();
                if (judgePrefersLonger && lengths[m] != lengths[Baseline])
                {
                    var longer = lengths[m] > lengths[Baseline] ? PairOutcome.A : PairOutcome.B;
                    winner = u < 0.9 ? longer : (random.Next(2) == 0 ? PairOutcome.A : PairOutcome.B);
                }
                else
                {
                    winner = u < 0.1 ? PairOutcome.Tie : u < 0.55 ? PairOutcome.A : PairOutcome.B;
                }

                // Alternate the orientation so both sides of the file format are exercised.
                battles.Add(q % 2 == 0 ? new PairwiseLabel(id, m, Baseline, winner, "j", 1) : new PairwiseLabel(id, Baseline, m, winner.Mirror(), "j", 1));
            }
        }

        return (battles, new AnswerTexts(answers));
    }
}

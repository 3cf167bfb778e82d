using Judge.Data;
using Judge.Statistics;
using Judge.Statistics.Bias;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Core.Tests.Bias;

public class RealDataBiasTests
{
    private static readonly Lazy<(List<PairwiseLabel> Gpt4, AnswerTexts Answers)> Data = new(() =>
    {
        var gpt4 = VerdictImport.ReadLabels(Path.Combine(TestPaths.MtBench, "gpt4_pair_judgments.jsonl")).Where(l => l.Turn == 1).ToList();
        var answers = Directory.GetFiles(Path.Combine(TestPaths.MtBench, "model_answer"), "*.jsonl").SelectMany(f => MtBenchFiles.ReadAnswers(f));
        return (gpt4, new AnswerTexts(answers));
    });

    [Fact]
    public void JointLengthControl_Gpt4Turn1VersusGpt35_RawRatesMatchCountsAndLengthHelps()
    {
        var (gpt4, answers) = Data.Value;

        var result = JointLengthControl.Compute(gpt4, answers, new JointLengthControlOptions { Baseline = "gpt-3.5-turbo", BootstrapResamples = 0 });

        // Raw rates recomputed independently from the verdicts: (wins + ties / 2) / battles, with the
        // pair in either orientation.
        foreach (var row in result.Models)
        {
            var battles = gpt4.Where(l => (l.ModelA == row.Model && l.ModelB == "gpt-3.5-turbo") || (l.ModelB == row.Model && l.ModelA == "gpt-3.5-turbo")).ToList();
            var wins = battles.Count(l => (l.Winner == PairOutcome.A && l.ModelA == row.Model) || (l.Winner == PairOutcome.B && l.ModelB == row.Model));
            var ties = battles.Count(l => l.Winner.IsTie());
            Assert.Equal(80, row.Battles);
            Assert.Equal(ties, row.Ties);
            Assert.Equal((wins + (ties / 2.0)) / 80, row.RawWinRate, 12);
            Assert.InRange(row.ControlledWinRate, 0, 1);
        }

        // GPT-4 as a judge favours longer answers (Zheng et al. 2023 §3.3): the length term is positive.
        Assert.True(result.Converged);
        Assert.True(result.LengthCoefficient > 0.3, $"length coefficient {result.LengthCoefficient}");
        Assert.Equal(0, result.SkippedWithoutAnswer);
    }

    [Fact]
    public void LengthControl_ClaudeVersusGpt35_SameWithSixModelsOrTwo()
    {
        // The measurement: the joint fit gave claude-v1 0.5674 with all six MT-Bench models in
        // the file and 0.5615 with only claude-v1 and gpt-3.5-turbo. AlpacaEval 2's estimator fits each
        // model on its own, so the two must be equal.
        var (gpt4, answers) = Data.Value;
        var options = new LengthControlOptions { BootstrapResamples = 20 };
        var all = LengthControl.RowsFromVerdicts(gpt4, answers, "gpt-3.5-turbo", TieHandling.Half, out _, out _);
        var two = LengthControl.RowsFromVerdicts(gpt4.Where(l => l.ModelA is "claude-v1" or "gpt-3.5-turbo" && l.ModelB is "claude-v1" or "gpt-3.5-turbo").ToList(), answers, "gpt-3.5-turbo", TieHandling.Half, out _, out _);

        var withSix = LengthControl.Compute(all, options).Single(m => m.Model == "claude-v1");
        var withTwo = LengthControl.Compute(two, options).Single();

        Assert.Equal(5, all.Select(r => r.Model).Distinct().Count());
        Assert.Equal(withSix, withTwo);
        Assert.Equal(80, withTwo.Rows);
        Assert.InRange(withTwo.ControlledWinRate, 0, 1);
    }

    [Fact]
    public void PrefersLonger_Gpt4Turn1_CountsEveryDecisiveVerdict()
    {
        var (gpt4, answers) = Data.Value;

        var counts = PositionBias.PrefersLonger(gpt4, answers);

        // Every decisive turn-1 verdict is counted once: as longer/shorter, or as an equal-length pair.
        var decisive = gpt4.Count(l => !l.Winner.IsTie());
        Assert.Equal(decisive, counts.Decisive + counts.EqualLength + counts.WithoutAnswer);
        Assert.Equal(0, counts.WithoutAnswer);

        // Regression value observed on this file (not a published figure): 658 of 868 decisive verdicts go to the longer answer.
        Assert.Equal(868, counts.Decisive);
        Assert.Equal(658, counts.Longer);
    }
}

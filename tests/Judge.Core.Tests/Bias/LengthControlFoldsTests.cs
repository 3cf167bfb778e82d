using Judge.Statistics;
using Judge.Statistics.Bias;

namespace Judge.Core.Tests.Bias;

/// <summary>Length control's choice of penalty: AlpacaEval's fold protocol by default, Judge's earlier one as an option.</summary>
public class LengthControlFoldsTests
{
    private static readonly double[] Cs = Enumerable.Range(0, 10).Select(i => Math.Pow(10, -4 + (8.0 * i / 9))).ToArray();

    /// <summary>60 noisy hard verdicts of m against base with a mild length preference: the penalty matters here.</summary>
    private static List<LengthControlRow> Noisy(int seed)
    {
        var random = new Random(seed);
        var rows = new List<LengthControlRow>();
        for (var q = 0; q < 60; q++)
        {
            double b = 300 + random.Next(800), m = 300 + random.Next(800);
            var p = 1 / (1 + Math.Exp(-(0.2 + (0.6 * Math.Tanh((m - b) / 300)))));
            rows.Add(new LengthControlRow($"q{random.Next(1000):D3}", "m", b, m, random.NextDouble() < p ? 1 : random.NextDouble() < 0.2 ? 0.5 : 0));
        }

        return rows;
    }

    /// <summary>
    /// AlpacaEval's choice, written out as scikit-learn computes it: every row duplicated (label 1 weighted p, label 0
    /// weighted 1 − p) in one group per row; GroupKFold takes the groups largest first (all equal: from the last, as
    /// argsort-then-reverse gives) and puts each in the lightest fold (the first on a tie); LogisticRegressionCV scores a
    /// C by the mean over folds of each fold's mean soft log loss and keeps the first best.
    /// </summary>
    private static double AlpacaEvalChoice(IReadOnlyList<LengthControlRow> rows)
    {
        var n = rows.Count;
        var deltas = rows.Select(r => r.BaselineLength - r.ModelLength).ToArray();
        var mean = deltas.Average();
        var sd = Math.Sqrt(deltas.Sum(d => (d - mean) * (d - mean)) / (n - 1));
        var x = rows.Select(r => new[] { Math.Tanh((r.BaselineLength - r.ModelLength) / sd), 1.0 }).ToArray();
        var y = rows.Select(r => r.Preference).ToArray();
        var fold = new int[n];
        var load = new int[5];
        for (var g = n - 1; g >= 0; g--)
        {
            var lightest = Array.IndexOf(load, load.Min());
            fold[g] = lightest;
            load[lightest] += 2;
        }

        double bestC = Cs[0], best = double.PositiveInfinity;
        foreach (var c in Cs)
        {
            double score = 0;
            for (var f = 0; f < 5; f++)
            {
                var train = Enumerable.Range(0, n).Where(i => fold[i] != f).ToArray();
                var test = Enumerable.Range(0, n).Where(i => fold[i] == f).ToArray();
                var fit = LogisticRegression.FitL1(train.Select(i => x[i]).ToArray(), train.Select(i => y[i]).ToArray(), 1 / c, Enumerable.Repeat(1.0, train.Length).ToArray());
                score += LogisticRegression.LogLoss(test.Select(i => x[i]).ToArray(), test.Select(i => y[i]).ToArray(), null, fit.Coefficients) / test.Length / 5;
            }

            if (score < best - 1e-12)
            {
                (best, bestC) = (score, c);
            }
        }

        return bestC;
    }

    [Fact]
    public void FitModel_Default_ChoosesThePenaltyAsAlpacaEvalDoes()
    {
        var chosen = new List<(double Default, double Sorted)>();
        for (var seed = 1; seed <= 12; seed++)
        {
            var rows = Noisy(seed);
            var fit = LengthControl.FitModel("m", rows, new LengthControlOptions { BootstrapResamples = 0 });
            var sorted = LengthControl.FitModel("m", rows, new LengthControlOptions { BootstrapResamples = 0, CrossValidation = LengthControlFolds.Sorted });

            Assert.Equal(AlpacaEvalChoice(rows), fit.InversePenalty);
            chosen.Add((fit.InversePenalty, sorted.InversePenalty));
        }

        // The two protocols are different choices on data like this: they disagree on some of the 12 sets.
        Assert.Contains(chosen, c => c.Default != c.Sorted);
    }

    [Fact]
    public void FitModel_SortedFolds_IndependentOfRowOrder()
    {
        var rows = Noisy(3);
        var reversed = rows.AsEnumerable().Reverse().ToList();
        var options = new LengthControlOptions { BootstrapResamples = 0, CrossValidation = LengthControlFolds.Sorted };

        Assert.Equal(LengthControl.FitModel("m", rows, options), LengthControl.FitModel("m", reversed, options));
    }
}

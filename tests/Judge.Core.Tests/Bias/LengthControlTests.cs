using Judge.Data;
using Judge.Statistics;
using Judge.Statistics.Bias;

namespace Judge.Core.Tests.Bias;

/// <summary>AlpacaEval 2's per-model length control: recovery of known parameters, independence from other models, gamed rows, difficulty files.</summary>
public class LengthControlTests
{
    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    /// <summary>The sample standard deviation (ddof 1), as the estimator defines sd(Δ).</summary>
    private static double Sd(IReadOnlyList<double> v)
    {
        var mean = v.Average();
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
    }

    /// <summary>
    /// Rows of one model drawn from a known GLM: logit p = βlen·tanh(Δ/sd) + βdiff·d_q + βmodel, with
    /// the soft preference set to p itself (so the fit can recover the parameters exactly, up to the
    /// tiny L1 penalty cross-validation settles on).
    /// </summary>
    private static (List<LengthControlRow> Rows, Dictionary<string, double> Difficulty) Glm(int seed, string model, int instructions, double lengthCoef, double difficultyCoef, double modelCoef)
    {
        var random = new Random(seed);
        var difficulty = new Dictionary<string, double>(StringComparer.Ordinal);
        var raw = new List<(string Q, double Base, double Mine)>();
        for (var q = 0; q < instructions; q++)
        {
            var id = $"q{q:D5}";
            difficulty[id] = (random.NextDouble() * 4) - 2;
            raw.Add((id, 200 + random.Next(1500), 200 + random.Next(2500)));
        }

        var sd = Sd(raw.Select(r => r.Base - r.Mine).ToArray());
        var rows = raw.Select(r => new LengthControlRow(r.Q, model, r.Base, r.Mine,
            Sigmoid((lengthCoef * Math.Tanh((r.Base - r.Mine) / sd)) + (difficultyCoef * difficulty[r.Q]) + modelCoef))).ToList();
        return (rows, difficulty);
    }

    [Fact]
    public void FitModel_SoftTargetsFromKnownGlm_RecoversCoefficientsAndLc()
    {
        // True parameters: a judge that prefers longer answers (Δ = baseline − model, so a negative
        // length coefficient), harder instructions lowering the odds, a model term of 0.4.
        var (rows, difficulty) = Glm(seed: 11, "m", instructions: 3000, lengthCoef: -0.9, difficultyCoef: -0.7, modelCoef: 0.4);

        var fit = LengthControl.FitModel("m", rows, new LengthControlOptions { Difficulty = difficulty, BootstrapResamples = 0 });

        Assert.Equal(-0.9, fit.LengthCoefficient, 0.01);
        Assert.Equal(-0.7, fit.DifficultyCoefficient!.Value, 0.01);
        Assert.Equal(0.4, fit.ModelCoefficient, 0.01);
        Assert.True(fit.Converged);
        var trueLc = difficulty.Values.Average(d => Sigmoid((-0.7 * d) + 0.4));
        Assert.Equal(trueLc, fit.ControlledWinRate, 0.003);
        Assert.Equal(rows.Average(r => r.Preference), fit.RawWinRate, 12);

        // Cross-validation settles on the weakest penalty the grid offers for data this clean.
        Assert.Equal(1e4, fit.InversePenalty, 1e-6);
    }

    [Fact]
    public void FitModel_HardVerdictsFromKnownGlm_RecoversCoefficientsWithinSamplingError()
    {
        // The same GLM with Bernoulli outcomes (hard verdicts: 1 or 0) over 4,000 instructions: the
        // standard errors are about 0.05, so 0.2 is a 4-sigma band.
        var (soft, difficulty) = Glm(seed: 12, "m", instructions: 4000, lengthCoef: -1.0, difficultyCoef: -0.5, modelCoef: 0.3);
        var random = new Random(13);
        var rows = soft.Select(r => r with { Preference = random.NextDouble() < r.Preference ? 1 : 0 }).ToList();

        var fit = LengthControl.FitModel("m", rows, new LengthControlOptions { Difficulty = difficulty, BootstrapResamples = 0 });

        Assert.Equal(-1.0, fit.LengthCoefficient, 0.2);
        Assert.Equal(-0.5, fit.DifficultyCoefficient!.Value, 0.2);
        Assert.Equal(0.3, fit.ModelCoefficient, 0.2);
    }

    [Fact]
    public void Compute_OtherModelsAddedRemovedOrReordered_ModelLcUnchanged()
    {
        // Three models with different length habits and a difficulty vector, hard verdicts with ties.
        var (a, difficulty) = Glm(seed: 21, "alpha", 150, -1.2, -0.6, 0.2);
        var (b, _) = Glm(seed: 22, "beta", 150, -0.3, -0.6, -0.5);
        var (c, _) = Glm(seed: 23, "gamma", 150, -2.0, -0.6, 1.0);
        var random = new Random(24);
        List<LengthControlRow> Harden(List<LengthControlRow> rows) => rows.Select(r =>
        {
            var u = random.NextDouble();
            return r with { Instruction = "q" + r.Instruction[1..], Preference = u < 0.1 ? 0.5 : u < r.Preference ? 1 : 0 };
        }).ToList();
        var alpha = Harden(a);
        var all = alpha.Concat(Harden(b)).Concat(Harden(c)).ToList();
        var options = new LengthControlOptions { Difficulty = Glm(seed: 21, "alpha", 150, -1.2, -0.6, 0.2).Difficulty, BootstrapResamples = 30, Seed = 5 };

        var alone = LengthControl.Compute(alpha, options).Single();
        var together = LengthControl.Compute(all, options).Single(m => m.Model == "alpha");

        // AlpacaEval's folds (the default) follow the model's own rows as given: other models' rows interleaved or
        // removed change nothing while alpha's rows keep their order.
        var interleaved = all.Select((r, i) => (r, Key: r.Model == "alpha" ? i : random.Next(all.Count))).OrderBy(x => x.Key).ThenBy(x => x.r.Model == "alpha" ? 0 : 1).Select(x => x.r).ToList();
        Assert.Equal(alpha, interleaved.Where(r => r.Model == "alpha"));
        var mixed = LengthControl.Compute(interleaved, options).Single(m => m.Model == "alpha");
        var withoutGamma = LengthControl.Compute(all.Where(r => r.Model != "gamma").ToList(), options).Single(m => m.Model == "alpha");

        // Records compare every field, intervals included: exactly equal, not merely close.
        Assert.Equal(alone, together);
        Assert.Equal(alone, mixed);
        Assert.Equal(alone, withoutGamma);

        // Judge's sorted folds are independent of every order, alpha's own rows included.
        options.CrossValidation = LengthControlFolds.Sorted;
        var sortedAlone = LengthControl.Compute(alpha, options).Single();
        Assert.Equal(sortedAlone, LengthControl.Compute(all.OrderBy(_ => random.Next()).ToList(), options).Single(m => m.Model == "alpha"));
        Assert.Equal(sortedAlone, LengthControl.Compute(all.Where(r => r.Model != "gamma").Reverse().ToList(), options).Single(m => m.Model == "alpha"));
        Assert.NotNull(alone.ControlledInterval);
        Assert.True(alone.ControlledInterval!.Contains(alone.ControlledWinRate));
        Assert.Equal(difficulty.Count, alone.Instructions);
    }

    [Fact]
    public void FitModel_MinimalForm_RemovesALengthOnlyAdvantage()
    {
        // The model writes longer answers than the baseline and the judge rewards length only:
        // logit = −1.5·tanh(Δ/sd), no model effect. Raw rate well above ½, LC near ½.
        var random = new Random(31);
        var rows = new List<LengthControlRow>();
        for (var q = 0; q < 2000; q++)
        {
            rows.Add(new LengthControlRow($"q{q}", "verbose", 300 + random.Next(600), 500 + random.Next(1500), 0));
        }

        var sd = Sd(rows.Select(r => r.BaselineLength - r.ModelLength).ToArray());
        rows = rows.Select(r => r with { Preference = Sigmoid(-1.5 * Math.Tanh((r.BaselineLength - r.ModelLength) / sd)) }).ToList();

        var fit = LengthControl.FitModel("verbose", rows, new LengthControlOptions { BootstrapResamples = 0 });

        Assert.Null(fit.DifficultyCoefficient);
        Assert.True(fit.RawWinRate > 0.7, $"raw {fit.RawWinRate}");
        Assert.Equal(0.5, fit.ControlledWinRate, 0.01);
        Assert.Equal(-1.5, fit.LengthCoefficient, 0.02);
    }

    [Fact]
    public void FitModel_GamedBaselineRows_ShareTheFitButNotTheRates()
    {
        // Few model rows that barely identify the slope; many gamed rows (weight 0.1) from a judge with
        // a strong length preference pin it. The raw rate and the instructions averaged over are the
        // model's own; the slope (and so the LC rate) moves towards the gamed rows' slope.
        var (rows, difficulty) = Glm(seed: 41, "m", 40, lengthCoef: 0, difficultyCoef: -0.5, modelCoef: 0.3);
        var random = new Random(42);
        var gamed = new List<GamedBaselineRow>();
        foreach (var q in difficulty.Keys)
        {
            gamed.Add(new GamedBaselineRow(q, 800, 1600 + random.Next(400), 0.9));
            gamed.Add(new GamedBaselineRow(q, 800, 200 + random.Next(200), 0.1));
        }

        var options = new LengthControlOptions { Difficulty = difficulty, BootstrapResamples = 0, InversePenalties = [1e4] };
        var plain = LengthControl.FitModel("m", rows, options);
        options.GamedBaseline = gamed;
        var pinned = LengthControl.FitModel("m", rows, options);

        Assert.Equal(plain.RawWinRate, pinned.RawWinRate);
        Assert.Equal(plain.Rows, pinned.Rows);
        Assert.Equal(plain.Instructions, pinned.Instructions);
        Assert.True(Math.Abs(plain.LengthCoefficient) < 0.05, $"plain slope {plain.LengthCoefficient}");
        Assert.True(pinned.LengthCoefficient < -0.5, $"pinned slope {pinned.LengthCoefficient}");

        // Without weight the gamed rows change nothing.
        options.GamedWeight = 0;
        Assert.Equal(plain.LengthCoefficient, LengthControl.FitModel("m", rows, options).LengthCoefficient, 6);
    }

    [Fact]
    public void FitModel_InstructionWithoutDifficulty_IsAnErrorNamingIt()
    {
        var (rows, difficulty) = Glm(seed: 51, "m", 10, -1, -1, 0);
        difficulty.Remove("q00003");

        var error = Assert.Throws<ArgumentException>(() => LengthControl.FitModel("m", rows, new LengthControlOptions { Difficulty = difficulty, BootstrapResamples = 0 }));

        Assert.Contains("q00003", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InstructionDifficulty_PanelFromKnownDifficulties_RecoversThemAndRoundTrips()
    {
        // A panel of 8 models over 300 instructions with known difficulties d_q (logit = θₘ − d_q + length):
        // the estimate, centred, tracks them closely.
        var random = new Random(61);
        var truth = Enumerable.Range(0, 300).ToDictionary(q => $"i{q:D3}", _ => (random.NextDouble() * 3) - 1.5, StringComparer.Ordinal);
        var center = truth.Values.Average();
        var rows = new List<LengthControlRow>();
        for (var m = 0; m < 8; m++)
        {
            var theta = (m - 3.5) / 3;
            foreach (var (q, d) in truth)
            {
                var baseLen = 400 + random.Next(800);
                var len = 300 + random.Next(1200);
                rows.Add(new LengthControlRow(q, $"m{m}", baseLen, len, Sigmoid(theta - d - (0.5 * Math.Tanh((baseLen - len) / 400.0)))));
            }
        }

        // Nearly unpenalised, soft targets: the centred difficulties come back almost exactly.
        var exact = InstructionDifficulty.Estimate(rows, difficultyPenalty: 1e-4, coefficientPenalty: 1e-6);
        var errors = truth.Select(kv => exact[kv.Key] - (kv.Value - center)).ToArray();
        Assert.True(errors.Max(Math.Abs) < 0.01, $"largest error {errors.Max(Math.Abs)}");

        // The default prior (penalty 1) shrinks them towards 0 with only 8 models per instruction, but keeps their order.
        var estimate = InstructionDifficulty.Estimate(rows);
        Assert.Equal(300, estimate.Count);
        Assert.Equal(0, estimate.Values.Average(), 1e-9);
        var keys = truth.Keys.ToArray();
        Assert.True(Judge.Statistics.Correlation.Spearman(keys.Select(k => truth[k]).ToArray(), keys.Select(k => estimate[k]).ToArray()) > 0.99);

        var path = Path.Combine(Path.GetTempPath(), $"difficulty-{Guid.NewGuid():N}.jsonl");
        try
        {
            InstructionDifficulty.Write(path, estimate);
            Assert.Equal(estimate.OrderBy(kv => kv.Key, StringComparer.Ordinal), InstructionDifficulty.Read(path).OrderBy(kv => kv.Key, StringComparer.Ordinal));

            File.WriteAllText(path, "{\"instruction\":\"a\",\"difficulty\":0.5}\n{\"instruction\":\"b\",\"difficulty\":\"hard\"}\n");
            var error = Assert.Throws<InputException>(() => InstructionDifficulty.Read(path));
            Assert.Equal(2, error.Line);
            Assert.Equal("difficulty", error.Field);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

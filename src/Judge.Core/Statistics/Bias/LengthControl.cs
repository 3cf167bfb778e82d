using Judge.Data;

namespace Judge.Statistics.Bias;

/// <summary>
/// One judged comparison of a model's answer with the baseline's answer to one instruction: the
/// input of <see cref="LengthControl"/>. Any source maps onto it in one line: a hard verdict gives
/// <see cref="Preference"/> 1, ½ or 0; a soft preference (the probability that the model's answer is
/// better) is used as it is.
/// </summary>
/// <param name="Instruction">The instruction (Judge uses <c>question/tTURN</c>).</param>
/// <param name="Model">The model compared with the baseline.</param>
/// <param name="BaselineLength">The baseline answer's length in characters.</param>
/// <param name="ModelLength">The model answer's length in characters.</param>
/// <param name="Preference">P(the model's answer beats the baseline's), in [0, 1].</param>
public sealed record LengthControlRow(string Instruction, string Model, double BaselineLength, double ModelLength, double Preference);

/// <summary>
/// A deliberately gamed version of the baseline's own answer (made verbose or concise) judged against
/// the baseline: AlpacaEval 2 adds such rows, with a small weight, to every model's fit to pin the
/// length slope.
/// </summary>
/// <param name="Instruction">The instruction.</param>
/// <param name="BaselineLength">The baseline answer's length in characters.</param>
/// <param name="GamedLength">The gamed answer's length in characters.</param>
/// <param name="Preference">P(the gamed answer beats the baseline's), in [0, 1].</param>
public sealed record GamedBaselineRow(string Instruction, double BaselineLength, double GamedLength, double Preference);

/// <summary>How length control's cross-validation over the penalty assigns folds and scores them.</summary>
public enum LengthControlFolds
{
    /// <summary>
    /// AlpacaEval 2's protocol (<c>glm_winrate.py</c>: scikit-learn's <c>LogisticRegressionCV</c> with <c>GroupKFold</c>, each
    /// row its own group): rows in the order given (the model's rows, then the gamed baseline rows), row i of n in fold
    /// (n − 1 − i) mod k (GroupKFold deals equal-sized groups from the last, each to the lightest fold; this takes NumPy's
    /// argsort of the equal sizes as the identity, which its unstable sort does not promise on every machine); each fold's
    /// loss is its rows' mean weighted soft log loss, and the penalty with the least mean over folds wins (the first on a tie).
    /// The folds follow the input's row order.
    /// </summary>
    AlpacaEval,

    /// <summary>
    /// Judge's earlier protocol: rows sorted by instruction (then lengths and preference), fold = position mod k, and the
    /// loss pooled over all held-out rows (Σ w·loss / Σ w). Independent of the input's row order.
    /// </summary>
    Sorted,
}

/// <summary>Settings for <see cref="LengthControl"/>. Mutable; safe to share once set up.</summary>
public sealed class LengthControlOptions
{
    /// <summary>
    /// A frozen difficulty per instruction (see <see cref="InstructionDifficulty"/>); <see langword="null"/>
    /// (the default) fits the minimal form, the length term and the model term only.
    /// </summary>
    public IReadOnlyDictionary<string, double>? Difficulty { get; set; }

    /// <summary>Gamed baseline rows added to every model's fit; empty (the default) adds none.</summary>
    public IReadOnlyList<GamedBaselineRow> GamedBaseline { get; set; } = [];

    /// <summary>The weight of each gamed baseline row. Default 0.1 (AlpacaEval 2).</summary>
    public double GamedWeight { get; set; } = 0.1;

    /// <summary>
    /// The inverse L1 penalties C (scikit-learn's convention: C·loss + ‖β‖₁) tried by cross-validation.
    /// Default ten values from 10⁻⁴ to 10⁴, evenly spaced in log (scikit-learn's <c>Cs=10</c>).
    /// </summary>
    public IReadOnlyList<double> InversePenalties { get; set; } = Enumerable.Range(0, 10).Select(i => Math.Pow(10, -4 + (8.0 * i / 9))).ToArray();

    /// <summary>Cross-validation folds (rows are the groups). Default 5.</summary>
    public int Folds { get; set; } = 5;

    /// <summary>
    /// How the penalty's cross-validation assigns folds and scores them. Default <see cref="LengthControlFolds.AlpacaEval"/>:
    /// AlpacaEval 2's protocol.
    /// </summary>
    public LengthControlFolds CrossValidation { get; set; } = LengthControlFolds.AlpacaEval;

    /// <summary>Bootstrap resamples of each model's instructions (0: no intervals). Default 200.</summary>
    public int BootstrapResamples { get; set; } = 200;

    /// <summary>The intervals' confidence level. Default 0.95.</summary>
    public double ConfidenceLevel { get; set; } = Bootstrap.DefaultLevel;

    /// <summary>The bootstrap seed. Default 0. Each model draws from its own stream, derived from this seed and its name only.</summary>
    public int Seed { get; set; }
}

/// <summary>One model's raw and length-controlled win rate against the baseline, fitted on its own.</summary>
/// <param name="Model">The model.</param>
/// <param name="Rows">Comparisons with the baseline that entered the fit.</param>
/// <param name="Instructions">Distinct instructions among them (the LC rate averages over these).</param>
/// <param name="RawWinRate">The mean preference over the rows (a tie is ½).</param>
/// <param name="RawInterval">Percentile bootstrap interval of the raw rate (instructions resampled).</param>
/// <param name="ControlledWinRate">The LC win rate: the mean over instructions of the fitted probability with the length term at 0.</param>
/// <param name="ControlledInterval">Percentile bootstrap interval of the LC rate (instructions resampled, the fit repeated at the chosen penalty).</param>
/// <param name="LengthCoefficient">The coefficient of tanh((baseline length − model length) / sd): negative when the judge prefers longer answers.</param>
/// <param name="DifficultyCoefficient">The coefficient of the instruction difficulty; <see langword="null"/> in the minimal form.</param>
/// <param name="ModelCoefficient">The coefficient of the model indicator.</param>
/// <param name="LengthScale">The standard deviation of the length differences over this model's rows.</param>
/// <param name="InversePenalty">The C chosen by cross-validation.</param>
/// <param name="Converged">Whether the final fit converged.</param>
public sealed record ModelLengthControl(string Model, int Rows, int Instructions, double RawWinRate, ConfidenceInterval? RawInterval, double ControlledWinRate, ConfidenceInterval? ControlledInterval, double LengthCoefficient, double? DifficultyCoefficient, double ModelCoefficient, double LengthScale, double InversePenalty, bool Converged);

/// <summary>The result of <see cref="LengthControl.Compute"/> over every model in a file.</summary>
/// <param name="Baseline">The baseline model.</param>
/// <param name="Models">One row per model, in ordinal order.</param>
/// <param name="UsesDifficulty">Whether a difficulty vector was used (otherwise the minimal form).</param>
/// <param name="GamedRows">Gamed baseline rows added to each fit.</param>
/// <param name="SkippedWithoutAnswer">Battles with the baseline left out because an answer text was missing.</param>
/// <param name="Ties">Ties among the rows (each a preference of ½), or ties left out when <paramref name="TiesExcluded"/>.</param>
/// <param name="TiesExcluded">Whether ties were left out.</param>
public sealed record LengthControlReport(string Baseline, IReadOnlyList<ModelLengthControl> Models, bool UsesDifficulty, int GamedRows, int SkippedWithoutAnswer, int Ties, bool TiesExcluded);

/// <summary>
/// Length-controlled win rates as AlpacaEval 2 defines them (<c>length_controlled_v1</c>, Dubois et
/// al. 2024): each model is fitted <b>on its own</b> against the baseline, so its LC rate never depends
/// on which other models are evaluated. Features, without an intercept: tanh(Δ / sd(Δ)) with Δ the
/// baseline's length minus the model's in characters and sd over the model's rows (on gamed rows,
/// over the gamed rows); the frozen
/// difficulty of the instruction (when given); and an indicator, 1 on the model's rows and 0 on the
/// gamed baseline rows (weight <see cref="LengthControlOptions.GamedWeight"/> each). The target is
/// the soft preference; the fit is L1-penalised logistic regression with C chosen by
/// <see cref="LengthControlOptions.Folds"/>-fold cross-validation on the soft log-loss, by default with
/// AlpacaEval's folds and per-fold averaging (<see cref="LengthControlFolds"/>). The LC rate is the mean over the
/// model's instructions of σ(β_model + β_difficulty·d_q): the prediction with the length feature at 0.
/// Pure and thread-safe.
/// </summary>
public static class LengthControl
{
    /// <summary>
    /// The rows of every battle with <paramref name="baseline"/> whose two answers are known, oriented
    /// as model against baseline: a soft verdict (<see cref="PairwiseLabel.PSecond"/>) as its probability that
    /// the model wins, a hard one as win 1, tie ½, loss 0. Battles not involving
    /// the baseline are ignored; a self-battle of the baseline is ignored.
    /// </summary>
    /// <param name="battles">The verdicts.</param>
    /// <param name="answers">The answer texts, for the lengths.</param>
    /// <param name="baseline">The baseline model.</param>
    /// <param name="ties">Whether ties are half a win or left out.</param>
    /// <param name="skipped">Battles with the baseline without both answers.</param>
    /// <param name="tiesSeen">Ties among the battles with the baseline (kept as ½, or left out).</param>
    public static IReadOnlyList<LengthControlRow> RowsFromVerdicts(IReadOnlyList<PairwiseLabel> battles, AnswerTexts answers, string baseline, TieHandling ties, out int skipped, out int tiesSeen)
    {
        ArgumentNullException.ThrowIfNull(battles);
        ArgumentNullException.ThrowIfNull(answers);
        var rows = new List<LengthControlRow>();
        skipped = 0;
        tiesSeen = 0;
        foreach (var b in battles)
        {
            var baselineIsA = string.Equals(b.ModelA, baseline, StringComparison.Ordinal);
            if ((!baselineIsA && !string.Equals(b.ModelB, baseline, StringComparison.Ordinal)) || string.Equals(b.ModelA, b.ModelB, StringComparison.Ordinal))
            {
                continue;
            }

            var model = baselineIsA ? b.ModelB : b.ModelA;
            var winner = baselineIsA ? b.Winner.Mirror() : b.Winner;
            if (winner.IsTie())
            {
                tiesSeen++;
                if (ties == TieHandling.Exclude)
                {
                    continue;
                }
            }

            var mine = answers.Text(b.QuestionId, model, b.Turn);
            var theirs = answers.Text(b.QuestionId, baseline, b.Turn);
            if (mine is null || theirs is null)
            {
                skipped++;
                continue;
            }

            // A soft verdict is the target as it stands (AlpacaEval 2 fits its soft preferences); a hard one is 1, ½ or 0.
            var p = b.PSecond is double pSecond
                ? (baselineIsA ? pSecond : 1 - pSecond)
                : winner.CreditOfA();
            rows.Add(new LengthControlRow(AnswerTexts.InstructionId(b.QuestionId, b.Turn), model, theirs.Length, mine.Length, p));
        }

        return rows;
    }

    /// <summary>Fits every model in <paramref name="rows"/> on its own (see <see cref="FitModel"/>).</summary>
    /// <exception cref="ArgumentException">A row's preference lies outside [0, 1] or an instruction has no difficulty.</exception>
    public static IReadOnlyList<ModelLengthControl> Compute(IReadOnlyList<LengthControlRow> rows, LengthControlOptions options)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return rows.GroupBy(r => r.Model, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => FitModel(g.Key, g.ToList(), options))
            .ToArray();
    }

    /// <summary>
    /// Fits one model. Only <paramref name="rows"/> of <paramref name="model"/> are used (others are
    /// ignored), so the result never depends on other models. The fit and its intervals use a canonical order; the
    /// penalty's folds follow the order given under AlpacaEval's protocol (the default), and a canonical one under
    /// <see cref="LengthControlFolds.Sorted"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No row of the model, a preference outside [0, 1], or an instruction without a difficulty.</exception>
    public static ModelLengthControl FitModel(string model, IReadOnlyList<LengthControlRow> rows, LengthControlOptions options)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        var mine = rows.Where(r => string.Equals(r.Model, model, StringComparison.Ordinal))
            .OrderBy(r => r.Instruction, StringComparer.Ordinal)
            .ThenBy(r => r.ModelLength)
            .ThenBy(r => r.BaselineLength)
            .ThenBy(r => r.Preference)
            .ToArray();
        if (mine.Length == 0)
        {
            throw new ArgumentException($"no row of the model '{model}'", nameof(rows));
        }

        foreach (var r in mine)
        {
            if (!(r.Preference >= 0 && r.Preference <= 1))
            {
                throw new ArgumentException($"model '{model}', instruction '{r.Instruction}': preference {r.Preference} lies outside [0, 1]", nameof(rows));
            }
        }

        var gamed = options.GamedBaseline.OrderBy(g => g.Instruction, StringComparer.Ordinal).ThenBy(g => g.GamedLength).ThenBy(g => g.Preference).ToArray();
        var difficulty = options.Difficulty;
        double Difficulty(string instruction) => difficulty is null ? 0
            : difficulty.TryGetValue(instruction, out var d) ? d
            : throw new ArgumentException($"instruction '{instruction}' has no difficulty in the difficulty vector", nameof(options));

        // The model's length differences are standardised over its own rows; the gamed rows over
        // theirs (AlpacaEval ships them standardised once), so they are the same in every model's fit.
        var scale = JointLengthControl.StandardDeviation(mine.Select(r => r.BaselineLength - r.ModelLength));
        var gamedScale = JointLengthControl.StandardDeviation(gamed.Select(g => g.BaselineLength - g.GamedLength));
        static double LengthFeature(double delta, double sd) => sd > 0 ? Math.Tanh(delta / sd) : 0;
        var withDifficulty = difficulty is not null;
        var columns = withDifficulty ? 3 : 2;
        double[] Features(double lengthFeature, string instruction, bool isModel) => withDifficulty
            ? [lengthFeature, Difficulty(instruction), isModel ? 1 : 0]
            : [lengthFeature, isModel ? 1 : 0];

        var modelX = mine.Select(r => Features(LengthFeature(r.BaselineLength - r.ModelLength, scale), r.Instruction, true)).ToArray();
        var gamedX = gamed.Select(g => Features(LengthFeature(g.BaselineLength - g.GamedLength, gamedScale), g.Instruction, false)).ToArray();
        var instructions = mine.Select(r => r.Instruction).Distinct(StringComparer.Ordinal).ToArray();
        var instructionDifficulty = instructions.Select(Difficulty).ToArray();

        // Cross-validation over C: rows (model rows, then gamed rows) take folds by position.
        var all = new Design(modelX.Concat(gamedX).ToArray(), mine.Select(r => r.Preference).Concat(gamed.Select(g => g.Preference)).ToArray(), Enumerable.Repeat(1.0, mine.Length).Concat(Enumerable.Repeat(options.GamedWeight, gamed.Length)).ToArray());
        double bestC;
        if (options.CrossValidation == LengthControlFolds.AlpacaEval)
        {
            // AlpacaEval's folds follow its rows as given: the model's rows in input order, then the gamed rows.
            var given = rows.Where(r => string.Equals(r.Model, model, StringComparison.Ordinal)).ToArray();
            var givenX = given.Select(r => Features(LengthFeature(r.BaselineLength - r.ModelLength, scale), r.Instruction, true))
                .Concat(options.GamedBaseline.Select(g => Features(LengthFeature(g.BaselineLength - g.GamedLength, gamedScale), g.Instruction, false)))
                .ToArray();
            var inOrder = new Design(givenX, given.Select(r => r.Preference).Concat(options.GamedBaseline.Select(g => g.Preference)).ToArray(), Enumerable.Repeat(1.0, given.Length).Concat(Enumerable.Repeat(options.GamedWeight, options.GamedBaseline.Count)).ToArray());
            bestC = ChoosePenaltyAlpacaEval(inOrder, options);
        }
        else
        {
            bestC = ChoosePenalty(all, options);
        }

        var point = LogisticRegression.FitL1(all.X, all.Y, 1 / bestC, all.W);
        var controlled = Controlled(point.Coefficients, instructionDifficulty, withDifficulty);
        var raw = mine.Average(r => r.Preference);

        var (rawInterval, controlledInterval) = options.BootstrapResamples > 0
            ? Intervals(model, mine, modelX, gamed, gamedX, bestC, withDifficulty, options)
            : (null, null);

        var beta = point.Coefficients;
        return new ModelLengthControl(
            model,
            mine.Length,
            instructions.Length,
            raw,
            rawInterval,
            controlled,
            controlledInterval,
            beta[0],
            withDifficulty ? beta[1] : null,
            beta[columns - 1],
            scale,
            bestC,
            point.Converged);
    }

    /// <summary>
    /// The inverse penalty C with the least cross-validated log loss (the first on a tie); rows (model rows, then
    /// gamed rows) take folds by position. With one C given, that one.
    /// </summary>
    private static double ChoosePenalty(Design all, LengthControlOptions options)
    {
        var bestC = options.InversePenalties.Count > 0 ? options.InversePenalties[0] : throw new ArgumentException("no inverse penalty to try", nameof(options));
        if (options.InversePenalties.Count > 1)
        {
            var folds = Math.Clamp(options.Folds, 2, all.Count);
            var bestLoss = double.PositiveInfinity;
            foreach (var c in options.InversePenalties)
            {
                double loss = 0, weight = 0;
                for (var f = 0; f < folds; f++)
                {
                    var train = all.Where(i => i % folds != f);
                    var test = all.Where(i => i % folds == f);
                    if (test.Count == 0)
                    {
                        continue;
                    }

                    var fit = LogisticRegression.FitL1(train.X, train.Y, 1 / c, train.W);
                    loss += LogisticRegression.LogLoss(test.X, test.Y, test.W, fit.Coefficients);
                    weight += test.W.Sum();
                }

                var mean = loss / weight;
                if (mean < bestLoss - 1e-12)
                {
                    bestLoss = mean;
                    bestC = c;
                }
            }
        }

        return bestC;
    }

    /// <summary>
    /// AlpacaEval's choice of C (<see cref="LengthControlFolds.AlpacaEval"/>): row i of n in fold (n − 1 − i) mod k; a fold's
    /// loss is the mean over its rows of w·loss; the C with the least mean over folds (the first on a tie).
    /// </summary>
    private static double ChoosePenaltyAlpacaEval(Design all, LengthControlOptions options)
    {
        var bestC = options.InversePenalties.Count > 0 ? options.InversePenalties[0] : throw new ArgumentException("no inverse penalty to try", nameof(options));
        if (options.InversePenalties.Count <= 1)
        {
            return bestC;
        }

        var n = all.Count;
        var folds = Math.Clamp(options.Folds, 2, n);
        var bestLoss = double.PositiveInfinity;
        foreach (var c in options.InversePenalties)
        {
            double sum = 0;
            var scored = 0;
            for (var f = 0; f < folds; f++)
            {
                var fold = f;
                var train = all.Where(i => (n - 1 - i) % folds != fold);
                var test = all.Where(i => (n - 1 - i) % folds == fold);
                if (test.Count == 0)
                {
                    continue;
                }

                var fit = LogisticRegression.FitL1(train.X, train.Y, 1 / c, train.W);
                sum += LogisticRegression.LogLoss(test.X, test.Y, test.W, fit.Coefficients) / test.Count;
                scored++;
            }

            var mean = sum / scored;
            if (mean < bestLoss - 1e-12)
            {
                bestLoss = mean;
                bestC = c;
            }
        }

        return bestC;
    }

    /// <summary>Percentile bootstrap intervals of the raw and controlled rates, instructions resampled as clusters, the fit repeated at <paramref name="bestC"/>.</summary>
    private static (ConfidenceInterval Raw, ConfidenceInterval Controlled) Intervals(
        string model, LengthControlRow[] mine, double[][] modelX, GamedBaselineRow[] gamed, double[][] gamedX, double bestC, bool withDifficulty, LengthControlOptions options)
    {
        // Instructions are the clusters: a model's rows on one instruction are drawn together.
        var groups = mine.Select((r, i) => (r.Instruction, i)).GroupBy(x => x.Instruction, StringComparer.Ordinal).Select(g => g.Select(x => x.i).ToArray()).ToArray();
        var seed = options.Seed ^ VerbositySet.StableHash(model);
        var random = new Random(seed);
        var rawSamples = new double[options.BootstrapResamples];
        var controlledSamples = new double[options.BootstrapResamples];
        var x = new List<double[]>(mine.Length + gamed.Length);
        var y = new List<double>(mine.Length + gamed.Length);
        var w = new List<double>(mine.Length + gamed.Length);
        var drawnDifficulty = new List<double>(groups.Length);
        for (var r = 0; r < options.BootstrapResamples; r++)
        {
            x.Clear();
            y.Clear();
            w.Clear();
            drawnDifficulty.Clear();
            double sum = 0;
            for (var g = 0; g < groups.Length; g++)
            {
                var group = groups[random.Next(groups.Length)];
                drawnDifficulty.Add(withDifficulty ? modelX[group[0]][1] : 0);
                foreach (var i in group)
                {
                    x.Add(modelX[i]);
                    y.Add(mine[i].Preference);
                    w.Add(1);
                    sum += mine[i].Preference;
                }
            }

            var modelRows = y.Count;
            for (var i = 0; i < gamed.Length; i++)
            {
                x.Add(gamedX[i]);
                y.Add(gamed[i].Preference);
                w.Add(options.GamedWeight);
            }

            rawSamples[r] = sum / modelRows;
            var fit = LogisticRegression.FitL1(x, y, 1 / bestC, w);
            controlledSamples[r] = Controlled(fit.Coefficients, drawnDifficulty, withDifficulty);
        }

        var rawInterval = Bootstrap.FromSamples(rawSamples, options.ConfidenceLevel, options.BootstrapResamples, seed) with { Clusters = groups.Length };
        var controlledInterval = Bootstrap.FromSamples(controlledSamples, options.ConfidenceLevel, options.BootstrapResamples, seed) with { Clusters = groups.Length };
        return (rawInterval, controlledInterval);
    }

    /// <summary>
    /// Builds the report over every model in <paramref name="rows"/>: what <c>judge bias report</c> prints.
    /// </summary>
    public static LengthControlReport Report(string baseline, IReadOnlyList<LengthControlRow> rows, LengthControlOptions options, int skippedWithoutAnswer, int ties, bool tiesExcluded)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LengthControlReport(baseline, Compute(rows, options), options.Difficulty is not null, options.GamedBaseline.Count, skippedWithoutAnswer, ties, tiesExcluded);
    }

    private static double Controlled(IReadOnlyList<double> beta, IReadOnlyList<double> difficulty, bool withDifficulty)
    {
        double sum = 0;
        foreach (var d in difficulty)
        {
            sum += LogisticRegression.Sigmoid(withDifficulty ? (beta[1] * d) + beta[2] : beta[1]);
        }

        return sum / difficulty.Count;
    }

    private sealed class Design(double[][] x, double[] y, double[] w)
    {
        public double[][] X { get; } = x;

        public double[] Y { get; } = y;

        public double[] W { get; } = w;

        public int Count => Y.Length;

        public Design Where(Func<int, bool> keep)
        {
            var idx = Enumerable.Range(0, Count).Where(keep).ToArray();
            return new Design(idx.Select(i => X[i]).ToArray(), idx.Select(i => Y[i]).ToArray(), idx.Select(i => W[i]).ToArray());
        }
    }
}

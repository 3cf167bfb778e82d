using Judge.Data;

namespace Judge.Statistics.Bias;

/// <summary>How ties enter the length-controlled fit.</summary>
public enum TieHandling
{
    /// <summary>A tie (of either kind) is half a win: target 0.5. The default, as AlpacaEval and MT-Bench count ties.</summary>
    Half,

    /// <summary>Ties are left out of both the raw and the controlled win rate.</summary>
    Exclude,
}

/// <summary>Settings for <see cref="JointLengthControl.Compute"/>. Mutable; safe to share once set up.</summary>
internal sealed class JointLengthControlOptions
{
    /// <summary>The model every other model is compared with. Required.</summary>
    public required string Baseline { get; set; }

    /// <summary>How ties count. Default <see cref="TieHandling.Half"/>.</summary>
    public TieHandling Ties { get; set; } = TieHandling.Half;

    /// <summary>Whether to add Arena-Hard's style covariates (headers, list items, bold spans). Default <see langword="false"/>.</summary>
    public bool StyleControl { get; set; }

    /// <summary>
    /// L2 penalty on each instruction's difficulty effect (per question and turn). Default 1: a
    /// standard-normal prior on the log-odds shift, so an instruction seen against few models is
    /// shrunk towards the average instead of absorbing its outcomes.
    /// </summary>
    public double InstructionPenalty { get; set; } = 1;

    /// <summary>L2 penalty on each model's term and on the length and style coefficients. Default 1e-3: nearly unpenalised, but finite when a model wins or loses every battle.</summary>
    public double CoefficientPenalty { get; set; } = 1e-3;

    /// <summary>Bootstrap resamples of the battles (0: no intervals). Default 200: each resample refits the model.</summary>
    public int BootstrapResamples { get; set; } = 200;

    /// <summary>The intervals' confidence level. Default 0.95.</summary>
    public double ConfidenceLevel { get; set; } = Bootstrap.DefaultLevel;

    /// <summary>The bootstrap seed. Default 0.</summary>
    public int Seed { get; set; }
}

/// <summary>One model's raw and length-controlled win rate against the baseline.</summary>
/// <param name="Model">The model.</param>
/// <param name="Battles">Battles with the baseline that entered the fit (both answers present; ties only when counted).</param>
/// <param name="Ties">Of those, ties.</param>
/// <param name="RawWinRate">(wins + ties / 2) / battles, or wins / battles with ties excluded.</param>
/// <param name="RawInterval">Bootstrap interval of the raw rate.</param>
/// <param name="ControlledWinRate">The mean predicted win probability over the model's battles with the length (and style) terms set to zero.</param>
/// <param name="ControlledInterval">Bootstrap interval of the controlled rate.</param>
public sealed record ModelControlledRate(string Model, int Battles, int Ties, double RawWinRate, ConfidenceInterval? RawInterval, double ControlledWinRate, ConfidenceInterval? ControlledInterval);

/// <summary>The result of <see cref="JointLengthControl.Compute"/>.</summary>
/// <param name="Baseline">The baseline model.</param>
/// <param name="Models">One row per other model, in ordinal order.</param>
/// <param name="LengthCoefficient">The log-odds of winning per unit of tanh(length difference / its standard deviation); positive means longer answers win more.</param>
/// <param name="LengthScale">The standard deviation of the character-length difference that normalises it.</param>
/// <param name="StyleCoefficients">Headers, list items and bold spans coefficients when style control was on; otherwise empty.</param>
/// <param name="SkippedWithoutAnswer">Battles with the baseline left out because an answer text was missing.</param>
/// <param name="Converged">Whether the point fit converged.</param>
/// <param name="TiesExcluded">Whether ties were left out (otherwise each counted as half a win).</param>
public sealed record JointLengthControlResult(string Baseline, IReadOnlyList<ModelControlledRate> Models, double LengthCoefficient, double LengthScale, IReadOnlyDictionary<string, double> StyleCoefficients, int SkippedWithoutAnswer, bool Converged, bool TiesExcluded);

/// <summary>
/// The joint length- (and style-) controlled fit: <b>not</b> AlpacaEval 2's estimator (that is
/// <see cref="LengthControl"/>, one fit per model), and a model's rate here depends on which other
/// models are in the file, because the length slope and the instruction effects are shared. It is
/// kept for the style-controlled rates (<c>--style</c>) and as the panel fit behind
/// <see cref="InstructionDifficulty.Estimate"/>. Every battle of
/// a model m with the baseline b on instruction q (a question and turn) is oriented as m against b
/// and fitted jointly by <see cref="LogisticRegression"/>:
/// logit P(m beats b on q) = θₘ + δ_q + γ·tanh((len_m − len_b) / σ) [+ Σₖ ηₖ·styleₖ],
/// with σ the standard deviation of the length differences, δ_q a penalised instruction difficulty
/// and style the normalised differences of markdown counts (Arena-Hard). The controlled win rate of
/// m is the mean of σ(θₘ + δ_q) over m's battles, i.e. the prediction with the length and style
/// terms zeroed. Raw and controlled rates come with percentile bootstrap intervals over battles.
/// Pure and thread-safe.
/// </summary>
internal static class JointLengthControl
{
    /// <summary>The style covariate names, in coefficient order.</summary>
    public static IReadOnlyList<string> StyleNames { get; } = ["headers", "list_items", "bold"];

    /// <summary>Fits the model over <paramref name="battles"/> (other battles not involving the baseline are ignored).</summary>
    /// <exception cref="ArgumentException">No battle involves the baseline with both answers known.</exception>
    public static JointLengthControlResult Compute(IReadOnlyList<PairwiseLabel> battles, AnswerTexts answers, JointLengthControlOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rows = Rows(battles, answers, options, out var skipped);
        if (rows.Count == 0)
        {
            throw new ArgumentException($"no battle with the baseline '{options.Baseline}' has both answers", nameof(battles));
        }

        var models = rows.Select(r => r.Model).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var instructions = rows.Select(r => r.Instruction).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var design = new Design(models, instructions, options);
        var lengthScale = StandardDeviation(rows.Select(r => (double)r.LengthDifference));
        var all = Enumerable.Range(0, rows.Count).ToArray();
        var point = design.Fit(rows, all, lengthScale);

        var (rawSamples, controlledSamples) = Resample(design, rows, models.Length, lengthScale, options);

        var result = new ModelControlledRate[models.Length];
        for (var m = 0; m < models.Length; m++)
        {
            var mine = rows.Where(r => r.Model == models[m]).ToList();
            result[m] = new ModelControlledRate(
                models[m],
                mine.Count,
                mine.Count(r => r.Target == 0.5),
                point.Raw[m],
                Interval(rawSamples[m], options),
                point.Controlled[m],
                Interval(controlledSamples[m], options));
        }

        var style = new Dictionary<string, double>(StringComparer.Ordinal);
        if (options.StyleControl)
        {
            for (var k = 0; k < StyleNames.Count; k++)
            {
                style[StyleNames[k]] = point.Coefficients[models.Length + instructions.Length + 1 + k];
            }
        }

        return new JointLengthControlResult(options.Baseline, result, point.Coefficients[models.Length + instructions.Length], lengthScale, style, skipped, point.Converged, options.Ties == TieHandling.Exclude);
    }

    /// <summary>The battles with the baseline that have both answers, as fit rows (ties left out when excluded); <paramref name="skipped"/> counts those without both answers.</summary>
    private static List<Battle> Rows(IReadOnlyList<PairwiseLabel> battles, AnswerTexts answers, JointLengthControlOptions options, out int skipped)
    {
        var rows = new List<Battle>();
        skipped = 0;
        foreach (var b in battles)
        {
            bool baselineIsA = string.Equals(b.ModelA, options.Baseline, StringComparison.Ordinal);
            if (!baselineIsA && !string.Equals(b.ModelB, options.Baseline, StringComparison.Ordinal))
            {
                continue;
            }

            var model = baselineIsA ? b.ModelB : b.ModelA;
            var winner = baselineIsA ? b.Winner.Mirror() : b.Winner;
            if (winner.IsTie() && options.Ties == TieHandling.Exclude)
            {
                continue;
            }

            var mine = answers.Text(b.QuestionId, model, b.Turn);
            var theirs = answers.Text(b.QuestionId, options.Baseline, b.Turn);
            if (mine is null || theirs is null)
            {
                skipped++;
                continue;
            }

            var y = winner.CreditOfA();
            var sm = StyleCounts.Of(mine);
            var sb = StyleCounts.Of(theirs);
            rows.Add(new Battle(model, AnswerTexts.InstructionId(b.QuestionId, b.Turn), y, mine.Length - theirs.Length,
            [
                StyleCounts.NormalizedDifference(sm.Headers, sb.Headers),
                StyleCounts.NormalizedDifference(sm.ListItems, sb.ListItems),
                StyleCounts.NormalizedDifference(sm.BoldSpans, sb.BoldSpans),
            ]));
        }

        return rows;
    }

    /// <summary>The raw and controlled rates of each model over bootstrap resamples of the battles (none when no resamples are asked for), refitting each.</summary>
    private static (double[][] Raw, double[][] Controlled) Resample(Design design, List<Battle> rows, int models, double lengthScale, JointLengthControlOptions options)
    {
        var rawSamples = Enumerable.Range(0, models).Select(_ => new double[options.BootstrapResamples]).ToArray();
        var controlledSamples = Enumerable.Range(0, models).Select(_ => new double[options.BootstrapResamples]).ToArray();
        if (options.BootstrapResamples > 0)
        {
            var master = new Random(options.Seed);
            var seeds = Enumerable.Range(0, options.BootstrapResamples).Select(_ => master.Next()).ToArray();
            Parallel.For(0, options.BootstrapResamples, new ParallelOptions { MaxDegreeOfParallelism = 2 }, r =>
            {
                var random = new Random(seeds[r]);
                var draw = new int[rows.Count];
                for (var i = 0; i < draw.Length; i++)
                {
                    draw[i] = random.Next(rows.Count);
                }

                var fit = design.Fit(rows, draw, lengthScale);
                for (var m = 0; m < models; m++)
                {
                    rawSamples[m][r] = fit.Raw[m];
                    controlledSamples[m][r] = fit.Controlled[m];
                }
            });
        }

        return (rawSamples, controlledSamples);
    }

    private static ConfidenceInterval? Interval(double[] samples, JointLengthControlOptions options)
    {
        if (options.BootstrapResamples == 0)
        {
            return null;
        }

        var kept = samples.Where(s => !double.IsNaN(s)).ToArray();
        return Bootstrap.FromSamples(kept, options.ConfidenceLevel, options.BootstrapResamples, options.Seed);
    }

    internal static double StandardDeviation(IEnumerable<double> values)
    {
        var list = values.ToList();
        if (list.Count < 2)
        {
            return 0;
        }

        var mean = list.Average();
        return Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1));
    }

    private sealed record Battle(string Model, string Instruction, double Target, int LengthDifference, double[] Style);

    private sealed record Fitted(double[] Coefficients, double[] Raw, double[] Controlled, bool Converged);

    private sealed class Design(string[] models, string[] instructions, JointLengthControlOptions options)
    {
        private readonly Dictionary<string, int> _model = models.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i, StringComparer.Ordinal);
        private readonly Dictionary<string, int> _instruction = instructions.Select((q, i) => (q, i)).ToDictionary(x => x.q, x => x.i, StringComparer.Ordinal);

        private int Columns => models.Length + instructions.Length + 1 + (options.StyleControl ? StyleNames.Count : 0);

        public Fitted Fit(List<Battle> rows, int[] draw, double lengthScale)
        {
            var x = new double[draw.Length][];
            var y = new double[draw.Length];
            for (var i = 0; i < draw.Length; i++)
            {
                var row = rows[draw[i]];
                var v = new double[Columns];
                v[_model[row.Model]] = 1;
                v[models.Length + _instruction[row.Instruction]] = 1;
                v[models.Length + instructions.Length] = lengthScale > 0 ? Math.Tanh(row.LengthDifference / lengthScale) : 0;
                if (options.StyleControl)
                {
                    for (var k = 0; k < StyleNames.Count; k++)
                    {
                        v[models.Length + instructions.Length + 1 + k] = row.Style[k];
                    }
                }

                x[i] = v;
                y[i] = row.Target;
            }

            var penalties = new double[Columns];
            for (var j = 0; j < penalties.Length; j++)
            {
                penalties[j] = j >= models.Length && j < models.Length + instructions.Length ? options.InstructionPenalty : options.CoefficientPenalty;
            }

            var fit = LogisticRegression.Fit(x, y, penalties);
            var beta = fit.Coefficients;
            var rawSum = new double[models.Length];
            var controlledSum = new double[models.Length];
            var count = new int[models.Length];
            for (var i = 0; i < draw.Length; i++)
            {
                var row = rows[draw[i]];
                var m = _model[row.Model];
                count[m]++;
                rawSum[m] += row.Target;
                controlledSum[m] += LogisticRegression.Sigmoid(beta[m] + beta[models.Length + _instruction[row.Instruction]]);
            }

            var raw = new double[models.Length];
            var controlled = new double[models.Length];
            for (var m = 0; m < models.Length; m++)
            {
                raw[m] = count[m] == 0 ? double.NaN : rawSum[m] / count[m];
                controlled[m] = count[m] == 0 ? double.NaN : controlledSum[m] / count[m];
            }

            return new Fitted([.. beta], raw, controlled, fit.Converged);
        }
    }
}

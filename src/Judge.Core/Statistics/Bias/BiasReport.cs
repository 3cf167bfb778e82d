using System.Text.Json;
using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics.Bias;

/// <summary>Settings for <see cref="BiasReport.Compute"/>. Mutable; safe to share once set up.</summary>
public sealed class BiasReportOptions
{
    /// <summary>The baseline of the length-controlled win rates; <see langword="null"/> (the default) picks the model in the most battles (ordinal order breaks ties).</summary>
    public string? Baseline { get; set; }

    /// <summary>The turn to analyse, or <see langword="null"/> (the default) for all.</summary>
    public int? Turn { get; set; }

    /// <summary>
    /// A frozen per-instruction difficulty vector for the length-controlled rates (see
    /// <see cref="InstructionDifficulty"/>); <see langword="null"/> (the default) fits the minimal form.
    /// </summary>
    public IReadOnlyDictionary<string, double>? Difficulty { get; set; }

    /// <summary>
    /// Models that are gamed versions of the baseline's answers (verbose, concise): their battles with
    /// the baseline become AlpacaEval's gamed baseline rows in every model's length-controlled fit and
    /// are kept out of every other statistic. Empty by default.
    /// </summary>
    public IReadOnlyList<string> GamedBaselineModels { get; set; } = [];

    /// <summary>Whether to add the joint style-controlled fit (headers, lists, bold) beside the length-controlled one. Default <see langword="false"/>.</summary>
    public bool StyleControl { get; set; }

    /// <summary>How ties enter the controlled win rates. Default <see cref="TieHandling.Half"/>.</summary>
    public TieHandling Ties { get; set; } = TieHandling.Half;

    /// <summary>How the length-controlled fit's penalty is cross-validated. Default <see cref="LengthControlFolds.AlpacaEval"/>.</summary>
    public LengthControlFolds LengthControlFolds { get; set; } = LengthControlFolds.AlpacaEval;

    /// <summary>The judge's model family for self-preference; <see langword="null"/> (the default) skips it.</summary>
    public string? JudgeFamily { get; set; }

    /// <summary>Model-to-family overrides on top of <see cref="ModelFamilies.DefaultPrefixes"/>.</summary>
    public IReadOnlyDictionary<string, string>? FamilyOverrides { get; set; }

    /// <summary>Bootstrap resamples for intervals that refit a model (controlled win rates, Bradley-Terry, Elo). Default 200.</summary>
    public int ModelResamples { get; set; } = 200;

    /// <summary>Bootstrap resamples for the self-preference gap. Default 1,000.</summary>
    public int Resamples { get; set; } = Bootstrap.DefaultResamples;

    /// <summary>The intervals' confidence level. Default 0.95.</summary>
    public double ConfidenceLevel { get; set; } = Bootstrap.DefaultLevel;

    /// <summary>The bootstrap seed. Default 0.</summary>
    public int Seed { get; set; }
}

/// <summary>Absolute grades: MT-Bench mean scores and their length-adjusted version.</summary>
/// <param name="Means">Mean scores per model, turn and category.</param>
/// <param name="LengthAdjusted">Means adjusted to the overall mean length; <see langword="null"/> without answers.</param>
public sealed record ScoreSection(MeanScoreTable Means, LengthAdjustedResult? LengthAdjusted);

/// <summary>
/// The result of <c>judge bias report</c>: for one judge's verdicts, raw and length-controlled win
/// rates, position and length preferences, self-preference, ratings, the verbosity attack outcome,
/// and absolute-score tables. Sections that need inputs not given are <see langword="null"/> (or
/// empty). Immutable.
/// </summary>
/// <param name="Judge">The judge analysed.</param>
/// <param name="Turn">The turn analysed, or <see langword="null"/> for all.</param>
/// <param name="Verdicts">Pairwise verdicts analysed.</param>
/// <param name="ItemsWithoutVerdict">Pairwise items without a verdict (unknown for MT-Bench-format files: null).</param>
/// <param name="WinRates">Raw wins, losses and ties per model over every battle.</param>
/// <param name="LengthControlled">Raw and length-controlled win rates against the baseline, AlpacaEval 2's per-model estimator; <see langword="null"/> without answers.</param>
/// <param name="StyleControlled">The joint length- and style-controlled fit (<see cref="JointLengthControl"/>); <see langword="null"/> unless asked for.</param>
/// <param name="Position">Positions chosen by the calls; <see langword="null"/> without call records.</param>
/// <param name="Flip">How often the two orders disagreed.</param>
/// <param name="Longer">P(longer answer wins) over decisive verdicts; <see langword="null"/> without answers.</param>
/// <param name="SelfPreference">Self-preference against the reference labels; <see langword="null"/> without a judge family and reference.</param>
/// <param name="BradleyTerry">Bradley-Terry ratings (Elo scale) with bootstrap intervals.</param>
/// <param name="Elo">Online Elo ratings with bootstrap intervals (the rating is the median over the resamples).</param>
/// <param name="Graph">The comparison graph behind the ratings: its components and the self-battles left out.</param>
/// <param name="Verbosity">Verdicts on (model, model-padded) pairs; empty when there are none.</param>
/// <param name="Scores">Absolute grades; <see langword="null"/> when the file has none.</param>
public sealed record BiasReport(
    string Judge,
    int? Turn,
    int Verdicts,
    int? ItemsWithoutVerdict,
    IReadOnlyList<WinRate> WinRates,
    LengthControlReport? LengthControlled,
    JointLengthControlResult? StyleControlled,
    PositionCounts? Position,
    FlipCounts Flip,
    LongerCounts? Longer,
    SelfPreferenceResult? SelfPreference,
    IReadOnlyList<ModelRating> BradleyTerry,
    IReadOnlyList<ModelRating> Elo,
    ComparisonGraph Graph,
    IReadOnlyList<VerbosityCounts> Verbosity,
    ScoreSection? Scores)
{
    /// <summary>
    /// Builds the report. <paramref name="absolute"/> are the file's absolute records (may be empty);
    /// <paramref name="reference"/> the labels self-preference compares against (may be empty).
    /// </summary>
    public static BiasReport Compute(JudgeRun run, IReadOnlyList<AbsoluteVerdict> absolute, AnswerTexts? answers, IReadOnlyList<Question>? questions, IReadOnlyList<PairwiseLabel> reference, BiasReportOptions options)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        var scoped = run.ForTurn(options.Turn);
        var labels = scoped.Labels;
        var padded = labels.Where(IsVerbosityPair).ToList();

        // The verbosity pairs would distort the model comparisons: they are reported on their own.
        var battles = labels.Where(l => !IsVerbosityPair(l)).ToList();

        LengthControlReport? lc = null;
        JointLengthControlResult? sc = null;
        var gamedModels = options.GamedBaselineModels.ToHashSet(StringComparer.Ordinal);
        var baseline = options.Baseline ?? battles
            .Where(l => !gamedModels.Contains(l.ModelA) && !gamedModels.Contains(l.ModelB))
            .SelectMany(l => new[] { l.ModelA, l.ModelB })
            .GroupBy(m => m, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key)
            .FirstOrDefault();
        var gamedBattles = battles.Where(l => gamedModels.Contains(l.ModelA) || gamedModels.Contains(l.ModelB)).ToList();

        // The gamed answers would distort the model comparisons: they only pin the length slope.
        battles = battles.Where(l => !gamedModels.Contains(l.ModelA) && !gamedModels.Contains(l.ModelB)).ToList();
        if (answers is not null && baseline is not null && battles.Count > 0)
        {
            var rows = LengthControl.RowsFromVerdicts(battles, answers, baseline, options.Ties, out var skipped, out var ties);
            var gamed = LengthControl.RowsFromVerdicts(gamedBattles, answers, baseline, options.Ties, out _, out _)
                .Select(r => new GamedBaselineRow(r.Instruction, r.BaselineLength, r.ModelLength, r.Preference))
                .ToList();
            lc = LengthControl.Report(baseline, rows, new LengthControlOptions
            {
                Difficulty = options.Difficulty,
                GamedBaseline = gamed,
                CrossValidation = options.LengthControlFolds,
                BootstrapResamples = options.ModelResamples,
                ConfidenceLevel = options.ConfidenceLevel,
                Seed = options.Seed,
            }, skipped, ties, options.Ties == TieHandling.Exclude);
            sc = options.StyleControl ? JointLengthControl.Compute(battles, answers, new JointLengthControlOptions
            {
                Baseline = baseline,
                Ties = options.Ties,
                StyleControl = true,
                BootstrapResamples = options.ModelResamples,
                ConfidenceLevel = options.ConfidenceLevel,
                Seed = options.Seed,
            }) : null;
        }

        SelfPreferenceResult? self = null;
        if (options.JudgeFamily is { Length: > 0 } family && reference.Count > 0)
        {
            self = Statistics.Bias.SelfPreference.Compute(battles, reference, family, new ModelFamilies(options.FamilyOverrides), options.Turn, options.Resamples, options.Seed, options.ConfidenceLevel);
        }

        var flip = scoped.Items is { } items && items.Any(r => r.Flipped is not null) ? PositionBias.FromRecords(items) : PositionBias.FromLabels(labels);
        ScoreSection? scores = null;
        var grades = absolute.Where(a => options.Turn is not int t || a.Turn == t).ToList();
        if (grades.Count > 0)
        {
            var scored = grades.Where(j => j.Status == VerdictStatus.Parsed && j.Score is not null).Select(j => new ScoredAnswer(j.Model, j.QuestionId, j.Turn, j.Score!.Value));
            scores = new ScoreSection(MeanScores.Compute(grades, questions), answers is null ? null : LengthAdjustedScores.Compute(scored, answers));
        }

        return new BiasReport(
            scoped.Name,
            options.Turn,
            labels.Count,
            scoped.Items?.Count(r => r.Winner is null),
            Ratings.WinRates(battles),
            lc,
            sc,
            scoped.Calls is { Count: > 0 } calls ? PositionBias.FromCalls(calls) : null,
            flip,
            answers is null ? null : PositionBias.PrefersLonger(battles, answers),
            self,
            battles.Count == 0 ? [] : BradleyTerryWithIntervals(battles, options),
            battles.Count == 0 ? [] : Ratings.Elo(battles, new EloOptions { BootstrapResamples = options.ModelResamples, ConfidenceLevel = options.ConfidenceLevel, Seed = options.Seed }),
            Ratings.Graph(battles),
            VerbosityAnalysis.Analyze(padded),
            scores);
    }

    /// <summary>The report as indented snake_case JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, BiasJsonContext.Default.BiasReport);

    /// <summary>
    /// Bradley-Terry ratings with percentile intervals over <see cref="BiasReportOptions.ModelResamples"/> resampled
    /// battle lists (see <see cref="Ratings.BradleyTerry"/>; each resample is refitted from the point fit, in parallel,
    /// with results that depend only on the battles and <see cref="BiasReportOptions.Seed"/>, not on their order or the thread count).
    /// </summary>
    public static IReadOnlyList<ModelRating> BradleyTerryWithIntervals(IReadOnlyList<PairwiseLabel> battles, BiasReportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Ratings.BradleyTerryIntervals(battles, options.ModelResamples, options.ConfidenceLevel, options.Seed);
    }

    private static bool IsVerbosityPair(PairwiseLabel l) =>
        string.Equals(l.ModelA + VerbositySet.PaddedSuffix, l.ModelB, StringComparison.Ordinal)
        || string.Equals(l.ModelB + VerbositySet.PaddedSuffix, l.ModelA, StringComparison.Ordinal);
}

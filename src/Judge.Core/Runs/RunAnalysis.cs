using System.Globalization;
using Judge.Data;
using Judge.Judging;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>
/// The aggregates of a run's judgments file and its gates: the one place rates, means, missing
/// verdicts and gates are defined. Repeats are averaged per item before aggregating, so an item judged
/// three times weighs as much as one judged once; bootstrap intervals resample items.
/// <para>
/// The rule for items without a verdict (unparsed, out of range, dropped, error): they are left out of
/// every rate and mean — never a default score, never a win or a loss — and counted beside it by why.
/// A gate over an aggregate with nothing judged fails. Runs with several rubrics are aggregated and
/// gated per rubric, never across rubrics or scales.
/// </para>
/// </summary>
public sealed record RunAnalysis
{
    /// <summary>The rubric group of runs that let each item get its standard rubric (MT-Bench's choice, all on one scale).</summary>
    public const string StandardRubrics = "standard";

    /// <summary>Verdict records (items × repeats) per judge.</summary>
    public required IReadOnlyDictionary<string, int> Judgments { get; init; }

    /// <summary>Verdict records with status error per judge.</summary>
    public required IReadOnlyDictionary<string, int> Errors { get; init; }

    /// <summary>Verdict records per status, over all judges.</summary>
    public required IReadOnlyDictionary<VerdictStatus, int> ByStatus { get; init; }

    /// <summary>Absolute aggregates.</summary>
    public IReadOnlyList<ScoreAggregate> Scores { get; init; } = [];

    /// <summary>Pairwise aggregates: every ordered pair of models that met, and each model against all (opponent null).</summary>
    public IReadOnlyList<WinRateAggregate> WinRates { get; init; } = [];

    /// <summary>Pairwise: items judged in both orders, and of those the ones whose orders disagreed.</summary>
    public (int BothOrders, int Flipped) Flips { get; init; }

    /// <summary>Pairwise: the share of items judged in both orders whose orders disagreed; <see langword="null"/> when none was.</summary>
    public double? FlipRate => Flips.BothOrders == 0 ? null : (double)Flips.Flipped / Flips.BothOrders;

    /// <summary>Pairwise: verdicts per winner, over all judges.</summary>
    public IReadOnlyDictionary<PairOutcome, int> Winners { get; init; } = new Dictionary<PairOutcome, int>();

    /// <summary>Item stability across repeats; empty without repeats.</summary>
    public IReadOnlyList<ItemStability> Stability { get; init; } = [];

    /// <summary>Gates, in config order; a run that judged nothing has a failed <c>judged</c> gate.</summary>
    public IReadOnlyList<GateResult> Gates { get; init; } = [];

    /// <summary>For a cascade run: its guarantee, coverage, stages and cost; <see langword="null"/> otherwise.</summary>
    public CascadeSummary? Cascade { get; init; }

    /// <summary>What the calls cost, earlier invocations included.</summary>
    public CostTotals Cost { get; init; } = CostTotals.None;

    /// <summary>Whether no item at all was judged.</summary>
    public bool NothingJudged => Judgments.Values.Sum() == 0;

    /// <summary>The highest error rate of any judge.</summary>
    public double ErrorRate => Judgments.Count == 0 ? 0 : Judgments.Max(j => j.Value == 0 ? 0 : (double)Errors.GetValueOrDefault(j.Key) / j.Value);

    /// <summary>Whether the error rate exceeds <see cref="RunThresholds.MaxErrorRate"/>.</summary>
    public bool ErrorRateExceeded { get; init; }

    /// <summary>Whether every gate holds (false when nothing was judged).</summary>
    public bool GatesPassed => Gates.All(g => g.Passed);

    /// <summary>The run's outcome from this analysis: judge errors over the limit first, then the gates.</summary>
    public RunOutcome Outcome => ErrorRateExceeded ? RunOutcome.JudgeErrors : GatesPassed ? RunOutcome.Passed : RunOutcome.GatesFailed;

    /// <summary>
    /// The group a verdict is aggregated and gated in: its rubric when the run names rubrics, else
    /// <see cref="StandardRubrics"/> (the per-item standard choice, one scale).
    /// </summary>
    public static string RubricGroup(JudgmentRecord record, bool namedRubrics)
    {
        ArgumentNullException.ThrowIfNull(record);
        return namedRubrics ? record.Rubric : StandardRubrics;
    }

    /// <summary>Computes the analysis of <paramref name="records"/> under a config's mode, options and thresholds.</summary>
    public static RunAnalysis Compute(IReadOnlyList<JudgmentRecord> records, RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var analysis = Compute(records, config.Mode, config.Options, config.Thresholds, config.Rubrics.Count > 0);
        return config.Cascade is { } cascade ? WithCascade(analysis, CascadeSummary.Of(records, cascade, config.Judges), config.Thresholds) : analysis;
    }

    /// <summary>The analysis with a cascade's summary and its gates (<c>min_guaranteed_agreement</c>, <c>min_coverage</c>).</summary>
    public static RunAnalysis WithCascade(RunAnalysis analysis, CascadeSummary cascade, RunThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(cascade);
        ArgumentNullException.ThrowIfNull(thresholds);
        static string F(double? v) => v?.ToString("0.###", CultureInfo.InvariantCulture) ?? "n/a";
        var gates = analysis.Gates.Where(g => g.Name is not "min_guaranteed_agreement" and not "min_coverage").ToList();
        if (thresholds.MinGuaranteedAgreement is double g)
        {
            var value = cascade.GuaranteedAgreement;
            var passed = value >= g;
            gates.Add(new GateResult("min_guaranteed_agreement", null, null, null, value, g, passed, value is null
                ? "guaranteed agreement: the calibration certified no stage"
                : $"guaranteed agreement {F(value)} (with probability {F(1 - cascade.Delta)}) {(passed ? ">=" : "<")} {F(g)}"));
        }

        if (thresholds.MinCoverage is double c)
        {
            var passed = cascade.Items > 0 && cascade.Coverage >= c;
            gates.Add(new GateResult("min_coverage", null, null, null, cascade.Items == 0 ? null : cascade.Coverage, c, passed,
                $"coverage {F(cascade.Coverage)} ({cascade.Decided} of {cascade.Items} decided, {cascade.Abstained} abstained) {(passed ? ">=" : "<")} {F(c)}"));
        }

        return analysis with { Cascade = cascade, Gates = gates };
    }

    /// <summary>Computes the analysis of <paramref name="records"/>.</summary>
    /// <param name="records">A judgments file's records.</param>
    /// <param name="mode">Compare or grade.</param>
    /// <param name="options">Repeats, seed, stability threshold.</param>
    /// <param name="thresholds">Gates and intervals.</param>
    /// <param name="namedRubrics">Whether the run named its rubrics (aggregate per rubric) or let each item get its standard one.</param>
    public static RunAnalysis Compute(IReadOnlyList<JudgmentRecord> records, RunMode mode, RunOptions options, RunThresholds thresholds, bool namedRubrics)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(thresholds);
        var verdicts = records.Where(r => r is not JudgeCall).ToList();
        var judgments = verdicts.GroupBy(r => r.Judge, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var errors = verdicts.GroupBy(r => r.Judge, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(r => r.Status == VerdictStatus.Error), StringComparer.Ordinal);
        var byStatus = verdicts.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count());
        IReadOnlyList<ScoreAggregate> scores = [];
        IReadOnlyList<WinRateAggregate> winRates = [];
        IReadOnlyList<ItemStability> stability = [];
        (int Both, int Flipped) flips = (0, 0);
        var winners = new Dictionary<PairOutcome, int>();
        var bootstrap = (options.Seed, thresholds.Resamples, thresholds.Confidence);
        if (mode == RunMode.Grade)
        {
            var absolute = records.OfType<AbsoluteVerdict>().ToList();
            scores = ScoresOf(absolute, namedRubrics, thresholds.PassMark, bootstrap);
            stability = options.Repeats > 1 ? ScoreStability(absolute, options.UnstableVariance) : [];
        }
        else
        {
            var pairwise = records.OfType<PairwiseVerdict>().ToList();
            flips = (pairwise.Count(r => r.Flipped is not null), pairwise.Count(r => r.Flipped == true));
            foreach (var w in pairwise.Select(r => r.Winner).OfType<PairOutcome>())
            {
                winners[w] = winners.GetValueOrDefault(w) + 1;
            }

            winRates = WinRatesOf(pairwise, namedRubrics, bootstrap);
            stability = options.Repeats > 1 ? VerdictStability(pairwise) : [];
        }

        var analysis = new RunAnalysis
        {
            Judgments = judgments,
            Errors = errors,
            ByStatus = byStatus,
            Scores = scores,
            WinRates = winRates,
            Flips = flips,
            Winners = winners,
            Stability = stability,
            Cost = CostTotals.Of(records.OfType<JudgeCall>()),
        };
        return analysis with
        {
            Gates = Gate(analysis, thresholds),
            ErrorRateExceeded = analysis.ErrorRate > thresholds.MaxErrorRate,
        };
    }

    /// <summary>Absolute aggregates per judge, rubric group and model: the mean of per-item means, and the pass rate.</summary>
    private static List<ScoreAggregate> ScoresOf(List<AbsoluteVerdict> absolute, bool namedRubrics, double? passMark, (int Seed, int Resamples, double Level) bootstrap)
    {
        var (seed, resamples, level) = bootstrap;
        var scores = new List<ScoreAggregate>();
        foreach (var group in absolute.GroupBy(r => (r.Judge, Rubric: RubricGroup(r, namedRubrics), r.Model))
            .OrderBy(g => g.Key.Judge, StringComparer.Ordinal).ThenBy(g => g.Key.Rubric, StringComparer.Ordinal).ThenBy(g => g.Key.Model, StringComparer.Ordinal))
        {
            var items = MeanScores.PerItem(group);
            double? passRate = null;
            ConfidenceInterval? passCi = null;
            if (passMark is double mark && items.Means.Count > 0)
            {
                var credits = MeanScores.PerItem(group, score => score >= mark ? 1.0 : 0.0).Means;
                passRate = credits.Average();
                passCi = Bootstrap.Mean(credits, seed, resamples, level);
            }

            scores.Add(new ScoreAggregate(
                group.Key.Judge,
                group.Key.Rubric,
                group.Key.Model,
                items.Items,
                items.Means.Count,
                items.Missing,
                items.Mean,
                items.Means.Count > 0 ? Bootstrap.Mean(items.Means, seed, resamples, level) : null,
                passRate,
                passCi,
                group.Where(MeanScores.Counts).Select(r => r.Score!.Value).ToList()));
        }

        return scores;
    }

    /// <summary>Absolute repeats: each item's scores in repeat order, unstable when they vary more than <paramref name="unstableVariance"/> or some repeat has none.</summary>
    private static List<ItemStability> ScoreStability(List<AbsoluteVerdict> absolute, double unstableVariance)
    {
        var stability = new List<ItemStability>();
        foreach (var item in absolute.GroupBy(r => (r.Judge, r.Rubric, r.Item)).OrderBy(g => g.Key.Judge, StringComparer.Ordinal).ThenBy(g => g.Key.Item, StringComparer.Ordinal))
        {
            var ordered = item.OrderBy(r => r.Repeat ?? 0).ToList();
            var parsed = ordered.Where(MeanScores.Counts).Select(r => r.Score!.Value).ToList();
            double? variance = parsed.Count > 0 ? parsed.Average(s => Math.Pow(s - parsed.Average(), 2)) : null;
            var missing = ordered.Count != parsed.Count && parsed.Count > 0;
            stability.Add(new ItemStability(
                item.Key.Judge,
                item.Key.Item,
                ordered.Select(r => r.Score?.ToString("0.##", CultureInfo.InvariantCulture) ?? r.Status.ToWire()).ToList(),
                variance,
                null,
                variance > unstableVariance || missing));
        }

        return stability;
    }

    /// <summary>Pairwise aggregates per judge and rubric group: each model against all, and against each opponent it met.</summary>
    private static List<WinRateAggregate> WinRatesOf(List<PairwiseVerdict> pairwise, bool namedRubrics, (int Seed, int Resamples, double Level) bootstrap)
    {
        var (seed, resamples, level) = bootstrap;
        var winRates = new List<WinRateAggregate>();
        foreach (var group in pairwise.GroupBy(r => (r.Judge, Rubric: RubricGroup(r, namedRubrics)))
            .OrderBy(g => g.Key.Judge, StringComparer.Ordinal).ThenBy(g => g.Key.Rubric, StringComparer.Ordinal))
        {
            var models = group.SelectMany(r => new[] { r.ModelA, r.ModelB }).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            foreach (var model in models)
            {
                var overall = WinRateOf(group.Key.Judge, group.Key.Rubric, model, null, group.Where(r => r.ModelA != r.ModelB && (r.ModelA == model || r.ModelB == model)), seed, resamples, level);
                if (overall is not null)
                {
                    winRates.Add(overall);
                }

                foreach (var opponent in models.Where(m => m != model))
                {
                    var against = WinRateOf(group.Key.Judge, group.Key.Rubric, model, opponent, group.Where(r => (r.ModelA == model && r.ModelB == opponent) || (r.ModelA == opponent && r.ModelB == model)), seed, resamples, level);
                    if (against is not null)
                    {
                        winRates.Add(against);
                    }
                }
            }
        }

        return winRates;
    }

    /// <summary>Pairwise repeats: each item's verdicts in repeat order, and the share of repeat pairs that differ.</summary>
    private static List<ItemStability> VerdictStability(List<PairwiseVerdict> pairwise)
    {
        var stability = new List<ItemStability>();
        foreach (var item in pairwise.GroupBy(r => (r.Judge, r.Rubric, r.Item)).OrderBy(g => g.Key.Judge, StringComparer.Ordinal).ThenBy(g => g.Key.Item, StringComparer.Ordinal))
        {
            var labels = item.OrderBy(r => r.Repeat ?? 0).Select(r => r.Winner?.ToWire() ?? r.Status.ToWire()).ToList();
            var pairs = 0;
            var differ = 0;
            for (var i = 0; i < labels.Count; i++)
            {
                for (var j = i + 1; j < labels.Count; j++)
                {
                    pairs++;
                    differ += labels[i] == labels[j] ? 0 : 1;
                }
            }

            double? disagreement = pairs == 0 ? null : (double)differ / pairs;
            stability.Add(new ItemStability(item.Key.Judge, item.Key.Item, labels, null, disagreement, disagreement > 0));
        }

        return stability;
    }

    /// <summary>Why an item has no verdict in any repeat: the status of its first repeat.</summary>
    private static WinRateAggregate? WinRateOf(string judge, string rubric, string model, string? opponent, IEnumerable<PairwiseVerdict> records, int seed, int resamples, double level)
    {
        var perItem = records.GroupBy(r => r.Item, StringComparer.Ordinal).ToList();
        if (perItem.Count == 0)
        {
            return null;
        }

        double wins = 0, losses = 0, ties = 0;
        var credits = new List<double>();
        var without = new List<VerdictStatus>();
        foreach (var item in perItem)
        {
            var outcomes = item.Select(r => (Record: r, r.Winner)).Where(o => o.Winner is not null).ToList();
            if (outcomes.Count == 0)
            {
                without.Add(MissingVerdicts.Reason(item));
                continue;
            }

            double w = 0, l = 0, t = 0;
            foreach (var (r, winner) in outcomes)
            {
                switch (winner)
                {
                    case PairOutcome.A when r.ModelA == model:
                    case PairOutcome.B when r.ModelB == model:
                        w++;
                        break;
                    case PairOutcome.Tie or PairOutcome.InconsistentTie:
                        t++;
                        break;
                    default:
                        l++;
                        break;
                }
            }

            wins += w / outcomes.Count;
            losses += l / outcomes.Count;
            ties += t / outcomes.Count;
            credits.Add(WinRate.TiesHalf(w, t, outcomes.Count)!.Value);
        }

        return new WinRateAggregate(judge, rubric, model, opponent, perItem.Count, credits.Count, wins, losses, ties, MissingVerdicts.Count(without),
            WinRate.TiesHalf(wins, ties, credits.Count), credits.Count > 0 ? Bootstrap.Mean(credits, seed, resamples, level) : null);
    }

    private static List<GateResult> Gate(RunAnalysis a, RunThresholds t)
    {
        var gates = new List<GateResult>();
        if (a.NothingJudged)
        {
            gates.Add(new GateResult("judged", null, null, null, 0, 1, false, "no item was judged, so nothing can pass"));
        }

        var lower = t.GateOn == GateOn.LowerBound;
        var how = lower ? $"lower bound of the {t.Confidence.ToString("0 %", CultureInfo.InvariantCulture)} bootstrap interval" : "point estimate";
        bool Gated(string model) => t.Models.Count == 0 ? model != t.Baseline : t.Models.Contains(model, StringComparer.Ordinal);
        void Add(string name, string judge, string rubric, string model, double? point, ConfidenceInterval? ci, double threshold, string what, int measured, MissingVerdicts missing, bool share)
        {
            // Value and threshold in the gate's unit, as every report writes them: a rate as a percentage.
            string F(double? v) => share ? NumberText.Percent(v, 1) : NumberText.Value(v);
            var value = lower ? ci?.Lower : point;
            var passed = value is double v && v >= threshold;
            var detail = value is null
                ? $"{what} of {model} [{rubric}]: nothing to measure ({measured} items with a verdict, without verdict {missing})"
                : $"{what} of {model} [{rubric}] ({how}) {F(value)} {(passed ? ">=" : "<")} {F(threshold)} over {measured} items; without verdict {missing}";
            gates.Add(new GateResult(name, judge, rubric, model, value, threshold, passed, detail) { IsShare = share });
        }

        void Nothing(string name, double threshold, bool share)
        {
            if (!gates.Any(g => g.Name == name))
            {
                gates.Add(new GateResult(name, null, null, null, null, threshold, false, $"{name}: nothing was judged for the models it gates") { IsShare = share });
            }
        }

        foreach (var s in a.Scores.Where(s => Gated(s.Model)))
        {
            if (t.MinMeanScore is double minMean)
            {
                Add("min_mean_score", s.Judge, s.Rubric, s.Model, s.Mean, s.MeanCi, minMean, "mean score", s.Scored, s.Missing, share: false);
            }

            if (t.MinPassRate is double minPass)
            {
                Add("min_pass_rate", s.Judge, s.Rubric, s.Model, s.PassRate, s.PassCi, minPass, $"pass rate (score >= {NumberText.Value(t.PassMark)})", s.Scored, s.Missing, share: true);
            }
        }

        if (t.MinMeanScore is double mm)
        {
            Nothing("min_mean_score", mm, share: false);
        }

        if (t.MinPassRate is double mp)
        {
            Nothing("min_pass_rate", mp, share: true);
        }

        if (t.MinWinRate is double minWin && t.Baseline is { } baseline)
        {
            foreach (var group in a.WinRates.GroupBy(w => (w.Judge, w.Rubric)))
            {
                var models = group.Where(w => w.Opponent is null).Select(w => w.Model).Where(Gated).ToList();
                if (!group.Any(w => w.Opponent == baseline))
                {
                    gates.Add(new GateResult("min_win_rate", group.Key.Judge, group.Key.Rubric, baseline, null, minWin, false, $"no pair against the baseline {baseline} was judged [{group.Key.Rubric}]") { IsShare = true });
                }

                foreach (var model in models)
                {
                    var w = group.FirstOrDefault(w => w.Model == model && w.Opponent == baseline);
                    Add("min_win_rate", group.Key.Judge, group.Key.Rubric, model, w?.Rate, w?.Ci, minWin, $"win rate against {baseline}", w?.WithVerdict ?? 0, w?.Missing ?? MissingVerdicts.None, share: true);
                }
            }

            Nothing("min_win_rate", minWin, share: true);
        }

        return gates;
    }
}

using System.Globalization;
using Judge.Data;
using Judge.Results;
using Judge.Statistics;

namespace Judge.Runs;

/// <summary>One model's absolute grades under one judge, repeats averaged per item.</summary>
/// <param name="Judge">The judge spec.</param>
/// <param name="Model">The model.</param>
/// <param name="Items">Answers graded (each once, however many repeats).</param>
/// <param name="Scored">Answers with at least one parsed score.</param>
/// <param name="WithoutVerdict">Answers with no parsed score in any repeat (unparsed, out of range or error).</param>
/// <param name="Mean">Mean of the per-answer mean scores; null when nothing was scored.</param>
/// <param name="MeanCi">Bootstrap interval of <paramref name="Mean"/> over answers.</param>
/// <param name="PassRate">Share of answers' repeats scoring at least the pass mark; answers without a verdict count as failures.</param>
/// <param name="PassCi">Bootstrap interval of <paramref name="PassRate"/>.</param>
/// <param name="Scores">Every parsed score, for distributions.</param>
public sealed record ScoreAggregate(string Judge, string Model, int Items, int Scored, int WithoutVerdict, double? Mean, ConfidenceInterval? MeanCi, double? PassRate, ConfidenceInterval? PassCi, IReadOnlyList<double> Scores);

/// <summary>One model's record against one opponent under one judge.</summary>
/// <param name="Judge">The judge spec.</param>
/// <param name="Model">The model.</param>
/// <param name="Opponent">The opponent.</param>
/// <param name="Items">Pairs judged (each once, however many repeats).</param>
/// <param name="WithVerdict">Pairs with a verdict in every repeat.</param>
/// <param name="Rate">Wins plus half the ties over all pairs; a pair without a verdict counts as no win. Null without pairs.</param>
/// <param name="Ci">Bootstrap interval of <paramref name="Rate"/> over pairs.</param>
public sealed record WinRateAggregate(string Judge, string Model, string Opponent, int Items, int WithVerdict, double? Rate, ConfidenceInterval? Ci);

/// <summary>One gate's outcome.</summary>
/// <param name="Name">e.g. <c>min_mean_score</c>.</param>
/// <param name="Judge">The judge spec.</param>
/// <param name="Model">The model gated; null for run-wide gates.</param>
/// <param name="Value">The value compared: the point estimate, or the interval's lower bound; null when there was nothing to measure (fails).</param>
/// <param name="Threshold">The threshold.</param>
/// <param name="Passed">Whether the gate holds.</param>
/// <param name="Detail">A sentence saying what was compared.</param>
public sealed record GateResult(string Name, string Judge, string? Model, double? Value, double Threshold, bool Passed, string Detail);

/// <summary>How stable one item's verdicts were across repeats.</summary>
/// <param name="Judge">The judge spec.</param>
/// <param name="Item">The item key.</param>
/// <param name="Verdicts">Each repeat's verdict (score, winner, or status without a verdict), in repeat order.</param>
/// <param name="Variance">Absolute: population variance of the parsed scores.</param>
/// <param name="Disagreement">Pairwise: the share of repeat pairs whose verdicts differ.</param>
/// <param name="Unstable">Whether the item is flagged.</param>
public sealed record ItemStability(string Judge, string Item, IReadOnlyList<string> Verdicts, double? Variance, double? Disagreement, bool Unstable);

/// <summary>
/// The aggregates of a run's judgments file and its gates. Repeats are averaged per item before
/// aggregating, so an item judged three times weighs as much as one judged once; bootstrap
/// intervals resample items. Unparsed, out-of-range and failed judgments never count as passes or
/// wins; they are left out of mean scores (never a default score) and counted.
/// </summary>
public sealed record RunAnalysis
{
    /// <summary>Verdict records (items × repeats) per judge.</summary>
    public required IReadOnlyDictionary<string, int> Judgments { get; init; }

    /// <summary>Verdict records with status error per judge.</summary>
    public required IReadOnlyDictionary<string, int> Errors { get; init; }

    /// <summary>Verdict records per status, over all judges.</summary>
    public required IReadOnlyDictionary<string, int> ByStatus { get; init; }

    /// <summary>Absolute aggregates.</summary>
    public IReadOnlyList<ScoreAggregate> Scores { get; init; } = [];

    /// <summary>Pairwise aggregates, every ordered pair of models that met.</summary>
    public IReadOnlyList<WinRateAggregate> WinRates { get; init; } = [];

    /// <summary>Pairwise: items judged in both orders, and of those the ones whose orders disagreed.</summary>
    public (int BothOrders, int Flipped) Flips { get; init; }

    /// <summary>Item stability across repeats; empty without repeats.</summary>
    public IReadOnlyList<ItemStability> Stability { get; init; } = [];

    /// <summary>Gates, in config order.</summary>
    public IReadOnlyList<GateResult> Gates { get; init; } = [];

    /// <summary>The highest error rate of any judge.</summary>
    public double ErrorRate => Judgments.Count == 0 ? 0 : Judgments.Max(j => j.Value == 0 ? 0 : (double)Errors.GetValueOrDefault(j.Key) / j.Value);

    /// <summary>Whether the error rate exceeds <see cref="RunThresholds.MaxErrorRate"/>.</summary>
    public bool ErrorRateExceeded { get; init; }

    /// <summary>Whether every quality gate holds.</summary>
    public bool GatesPassed => Gates.All(g => g.Passed);

    /// <summary>Computes the analysis of <paramref name="records"/> under a config's options and thresholds.</summary>
    public static RunAnalysis Compute(IReadOnlyList<JudgmentRecord> records, RunMode mode, RunOptions options, RunThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(thresholds);
        var verdicts = records.Where(r => r is not CallRecord).ToList();
        var judgments = verdicts.GroupBy(r => r.Judge, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var errors = verdicts.GroupBy(r => r.Judge, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(r => StatusOf(r) == "error"), StringComparer.Ordinal);
        var byStatus = verdicts.GroupBy(StatusOf, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var level = thresholds.Confidence;
        var seed = options.Seed;
        var resamples = thresholds.Resamples;

        var scores = new List<ScoreAggregate>();
        var winRates = new List<WinRateAggregate>();
        var stability = new List<ItemStability>();
        (int Both, int Flipped) flips = (0, 0);

        if (mode == RunMode.Grade)
        {
            var absolute = records.OfType<AbsoluteRecord>().ToList();
            foreach (var byModel in absolute.GroupBy(r => (r.Judge, r.Model)).OrderBy(g => g.Key.Judge, StringComparer.Ordinal).ThenBy(g => g.Key.Model, StringComparer.Ordinal))
            {
                var perItem = byModel.GroupBy(r => r.Item, StringComparer.Ordinal).ToList();
                var means = perItem.Select(i => i.Where(r => r.Score is not null).Select(r => r.Score!.Value).ToList()).Where(s => s.Count > 0).Select(s => s.Average()).ToList();
                double? passRate = null;
                ConfidenceInterval? passCi = null;
                if (thresholds.PassMark is double mark)
                {
                    var credits = perItem.Select(i => i.Average(r => r.Score is double s && s >= mark ? 1.0 : 0.0)).ToList();
                    passRate = credits.Average();
                    passCi = credits.Count > 0 ? Bootstrap.Mean(credits, seed, resamples, level) : null;
                }

                scores.Add(new ScoreAggregate(
                    byModel.Key.Judge,
                    byModel.Key.Model,
                    perItem.Count,
                    means.Count,
                    perItem.Count - means.Count,
                    means.Count > 0 ? means.Average() : null,
                    means.Count > 0 ? Bootstrap.Mean(means, seed, resamples, level) : null,
                    passRate,
                    passCi,
                    byModel.Where(r => r.Score is not null).Select(r => r.Score!.Value).ToList()));
            }

            if (options.Repeats > 1)
            {
                foreach (var item in absolute.GroupBy(r => (r.Judge, r.Item)).OrderBy(g => g.Key.Judge, StringComparer.Ordinal).ThenBy(g => g.Key.Item, StringComparer.Ordinal))
                {
                    var ordered = item.OrderBy(r => r.Repeat ?? 0).ToList();
                    var parsed = ordered.Where(r => r.Score is not null).Select(r => r.Score!.Value).ToList();
                    double? variance = parsed.Count > 0 ? parsed.Average(s => Math.Pow(s - parsed.Average(), 2)) : null;
                    var missing = ordered.Count != parsed.Count && parsed.Count > 0;
                    stability.Add(new ItemStability(
                        item.Key.Judge,
                        item.Key.Item,
                        ordered.Select(r => r.Score?.ToString("0.##", CultureInfo.InvariantCulture) ?? r.Status).ToList(),
                        variance,
                        null,
                        variance > options.UnstableVariance || missing));
                }
            }
        }
        else
        {
            var pairwise = records.OfType<PairwiseRecord>().ToList();
            flips = (pairwise.Count(r => r.Flipped is not null), pairwise.Count(r => r.Flipped == true));
            foreach (var judge in pairwise.GroupBy(r => r.Judge, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var models = judge.SelectMany(r => new[] { r.ModelA, r.ModelB }).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                foreach (var model in models)
                {
                    foreach (var opponent in models.Where(m => m != model))
                    {
                        var perItem = judge.Where(r => (r.ModelA == model && r.ModelB == opponent) || (r.ModelA == opponent && r.ModelB == model))
                            .GroupBy(r => r.Item, StringComparer.Ordinal).ToList();
                        if (perItem.Count == 0)
                        {
                            continue;
                        }

                        var credits = perItem.Select(i => i.Average(r => Credit(r, model))).ToList();
                        var withVerdict = perItem.Count(i => i.All(r => r.Winner is not null));
                        winRates.Add(new WinRateAggregate(judge.Key, model, opponent, perItem.Count, withVerdict, credits.Average(), Bootstrap.Mean(credits, seed, resamples, level)));
                    }
                }
            }

            if (options.Repeats > 1)
            {
                foreach (var item in pairwise.GroupBy(r => (r.Judge, r.Item)).OrderBy(g => g.Key.Judge, StringComparer.Ordinal).ThenBy(g => g.Key.Item, StringComparer.Ordinal))
                {
                    var labels = item.OrderBy(r => r.Repeat ?? 0).Select(r => r.Winner ?? r.Status).ToList();
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
            }
        }

        var analysis = new RunAnalysis
        {
            Judgments = judgments,
            Errors = errors,
            ByStatus = byStatus,
            Scores = scores,
            WinRates = winRates,
            Flips = flips,
            Stability = stability,
        };
        return analysis with
        {
            Gates = Gate(analysis, thresholds, judgments.Keys.Order(StringComparer.Ordinal).ToList()),
            ErrorRateExceeded = analysis.ErrorRate > thresholds.MaxErrorRate,
        };
    }

    private static string StatusOf(JudgmentRecord r) => r switch
    {
        PairwiseRecord p => p.Status,
        AbsoluteRecord a => a.Status,
        _ => "call",
    };

    private static double Credit(PairwiseRecord r, string model)
    {
        var winner = PairwiseWinners.TryParse(r.Winner);
        return winner switch
        {
            PairwiseWinner.ModelA => r.ModelA == model ? 1 : 0,
            PairwiseWinner.ModelB => r.ModelB == model ? 1 : 0,
            PairwiseWinner.Tie or PairwiseWinner.InconsistentTie => 0.5,
            _ => 0,
        };
    }

    private static List<GateResult> Gate(RunAnalysis a, RunThresholds t, IReadOnlyList<string> judges)
    {
        var gates = new List<GateResult>();
        var lower = t.GateOn == GateOn.LowerBound;
        var how = lower ? $"lower bound of the {t.Confidence.ToString("P0", CultureInfo.InvariantCulture)} bootstrap interval" : "point estimate";
        bool Gated(string model) => t.Models.Count == 0 ? model != t.Baseline : t.Models.Contains(model, StringComparer.Ordinal);
        static string F(double? v) => v?.ToString("0.###", CultureInfo.InvariantCulture) ?? "n/a";

        void Add(string name, string judge, string model, double? point, ConfidenceInterval? ci, double threshold, string what)
        {
            var value = lower ? ci?.Lower : point;
            var passed = value is double v && v >= threshold;
            gates.Add(new GateResult(name, judge, model, value, threshold, passed, $"{what} of {model} ({how}) {F(value)} {(passed ? ">=" : "<")} {F(threshold)}"));
        }

        foreach (var judge in judges)
        {
            foreach (var s in a.Scores.Where(s => s.Judge == judge && Gated(s.Model)))
            {
                if (t.MinMeanScore is double minMean)
                {
                    Add("min_mean_score", judge, s.Model, s.Mean, s.MeanCi, minMean, "mean score");
                }

                if (t.MinPassRate is double minPass)
                {
                    Add("min_pass_rate", judge, s.Model, s.PassRate, s.PassCi, minPass, $"pass rate (score >= {F(t.PassMark)})");
                }
            }

            if (t.MinWinRate is double minWin && t.Baseline is { } baseline)
            {
                var models = a.WinRates.Where(w => w.Judge == judge).Select(w => w.Model).Distinct(StringComparer.Ordinal).Where(Gated).ToList();
                if (models.Count == 0 || !a.WinRates.Any(w => w.Judge == judge && w.Opponent == baseline))
                {
                    gates.Add(new GateResult("min_win_rate", judge, baseline, null, minWin, false, $"no pair against the baseline {baseline} was judged"));
                }

                foreach (var model in models)
                {
                    var w = a.WinRates.FirstOrDefault(w => w.Judge == judge && w.Model == model && w.Opponent == baseline);
                    Add("min_win_rate", judge, model, w?.Rate, w?.Ci, minWin, $"win rate against {baseline}");
                }
            }
        }

        return gates;
    }
}

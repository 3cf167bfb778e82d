using Judge.Judging;
using Judge.Runs;
using Judge.Statistics;

namespace Judge.Reports;

/// <summary>Phrases every report of a run shares (its numbers through <see cref="Numbers"/>).</summary>
public static class ReportText
{
    /// <summary>
    /// The cautions every rendering of a run shows before its figures (console summary, <c>summary.md</c>,
    /// <c>report.html</c>): a judge whose verdicts are made up (<c>mock:</c>), and intervals drawn from too few
    /// independent units, each named. Empty when there is nothing to say.
    /// </summary>
    public static IReadOnlyList<string> Cautions(RunResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var cautions = r.Config.Judges.SelectMany(j => j.Singles).Where(j => j.MakesUpVerdicts)
            .Select(j => $"{j.Text} makes its verdicts up (a mock judge, for testing pipelines): every figure and gate below is meaningless")
            .ToList();
        var a = r.Analysis;
        IEnumerable<(string What, ConfidenceInterval? Ci)> intervals =
        [
            .. a.Scores.SelectMany(s => new[] { ($"mean score of {s.Model}", s.MeanCi), ($"pass rate of {s.Model}", s.PassCi) }),
            .. a.WinRates.Select(w => ($"win rate of {w.Model}{(w.Opponent is null ? string.Empty : $" against {w.Opponent}")}", w.Ci)),
        ];
        foreach (var group in intervals.Where(i => i.Ci?.Warning is not null).GroupBy(i => i.Ci!.Warning!, StringComparer.Ordinal))
        {
            var named = group.Select(i => i.What).ToList();
            cautions.Add(named.Count == 1
                ? $"the interval of the {named[0]}: {group.Key}"
                : $"{named.Count} intervals ({string.Join(", ", named.Take(2))}{(named.Count > 2 ? ", …" : string.Empty)}): {group.Key}");
        }

        return cautions;
    }

    /// <summary>
    /// A cascade run's lines, the same in the console, <c>summary.md</c> and <c>report.html</c>: the guarantee, the coverage,
    /// the share each stage decided, the cost per 1,000 judgments against the strongest judge alone, and the realised
    /// agreement where labels exist. Empty for a run without a cascade.
    /// </summary>
    public static IReadOnlyList<string> Cascade(RunResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.Analysis.Cascade is not { } c)
        {
            return [];
        }

        var lines = new List<string>
        {
            c.GuaranteedAgreement is double g
                ? $"guarantee: agreement with humans at least {Numbers.Percent(g)} on decided items, with probability {Numbers.Percent(1 - c.Delta)} (calibration {c.Calibration})"
                : $"guarantee: none, the calibration certified no stage ({c.Calibration})",
            $"coverage: {Numbers.Percent(c.Coverage)} ({Numbers.Count(c.Decided)} of {Numbers.Count(c.Items)} decided; {Numbers.Count(c.Abstained)} abstained{(c.Unguaranteed > 0 ? $", {Numbers.Count(c.Unguaranteed)} kept unguaranteed" : string.Empty)})",
        };
        for (var i = 0; i < c.Stages.Count; i++)
        {
            var s = c.Stages[i];
            var threshold = s.Threshold is double t ? $"threshold {t.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}" : "never decides";
            lines.Add($"stage {i + 1} {s.Judge} ({threshold}): reached {Numbers.Count(s.Reached)}, decided {Numbers.Count(s.Decided)} ({Numbers.Percent(s.Share)} of items){(s.CostUsd is decimal cost ? $", {Numbers.Dollars(cost)}" : string.Empty)}");
        }

        if (c.CostPer1000 is decimal per)
        {
            var strongest = c.StrongestAlonePer1000 is decimal s ? $" against {Numbers.Dollars(s)} for the strongest judge alone (estimated from the items it judged)" : string.Empty;
            lines.Add($"cost per 1,000 judgments: {Numbers.Dollars(per)}{strongest}{(c.CostsMoreThanStrongest ? "; the cascade costs MORE than the strongest judge alone" : string.Empty)}");
        }

        if (c.RealisedAgreement is { Total: > 0 } realised)
        {
            lines.Add($"realised agreement on decided items: {Numbers.Percent(realised.Rate)} ({Numbers.Count(realised.Agree)} of {Numbers.Count(realised.Total)} with a human label)");
        }

        return lines;
    }

    /// <summary>
    /// The rubrics the run's verdicts were recorded under, as their records name them (a replayed judge's are
    /// <c>recorded:LABEL</c>), in order of first appearance; the planned ones when nothing was judged.
    /// </summary>
    public static IReadOnlyList<string> RubricsJudged(RunResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var recorded = r.Records.OfType<Verdicts.ItemVerdict>().Select(v => v.Rubric).Distinct(StringComparer.Ordinal).ToList();
        return recorded.Count > 0 ? recorded : r.Manifest.RubricKeys;
    }

    /// <summary>The cost line: <c>cost: $0.0123 for 40 calls</c> (with the unpriced ones counted), or why there is none.</summary>
    public static string Cost(CostTotals cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        if (cost.PricedCalls == 0)
        {
            return cost.Calls == 0 ? "cost: no judge calls" : "cost: unknown, no call was priced (a local or replayed judge, or no price for the model)";
        }

        var unpriced = cost.Calls - cost.PricedCalls;
        return $"cost: {Numbers.Dollars(cost.Usd)} for {Numbers.Count(cost.Calls)} calls{(unpriced > 0 ? $" ({Numbers.Count(unpriced)} unpriced)" : string.Empty)}";
    }

    /// <summary>An estimated cost: <c>$0.0123</c>, <c>$0</c> (no calls), <c>$0 (replay)</c>, <c>$0 (local)</c>, or <c>unknown: no price for 'MODEL'</c>.</summary>
    public static string Cost(CostEstimate cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        return cost.Basis switch
        {
            CostBasis.Priced => Numbers.Dollars(cost.Usd),
            CostBasis.NoCalls => "$0",
            CostBasis.Replay => "$0 (replay)",
            CostBasis.Local => "$0 (local)",
            _ => $"unknown: no price for '{cost.Model}'",
        };
    }

    /// <summary>The same calls through the provider's batch API: <c>$0.0062</c>, or <c>-</c> for a model without one (or without a price).</summary>
    public static string BatchCost(CostEstimate cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        return cost.BatchUsd is decimal usd ? Numbers.Dollars(usd) : "-";
    }

    /// <summary>A judge spec as a short label: the scheme and the target's file name (<c>replay:recorded_judgments.jsonl</c>), no options.</summary>
    public static string JudgeLabel(string judge)
    {
        ArgumentNullException.ThrowIfNull(judge);
        var colon = judge.IndexOf(':', StringComparison.Ordinal);
        var query = judge.IndexOf('?', StringComparison.Ordinal);
        var target = colon < 0 ? judge : judge[(colon + 1)..(query > colon ? query : judge.Length)];
        var name = target.Contains('/', StringComparison.Ordinal) || target.Contains('\\', StringComparison.Ordinal) ? Path.GetFileName(target) : target;
        return colon < 0 ? name : $"{judge[..colon]}:{name}";
    }
}

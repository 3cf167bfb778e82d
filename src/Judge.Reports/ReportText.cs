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
        var cautions = r.Config.Judges.Where(j => j.MakesUpVerdicts)
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

using Judge.Judging;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>One stage of a cascade run: how many items reached it, how many it decided, and what its calls cost.</summary>
/// <param name="Judge">The stage's judge spec.</param>
/// <param name="Threshold">Its calibrated threshold; <see langword="null"/> when it never decides.</param>
/// <param name="Reached">Items it judged.</param>
/// <param name="Decided">Items it decided.</param>
/// <param name="Share">Decided items over all the cascade's items.</param>
/// <param name="CostUsd">What its calls cost, where priced; <see langword="null"/> when none was.</param>
public sealed record CascadeStageSummary(string Judge, double? Threshold, int Reached, int Decided, double Share, decimal? CostUsd);

/// <summary>
/// What a cascade run did: the guarantee its calibration gives, the coverage, the share each stage decided, the cost per
/// 1,000 judgments against the strongest (last) judge alone, and the realised agreement where human labels exist. Every
/// call is priced, including the extra calls a confidence needs (both orders, repeats, panel members), so a cascade that
/// costs more per item than the strong judge alone says so (<see cref="CostsMoreThanStrongest"/>).
/// </summary>
public sealed record CascadeSummary
{
    /// <summary>The calibration file.</summary>
    public required string Calibration { get; init; }

    /// <summary>The agreement guaranteed on decided items (the calibration's target); <see langword="null"/> when no stage is certified.</summary>
    public double? GuaranteedAgreement { get; init; }

    /// <summary>The risk that the guarantee fails.</summary>
    public required double Delta { get; init; }

    /// <summary>The cascade's items (every repeat).</summary>
    public required int Items { get; init; }

    /// <summary>Items some stage decided.</summary>
    public required int Decided { get; init; }

    /// <summary>Items no stage decided that kept the last verdict, marked unguaranteed (<c>on_abstain: last</c>).</summary>
    public required int Unguaranteed { get; init; }

    /// <summary>Items abstained.</summary>
    public required int Abstained { get; init; }

    /// <summary>Decided over items.</summary>
    public double Coverage => Items == 0 ? 0 : (double)Decided / Items;

    /// <summary>Each stage, in order.</summary>
    public required IReadOnlyList<CascadeStageSummary> Stages { get; init; }

    /// <summary>The cascade's cost per 1,000 items, where any call was priced.</summary>
    public decimal? CostPer1000 { get; init; }

    /// <summary>
    /// The strongest (last) judge alone per 1,000 items, estimated from what its calls cost on the items that reached it;
    /// <see langword="null"/> when no item reached it or none of its calls was priced.
    /// </summary>
    public decimal? StrongestAlonePer1000 { get; init; }

    /// <summary>Whether the cascade cost more per item than the strongest judge alone is estimated to.</summary>
    public bool CostsMoreThanStrongest => CostPer1000 is decimal c && StrongestAlonePer1000 is decimal s && c > s;

    /// <summary>Agreement of the decided verdicts with the human labels (first repeat, pairwise), where labels exist.</summary>
    public AgreementCount? RealisedAgreement { get; init; }

    /// <summary>The summary of a cascade run's records.</summary>
    public static CascadeSummary Of(IReadOnlyList<JudgmentRecord> records, RunCascade cascade, IReadOnlyList<JudgeSpec> judges)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(cascade);
        ArgumentNullException.ThrowIfNull(judges);
        var id = RunCascade.IdOf(judges);
        var items = records.OfType<ItemVerdict>().Where(v => string.Equals(v.Judge, id, StringComparison.Ordinal)).ToList();
        var calls = records.OfType<JudgeCall>().ToList();
        var stages = judges.Select((spec, i) =>
        {
            var reached = items.Count(v => v.Cascade is { } steps && steps.Count > i);
            var decided = items.Count(v => v.Stage == i + 1);
            var members = spec.Singles.Select(s => s.Text).ToHashSet(StringComparer.Ordinal);
            var priced = calls.Where(c => members.Contains(c.Judge) && c.CostUsd is not null).ToList();
            return new CascadeStageSummary(spec.Text, cascade.Thresholds[i], reached, decided, items.Count == 0 ? 0 : (double)decided / items.Count, priced.Count == 0 ? null : priced.Sum(c => c.CostUsd!.Value));
        }).ToList();
        var total = stages.Any(s => s.CostUsd is not null) ? stages.Sum(s => s.CostUsd ?? 0) : (decimal?)null;
        var last = stages[^1];
        return new CascadeSummary
        {
            Calibration = cascade.Calibration,
            GuaranteedAgreement = cascade.Thresholds.Any(t => t is not null) ? cascade.Guarantee : null,
            Delta = cascade.Delta,
            Items = items.Count,
            Decided = items.Count(v => v.Stage is not null),
            Unguaranteed = items.Count(v => v.Guaranteed == false),
            Abstained = items.Count(v => v.Status == VerdictStatus.Abstained),
            Stages = stages,
            CostPer1000 = total is decimal t && items.Count > 0 ? t / items.Count * 1000 : null,
            StrongestAlonePer1000 = last.CostUsd is decimal c && last.Reached > 0 ? c / last.Reached * 1000 : null,
        };
    }
}

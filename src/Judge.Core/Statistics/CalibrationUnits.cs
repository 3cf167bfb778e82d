using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics;

/// <summary>Which confidence a calibration reads from each verdict.</summary>
public enum CalibrationConfidence
{
    /// <summary>The verdict's own <see cref="JudgmentRecord.Confidence"/>, as the judge recorded it. The default.</summary>
    Recorded,

    /// <summary>Swap consistency of a file whose verdicts combine both orders (<see cref="VerdictConfidence.SwapConsistency"/>).</summary>
    Orders,
}

/// <summary>A judge's calibration items, and the judge items no human label could be matched to.</summary>
/// <param name="Units">One per judge item with a human label, keyed by <see cref="CalibrationUnits.PairKey"/> or <see cref="CalibrationUnits.AnswerKey"/>.</param>
/// <param name="Unlabelled">Judge items without a usable human label (none matched, or the votes were evenly split).</param>
public sealed record CalibrationItems(IReadOnlyList<CalibrationUnit> Units, int Unlabelled);

/// <summary>
/// Turns a judge's verdicts and human labels into calibration items: the verdict's confidence and whether it agrees with
/// the humans. Pairwise: the human label of an item is the majority of the accepted human votes on it (the raters
/// <see cref="HumanRaters"/> accepts, the turn filter), an evenly split item has none; the judge's "tie (inconsistent)"
/// counts as a tie, as in <see cref="PairwiseAgreement"/>. Absolute: the reference score is the mean of the reference
/// grades of the answer, and a grade agrees when it lies within the tolerance of it. Pure and thread-safe.
/// </summary>
public static class CalibrationUnits
{
    /// <summary>The key that matches a pair across files whatever order they list its models in.</summary>
    public static string PairKey(string questionId, int turn, string modelA, string modelB) =>
        string.CompareOrdinal(modelA, modelB) <= 0 ? $"{questionId}|{turn}|{modelA}|{modelB}" : $"{questionId}|{turn}|{modelB}|{modelA}";

    /// <summary>The key of a graded answer.</summary>
    public static string AnswerKey(string questionId, int turn, string model) => $"{questionId}|{turn}|{model}";

    /// <summary>The calibration items of pairwise verdicts against human votes.</summary>
    public static CalibrationItems Pairwise(IEnumerable<PairwiseVerdict> verdicts, IReadOnlyList<PairwiseLabel> human, AgreementOptions options, CalibrationConfidence confidence = CalibrationConfidence.Recorded)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        ArgumentNullException.ThrowIfNull(human);
        ArgumentNullException.ThrowIfNull(options);
        var majority = new Dictionary<string, PairOutcome?>(StringComparer.Ordinal);
        foreach (var group in human.Where(options.AcceptsHuman).GroupBy(h => PairKey(h.QuestionId, h.Turn, h.ModelA, h.ModelB), StringComparer.Ordinal))
        {
            var counts = group.Select(h => PairwiseAgreement.Normalize(h, out _, out _)).GroupBy(o => o).Select(g => (g.Key, Count: g.Count())).OrderByDescending(c => c.Count).ToList();
            majority[group.Key] = counts.Count > 1 && counts[0].Count == counts[1].Count ? null : counts[0].Key;
        }

        var units = new List<CalibrationUnit>();
        var unlabelled = 0;
        foreach (var v in verdicts)
        {
            if (options.Turn is int t && v.Turn != t)
            {
                continue;
            }

            var key = PairKey(v.QuestionId, v.Turn, v.ModelA, v.ModelB);
            if (!majority.TryGetValue(key, out var label) || label is not { } humanOutcome)
            {
                unlabelled++;
                continue;
            }

            var judged = v.ToLabel() is { } l ? PairwiseAgreement.Normalize(l, out _, out _) : (PairOutcome?)null;
            var value = judged is null ? null : confidence == CalibrationConfidence.Orders ? VerdictConfidence.SwapConsistency(v) : v.Confidence;
            units.Add(new CalibrationUnit(key, value, judged == humanOutcome));
        }

        return new CalibrationItems(units, unlabelled);
    }

    /// <summary>The calibration items of absolute grades against reference grades of the same answers.</summary>
    public static CalibrationItems Absolute(IEnumerable<AbsoluteVerdict> grades, IEnumerable<AbsoluteVerdict> reference, double tolerance, int? turn = null)
    {
        ArgumentNullException.ThrowIfNull(grades);
        ArgumentNullException.ThrowIfNull(reference);
        var means = reference.Where(r => r.Status == VerdictStatus.Parsed && r.Score is not null && (turn is null || r.Turn == turn))
            .GroupBy(r => AnswerKey(r.QuestionId, r.Turn, r.Model), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Average(r => r.Score!.Value), StringComparer.Ordinal);
        var units = new List<CalibrationUnit>();
        var unlabelled = 0;
        foreach (var g in grades)
        {
            if (turn is int t && g.Turn != t)
            {
                continue;
            }

            var key = AnswerKey(g.QuestionId, g.Turn, g.Model);
            if (!means.TryGetValue(key, out var mean))
            {
                unlabelled++;
                continue;
            }

            var scored = g.Status == VerdictStatus.Parsed && g.Score is not null;
            units.Add(new CalibrationUnit(key, scored ? g.Confidence : null, scored && Math.Abs(g.Score!.Value - mean) <= tolerance + 1e-9));
        }

        return new CalibrationItems(units, unlabelled);
    }
}

using System.Globalization;

namespace Judge.Verdicts;

/// <summary>
/// Items without a verdict, by why: unparsed, out of range, dropped (the two orders disagreed under
/// the drop policy), error (the judge failed) and abstained (a selective judge or cascade was not confident
/// enough). Shown beside every rate and mean they are left out of.
/// </summary>
/// <param name="Unparsed">The judge answered but no verdict could be read.</param>
/// <param name="OutOfRange">A verdict was read outside the rubric's scale or labels.</param>
/// <param name="Dropped">The two orders disagreed and the swap policy drops such items.</param>
/// <param name="Error">The judge could not be called or gave no answer.</param>
public sealed record MissingVerdicts(int Unparsed, int OutOfRange, int Dropped, int Error)
{
    /// <summary>None missing.</summary>
    public static MissingVerdicts None { get; } = new(0, 0, 0, 0);

    /// <summary>A selective judge or cascade was not confident enough to decide.</summary>
    public int Abstained { get; init; }

    /// <summary>Items without a verdict, all reasons.</summary>
    public int Total => Unparsed + OutOfRange + Dropped + Error + Abstained;

    /// <summary>Counts the statuses of items that have no verdict (a parsed status counts nowhere).</summary>
    public static MissingVerdicts Count(IEnumerable<VerdictStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        int u = 0, o = 0, d = 0, e = 0, a = 0;
        foreach (var s in statuses)
        {
            switch (s)
            {
                case VerdictStatus.Unparsed: u++; break;
                case VerdictStatus.OutOfRange: o++; break;
                case VerdictStatus.Dropped: d++; break;
                case VerdictStatus.Error: e++; break;
                case VerdictStatus.Abstained: a++; break;
            }
        }

        return new MissingVerdicts(u, o, d, e) { Abstained = a };
    }

    /// <summary>Why an item has no verdict in any of its repeats: the status of its first repeat.</summary>
    public static VerdictStatus Reason(IEnumerable<JudgmentRecord> repeats) => repeats.OrderBy(r => r.Repeat ?? 0).First().Status;

    /// <summary><c>none</c>, or e.g. <c>3 (unparsed 2, error 1)</c>.</summary>
    public override string ToString()
    {
        if (Total == 0)
        {
            return "none";
        }

        var parts = new[] { ("unparsed", Unparsed), ("out of range", OutOfRange), ("dropped", Dropped), ("error", Error), ("abstained", Abstained) }
            .Where(p => p.Item2 > 0).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Item1} {p.Item2}"));
        return string.Create(CultureInfo.InvariantCulture, $"{Total} ({string.Join(", ", parts)})");
    }
}

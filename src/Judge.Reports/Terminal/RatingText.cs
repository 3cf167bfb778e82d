using Judge.Statistics;

namespace Judge.Reports.Terminal;

/// <summary>How a rating that may not exist is written in every console table: its number, or which way it is unbounded, and the warning beside the table.</summary>
internal static class RatingText
{
    /// <summary>A rating: the whole number, or <c>unbounded above</c> / <c>unbounded below</c> / <c>undetermined</c>.</summary>
    public static string Value(double rating, RatingBound bound) => bound switch
    {
        RatingBound.UnboundedAbove => "unbounded above",
        RatingBound.UnboundedBelow => "unbounded below",
        RatingBound.Undetermined => "undetermined",
        _ => Numbers.Whole(rating),
    };

    /// <summary>A bound of an interval over ratings, where ±∞ reads <c>+inf</c> / <c>-inf</c>.</summary>
    public static string End(double value, Func<double, string> finite) => value switch
    {
        double.PositiveInfinity => "+inf",
        double.NegativeInfinity => "-inf",
        _ => finite(value),
    };

    /// <summary>The warning when some models' ratings do not exist, or <see langword="null"/> when every one does.</summary>
    public static string? Warning(string method, IEnumerable<(string Model, RatingBound Bound)> ratings)
    {
        var above = ratings.Where(r => r.Bound == RatingBound.UnboundedAbove).Select(r => r.Model).ToArray();
        var below = ratings.Where(r => r.Bound == RatingBound.UnboundedBelow).Select(r => r.Model).ToArray();
        var open = ratings.Where(r => r.Bound == RatingBound.Undetermined).Select(r => r.Model).ToArray();
        if (above.Length + below.Length + open.Length == 0)
        {
            return null;
        }

        var parts = new List<string>();
        if (above.Length > 0)
        {
            parts.Add($"{string.Join(", ", above)} earned every point against the rest (unbounded above)");
        }

        if (below.Length > 0)
        {
            parts.Add($"{string.Join(", ", below)} earned no point against the rest (unbounded below)");
        }

        if (open.Length > 0)
        {
            parts.Add($"{string.Join(", ", open)} cannot be placed against the others (undetermined)");
        }

        return $"{method}: {string.Join("; ", parts)}; these ratings do not exist (the fit would run off to infinity), so the others are fitted on the games among themselves";
    }
}

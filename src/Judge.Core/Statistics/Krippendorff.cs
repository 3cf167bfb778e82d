namespace Judge.Statistics;

/// <summary>The level of measurement that decides how far apart two values are for Krippendorff's alpha.</summary>
public enum MeasurementLevel
{
    /// <summary>Categories without order: two values differ or they don't (δ² = 0 or 1).</summary>
    Nominal,

    /// <summary>Ordered categories: δ² grows with how many observed values lie between the two.</summary>
    Ordinal,

    /// <summary>Numbers on an interval scale: δ² = (c − k)².</summary>
    Interval,
}

/// <summary>
/// Krippendorff's alpha for any number of raters, with missing ratings allowed. Pure and thread-safe.
/// </summary>
public static class Krippendorff
{
    /// <summary>
    /// α = 1 − Dₒ / Dₑ computed from the coincidence matrix: every unit rated by mᵤ ≥ 2 raters
    /// contributes each ordered pair of its values with weight 1 / (mᵤ − 1); units with fewer than two
    /// ratings are not pairable and are ignored. <paramref name="units"/> has one row per unit and one
    /// cell per rater; <see langword="null"/> or NaN marks a missing rating. Returns NaN when fewer than two
    /// values are pairable or all pairable values are equal (no expected disagreement).
    /// </summary>
    public static double Alpha(IReadOnlyList<IReadOnlyList<double?>> units, MeasurementLevel level)
    {
        var values = new SortedSet<double>();
        foreach (var unit in units)
        {
            foreach (var v in unit)
            {
                if (v is double d && !double.IsNaN(d))
                {
                    values.Add(d);
                }
            }
        }

        var domain = values.ToArray();
        var index = new Dictionary<double, int>();
        for (var i = 0; i < domain.Length; i++)
        {
            index[domain[i]] = i;
        }

        var k = domain.Length;
        var coincidence = new double[k, k];
        var present = new List<int>();
        foreach (var unit in units)
        {
            present.Clear();
            foreach (var v in unit)
            {
                if (v is double d && !double.IsNaN(d))
                {
                    present.Add(index[d]);
                }
            }

            var m = present.Count;
            if (m < 2)
            {
                continue;
            }

            for (var a = 0; a < m; a++)
            {
                for (var b = 0; b < m; b++)
                {
                    if (a != b)
                    {
                        coincidence[present[a], present[b]] += 1.0 / (m - 1);
                    }
                }
            }
        }

        var marginals = new double[k];
        double n = 0;
        for (var c = 0; c < k; c++)
        {
            for (var j = 0; j < k; j++)
            {
                marginals[c] += coincidence[c, j];
            }

            n += marginals[c];
        }

        if (n < 2)
        {
            return double.NaN;
        }

        double observed = 0, expected = 0;
        for (var c = 0; c < k; c++)
        {
            for (var j = 0; j < k; j++)
            {
                if (c == j)
                {
                    continue;
                }

                var delta = Distance(c, j, domain, marginals, level);
                observed += coincidence[c, j] * delta;
                expected += marginals[c] * marginals[j] * delta;
            }
        }

        observed /= n;
        expected /= n * (n - 1);
        return expected == 0 ? double.NaN : 1 - (observed / expected);
    }

    /// <summary>Krippendorff's alpha of integer category labels, <see langword="null"/> for missing.</summary>
    public static double Alpha(IReadOnlyList<IReadOnlyList<int?>> units, MeasurementLevel level) =>
        Alpha(units.Select(u => (IReadOnlyList<double?>)u.Select(v => (double?)v).ToArray()).ToArray(), level);

    private static double Distance(int c, int k, double[] domain, double[] marginals, MeasurementLevel level)
    {
        switch (level)
        {
            case MeasurementLevel.Nominal:
                return 1;
            case MeasurementLevel.Interval:
                var d = domain[c] - domain[k];
                return d * d;
            case MeasurementLevel.Ordinal:
                var (lo, hi) = c < k ? (c, k) : (k, c);
                double sum = 0;
                for (var g = lo; g <= hi; g++)
                {
                    sum += marginals[g];
                }

                var s = sum - ((marginals[lo] + marginals[hi]) / 2);
                return s * s;
            default:
                throw new ArgumentOutOfRangeException(nameof(level));
        }
    }
}

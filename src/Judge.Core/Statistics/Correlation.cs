namespace Judge.Statistics;

/// <summary>
/// Correlation coefficients between two paired score lists. All methods are pure and thread-safe;
/// they return <see cref="double.NaN"/> when a coefficient is undefined (fewer than two pairs, or a
/// list with no variation), never a made-up value.
/// </summary>
public static class Correlation
{
    /// <summary>Pearson's product-moment correlation.</summary>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        var n = x.Count;
        if (n < 2)
        {
            return double.NaN;
        }

        double mx = 0, my = 0;
        for (var i = 0; i < n; i++)
        {
            mx += x[i];
            my += y[i];
        }

        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            var dx = x[i] - mx;
            var dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        return sxx == 0 || syy == 0 ? double.NaN : Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1);
    }

    /// <summary>Spearman's rank correlation: Pearson on ranks, tied values sharing their average rank.</summary>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        return Pearson(Ranks(x), Ranks(y));
    }

    /// <summary>
    /// Kendall's tau-b, which corrects for ties in either list:
    /// (concordant − discordant) / √((n₀ − n₁)(n₀ − n₂)). O(n²) in the number of pairs, which is
    /// instant for evaluation sets of a few thousand items.
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    public static double KendallTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        var n = x.Count;
        long s = 0, untiedX = 0, untiedY = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var sx = Math.Sign(x[i] - x[j]);
                var sy = Math.Sign(y[i] - y[j]);
                s += sx * sy;
                untiedX += sx != 0 ? 1 : 0;
                untiedY += sy != 0 ? 1 : 0;
            }
        }

        return untiedX == 0 || untiedY == 0 ? double.NaN : s / Math.Sqrt((double)untiedX * untiedY);
    }

    /// <summary>Pearson, Spearman and Kendall's tau-b at once.</summary>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    public static CorrelationSummary Summarize(IReadOnlyList<double> x, IReadOnlyList<double> y) =>
        new(x.Count, Pearson(x, y), Spearman(x, y), KendallTauB(x, y));

    /// <summary>1-based ranks; tied values share the average of the ranks they span.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        var n = values.Count;
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => values[a].CompareTo(values[b]));
        var ranks = new double[n];
        for (var i = 0; i < n;)
        {
            var j = i;
            while (j + 1 < n && values[order[j + 1]].Equals(values[order[i]]))
            {
                j++;
            }

            var average = ((i + j) / 2.0) + 1;
            for (var k = i; k <= j; k++)
            {
                ranks[order[k]] = average;
            }

            i = j + 1;
        }

        return ranks;
    }

    private static void CheckPaired(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"paired lists differ in length ({x.Count} and {y.Count})", nameof(y));
        }
    }
}

/// <summary>Three correlation coefficients between the same paired lists.</summary>
/// <param name="Count">The number of pairs.</param>
/// <param name="Pearson">Pearson's r; NaN when undefined.</param>
/// <param name="Spearman">Spearman's rho with averaged ties; NaN when undefined.</param>
/// <param name="KendallTauB">Kendall's tau-b; NaN when undefined.</param>
public sealed record CorrelationSummary(int Count, double Pearson, double Spearman, double KendallTauB);

namespace Judge.Statistics;

/// <summary>
/// Correlation coefficients between two paired score lists. All methods are pure and thread-safe;
/// they return <see cref="double.NaN"/> when a coefficient is undefined (fewer than two pairs, or a
/// list with no variation), never a made-up value. NaN in the input propagates, the same way in all
/// three (scipy's default <c>nan_policy='propagate'</c>): a list holding NaN gives NaN, never a
/// coefficient over the other values. Callers drop unscored items before (and count them).
/// </summary>
public static class Correlation
{
    /// <summary>Pearson's product-moment correlation.</summary>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        var n = x.Count;
        // A constant list has no variation: checked exactly, since its floating-point mean can differ from its values by an ulp (r ≈ 1e-16 then).
        if (n < 2 || HasNaN(x) || HasNaN(y) || IsConstant(x) || IsConstant(y))
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
        return HasNaN(x) || HasNaN(y) ? double.NaN : Pearson(Ranks(x), Ranks(y));
    }

    /// <summary>
    /// Kendall's tau-b, which corrects for ties in either list:
    /// (concordant − discordant) / √((n₀ − n₁)(n₀ − n₂)), with n₀ = n(n − 1)/2 and n₁, n₂ the pairs
    /// tied in x and in y. Knight's (1966) O(n log n) algorithm: sort by (x, y), count the ties in x
    /// and the joint ties, then merge-sort by y counting the exchanges (the discordant pairs), so
    /// concordant − discordant = n₀ − n₁ − n₂ + n₃ − 2·exchanges. Exact integer counts, so it equals
    /// the pairwise O(n²) definition bit for bit.
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    public static double KendallTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        var n = x.Count;
        if (HasNaN(x) || HasNaN(y))
        {
            return double.NaN;
        }

        var xs = new double[n];
        var ys = new double[n];
        for (var i = 0; i < n; i++)
        {
            xs[i] = x[i];
            ys[i] = y[i];
        }

        // Sort the pairs by x, then y.
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) =>
        {
            var c = xs[a].CompareTo(xs[b]);
            return c != 0 ? c : ys[a].CompareTo(ys[b]);
        });

        long tiedX = 0, tiedXY = 0;
        for (int i = 0, runX = 1, runXY = 1; i < n; i++)
        {
            var last = i == n - 1;
            var sameX = !last && xs[order[i + 1]] == xs[order[i]];
            var sameXY = sameX && ys[order[i + 1]] == ys[order[i]];
            if (sameXY)
            {
                runXY++;
            }
            else
            {
                tiedXY += (long)runXY * (runXY - 1) / 2;
                runXY = 1;
            }

            if (sameX)
            {
                runX++;
            }
            else
            {
                tiedX += (long)runX * (runX - 1) / 2;
                runX = 1;
            }
        }

        // Merge sort on y (stable, so pairs tied in y are never counted as exchanged).
        var values = new double[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = ys[order[i]];
        }

        var exchanges = MergeSortCountingExchanges(values, new double[n]);
        long tiedY = 0;
        for (int i = 0, run = 1; i < n; i++)
        {
            if (i < n - 1 && values[i + 1] == values[i])
            {
                run++;
            }
            else
            {
                tiedY += (long)run * (run - 1) / 2;
                run = 1;
            }
        }

        var pairs = (long)n * (n - 1) / 2;
        var untiedX = pairs - tiedX;
        var untiedY = pairs - tiedY;
        var s = pairs - tiedX - tiedY + tiedXY - (2 * exchanges);
        return untiedX == 0 || untiedY == 0 ? double.NaN : s / Math.Sqrt((double)untiedX * untiedY);
    }

    /// <summary>Sorts <paramref name="values"/> ascending (bottom-up merge sort) and returns the number of inversions.</summary>
    private static long MergeSortCountingExchanges(double[] values, double[] buffer)
    {
        long exchanges = 0;
        var n = values.Length;
        var source = values;
        var target = buffer;
        for (var width = 1; width < n; width *= 2)
        {
            for (var lo = 0; lo < n; lo += 2 * width)
            {
                var mid = Math.Min(lo + width, n);
                var hi = Math.Min(lo + (2 * width), n);
                int i = lo, j = mid, k = lo;
                while (i < mid && j < hi)
                {
                    if (source[j] < source[i])
                    {
                        // Every element left in the first run is greater than source[j].
                        exchanges += mid - i;
                        target[k++] = source[j++];
                    }
                    else
                    {
                        target[k++] = source[i++];
                    }
                }

                while (i < mid)
                {
                    target[k++] = source[i++];
                }

                while (j < hi)
                {
                    target[k++] = source[j++];
                }
            }

            (source, target) = (target, source);
        }

        if (!ReferenceEquals(source, values))
        {
            Array.Copy(source, values, n);
        }

        return exchanges;
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

    private static bool IsConstant(IReadOnlyList<double> values)
    {
        for (var i = 1; i < values.Count; i++)
        {
            if (values[i] != values[0])
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasNaN(IReadOnlyList<double> values)
    {
        foreach (var v in values)
        {
            if (double.IsNaN(v))
            {
                return true;
            }
        }

        return false;
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

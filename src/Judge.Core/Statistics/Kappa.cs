namespace Judge.Statistics;

/// <summary>How disagreements between ordered categories are weighted by <see cref="Kappa.Cohen(ConfusionMatrix, KappaWeighting)"/>.</summary>
public enum KappaWeighting
{
    /// <summary>Every disagreement weighs 1 (Cohen's original kappa).</summary>
    None,

    /// <summary>A disagreement between categories i and j weighs |i − j|.</summary>
    Linear,

    /// <summary>A disagreement between categories i and j weighs (i − j)².</summary>
    Quadratic,
}

/// <summary>
/// A square table of counts: rows are the first rater's category, columns the second's. Immutable
/// once built; thread-safe.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[][] _counts;

    /// <summary>Creates a matrix from its counts; every row must have <c>counts.Count</c> non-negative cells.</summary>
    /// <exception cref="ArgumentException">The table is not square or has a negative count.</exception>
    public ConfusionMatrix(IReadOnlyList<IReadOnlyList<long>> counts)
    {
        var k = counts.Count;
        _counts = new long[k][];
        for (var i = 0; i < k; i++)
        {
            if (counts[i].Count != k)
            {
                throw new ArgumentException($"row {i} has {counts[i].Count} cells; a {k}x{k} table needs {k}", nameof(counts));
            }

            _counts[i] = new long[k];
            for (var j = 0; j < k; j++)
            {
                _counts[i][j] = counts[i][j] >= 0 ? counts[i][j] : throw new ArgumentException($"cell ({i}, {j}) is negative", nameof(counts));
                Total += counts[i][j];
            }
        }
    }

    /// <summary>The number of categories.</summary>
    public int Size => _counts.Length;

    /// <summary>The number of paired ratings.</summary>
    public long Total { get; }

    /// <summary>How often the first rater said <paramref name="row"/> while the second said <paramref name="column"/>.</summary>
    public long this[int row, int column] => _counts[row][column];

    /// <summary>The counts as rows (a copy), for serialization.</summary>
    public IReadOnlyList<IReadOnlyList<long>> Rows => _counts.Select(r => (IReadOnlyList<long>)r.ToArray()).ToArray();

    /// <summary>The share of pairs on the diagonal; NaN for an empty table.</summary>
    public double ObservedAgreement
    {
        get
        {
            long diagonal = 0;
            for (var i = 0; i < Size; i++)
            {
                diagonal += _counts[i][i];
            }

            return Total == 0 ? double.NaN : (double)diagonal / Total;
        }
    }

    /// <summary>
    /// Tabulates paired category indices (0 to <paramref name="categories"/> − 1).
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length or hold an index out of range.</exception>
    public static ConfusionMatrix FromPairs(IReadOnlyList<int> first, IReadOnlyList<int> second, int categories)
    {
        if (first.Count != second.Count)
        {
            throw new ArgumentException($"paired lists differ in length ({first.Count} and {second.Count})", nameof(second));
        }

        var counts = new long[categories][];
        for (var i = 0; i < categories; i++)
        {
            counts[i] = new long[categories];
        }

        for (var i = 0; i < first.Count; i++)
        {
            if ((uint)first[i] >= (uint)categories || (uint)second[i] >= (uint)categories)
            {
                throw new ArgumentException($"pair {i} ({first[i]}, {second[i]}) lies outside categories 0..{categories - 1}", nameof(first));
            }

            counts[first[i]][second[i]]++;
        }

        return new ConfusionMatrix(counts);
    }

    /// <summary>The same table with the raters exchanged (rows become columns).</summary>
    public ConfusionMatrix Transpose()
    {
        var t = new long[Size][];
        for (var i = 0; i < Size; i++)
        {
            t[i] = new long[Size];
            for (var j = 0; j < Size; j++)
            {
                t[i][j] = _counts[j][i];
            }
        }

        return new ConfusionMatrix(t);
    }
}

/// <summary>
/// Chance-corrected agreement coefficients. Pure and thread-safe; an undefined coefficient (no data,
/// or both raters using a single category so that chance agreement is already perfect) is
/// <see cref="double.NaN"/>.
/// </summary>
public static class Kappa
{
    /// <summary>
    /// Cohen's kappa, optionally weighted: 1 − Σ wᵢⱼ oᵢⱼ / Σ wᵢⱼ eᵢⱼ with disagreement weights w
    /// (0/1, |i − j| or (i − j)²) and e the counts expected from the two raters' marginals.
    /// With 0/1 weights this equals (pₒ − pₑ) / (1 − pₑ).
    /// </summary>
    public static double Cohen(ConfusionMatrix matrix, KappaWeighting weighting)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var k = matrix.Size;
        var n = (double)matrix.Total;
        if (n == 0)
        {
            return double.NaN;
        }

        var rows = new double[k];
        var columns = new double[k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                rows[i] += matrix[i, j];
                columns[j] += matrix[i, j];
            }
        }

        double observed = 0, expected = 0;
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                var w = Weight(i, j, weighting);
                observed += w * matrix[i, j];
                expected += w * rows[i] * columns[j] / n;
            }
        }

        return expected == 0 ? double.NaN : 1 - (observed / expected);
    }

    /// <summary>Cohen's kappa, unweighted: (pₒ − pₑ) / (1 − pₑ).</summary>
    public static double Cohen(ConfusionMatrix matrix) => Cohen(matrix, KappaWeighting.None);

    /// <summary>Cohen's kappa of two raters' paired category indices (0 to <paramref name="categories"/> − 1), weighted.</summary>
    public static double Cohen(IReadOnlyList<int> first, IReadOnlyList<int> second, int categories, KappaWeighting weighting) =>
        Cohen(ConfusionMatrix.FromPairs(first, second, categories), weighting);

    /// <summary>Cohen's kappa of two raters' paired category indices (0 to <paramref name="categories"/> − 1), unweighted.</summary>
    public static double Cohen(IReadOnlyList<int> first, IReadOnlyList<int> second, int categories) =>
        Cohen(first, second, categories, KappaWeighting.None);

    /// <summary>
    /// Fleiss' kappa for a fixed number of raters per item. <paramref name="counts"/> has one row per
    /// item and one cell per category: how many raters put the item in that category. Every row must
    /// sum to the same number of raters, at least 2.
    /// </summary>
    /// <exception cref="ArgumentException">Rows differ in width or in rater count, or have fewer than two raters.</exception>
    public static double Fleiss(IReadOnlyList<IReadOnlyList<int>> counts)
    {
        if (counts.Count == 0)
        {
            return double.NaN;
        }

        var k = counts[0].Count;
        var raters = -1;
        var categoryTotals = new double[k];
        double agreementSum = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            var row = counts[i];
            if (row.Count != k)
            {
                throw new ArgumentException($"item {i} has {row.Count} categories; item 0 has {k}", nameof(counts));
            }

            long sum = 0, squares = 0;
            for (var j = 0; j < k; j++)
            {
                sum += row[j];
                squares += (long)row[j] * row[j];
                categoryTotals[j] += row[j];
            }

            if (raters < 0)
            {
                raters = (int)sum;
                if (raters < 2)
                {
                    throw new ArgumentException("Fleiss' kappa needs at least two raters per item", nameof(counts));
                }
            }
            else if (sum != raters)
            {
                throw new ArgumentException($"item {i} has {sum} ratings; item 0 has {raters}", nameof(counts));
            }

            agreementSum += (double)(squares - raters) / (raters * (raters - 1.0));
        }

        var meanAgreement = agreementSum / counts.Count;
        double chance = 0;
        foreach (var total in categoryTotals)
        {
            var p = total / (counts.Count * (double)raters);
            chance += p * p;
        }

        return chance >= 1 ? double.NaN : (meanAgreement - chance) / (1 - chance);
    }

    /// <summary>
    /// Fleiss' kappa from labels: one row per item, one category index (0 to
    /// <paramref name="categories"/> − 1) per rater; every item needs the same number of raters.
    /// </summary>
    public static double FleissFromLabels(IReadOnlyList<IReadOnlyList<int>> labels, int categories)
    {
        var counts = new IReadOnlyList<int>[labels.Count];
        for (var i = 0; i < labels.Count; i++)
        {
            var row = new int[categories];
            foreach (var label in labels[i])
            {
                if ((uint)label >= (uint)categories)
                {
                    throw new ArgumentException($"item {i} has label {label} outside 0..{categories - 1}", nameof(labels));
                }

                row[label]++;
            }

            counts[i] = row;
        }

        return Fleiss(counts);
    }

    private static double Weight(int i, int j, KappaWeighting weighting) => weighting switch
    {
        KappaWeighting.None => i == j ? 0 : 1,
        KappaWeighting.Linear => Math.Abs(i - j),
        KappaWeighting.Quadratic => (i - j) * (double)(i - j),
        _ => throw new ArgumentOutOfRangeException(nameof(weighting)),
    };
}

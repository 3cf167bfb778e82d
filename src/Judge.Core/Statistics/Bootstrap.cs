namespace Judge.Statistics;

/// <summary>A percentile bootstrap confidence interval and how it was obtained, so it can be reproduced.</summary>
/// <param name="Level">The confidence level, e.g. 0.95.</param>
/// <param name="Lower">The lower bound: the (1 − level)/2 quantile of the resampled statistics.</param>
/// <param name="Upper">The upper bound: the (1 + level)/2 quantile.</param>
/// <param name="Resamples">How many bootstrap resamples were drawn.</param>
/// <param name="Seed">The seed of the <see cref="Random"/> that drew them.</param>
public sealed record ConfidenceInterval(double Level, double Lower, double Upper, int Resamples, int Seed)
{
    /// <summary>
    /// How many independent units (items, or clusters of correlated votes) were resampled;
    /// <see langword="null"/> when not known.
    /// </summary>
    public int? Clusters { get; init; }

    /// <summary>
    /// A caution when the interval rests on fewer than <see cref="Bootstrap.MinClusters"/> units: a
    /// percentile bootstrap is then too narrow (2 of 2 agreeing gives [1, 1]); <see langword="null"/> otherwise.
    /// </summary>
    public string? Warning => Bootstrap.SmallSampleWarning(Clusters);

    /// <summary>Whether <paramref name="value"/> lies within the interval, bounds included.</summary>
    public bool Contains(double value) => value >= Lower && value <= Upper;
}

/// <summary>
/// Percentile bootstrap. Every method takes an explicit seed and draws from <c>new Random(seed)</c>,
/// so equal inputs and seeds give equal intervals. Thread-safe (no shared state).
/// </summary>
public static class Bootstrap
{
    /// <summary>The default number of resamples (1,000).</summary>
    public const int DefaultResamples = 1000;

    /// <summary>The default confidence level (0.95).</summary>
    public const double DefaultLevel = 0.95;

    /// <summary>
    /// Below this many resampled units (30) an interval is flagged: the percentile bootstrap's coverage
    /// falls well short of its level on tiny samples, and is 0 when every unit agrees.
    /// </summary>
    public const int MinClusters = 30;

    /// <summary>The caution for an interval over <paramref name="clusters"/> units, or <see langword="null"/> when there are enough (or the count is unknown).</summary>
    public static string? SmallSampleWarning(int? clusters) => clusters is int c && c < MinClusters
        ? $"only {c} independent unit{(c == 1 ? string.Empty : "s")} resampled (fewer than {MinClusters}): the interval is too narrow to trust"
        : null;

    /// <summary>
    /// Resamples <paramref name="count"/> items with replacement <paramref name="resamples"/> times and
    /// returns the percentile interval of <paramref name="statistic"/>, which receives the drawn item
    /// indices (a buffer reused between calls: read it, don't keep it). Resamples whose statistic is
    /// NaN (undefined on that draw) are left out of the quantiles.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">count or resamples below 1, or level outside (0, 1).</exception>
    public static ConfidenceInterval Percentile(int count, Func<int[], double> statistic, int seed, int resamples = DefaultResamples, double level = DefaultLevel)
    {
        Validate(count, resamples, level);
        var random = new Random(seed);
        var indices = new int[count];
        var stats = new double[resamples];
        var kept = 0;
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < count; i++)
            {
                indices[i] = random.Next(count);
            }

            var s = statistic(indices);
            if (!double.IsNaN(s))
            {
                stats[kept++] = s;
            }
        }

        return FromSamples(stats.AsSpan(0, kept), level, resamples, seed) with { Clusters = count };
    }

    /// <summary>Percentile interval of the mean of <paramref name="values"/>.</summary>
    public static ConfidenceInterval Mean(IReadOnlyList<double> values, int seed, int resamples = DefaultResamples, double level = DefaultLevel) =>
        Percentile(values.Count, idx =>
        {
            double sum = 0;
            foreach (var i in idx)
            {
                sum += values[i];
            }

            return sum / idx.Length;
        }, seed, resamples, level);

    /// <summary>
    /// The interval from already computed resample statistics (sorted in place): quantiles with linear
    /// interpolation between order statistics (numpy's default). NaN bounds when there are none.
    /// </summary>
    public static ConfidenceInterval FromSamples(Span<double> samples, double level, int resamples, int seed)
    {
        samples.Sort();
        var alpha = (1 - level) / 2;
        return new ConfidenceInterval(level, Quantile(samples, alpha), Quantile(samples, 1 - alpha), resamples, seed);
    }

    /// <summary>
    /// The <paramref name="p"/>-quantile of sorted values, interpolating linearly; NaN when empty. Between an
    /// infinite and a finite value the infinite one is returned (−∞ below, +∞ above).
    /// </summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var position = p * (sorted.Length - 1);
        var lo = (int)Math.Floor(position);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        var fraction = position - lo;
        if (fraction == 0 || sorted[lo] == sorted[hi])
        {
            return sorted[lo];
        }

        // An unbounded statistic (a rating running off to ±∞) stays unbounded rather than becoming NaN (∞ − ∞).
        if (double.IsInfinity(sorted[lo]) || double.IsInfinity(sorted[hi]))
        {
            return double.IsNegativeInfinity(sorted[lo]) ? sorted[lo] : sorted[hi];
        }

        return sorted[lo] + (fraction * (sorted[hi] - sorted[lo]));
    }

    internal static void Validate(int count, int resamples, double level)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        if (!(level > 0 && level < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "the confidence level lies strictly between 0 and 1");
        }
    }
}

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: a small, fast generator for the
/// bootstrap's inner loops, where <c>new Random(seed)</c>'s seeded (legacy) algorithm dominates the
/// cost. Deterministic for a seed on every platform. A mutable struct: not thread-safe, one per resample.
/// </summary>
internal struct FastRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public FastRandom(int seed)
    {
        var x = (ulong)(uint)seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>A uniform integer in [0, <paramref name="n"/>): the high word of a 64×64-bit product (bias below n/2⁶⁴).</summary>
    public int Next(int n) => (int)Math.BigMul(NextUInt64(), (ulong)n, out _);

    private ulong NextUInt64()
    {
        var result = System.Numerics.BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = System.Numerics.BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

using Judge.Statistics;

namespace Judge.Core.Tests.Statistics;

/// <summary>Knight's O(n log n) tau-b against the pairwise O(n²) definition it replaced, and the NaN policy.</summary>
public class KendallTauBTests
{
    /// <summary>The old O(n²) implementation, kept here as the oracle (not in src).</summary>
    private static double PairwiseTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
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

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 5)]
    [InlineData(4, 1000)]
    [InlineData(5, 1_000_000)]
    public void KendallTauB_RandomDataWithTies_EqualsPairwiseDefinition(int seed, int levels)
    {
        // Few levels give many ties in x, in y and in both; many levels give almost none.
        var random = new Random(seed);
        for (var trial = 0; trial < 200; trial++)
        {
            var n = random.Next(0, 300);
            var x = new double[n];
            var y = new double[n];
            for (var i = 0; i < n; i++)
            {
                x[i] = random.Next(levels) * 0.5;
                y[i] = (random.NextDouble() < 0.5 ? x[i] : random.Next(levels)) - 3;
            }

            var expected = PairwiseTauB(x, y);
            var actual = Correlation.KendallTauB(x, y);
            if (double.IsNaN(expected))
            {
                Assert.True(double.IsNaN(actual), $"n {n}: expected NaN, got {actual}");
            }
            else
            {
                Assert.Equal(expected, actual, 1e-12);
            }
        }
    }

    [Fact]
    public void KendallTauB_ReversedAndIdentical_MinusOneAndOne()
    {
        double[] x = [1, 2, 3, 4, 5, 6];
        Assert.Equal(1, Correlation.KendallTauB(x, x), 1e-15);
        Assert.Equal(-1, Correlation.KendallTauB(x, x.Reverse().ToArray()), 1e-15);
    }

    [Fact]
    public void Correlations_NaNInEitherList_AllThreeNaN()
    {
        // One policy for all three: NaN propagates (scipy's default). The old Spearman ranked NaN
        // as the smallest value and Kendall threw from Math.Sign(NaN).
        double[] x = [1, 2, double.NaN, 4, 5];
        double[] y = [2, 1, 4, 3, 5];
        var both = new[] { Correlation.Summarize(x, y), Correlation.Summarize(y, x) };
        foreach (var c in both)
        {
            Assert.True(double.IsNaN(c.Pearson));
            Assert.True(double.IsNaN(c.Spearman));
            Assert.True(double.IsNaN(c.KendallTauB));
        }

        // Without the NaN the same data has finite coefficients.
        Assert.False(double.IsNaN(Correlation.Summarize([1, 2, 4, 5], [2, 1, 3, 5]).KendallTauB));
    }
}

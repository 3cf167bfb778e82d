using System.Globalization;

namespace Judge.Reports.Tests;

/// <summary>The one number formatter: rounding half away from zero, invariant culture, n/a for what is missing.</summary>
public class NumbersTests
{
    [Theory]
    [InlineData(0.5625, "56.3 %")] // 56.25 exactly: the standard "P1" format gives 56.2 % (to even)
    [InlineData(0.0625, "6.3 %")]
    [InlineData(0.8125, "81.3 %")]
    [InlineData(0.005, "0.5 %")]
    [InlineData(1.0, "100.0 %")]
    [InlineData(0.0, "0.0 %")]
    [InlineData(-0.00001, "0.0 %")] // a negative that rounds to zero is zero as shown
    public void Percent_RoundingEdges_RoundHalfAwayFromZero(double share, string expected)
    {
        Assert.Equal(expected, Numbers.Percent(share));
    }

    [Fact]
    public void Percent_StandardFormatWouldDisagree_ThisIsWhyThereIsOneFormatter()
    {
        // What the console once printed for a win rate the reports showed as 56.3 %.
        Assert.Equal("56.2 %", 0.5625.ToString("P1", CultureInfo.InvariantCulture));
        Assert.Equal("56.3 %", Numbers.Percent(0.5625));
    }

    [Fact]
    public void Formats_MissingOrUndefined_AreNotAvailable()
    {
        Assert.Equal("n/a", Numbers.Percent(null));
        Assert.Equal("n/a", Numbers.Percent(double.NaN));
        Assert.Equal("n/a", Numbers.Fixed(double.PositiveInfinity));
        Assert.Equal("n/a", Numbers.Value(null));
        Assert.Equal("n/a", Numbers.Signed(null));
        Assert.Equal("n/a", Numbers.Interval(null));
        Assert.Equal(string.Empty, Numbers.PercentInterval(null));
    }

    [Fact]
    public void Formats_EachKindOfNumber_AsDocumented()
    {
        Assert.Equal("6.13", Numbers.Fixed(6.125));
        Assert.Equal("0.125", Numbers.Fixed(0.125, 3));
        Assert.Equal("0.563", Numbers.Value(0.5625));
        Assert.Equal("7", Numbers.Value(7));
        Assert.Equal("56.3", Numbers.PercentDigits(0.5625));
        Assert.Equal("[0.5 %, 81.3 %]", Numbers.PercentInterval(0.005, 0.8125));
        Assert.Equal("886/1343 = 66.0 %", Numbers.Ratio(886, 1343, 886.0 / 1343));
        Assert.Equal("0/0", Numbers.Ratio(0, 0, null));
        Assert.Equal("+0.125", Numbers.Signed(0.125));
        Assert.Equal("0.000", Numbers.Signed(-0.0001));
        Assert.Equal("2.5", Numbers.Tally(2.5));
        Assert.Equal("220,200", Numbers.Thousands(220_200));
        Assert.Equal("$0.0535", Numbers.Dollars(0.0535m));
        Assert.Equal("$4.00", Numbers.Dollars(4m, 2));
        Assert.Equal("12.5 min", Numbers.Duration(TimeSpan.FromMinutes(12.5)));
        Assert.Equal("2.5 h", Numbers.Duration(TimeSpan.FromMinutes(150)));
    }
}

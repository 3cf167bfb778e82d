using System.Globalization;

namespace Judge.Statistics;

/// <summary>
/// The rules every number written for people follows, wherever it is written (a gate's detail in the library, the
/// console and every report through <c>Judge.Reports.Numbers</c>): invariant culture; rounding half away from zero on
/// the value's decimal digits (.NET custom formats: 0.5625 is <c>56.3 %</c>, never the round-to-even <c>56.2 %</c>);
/// a value that rounds to zero is zero, never <c>-0.0</c>; a missing or non-finite value is <c>n/a</c>. Thread-safe.
/// </summary>
public static class NumberText
{
    /// <summary>What a missing or undefined (NaN, infinite) value is written as.</summary>
    public const string NotAvailable = "n/a";

    /// <summary>A share as a percentage with <paramref name="decimals"/> decimals: 0.5625 is <c>56.3 %</c>.</summary>
    /// <param name="share">The share (1 is 100 %).</param>
    /// <param name="decimals">Decimals after the point.</param>
    public static string Percent(double? share, int decimals) =>
        Format(share, Decimals(decimals) + " %");

    /// <summary>A number with <paramref name="decimals"/> decimals: <c>6.13</c>.</summary>
    /// <param name="value">The number.</param>
    /// <param name="decimals">Decimals after the point.</param>
    public static string Fixed(double? value, int decimals) =>
        Format(value, Decimals(decimals));

    /// <summary>A number with up to three decimals and no trailing zeros, as thresholds are written: <c>0.563</c>, <c>7</c>.</summary>
    /// <param name="value">The number.</param>
    public static string Value(double? value) =>
        Format(value, "0.###");

    /// <summary>A finite number in a .NET custom format (invariant, negative zero as zero); <c>n/a</c> otherwise.</summary>
    /// <param name="value">The number.</param>
    /// <param name="format">A custom numeric format, e.g. <c>0.#</c>.</param>
    public static string Format(double? value, string format) =>
        Finite(value) is double v ? Normal(v.ToString(format, CultureInfo.InvariantCulture)) : NotAvailable;

    /// <summary>The custom format with <paramref name="decimals"/> fixed decimals: <c>0.00</c> for 2.</summary>
    /// <param name="decimals">Decimals after the point, at least 0.</param>
    public static string Decimals(int decimals)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(decimals);
        return decimals == 0 ? "0" : "0." + new string('0', decimals);
    }

    private static double? Finite(double? value) => value is double v && double.IsFinite(v) ? v : null;

    // A small negative value rounds to "-0.0"; it is zero as shown.
    private static string Normal(string text) => text.StartsWith('-') && text.AsSpan(1).IndexOfAnyExcept("0.%, ") < 0 ? text[1..] : text;
}

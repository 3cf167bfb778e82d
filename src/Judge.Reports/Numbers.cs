using System.Globalization;
using Judge.Runs;
using Judge.Statistics;

namespace Judge.Reports;

/// <summary>
/// The one way Judge writes a number for people: console tables, <c>summary.md</c>, the HTML report and
/// every other text report format through these, so they agree to the digit. A JSON writer keeps the
/// exact value; these are what it rounds to.
/// <para>
/// Rounding is half away from zero on the value's decimal digits (.NET custom numeric formats):
/// 0.5625 is <c>56.3 %</c> and 6.125 is <c>6.13</c>. The standard <c>P</c> format would round
/// the same 0.5625 to even (<c>56.2 %</c>), which is how the console once disagreed with the reports.
/// Everything is in the invariant culture; a missing or undefined value is <c>n/a</c>. Thread-safe.
/// </para>
/// </summary>
public static class Numbers
{
    /// <summary>What a missing or undefined (NaN, infinite) value is written as.</summary>
    public const string NotAvailable = NumberText.NotAvailable;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A share as a percentage: 0.5625 is <c>56.3 %</c> (one decimal by default).</summary>
    public static string Percent(double? share, int decimals = 1) => NumberText.Percent(share, decimals);

    /// <summary>A share as a percentage without the sign, for a column headed <c>%</c>: 0.5625 is <c>56.3</c>.</summary>
    public static string PercentDigits(double? share, int decimals = 1) =>
        NumberText.Format(share, NumberText.Decimals(decimals) + "%") is var text && text != NotAvailable ? text[..^1] : NotAvailable;

    /// <summary>The interval of a share in percent: <c>[43.1 %, 70.0 %]</c>; empty when there is none.</summary>
    public static string PercentInterval(double? lower, double? upper) =>
        lower is null && upper is null ? string.Empty : $"[{Percent(lower)}, {Percent(upper)}]";

    /// <summary>The interval of a share in percent (see <see cref="PercentInterval(double?, double?)"/>).</summary>
    public static string PercentInterval(ConfidenceInterval? ci) => ci is null ? string.Empty : PercentInterval(ci.Lower, ci.Upper);

    /// <summary>A share and its interval in a column headed <c>%</c>, compactly: <c>58.1 [51.9, 65.0]</c>.</summary>
    public static string PercentDigitsWithInterval(double? share, ConfidenceInterval? ci) =>
        ci is null ? PercentDigits(share) : $"{PercentDigits(share)} [{PercentDigits(ci.Lower)}, {PercentDigits(ci.Upper)}]";

    /// <summary>A count with the share it is of: <c>886/1343 = 66.0 %</c>, or just <c>0/0</c> when nothing was counted.</summary>
    public static string Ratio(long part, long whole, double? share) =>
        Finite(share) is null ? $"{Count(part)}/{Count(whole)}" : $"{Count(part)}/{Count(whole)} = {Percent(share)}";

    /// <summary>A number with a fixed count of decimals: a mean score <c>6.13</c> (two by default), a coefficient <c>0.125</c>.</summary>
    public static string Fixed(double? value, int decimals = 2) => NumberText.Fixed(value, decimals);

    /// <summary>The interval of a number with <paramref name="decimals"/> decimals: <c>[6.12, 7.40]</c>, or <c>n/a</c>.</summary>
    public static string Interval(ConfidenceInterval? ci, int decimals = 2) =>
        ci is null ? NotAvailable : $"[{Fixed(ci.Lower, decimals)}, {Fixed(ci.Upper, decimals)}]";

    /// <summary>A number with up to three decimals and no trailing zeros, as thresholds are written: <c>0.563</c>, <c>7</c>.</summary>
    public static string Value(double? value) => NumberText.Value(value);

    /// <summary>A gate's value or threshold in the gate's unit: a percentage for a rate (<c>60.0 %</c>), else as <see cref="Value"/>.</summary>
    public static string Gate(GateResult gate, double? value)
    {
        ArgumentNullException.ThrowIfNull(gate);
        return gate.IsShare ? Percent(value) : Value(value);
    }

    /// <summary>A number with an explicit sign and three decimals: <c>+0.125</c>, <c>-0.031</c>, <c>0.000</c>.</summary>
    public static string Signed(double? value) =>
        Finite(value) is double v ? v.ToString("+0.000;-0.000;0.000", Invariant) : NotAvailable;

    /// <summary>The interval of a signed number: <c>[-0.031, +0.125]</c>; empty when there is none.</summary>
    public static string SignedInterval(ConfidenceInterval? ci) => ci is null ? string.Empty : $"[{Signed(ci.Lower)}, {Signed(ci.Upper)}]";

    /// <summary>A count as digits: <c>1343</c>.</summary>
    public static string Count(long count) => count.ToString(Invariant);

    /// <summary>A count that repeats average per item, so it may be fractional: <c>12</c>, <c>2.5</c>.</summary>
    public static string Tally(double count) => NumberText.Format(count, "0.#");

    /// <summary>A large count with thousands separators: <c>220,200</c>.</summary>
    public static string Thousands(long count) => count.ToString("#,##0", Invariant);

    /// <summary>US dollars, to four decimals (a hundredth of a cent: <c>$0.0123</c>) unless a figure asks for fewer (per 1,000 judgments: <c>$4.00</c>).</summary>
    public static string Dollars(decimal usd, int decimals = 4) => "$" + usd.ToString(NumberText.Decimals(decimals), Invariant);

    /// <summary>A planned duration: minutes below 90 (<c>12.5 min</c>), else hours (<c>2.4 h</c>).</summary>
    public static string Duration(TimeSpan time) =>
        time.TotalMinutes < 90 ? Fixed(time.TotalMinutes, 1) + " min" : Fixed(time.TotalHours, 1) + " h";

    /// <summary>A whole number: a rating <c>1043</c>, a mean length.</summary>
    public static string Whole(double? value) => Fixed(value, 0);

    private static double? Finite(double? value) => value is double v && double.IsFinite(v) ? v : null;
}

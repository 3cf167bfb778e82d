using Judge.Statistics;
using Judge.Statistics.Bias;
using Spectre.Console;

namespace Judge.Reports.Terminal;

/// <summary>The console table of <c>judge judges</c>: one column per judge, and the judge-by-judge agreement matrix.</summary>
public static class JudgeComparisonConsole
{
    /// <summary>Writes <paramref name="report"/>.</summary>
    public static void Write(IAnsiConsole console, JudgeComparisonReport report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        var r = report;

        // One column per judge keeps the table narrow enough for a terminal with a handful of judges.
        var table = new Table().Title($"judges ({(r.Turn is int t ? $"turn {t}" : "all turns")}; agreement with humans by the MT-Bench protocol)").AddColumn(string.Empty);
        foreach (var j in r.Judges)
        {
            table.AddColumn(Markup.Escape(j.Judge));
        }

        void Line(string label, Func<JudgeRow, string> cell) => table.AddPlainRow([label, .. r.Judges.Select(cell)]);
        Line("judgments", j => Numbers.Count(j.Judgments));
        Line("  without a verdict (not compared)", j => j.Agreement.JudgeItemsWithoutVerdict is int n ? Numbers.Count(n) : Numbers.NotAvailable);
        Line("agreement with ties", j => Figure(j.Agreement.WithTies));
        Line("  95% bootstrap interval", j => Interval(j.Agreement.Ci));
        Line("agreement without ties", j => Figure(j.Agreement.WithoutTies));
        Line("  95% bootstrap interval", j => Interval(j.Agreement.CiWithoutTies));
        if (r.Judges.Any(j => j.Agreement.Orders is not null))
        {
            static string Fig(AgreementCount? f) => f is null ? "n/a (one verdict per pair)" : Figure(f);
            Line("accuracy AB / BA (with ties)", j => j.Agreement.Orders is { } o ? $"{Fig(o.WithTies.Ab)}; {Fig(o.WithTies.Ba)}" : Fig(null));
            Line("  mean of the two orders", j => j.Agreement.Orders is { } o ? $"{Numbers.Percent(o.WithTies.Mean)} (without ties {Numbers.Percent(o.WithoutTies.Mean)})" : Numbers.NotAvailable);
            Line("correct in both orders", j => Fig(j.Agreement.Orders?.WithTies.BothOrders));
            Line("positional consistency", j => Fig(j.Agreement.Orders?.PositionalConsistency));
            Line("  publishers' (all items; both missing agree)", j => Fig(j.Agreement.Orders?.PositionalAgreementAllItems));
        }

        if (r.Judges.Any(j => j.Agreement.JudgeDuplicatesDropped is > 0))
        {
            Line("exact duplicates dropped", j => Numbers.Count(j.Agreement.JudgeDuplicatesDropped ?? 0));
        }

        Line("parse failures (calls)", j => j.ParseFailureRate is double pf ? Numbers.Ratio(j.Position!.WithoutVerdict, j.Position.Calls, pf) : "n/a (no call records)");
        Line("flip rate (orders disagree)", j => Numbers.Ratio(j.Flip.Flipped, j.Flip.Items, j.Flip.Rate));
        Line("P(first position)", j => j.Position?.FirstRate is double first ? Numbers.Ratio(j.Position.First, j.Position.First + j.Position.Second, first) : Numbers.NotAvailable);
        Line("P(longer answer)", j => j.Longer?.Rate is double longer ? Numbers.Ratio(j.Longer.Longer, j.Longer.Decisive, longer) : Numbers.NotAvailable);
        if (r.Judges.Any(j => j.Confidence is not null))
        {
            Line("expected calibration error", j => j.Confidence is { } fit ? $"{Numbers.Fixed(fit.ExpectedCalibrationError, 3)} over {Numbers.Count(fit.Items)}" : "n/a (no confidence)");
            for (var d = 9; d >= 0; d--)
            {
                var decile = d;
                Line(decile == 9 ? "agreement at confidence 0.9-1" : $"  at {decile / 10.0:0.0}-{(decile + 1) / 10.0:0.0}", j =>
                    j.Confidence?.Bins.FirstOrDefault(b => (int)Math.Round(b.Lower * 10) == decile) is { } bin ? $"{Numbers.Percent(bin.Agreement)} of {Numbers.Count(bin.Items)} (conf {Numbers.Fixed(bin.MeanConfidence, 2)})" : "-");
            }
        }

        Line("cost USD per 1,000", j => Numbers.Fixed(j.CostUsdPer1000));
        Line("seconds per 1,000", j => Numbers.Fixed(j.SecondsPer1000, 1));
        console.Write(table);
        if (r.Judges.Count > 1)
        {
            Matrix(console, r);
        }
    }

    private static void Matrix(IAnsiConsole console, JudgeComparisonReport r)
    {
        var names = r.Judges.Select(j => j.Judge).ToList();
        var matrix = new Table().Title("judge-by-judge agreement (ties an outcome; items both judged)").AddColumn(string.Empty);
        foreach (var n in names)
        {
            matrix.AddColumn(Markup.Escape(n));
        }

        foreach (var row in names)
        {
            matrix.AddPlainRow([row, .. names.Select(col => row == col ? "-" : Figure(r.Matrix.First(m => m.JudgeA == row && m.JudgeB == col).Agreement))]);
        }

        console.Write(matrix);
    }

    private static string Figure(AgreementCount f) => Numbers.Ratio(f.Agree, f.Total, f.Rate);

    private static string Interval(IntervalFigure? ci) =>
        ci is null ? string.Empty : Numbers.PercentInterval(ci.Lower, ci.Upper) + (ci.Warning is not null ? " (too few clusters)" : string.Empty);
}

using ScottPlot;

namespace Judge.Reports;

/// <summary>Report charts drawn with ScottPlot and returned as inline SVG, so the report needs no network or files beside it.</summary>
internal static class Charts
{
    /// <summary>Bars with their confidence interval drawn as a line over each bar.</summary>
    public static string BarsWithIntervals(string title, string yLabel, IReadOnlyList<(string Label, double Value, double? Lower, double? Upper)> bars, double? threshold = null, double? yMax = null, bool percent = false)
    {
        using var plot = new Plot();
        if (percent)
        {
            // Shares on a percent axis, as the tables beside the chart write them.
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => Numbers.Percent(v, 0) };
        }

        plot.Title(title);
        plot.YLabel(yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = plot.Add.Bar(new Bar { Position = i, Value = bars[i].Value, FillColor = palette.GetColor(i).WithAlpha(0.8) });
            _ = bar;
            if (bars[i].Lower is double lo && bars[i].Upper is double hi)
            {
                var line = plot.Add.Line(i, lo, i, hi);
                line.LineWidth = 3;
                line.LineColor = Colors.Black;
                line.MarkerSize = 0;
            }
        }

        if (threshold is double t)
        {
            var h = plot.Add.HorizontalLine(t);
            h.LineColor = Colors.Red;
            h.LinePattern = LinePattern.Dashed;
            // Named in the legend: a label on the line would sit on the axis and hide its ticks.
            h.LegendText = $"threshold {(percent ? Numbers.Percent(t, 0) : Numbers.Value(t))}";
            plot.ShowLegend(Alignment.UpperRight);
        }

        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, bars.Count).Select(i => (double)i).ToArray(), bars.Select(b => b.Label).ToArray());
        plot.Axes.Margins(bottom: 0);
        if (yMax is double max)
        {
            plot.Axes.SetLimitsY(0, max);
        }

        return Svg(plot, Math.Max(480, 140 * bars.Count), 360);
    }

    /// <summary>Counts per score, one series per model, side by side.</summary>
    public static string Distribution(string title, IReadOnlyList<(string Model, IReadOnlyList<double> Scores)> series)
    {
        using var plot = new Plot();
        plot.Title(title);
        plot.YLabel("answers");
        plot.XLabel("score");
        var palette = new ScottPlot.Palettes.Category10();
        var width = 0.8 / Math.Max(1, series.Count);
        for (var s = 0; s < series.Count; s++)
        {
            var bars = series[s].Scores.GroupBy(v => Math.Round(v)).OrderBy(g => g.Key)
                .Select(g => new Bar { Position = g.Key - 0.4 + (width * (s + 0.5)), Value = g.Count(), Size = width, FillColor = palette.GetColor(s) })
                .ToList();
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = series[s].Model;
        }

        plot.ShowLegend();
        plot.Axes.Margins(bottom: 0);
        return Svg(plot, 720, 360);
    }

    private static string Svg(Plot plot, int width, int height) => plot.GetSvgXml(width, height);
}

using Judge.Statistics;
using Spectre.Console;

namespace Judge.Reports.Terminal;

/// <summary>The console table of <c>judge agreement-scores</c>: Pearson, Spearman and Kendall's tau-b per comparison.</summary>
public static class CorrelationConsole
{
    /// <summary>Writes one row per comparison under <paramref name="title"/>.</summary>
    public static void Write(IAnsiConsole console, string title, IEnumerable<(string Compared, CorrelationSummary Correlation)> rows)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(rows);
        var table = ConsoleTables.Titled(title).AddColumns("compared", "n", "Pearson", "Spearman", "Kendall tau-b");
        foreach (var (compared, c) in rows)
        {
            table.AddPlainRow(compared, Numbers.Count(c.Count), Numbers.Fixed(c.Pearson, 3), Numbers.Fixed(c.Spearman, 3), Numbers.Fixed(c.KendallTauB, 3));
        }

        console.Write(table);
    }
}

using Judge.Statistics;
using Judge.Statistics.Bias;
using Spectre.Console;

namespace Judge.Reports.Terminal;

/// <summary>The console table of <c>judge bias arena</c>: Arena-Hard scores against the baseline, with what was left out.</summary>
public static class ArenaConsole
{
    /// <summary>Writes <paramref name="result"/>, computed from <paramref name="games"/>.</summary>
    public static void Write(IAnsiConsole console, ArenaGames games, ArenaHardResult result)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(games);
        ArgumentNullException.ThrowIfNull(result);
        var style = result.StyleCoefficients.Count > 0;
        console.MarkupLineInterpolated($"{games.Games.Count} games ({(games.PerCall ? "each call in each order is one game" : "one battle per verdict: the file merges both orders")}){(games.WithoutVerdict > 0 ? $"; {games.WithoutVerdict} calls without a verdict left out" : string.Empty)}; strong verdicts x{Numbers.Value(result.StrongWeight)} ({result.StrongGames} games)");
        var table = ConsoleTables.Titled($"Arena-Hard scores vs {result.Baseline}{(style ? ", style-controlled" : string.Empty)}").AddColumns("model", "games", "score %", "interval", "rating");
        foreach (var m in result.Models)
        {
            table.AddPlainRow(m.Model, Numbers.Count(m.Games), Numbers.PercentDigits(m.Score), m.Interval is { } ci ? $"[{Numbers.PercentDigits(ci.Lower)}, {Numbers.PercentDigits(ci.Upper)}]" : "-", RatingText.Value(m.Rating, m.Bound));
        }

        console.Write(table);
        if (result.Models.FirstOrDefault(m => m.Interval is not null)?.Interval is { } any)
        {
            var units = result.Resampling switch
            {
                ArenaResampling.Question => $"{result.ResampledUnits} questions (each with all its games, both orders together)",
                ArenaResampling.Game => $"{result.ResampledUnits} games (each order on its own, with its weight)",
                _ => $"{result.ResampledUnits} rows (Arena-Hard-Auto's procedure: a strong game as x{Numbers.Value(result.StrongWeight)} rows drawn independently)",
            };
            console.MarkupLineInterpolated($"intervals: {Numbers.Percent(any.Level, 0)} percentile bootstrap, {any.Resamples} rounds resampling {units}, seed {any.Seed}");
        }

        if (style)
        {
            console.MarkupLineInterpolated($"style coefficients (log-odds per standard deviation): {string.Join(", ", result.StyleCoefficients.Select(kv => $"{kv.Key} {Numbers.Fixed(kv.Value, 3)}"))}");
        }

        if (result.SelfBattles > 0)
        {
            console.MarkupLineInterpolated($"self-battles left out: {result.SelfBattles}");
        }

        if (result.NotConnected.Count > 0)
        {
            console.MarkupLineInterpolated($"[yellow]never compared, directly or through others, with {result.Baseline} (no score): {string.Join(", ", result.NotConnected)}[/]");
        }

        if (RatingText.Warning($"ratings against {result.Baseline}", result.Models.Select(m => (m.Model, m.Bound))) is { } warning)
        {
            console.MarkupLineInterpolated($"[yellow]{warning}[/]");
        }

        if (!result.Converged)
        {
            console.MarkupLine("[yellow]the fit did not converge; treat the ratings with caution[/]");
        }
    }
}

using Judge.Data;
using Judge.Runs;
using Judge.Statistics;
using Judge.Verdicts;
using Spectre.Console;

namespace Judge.Reports.Terminal;

/// <summary>
/// The console summary of a run, the same for <c>judge compare</c>, <c>judge grade</c>, <c>judge run</c> and
/// <c>judge merge</c>: verdicts by status, standings and scores per judge and rubric with the items left out of
/// each, repeats, agreement, cost and gates. Numbers through <see cref="Numbers"/>, as in <c>summary.md</c>.
/// </summary>
public static class RunSummaryConsole
{
    /// <summary>Writes the summary of <paramref name="result"/>; with <paramref name="showGates"/> the error-rate bound and every gate too.</summary>
    public static void Write(IAnsiConsole console, RunResult result, bool showGates)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(result);
        foreach (var caution in ReportText.Cautions(result))
        {
            console.MarkupLineInterpolated($"[yellow]caution:[/] {caution}");
        }

        Counts(console, result);
        foreach (var line in ReportText.Cascade(result))
        {
            console.MarkupLineInterpolated($"{line}");
        }

        var a = result.Analysis;
        var groups = a.WinRates.Select(w => (w.Judge, w.Rubric)).Concat(a.Scores.Select(s => (s.Judge, s.Rubric))).Distinct().ToList();
        foreach (var (judge, rubric) in groups)
        {
            var title = groups.Count > 1 ? $"{judge} · {rubric}" : null;
            Standings(console, result, judge, rubric, title);
            Scores(console, a, judge, rubric, title);
        }

        Closing(console, result, showGates);
    }

    private static void Counts(IAnsiConsole console, RunResult r)
    {
        var a = r.Analysis;
        string Status(VerdictStatus status) => Numbers.Count(a.ByStatus.GetValueOrDefault(status));
        // Only a selective judge abstains: the column appears for a cascade run, or when some item abstained.
        var abstains = a.Cascade is not null || a.ByStatus.GetValueOrDefault(VerdictStatus.Abstained) > 0;
        string[] columns = ["items", "parsed", "unparsed", "out of range", "dropped", "error", .. abstains ? new[] { "abstained" } : [], "calls"];
        var status = new Table().AddColumns(columns);
        string[] row =
        [
            Numbers.Count(a.Judgments.Values.Sum()),
            Status(VerdictStatus.Parsed),
            Status(VerdictStatus.Unparsed),
            Status(VerdictStatus.OutOfRange),
            Status(VerdictStatus.Dropped),
            Status(VerdictStatus.Error),
            .. abstains ? new[] { Status(VerdictStatus.Abstained) } : [],
            Numbers.Count(a.Cost.Calls),
        ];
        status.AddRow(row);
        console.Write(status);
        if (r.Progress.Done > 0 || r.JournalServed > 0 || r.Manifest.ResumedAt.Count > 0)
        {
            console.MarkupLineInterpolated($"judged now {r.Progress.Done} with {r.Progress.Calls} calls{(r.JournalServed > 0 ? $", {r.JournalServed} responses reused from the journal" : string.Empty)}{(r.Manifest.ResumedAt.Count > 0 ? $"; run resumed {r.Manifest.ResumedAt.Count}x" : string.Empty)}");
        }

        if (a.Cost.Calls > 0)
        {
            var calls = r.Records.OfType<JudgeCall>().ToList();
            var unparsable = calls.Count(c => c.Status is VerdictStatus.Unparsed or VerdictStatus.OutOfRange);
            var failed = calls.Count(c => c.Status == VerdictStatus.Error);
            console.MarkupLineInterpolated($"judge calls: {calls.Count}, unparsable {unparsable}, failed {failed}; tokens in {a.Cost.InputTokens}, out {a.Cost.OutputTokens}");
        }

        if (r.Skipped.Count > 0)
        {
            console.MarkupLineInterpolated($"[yellow]skipped {r.Skipped.Count} items:[/] {string.Join("; ", r.Skipped.Take(5))}{(r.Skipped.Count > 5 ? "; …" : string.Empty)}");
        }

        if (a.FlipRate is { } flipRate)
        {
            console.MarkupLineInterpolated($"position flips: {a.Flips.Flipped} of {a.Flips.BothOrders} items judged in both orders ({Numbers.Percent(flipRate)})");
        }

        if (r.Config.Mode == RunMode.Compare && a.Judgments.Values.Sum() > 0)
        {
            var outcomes = string.Join(", ", new[] { PairOutcome.A, PairOutcome.B, PairOutcome.Tie, PairOutcome.InconsistentTie }
                .Select(w => $"{PairOutcomes.ToWire(w)} {a.Winners.GetValueOrDefault(w)}"));
            console.MarkupLineInterpolated($"verdicts: {outcomes}");
        }
    }

    private static void Standings(IAnsiConsole console, RunResult r, string judge, string rubric, string? title)
    {
        var a = r.Analysis;
        var standings = a.WinRates.Where(w => w.Judge == judge && w.Rubric == rubric && w.Opponent is null).ToList();
        if (standings.Count == 0)
        {
            return;
        }

        var table = Titled(new Table().AddColumns("model", "wins", "losses", "ties", "no verdict", "win rate (ties = ½)"), title);
        foreach (var w in standings.OrderByDescending(w => w.Rate ?? -1).ThenBy(w => w.Model, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape(w.Model), Numbers.Tally(w.Wins), Numbers.Tally(w.Losses), Numbers.Tally(w.Ties), Numbers.Count(w.Missing.Total), Numbers.Percent(w.Rate));
        }

        console.Write(table);
        if (r.Config.Thresholds.Baseline is { } baseline)
        {
            foreach (var w in a.WinRates.Where(w => w.Judge == judge && w.Rubric == rubric && w.Opponent == baseline))
            {
                var interval = w.Ci is null ? string.Empty : " " + Numbers.PercentInterval(w.Ci);
                console.MarkupLineInterpolated($"  {w.Model} against {baseline}: {Numbers.Percent(w.Rate)}{interval} over {w.WithVerdict} pairs, without verdict {w.Missing}");
            }
        }
    }

    private static void Scores(IAnsiConsole console, RunAnalysis a, string judge, string rubric, string? title)
    {
        var scores = a.Scores.Where(s => s.Judge == judge && s.Rubric == rubric).ToList();
        if (scores.Count == 0)
        {
            return;
        }

        var table = Titled(new Table().AddColumns("model", "answers", "scored", "no verdict", "mean score", "interval", "pass rate"), title);
        foreach (var s in scores.OrderByDescending(s => s.Mean ?? double.MinValue))
        {
            table.AddRow(Markup.Escape(s.Model), Numbers.Count(s.Items), Numbers.Count(s.Scored), Numbers.Count(s.Missing.Total), Numbers.Fixed(s.Mean), Markup.Escape(Numbers.Interval(s.MeanCi)), Numbers.Percent(s.PassRate));
        }

        console.Write(table);
    }

    private static void Closing(IAnsiConsole console, RunResult r, bool showGates)
    {
        var a = r.Analysis;
        var missing = MissingVerdicts.Count(a.ByStatus.SelectMany(s => Enumerable.Repeat(s.Key, s.Value)));
        if (missing.Total > 0)
        {
            console.MarkupLineInterpolated($"[yellow]without verdict:[/] {missing}; left out of every rate and mean above");
        }

        if (a.Stability.Count > 0)
        {
            var unstable = a.Stability.Where(s => s.Unstable).ToList();
            console.MarkupLineInterpolated($"repeats: {unstable.Count} of {a.Stability.Count} items unstable across {r.Config.Options.Repeats} repeats");
            foreach (var s in unstable.Take(10))
            {
                console.MarkupLineInterpolated($"  [yellow]unstable[/] {s.Item}: {string.Join(" / ", s.Verdicts)}{(s.Variance is double v ? $" (variance {Numbers.Fixed(v)})" : string.Empty)}");
            }
        }

        if (r.Agreement is { } ag)
        {
            console.MarkupLineInterpolated($"agreement with human labels ({HumanRaters.Describe(ag.HumanRaterPrefix)}): {Numbers.Percent(ag.WithTies.Rate)} with ties ({ag.WithTies.Agree}/{ag.WithTies.Total}), {Numbers.Percent(ag.WithoutTies.Rate)} without ties");
        }

        if (a.Cost.Calls > 0 && a.Cost.PricedCalls > 0)
        {
            var perThousand = a.Cost.Usd * 1000m / Math.Max(1, a.Judgments.Values.Sum());
            console.MarkupLineInterpolated($"{ReportText.Cost(a.Cost)}, {Numbers.Dollars(perThousand, 2)} per 1,000 judgments{(r.Manifest.ResumedAt.Count > 0 ? " (all invocations of the run)" : string.Empty)}");
        }

        if (showGates || a.ErrorRateExceeded || a.NothingJudged)
        {
            var errorLine = Markup.Escape($"error rate {Numbers.Percent(a.ErrorRate)} (max {Numbers.Percent(r.Config.Thresholds.MaxErrorRate)})");
            console.MarkupLine(a.ErrorRateExceeded ? errorLine + " [red]EXCEEDED[/]" : errorLine);
            foreach (var g in a.Gates)
            {
                console.MarkupLine((g.Passed ? "[green]pass[/] " : "[red]FAIL[/] ") + Markup.Escape($"{g.Name}: {g.Detail}"));
            }
        }
    }

    private static Table Titled(Table table, string? title) => title is null ? table : table.Title(Markup.Escape(title));
}

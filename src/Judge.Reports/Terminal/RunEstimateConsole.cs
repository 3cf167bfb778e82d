using Judge.Runs;
using Spectre.Console;

namespace Judge.Reports.Terminal;

/// <summary>The console table of <c>judge compare --dry-run</c> and <c>judge grade --dry-run</c>: calls, tokens and cost per judge.</summary>
public static class RunEstimateConsole
{
    /// <summary>Writes <paramref name="estimate"/>.</summary>
    public static void Write(IAnsiConsole console, RunEstimate estimate)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(estimate);

        // A judge column only when there is more than one judge: a single one is the command's own.
        var named = estimate.Judges.Count > 1;
        var table = new Table().Title("dry run: nothing was sent");
        if (named)
        {
            table.AddColumn("judge");
        }

        table.AddColumns("calls", "prompt tokens (est.)", "output tokens (assumed)", "cost (est.)", "batch cost (est.)");
        foreach (var j in estimate.Judges)
        {
            string[] cells = [Numbers.Thousands(j.Calls), Numbers.Thousands(j.InputTokens), Numbers.Thousands(j.OutputTokens), ReportText.Cost(j.Cost), ReportText.BatchCost(j.Cost)];
            table.AddPlainRow(named ? [ReportText.JudgeLabel(j.Judge), .. cells] : cells);
        }

        console.Write(table);
        console.MarkupLineInterpolated($"[grey]prompt tokens are estimated as characters / 4 plus 4 per message (±25% on English prose); output tokens are {estimate.ExpectedOutputTokens} per call (--expected-output-tokens). Batch cost: the same calls through the provider's batch API (judge option batch=on; price table batch_input/batch_output, default half the live price).[/]");
    }
}

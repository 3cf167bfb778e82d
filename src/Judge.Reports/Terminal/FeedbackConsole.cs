using Judge.Feedback;
using Spectre.Console;

namespace Judge.Reports.Terminal;

/// <summary>The console tables of <c>judge feedback generate</c>: the dry-run plan, each finished stage, and the run's summary.</summary>
public static class FeedbackConsole
{
    /// <summary>A stage as the command line names it: <c>rubrics</c>, <c>instructions</c>, ….</summary>
    public static string Name(FeedbackStage stage) => stage.ToString().ToLowerInvariant();

    /// <summary>Writes the dry-run plan: per stage the calls, tokens, cost and time, and the totals.</summary>
    public static void WritePlan(IAnsiConsole console, FeedbackEstimate estimate)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(estimate);
        var table = new Table().Title("dry run: nothing was sent")
            .AddColumns("stage", "model", "calls", "prompt tokens (est.)", "output tokens (est.)", "cost (est.)", "batch cost (est.)", $"time at {estimate.RequestsPerMinute} rpm");
        foreach (var s in estimate.Stages)
        {
            var p = s.Plan;
            table.AddPlainRow(
                Name(p.Stage) + (p.Role == "second judge" ? " (2nd judge)" : string.Empty),
                p.Model,
                Numbers.Thousands(p.Calls),
                Numbers.Thousands(p.InputTokens),
                Numbers.Thousands(p.OutputTokens),
                ReportText.Cost(s.Cost),
                ReportText.BatchCost(s.Cost),
                Numbers.Duration(s.Time));
        }

        var unknown = estimate.UnpricedStages > 0 ? " + unknown" : string.Empty;
        table.AddPlainRow("total", string.Empty, Numbers.Thousands(estimate.Calls), Numbers.Thousands(estimate.InputTokens), Numbers.Thousands(estimate.OutputTokens), Numbers.Dollars(estimate.Usd) + unknown, Numbers.Dollars(estimate.CheapestUsd) + unknown, Numbers.Duration(estimate.Time));
        console.Write(table);
        if (estimate.UnpricedStages > 0)
        {
            console.MarkupLineInterpolated($"[yellow]{estimate.UnpricedStages} stage(s) call a model without a price: their cost is left out of the totals; give --prices[/]");
        }

        console.MarkupLine("[grey]upper bound: assumes nothing is rejected. Rubric prompts are the real ones; later prompts are the real templates filled with assumed lengths (rubric 150, instruction 70, reference 220, response 180, feedback 110 words; 1.35 tokens per generated word; 30% of responses go to a second judge). Prompt tokens: characters / 4 plus 4 per message. Time: calls / rpm, one model at a time. Batch cost: hosted models with batch=on through the provider's batch API (price table batch_input/batch_output, default half the live price; results within the 24 h window, not at --rpm); the total batches every model that can be.[/]");
    }

    /// <summary>Writes one finished stage's line.</summary>
    public static void WriteStage(IAnsiConsole console, StageSummary summary)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(summary);
        console.MarkupLineInterpolated($"  {Name(summary.Stage)}: {summary.ItemsIn} in, {summary.ItemsOut} out, {summary.RejectedCount} rejected ({summary.ModelCalls} model calls, {summary.JournalCalls} from the journal)");
    }

    /// <summary>Writes the summary of a finished run: each stage's items and rejections, response lengths by score, and the files in <paramref name="outDir"/>.</summary>
    public static void WriteSummary(IAnsiConsole console, FeedbackRunResult result, string outDir)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(result);
        var table = new Table().Title("feedback generation summary").AddColumns("stage", "in", "out", "rejected", "why", "model calls", "from journal");
        foreach (var s in result.Stages)
        {
            table.AddPlainRow(
                Name(s.Stage),
                Numbers.Count(s.ItemsIn),
                Numbers.Count(s.ItemsOut),
                Numbers.Count(s.RejectedCount),
                s.Rejected.Count == 0 ? "-" : string.Join(", ", s.Rejected.Select(r => $"{r.Key} {Numbers.Count(r.Value)}")),
                Numbers.Count(s.ModelCalls),
                Numbers.Count(s.JournalCalls));
        }

        console.Write(table);
        if (result.Lengths.Count > 0)
        {
            var lengths = new Table().Title("response length by score (words)").AddColumns("score", "kept", "mean", "median", "exported", "mean", "median");
            foreach (var (before, after) in result.LengthsBeforeBalance.Zip(result.Lengths))
            {
                lengths.AddPlainRow(
                    Numbers.Count(before.Level),
                    Numbers.Count(before.Count),
                    Numbers.Fixed(before.MeanWords, 1),
                    Numbers.Fixed(before.MedianWords, 1),
                    Numbers.Count(after.Count),
                    Numbers.Fixed(after.MeanWords, 1),
                    Numbers.Fixed(after.MedianWords, 1));
            }

            console.Write(lengths);
            if (result.Lengths.Any(l => l.Count == 0))
            {
                console.MarkupLine("[yellow]warning:[/] some score level has no item, so the balanced export is empty; generate more, raise --tolerance, or use --no-balance.");
            }
        }

        console.MarkupLineInterpolated($"files: {outDir} (rubrics.jsonl, instructions.jsonl, responses.jsonl, feedback.jsonl, *.rejected.jsonl, {FeedbackPipeline.FeedbackCollectionFile}, {FeedbackPipeline.PreferenceCollectionFile}, {FeedbackPipeline.JournalFile})");
    }
}

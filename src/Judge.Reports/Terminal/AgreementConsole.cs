using Judge.Statistics;
using Spectre.Console;

namespace Judge.Reports.Terminal;

/// <summary>The console tables of <c>judge agreement</c>: a judge against human labels, MT-Bench protocol.</summary>
public static class AgreementConsole
{
    /// <summary>Writes <paramref name="report"/>.</summary>
    public static void Write(IAnsiConsole console, AgreementReport report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        var r = report;
        var scope = $"{(r.Turn is int t ? $"turn {t}" : "all turns")}, human votes: {HumanRaters.Describe(r.HumanRaterPrefix)}";
        var table = ConsoleTables.Titled($"agreement ({scope})").AddColumns(string.Empty, "with ties", "without ties");
        table.AddPlainRow("judge vs human", Figure(r.WithTies), Figure(r.WithoutTies));
        if (r.HumanVsHuman is { } hh)
        {
            table.AddPlainRow("human vs human", Figure(hh.WithTies), Figure(hh.WithoutTies));
        }

        console.Write(table);
        console.MarkupLineInterpolated($"Cohen's kappa (judge vs human, 3 outcomes): {Numbers.Fixed(r.CohenKappa, 3)}");
        foreach (var ci in new[] { r.Ci, r.CiWithoutTies }.OfType<IntervalFigure>())
        {
            console.MarkupLineInterpolated($"{Numbers.Percent(ci.Level, 0)} bootstrap interval of the {ci.Statistic.Replace('_', ' ')}: {Numbers.PercentInterval(ci.Lower, ci.Upper)} ({ci.Resamples} resamples of {ci.Clusters} {ci.ClusteredBy} clusters, seed {ci.Seed})");
            if (ci.Warning is { } warning)
            {
                console.MarkupLineInterpolated($"[yellow]caution: {warning}[/]");
            }
        }

        Confusion(console, r.ConfusionMatrix);
        if (r.Orders is { } o)
        {
            Orders(console, o);
        }

        console.MarkupLineInterpolated($"judge verdicts: {r.JudgeVerdicts}, of which {r.UnmatchedJudgeVerdicts} have no human vote; inconsistent ties among matched votes: {r.JudgeInconsistentTies} (counted as ties)");
        if (r.JudgeDuplicatesDropped is > 0 || r.HumanDuplicatesDropped is > 0)
        {
            console.MarkupLineInterpolated($"[yellow]exact duplicate records dropped: judge {r.JudgeDuplicatesDropped ?? 0}, human {r.HumanDuplicatesDropped ?? 0}[/]");
        }

        if (r.JudgeItemsWithoutVerdict is > 0)
        {
            console.MarkupLineInterpolated($"[yellow]{r.JudgeItemsWithoutVerdict} judged items had no verdict (unparsed, out of range, dropped or failed) and are not compared[/]");
        }
    }

    private static void Confusion(IAnsiConsole console, ConfusionFigure confusion)
    {
        var matrix = new Table().Title("confusion (rows: judge, columns: human)").AddColumn(string.Empty);
        foreach (var label in confusion.Labels)
        {
            matrix.AddColumn(Markup.Escape(label));
        }

        for (var i = 0; i < confusion.Labels.Count; i++)
        {
            matrix.AddPlainRow([confusion.Labels[i], .. confusion.Counts[i].Select(c => Numbers.Count(c))]);
        }

        console.Write(matrix);
    }

    private static void Orders(IAnsiConsole console, OrderAgreementReport o)
    {
        var orders = new Table().Title($"per presentation order ({o.Items} items judged in both orders)").AddColumns(string.Empty, "with ties", "without ties");
        orders.AddPlainRow("accuracy, A shown first (AB)", Figure(o.WithTies.Ab), Figure(o.WithoutTies.Ab));
        orders.AddPlainRow("accuracy, B shown first (BA)", Figure(o.WithTies.Ba), Figure(o.WithoutTies.Ba));
        orders.AddPlainRow("mean of the two orders", Numbers.Percent(o.WithTies.Mean), Numbers.Percent(o.WithoutTies.Mean));
        orders.AddPlainRow("correct in both orders", Figure(o.WithTies.BothOrders), Figure(o.WithoutTies.BothOrders));
        orders.AddPlainRow("positional consistency (items with both verdicts)", Figure(o.PositionalConsistency), string.Empty);
        orders.AddPlainRow("positional agreement, publishers' (all items; both missing agree)", Figure(o.PositionalAgreementAllItems), string.Empty);
        console.Write(orders);
        console.MarkupLineInterpolated($"orders without a verdict (counted as wrong): AB {o.WithoutVerdictAb}, BA {o.WithoutVerdictBa}; items judged in one order only (left out): {o.SingleOrderItems}");
    }

    private static string Figure(AgreementCount f) => Numbers.Ratio(f.Agree, f.Total, f.Rate);
}

using Judge.Statistics;
using Spectre.Console;

namespace Judge.Reports.Terminal;

/// <summary>The console output of <c>judge agreement-pandalm</c>: the judge against the annotators' majority, unparsable verdicts counted both ways.</summary>
public static class PandaLmConsole
{
    /// <summary>Writes <paramref name="result"/> and the annotators' own agreement.</summary>
    public static void Write(IAnsiConsole console, PandaLmAgreement result, PandaLmAnnotatorAgreement annotators)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(annotators);
        var table = new Table().Title("judge vs annotators' majority").AddColumns(string.Empty, "agree / total", "rate");
        foreach (var (label, count) in new[] { ("unparsable counted as wrong", result.CountingUnparsableAsWrong), ("unparsable excluded", result.ExcludingUnparsable) })
        {
            table.AddPlainRow(label, $"{Numbers.Count(count.Agree)}/{Numbers.Count(count.Total)}", Numbers.Percent(count.Rate));
        }

        console.Write(table);
        console.WriteLine($"items {Numbers.Count(result.Items)}: {Numbers.Count(result.Unparsable)} verdicts unparsable, {Numbers.Count(result.MissingVerdicts)} missing, {Numbers.Count(result.NoMajority)} without an annotator majority");
        console.WriteLine($"annotators among themselves: Fleiss' kappa {Numbers.Fixed(annotators.FleissKappa, 3)}, Krippendorff's alpha (nominal) {Numbers.Fixed(annotators.KrippendorffAlpha, 3)}");
    }
}

using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics.Bias;

/// <summary>
/// <c>judge agreement</c> on two files: the judge's verdicts and the human votes. Plain MT-Bench-format JSONL files are
/// streamed straight into integer codes (<see cref="CodedLabelsReader"/>: about 21 bytes a label, no record per line);
/// any other file, or one with something the fast path does not decide (a missing or unparsed verdict, a repeat, a
/// malformed line, several judges and no name), is read by <see cref="VerdictImport"/> and <see cref="JudgeRun"/>,
/// which keep or report it as always. Either way the figures come from the one computation,
/// <see cref="AgreementReport.Compute(IReadOnlyList{PairwiseLabel}, IReadOnlyList{PairwiseLabel}, AgreementOptions, string?)"/>'s.
/// Thread-safe.
/// </summary>
public static class AgreementFiles
{
    /// <summary>Reads both files and computes the agreement report, with the per-order figures and the counts of records without a verdict or dropped as repeats.</summary>
    /// <param name="judgments">The judge's verdicts (a judgments file, MT-Bench JSONL, CSV, or a file read through <paramref name="judgeLayout"/>).</param>
    /// <param name="human">The human votes, same shapes.</param>
    /// <param name="options">Filters and the interval.</param>
    /// <param name="judgeName">The judge to compare when the file holds several; <see langword="null"/> when it holds one.</param>
    /// <param name="judgeLayout">The judge file's layout; <see langword="null"/> for MT-Bench's names.</param>
    /// <param name="humanLayout">The human file's layout; <see langword="null"/> for MT-Bench's names.</param>
    /// <param name="columns">The column map of CSV files.</param>
    /// <exception cref="InputException">A file is missing or malformed (naming its line), holds no verdicts, several judges and no name, or no vote by the raters asked for.</exception>
    public static AgreementReport Compute(string judgments, string human, AgreementOptions options, string? judgeName = null, PairwiseLayout? judgeLayout = null, PairwiseLayout? humanLayout = null, CsvColumnMap? columns = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var book = new CodeBook();
        var judge = Single(CodedLabelsReader.TryRead(judgments, judgeLayout, book), judgeName);
        var votes = judge is null ? null : CodedLabelsReader.TryRead(human, humanLayout, book);
        if (judge is not null && votes is not null)
        {
            // Every record had a verdict, none repeated, and the file has no per-order records.
            return AgreementReport.Compute(judge, votes, options, human) with
            {
                JudgeItemsWithoutVerdict = 0,
                JudgeDuplicatesDropped = 0,
                HumanDuplicatesDropped = 0,
            };
        }

        var run = JudgeRun.Load(judgments, judgeName, layout: judgeLayout, columns: columns);
        var humanFile = VerdictImport.ReadReference(human, humanLayout, columns);
        var humanLabels = humanFile.Labels();
        return AgreementReport.Compute(run.Labels, humanLabels, options, human) with
        {
            JudgeItemsWithoutVerdict = run.WithoutVerdict,
            Orders = OrderAgreement.Compute(run.Items ?? [], run.Calls ?? [], humanLabels, options),
            JudgeDuplicatesDropped = run.DuplicatesDropped,
            HumanDuplicatesDropped = humanFile.DuplicatesDropped,
        };
    }

    /// <summary>One judge's labels: the named one's, or the only one's; <see langword="null"/> (read in detail) otherwise.</summary>
    private static CodedLabels? Single(CodedLabels? labels, string? judgeName)
    {
        if (labels is null)
        {
            return null;
        }

        if (judgeName is not null)
        {
            if (!labels.Book.Raters.TryGet(judgeName, out var code))
            {
                return null;
            }

            var kept = labels.OfRater(code);
            return kept.Count > 0 ? kept : null;
        }

        var judges = labels.Rater;
        foreach (var r in judges)
        {
            if (r != judges[0])
            {
                return null;
            }
        }

        return labels;
    }
}

using System.Text.Json;
using Judge.Data;

namespace Judge.Verdicts;

/// <summary>
/// The pairwise verdicts of one file, whatever its format, as Judge's own records: one
/// <see cref="PairwiseVerdict"/> per item (both orders combined) and, where the file had them, one
/// <see cref="JudgeCall"/> per presentation order. Items without a verdict are kept with their status.
/// Immutable once read.
/// </summary>
/// <param name="Path">The file read.</param>
/// <param name="Layout">The layout it was read with (<c>judgments</c> for a Judge judgments file, <c>csv</c> for CSV).</param>
/// <param name="Items">Every item, with or without a verdict, in file order.</param>
/// <param name="Calls">The per-order records (a judgments file's calls, or an imported file's orders); empty when the file had none.</param>
/// <param name="Absolute">A judgments file's absolute grades; empty otherwise.</param>
/// <param name="DuplicatesDropped">Records that repeated an earlier one exactly (same key, same verdict) and were dropped.</param>
/// <param name="IsJudgmentsFile">Whether the file was a Judge judgments file.</param>
public sealed record ImportedVerdicts(
    string Path,
    string Layout,
    IReadOnlyList<PairwiseVerdict> Items,
    IReadOnlyList<JudgeCall> Calls,
    IReadOnlyList<AbsoluteVerdict> Absolute,
    int DuplicatesDropped,
    bool IsJudgmentsFile)
{
    /// <summary>The items with a verdict as labels (rater = the judge); items without one are counted in <see cref="WithoutVerdict"/>.</summary>
    public List<PairwiseLabel> Labels() => JudgmentsReader.PairwiseLabels(Items);

    /// <summary>Items without a verdict (unparsed, out of range, dropped or failed).</summary>
    public int WithoutVerdict => Items.Count(i => i.Winner is null);

    /// <summary>
    /// The answers' texts the file carried (a layout's <c>answer_a</c>/<c>answer_b</c>, turn 1; the first
    /// text of each question and model is kept), for length control and style; empty when it had none.
    /// </summary>
    public IReadOnlyList<ModelAnswer> Answers { get; init; } = [];

    /// <summary>Whether any item or call came from per-order records.</summary>
    public bool HasOrders => Calls.Any(c => c.Order is "AB" or "BA");

    /// <summary>Only the records of <paramref name="judge"/>.</summary>
    public ImportedVerdicts ForJudge(string judge) => this with
    {
        Items = Items.Where(i => string.Equals(i.Judge, judge, StringComparison.Ordinal)).ToArray(),
        Calls = Calls.Where(c => string.Equals(c.Judge, judge, StringComparison.Ordinal)).ToArray(),
        Absolute = Absolute.Where(a => string.Equals(a.Judge, judge, StringComparison.Ordinal)).ToArray(),
    };
}

/// <summary>
/// The one reader of pairwise verdict and label files: a Judge judgments file, MT-Bench-style JSONL,
/// any JSONL or JSON-array file through a <see cref="PairwiseLayout"/>, or CSV through a
/// <see cref="CsvColumnMap"/>. A UTF-8 byte-order mark is tolerated. A record without a usable
/// verdict (<c>"winner": null</c>, an <c>error</c> field, text that is no verdict) is kept with its
/// <see cref="VerdictStatus"/>, never a default; a record that repeats an earlier one exactly is
/// dropped and counted; two records with the same key (judge, question, turn, models, order) and
/// different verdicts are an <see cref="InputException"/> naming both lines. Per-order records are
/// combined by <see cref="BothOrders.Combine"/>. Thread-safe.
/// </summary>
public static partial class VerdictImport
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="layout">Where the fields are (default: MT-Bench's names); ignored for a judgments file and CSV.</param>
    /// <param name="columns">The column map of a CSV file.</param>
    /// <exception cref="InputException">The file is missing or malformed, a required field is missing, or two records conflict.</exception>
    public static ImportedVerdicts Read(string path, PairwiseLayout? layout = null, CsvColumnMap? columns = null) => Read(path, layout, columns, strict: false);

    /// <summary>
    /// Reads reference labels (human votes) from <paramref name="path"/> as <see cref="Read(string, PairwiseLayout?, CsvColumnMap?)"/>
    /// does, except that a vote without a usable label is an <see cref="InputException"/> naming its
    /// line and field: a reference label has no "failed" state. A judgments file gives its verdicts.
    /// </summary>
    public static List<PairwiseLabel> ReadLabels(string path, PairwiseLayout? layout = null, CsvColumnMap? columns = null)
    {
        var labels = ReadReference(path, layout, columns).Labels();
        return labels.Count > 0 ? labels : throw new InputException(path, null, null, "holds no labels (the file is empty, or no record is a pairwise vote)");
    }

    /// <summary>Reads reference labels as <see cref="ReadLabels"/> does, keeping what was read (e.g. the duplicates dropped).</summary>
    public static ImportedVerdicts ReadReference(string path, PairwiseLayout? layout = null, CsvColumnMap? columns = null) =>
        Read(path, layout, columns, strict: true);

    private static ImportedVerdicts Read(string path, PairwiseLayout? layout, CsvColumnMap? columns, bool strict)
    {
        if (DataFiles.IsCsv(path))
        {
            var labels = CsvInput.ReadPairwiseLabels(path, columns ?? new CsvColumnMap());
            var items = labels.Select(l => new PairwiseVerdict
            {
                Item = PairwiseItem.KeyOf(l.QuestionId, l.Turn, l.ModelA, l.ModelB),
                Judge = l.Rater,
                Rubric = "csv",
                QuestionId = l.QuestionId,
                Turn = l.Turn,
                ModelA = l.ModelA,
                ModelB = l.ModelB,
                Winner = l.Winner,
                Status = VerdictStatus.Parsed,
            }).ToArray();
            return new ImportedVerdicts(path, "csv", items, [], [], 0, false);
        }

        return (layout is null || layout == PairwiseLayout.Default) && JudgmentsReader.IsJudgmentsFile(path)
            ? ReadJudgments(path)
            : ReadLayout(path, layout ?? PairwiseLayout.Default, strict);
    }

    private static ImportedVerdicts ReadJudgments(string path)
    {
        var items = new List<PairwiseVerdict>();
        var calls = new List<JudgeCall>();
        var absolute = new List<AbsoluteVerdict>();
        var seen = new Dictionary<(string, string, int?, string), (int Line, string Text)>();
        var dropped = 0;
        foreach (var (line, text) in Jsonl.ReadLines(path))
        {
            var record = JudgmentsReader.ParseRecord(path, line, text);
            var (order, normalized) = record switch
            {
                JudgeCall c => (c.Order, text),
                PairwiseVerdict p => ("item", JsonSerializer.Serialize<JudgmentRecord>(p, JudgmentJsonContext.Default.JudgmentRecord)),
                AbsoluteVerdict a => ("absolute", JsonSerializer.Serialize<JudgmentRecord>(a, JudgmentJsonContext.Default.JudgmentRecord)),
                _ => ("other", text),
            };
            var key = (record.Judge, record.Item, record.Repeat, order);
            if (seen.TryGetValue(key, out var earlier))
            {
                if (earlier.Text == normalized)
                {
                    dropped++;
                    continue;
                }

                if (record is not JudgeCall)
                {
                    throw new InputException(path, line, "item", $"item '{record.Item}' of judge '{record.Judge}' has another, different verdict at line {earlier.Line}");
                }
            }
            else
            {
                seen[key] = (line, normalized);
            }

            switch (record)
            {
                case JudgeCall c:
                    calls.Add(c);
                    break;
                case PairwiseVerdict p:
                    items.Add(p);
                    break;
                case AbsoluteVerdict a:
                    absolute.Add(a);
                    break;
            }
        }

        return new ImportedVerdicts(path, "judgments", items, calls, absolute, dropped, true);
    }

    private static ImportedVerdicts ReadLayout(string path, PairwiseLayout layout, bool strict) => new LayoutReader(path, layout, strict).Read();
}

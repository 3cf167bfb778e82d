using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CsvHelper;
using CsvHelper.Configuration;

namespace Judge.Data;

/// <summary>
/// Maps Judge's logical fields to a spreadsheet's column names. Unmapped fields use their own name
/// as the column name; turns are <c>turn1</c>, <c>turn2</c>, … (or <c>turn_1</c>), or a single
/// <c>question</c> / <c>answer</c> column for one-turn data.
/// </summary>
public sealed partial class CsvColumnMap
{
    private readonly Dictionary<string, string> _columns = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The fields a map may name.</summary>
    public static IReadOnlyList<string> KnownFields { get; } =
        ["question_id", "category", "model_id", "model_a", "model_b", "winner", "judge", "turn", "question", "answer"];

    /// <summary>
    /// Parses <c>field=Column,field=Column</c>; turn fields are <c>turn1</c>, <c>turn2</c>, ….
    /// </summary>
    public static CsvColumnMap Parse(string? spec)
    {
        var map = new CsvColumnMap();
        var allowed = $"{string.Join(", ", KnownFields)}, turn1, turn2, …";
        foreach (var (field, column) in FieldMapSpec.Parse(spec, "column map", f => KnownFields.Contains(f, StringComparer.OrdinalIgnoreCase) || TurnField().IsMatch(f), allowed))
        {
            map._columns[field] = column;
        }

        return map;
    }

    /// <summary>The mapped fields, field to column.</summary>
    public IReadOnlyDictionary<string, string> Columns => _columns;

    /// <summary>The column that holds <paramref name="field"/>.</summary>
    public string Column(string field) => _columns.TryGetValue(field, out var c) ? c : field;

    internal bool IsMapped(string field) => _columns.ContainsKey(field);

    [GeneratedRegex(@"^turn_?\d+$", RegexOptions.IgnoreCase)]
    private static partial Regex TurnField();
}

/// <summary>Reads questions, answers and pairwise labels from CSV files through a <see cref="CsvColumnMap"/>.</summary>
internal static class CsvInput
{
    /// <summary>Reads questions: question_id, optional category, turn columns.</summary>
    public static List<Question> ReadQuestions(string path, CsvColumnMap map) => ReadRows(path, map, row =>
        new Question(row.Required("question_id"), row.Optional("category"), row.Turns("question")) { Source = row.Source });

    /// <summary>Reads answers: question_id, model_id (default: the file name without extension), turn columns.</summary>
    public static List<ModelAnswer> ReadAnswers(string path, CsvColumnMap map, string? defaultModelId = null)
    {
        var fallbackModel = defaultModelId ?? System.IO.Path.GetFileNameWithoutExtension(path);
        return ReadRows(path, map, row =>
            new ModelAnswer(row.Required("question_id"), row.HasColumn("model_id") ? row.Required("model_id") : fallbackModel, row.Turns("answer"))
            {
                Source = row.Source,
            });
    }

    /// <summary>Reads pairwise labels: question_id, model_a, model_b, winner, optional judge and turn.</summary>
    public static List<PairwiseLabel> ReadPairwiseLabels(string path, CsvColumnMap map) => ReadRows(path, map, row =>
    {
        var winnerText = row.Required("winner");
        var winner = PairOutcomes.TryParse(winnerText)
            ?? throw row.Source.Error(map.Column("winner"), $"'{winnerText}' is not one of model_a, model_b, tie, tie (inconsistent)");
        var turnText = row.Optional("turn", "1");
        if (!int.TryParse(turnText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var turn) || turn < 1)
        {
            throw row.Source.Error(map.Column("turn"), $"expected a turn number from 1, found '{turnText}'");
        }

        return new PairwiseLabel(row.Required("question_id"), row.Required("model_a"), row.Required("model_b"), winner, row.Optional("judge"), turn);
    });

    private static List<T> ReadRows<T>(string path, CsvColumnMap map, Func<Row, T> read)
    {
        try
        {
            using var reader = StrictUtf8.Open(path);
            using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { DetectDelimiter = true });
            if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is null)
            {
                throw new InputException(path, 1, null, "expected a header row");
            }

            var header = csv.HeaderRecord;
            var results = new List<T>();
            while (csv.Read())
            {
                var line = csv.Parser.RawRow;
                var cells = csv.Parser.Record ?? [];
                if (cells.All(string.IsNullOrWhiteSpace))
                {
                    continue;
                }

                if (cells.Length != header.Length)
                {
                    throw new InputException(path, line, null, $"has {cells.Length} cells but the header has {header.Length}");
                }

                results.Add(read(new Row(new SourceLocation(path, line), header, cells, map)));
            }

            return results;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, ex is FileNotFoundException or DirectoryNotFoundException ? "file not found" : ex.Message, ex);
        }
        catch (DecoderFallbackException ex)
        {
            throw StrictUtf8.Invalid(path, ex);
        }
        catch (CsvHelperException ex) when (ex.InnerException is DecoderFallbackException inner)
        {
            throw StrictUtf8.Invalid(path, inner);
        }
        catch (CsvHelperException ex)
        {
            throw new InputException(path, ex.Context?.Parser?.RawRow, null, $"malformed CSV ({ex.Message.Split('\n')[0]})", ex);
        }
    }

    private sealed class Row(SourceLocation source, string[] header, string[] cells, CsvColumnMap map)
    {
        public SourceLocation Source { get; } = source;

        public bool HasColumn(string field) => Index(map.Column(field)) >= 0;

        public string Required(string field)
        {
            var column = map.Column(field);
            var i = Index(column);
            if (i < 0)
            {
                throw new InputException(Source.Path, 1, column, $"column is missing (needed for '{field}'; map it with field=Column)");
            }

            return string.IsNullOrWhiteSpace(cells[i]) ? throw Source.Error(column, "is empty") : cells[i];
        }

        public string Optional(string field, string fallback = "")
        {
            var i = Index(map.Column(field));
            return i < 0 || string.IsNullOrWhiteSpace(cells[i]) ? fallback : cells[i];
        }

        public List<string> Turns(string singleField)
        {
            var turns = new List<string>();
            for (var t = 1; ; t++)
            {
                var field = $"turn{t}";
                var column = map.IsMapped(field) ? map.Column(field) : Index($"turn{t}") >= 0 ? $"turn{t}" : $"turn_{t}";
                var i = Index(column);
                if (i < 0 || (t > 1 && string.IsNullOrEmpty(cells[i])))
                {
                    break;
                }

                turns.Add(cells[i]);
            }

            if (turns.Count > 0)
            {
                return turns;
            }

            return [Required(singleField)];
        }

        private int Index(string column) => Array.FindIndex(header, h => string.Equals(h.Trim(), column, StringComparison.OrdinalIgnoreCase));
    }
}

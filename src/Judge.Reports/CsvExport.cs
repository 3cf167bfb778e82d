using System.Globalization;
using System.Text;
using Judge.Data;
using Judge.Runs;
using Judge.Verdicts;

namespace Judge.Reports;

/// <summary>The verdict records as CSV, one row per item and repeat.</summary>
public static class CsvExport
{
    /// <summary>Renders the CSV.</summary>
    public static string Render(RunResult r)
    {
        var sb = new StringBuilder("judge,rubric,item,repeat,question_id,turn,model,model_a,model_b,winner,score,status,flipped,error\n");
        foreach (var v in r.Records.OfType<ItemVerdict>())
        {
            string[] row = v switch
            {
                PairwiseVerdict p => [p.Judge, p.Rubric, p.Item, Int(p.Repeat), p.QuestionId, Int(p.Turn), "", p.ModelA, p.ModelB, p.Winner?.ToWire() ?? "", "", p.Status.ToWire(), p.Flipped is bool f ? (f ? "true" : "false") : "", p.Error ?? ""],
                AbsoluteVerdict s => [s.Judge, s.Rubric, s.Item, Int(s.Repeat), s.QuestionId, Int(s.Turn), s.Model, "", "", "", Numbers.Value(s.Score), s.Status.ToWire(), "", s.Error ?? ""],
                _ => [],
            };
            sb.AppendJoin(',', row.Select(Quote)).Append('\n');
        }

        return sb.ToString();
    }

    private static string Int(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";

    /// <summary>
    /// A field as CSV: quoted where it must be, and a field a spreadsheet would run as a formula (it starts with =, +, -,
    /// @, tab or carriage return, as a model id may) prefixed with an apostrophe, so opening the file runs nothing.
    /// </summary>
    private static string Quote(string field)
    {
        var safe = field.Length > 0 && field[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? "'" + field
            : field;
        return safe.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : safe;
    }
}

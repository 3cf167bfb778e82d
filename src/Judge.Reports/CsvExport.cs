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

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
}

using System.Globalization;
using System.Text;
using Judge.Statistics;

namespace Judge.Reports;

/// <summary><c>judge agreement --format csv</c>: the agreement counts with their exact rates, one row per comparison and tie rule.</summary>
public static class AgreementCsv
{
    /// <summary>Renders <paramref name="report"/> as CSV with a header row.</summary>
    public static string Render(AgreementReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder("comparison,ties,agree,total,rate\n");
        void Row(string who, string ties, AgreementCount f) =>
            sb.Append(CultureInfo.InvariantCulture, $"{who},{ties},{f.Agree},{f.Total},{f.Rate?.ToString("R", CultureInfo.InvariantCulture)}\n");
        Row("judge_vs_human", "with", report.WithTies);
        Row("judge_vs_human", "without", report.WithoutTies);
        if (report.HumanVsHuman is { } hh)
        {
            Row("human_vs_human", "with", hh.WithTies);
            Row("human_vs_human", "without", hh.WithoutTies);
        }

        return sb.ToString();
    }
}

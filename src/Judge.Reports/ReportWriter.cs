using System.Text;
using Judge.Runs;

namespace Judge.Reports;

/// <summary>The files <see cref="ReportWriter.WriteAll"/> wrote, by kind.</summary>
/// <param name="Html">report.html</param>
/// <param name="Markdown">summary.md</param>
/// <param name="JUnit">junit.xml</param>
/// <param name="Csv">verdicts.csv</param>
public sealed record ReportFiles(string Html, string Markdown, string JUnit, string Csv)
{
    /// <summary>The four report files.</summary>
    public IReadOnlyList<string> Paths => [Html, Markdown, JUnit, Csv];

    /// <summary>Every file with its kind, the run's judgments and manifest included.</summary>
    public IReadOnlyDictionary<string, string> All(RunFiles run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["judgments"] = run.Judgments,
            ["manifest"] = run.Manifest,
            ["html"] = Html,
            ["markdown"] = Markdown,
            ["junit"] = JUnit,
            ["csv"] = Csv,
        };
    }
}

/// <summary>Writes every report of a run into a folder: HTML, Markdown, JUnit XML and CSV.</summary>
public static class ReportWriter
{
    /// <summary>The files <see cref="WriteAll"/> writes into <paramref name="folder"/>, so a command can check them before it runs.</summary>
    public static ReportFiles FilesIn(string folder) =>
        new(Path.Combine(folder, "report.html"), Path.Combine(folder, "summary.md"), Path.Combine(folder, "junit.xml"), Path.Combine(folder, "verdicts.csv"));

    /// <summary>Writes the reports of <paramref name="result"/> into <paramref name="folder"/> (UTF-8 without a byte-order mark).</summary>
    public static ReportFiles WriteAll(RunResult result, string folder)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(folder);
        var files = FilesIn(folder);
        var utf8 = new UTF8Encoding(false);
        File.WriteAllText(files.Html, HtmlReport.Render(result), utf8);
        File.WriteAllText(files.Markdown, MarkdownReport.Render(result), utf8);
        File.WriteAllText(files.JUnit, JUnitReport.Render(result), utf8);
        File.WriteAllText(files.Csv, CsvExport.Render(result), utf8);
        return files;
    }
}

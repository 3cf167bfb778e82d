using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Judge.Cli.Commands;
using Judge.Data;
using Judge.Results;
using Judge.Runs;
using Judge.Statistics;
using Spectre.Console;

namespace Judge.Cli.Reports;

/// <summary>Everything the reports of one run are made from.</summary>
internal sealed record RunReport(
    RunConfig Config,
    RunManifest Manifest,
    RunAnalysis Analysis,
    IReadOnlyList<JudgmentRecord> Records,
    AgreementReport? Agreement,
    Dataset Data,
    int ExitCode,
    ProgressSnapshot Progress,
    int JournalServed)
{
    public static string F(double? value, string format = "0.###") => value?.ToString(format, CultureInfo.InvariantCulture) ?? "n/a";

    public static string Ci(ConfidenceInterval? ci) => ci is null ? "n/a" : $"[{F(ci.Lower, "0.00")}, {F(ci.Upper, "0.00")}]";

    public string Outcome => ExitCode switch
    {
        ExitCodes.Ok => "passed",
        ExitCodes.ThresholdFailed => "threshold failed",
        _ => "judge errors above max_error_rate",
    };

    /// <summary>Verdict records with the calls that made them, in file order.</summary>
    public IEnumerable<(JudgmentRecord Verdict, IReadOnlyList<CallRecord> Calls)> Items()
    {
        var calls = new List<CallRecord>();
        foreach (var r in Records)
        {
            if (r is CallRecord c)
            {
                calls.Add(c);
            }
            else
            {
                yield return (r, calls);
                calls = [];
            }
        }
    }
}

/// <summary>Writes every report of a run into its output folder.</summary>
internal static class ReportWriter
{
    public static IReadOnlyDictionary<string, string> WriteAll(RunReport report, string folder)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["judgments"] = Path.Combine(folder, RunCommand.JudgmentsFile),
            ["manifest"] = Path.Combine(folder, RunCommand.ManifestFile),
            ["html"] = Path.Combine(folder, "report.html"),
            ["markdown"] = Path.Combine(folder, "summary.md"),
            ["junit"] = Path.Combine(folder, "junit.xml"),
            ["csv"] = Path.Combine(folder, "verdicts.csv"),
        };
        var utf8 = new UTF8Encoding(false);
        File.WriteAllText(files["html"], HtmlReport.Render(report), utf8);
        File.WriteAllText(files["markdown"], MarkdownReport.Render(report), utf8);
        JUnitReport.Render(report).Save(files["junit"]);
        File.WriteAllText(files["csv"], CsvExport.Render(report), utf8);
        return files;
    }
}

/// <summary>A Markdown summary fit for <c>$GITHUB_STEP_SUMMARY</c>.</summary>
internal static class MarkdownReport
{
    public static string Render(RunReport r)
    {
        var a = r.Analysis;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"## Judge run: {(r.ExitCode == 0 ? "✅" : "❌")} {r.Outcome}\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Mode **{r.Config.Mode.ToString().ToLowerInvariant()}**, judges {string.Join(", ", r.Config.Judges.Select(j => $"`{Md(j)}`"))}, {a.Judgments.Values.Sum()} judgments");
        sb.Append(CultureInfo.InvariantCulture, $" ({string.Join(", ", a.ByStatus.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value}"))}); error rate {a.ErrorRate:P1} (max {r.Config.Thresholds.MaxErrorRate:P1}).\n\n");
        if (a.Gates.Count > 0)
        {
            sb.Append("| gate | judge | model | value | threshold | result |\n|---|---|---|---|---|---|\n");
            foreach (var g in a.Gates)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {g.Name} | `{Md(g.Judge)}` | {Md(g.Model ?? "")} | {RunReport.F(g.Value)} | {RunReport.F(g.Threshold)} | {(g.Passed ? "✅ pass" : "❌ fail")} |\n");
            }

            sb.Append(CultureInfo.InvariantCulture, $"\nGates compare the {(r.Config.Thresholds.GateOn == GateOn.LowerBound ? "lower bound of the bootstrap interval" : "point estimate")}.\n\n");
        }

        if (a.Scores.Count > 0)
        {
            sb.Append("| judge | model | answers | scored | mean | CI | pass rate |\n|---|---|---|---|---|---|---|\n");
            foreach (var s in a.Scores)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| `{Md(s.Judge)}` | {Md(s.Model)} | {s.Items} | {s.Scored} | {RunReport.F(s.Mean, "0.00")} | {RunReport.Ci(s.MeanCi)} | {RunReport.F(s.PassRate, "0.0%")} |\n");
            }

            sb.Append('\n');
        }

        if (a.WinRates.Count > 0)
        {
            sb.Append("| judge | model | opponent | pairs | win rate (ties ½) | CI |\n|---|---|---|---|---|---|\n");
            foreach (var w in a.WinRates)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| `{Md(w.Judge)}` | {Md(w.Model)} | {Md(w.Opponent)} | {w.Items} | {RunReport.F(w.Rate, "0.0%")} | {RunReport.Ci(w.Ci)} |\n");
            }

            sb.Append('\n');
        }

        if (a.Stability.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Repeats: {a.Stability.Count(s => s.Unstable)} of {a.Stability.Count} items unstable across {r.Config.Options.Repeats} repeats.\n\n");
        }

        if (r.Agreement is { } ag)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Agreement with human labels: {RunReport.F(ag.WithTies.Rate, "0.0%")} with ties ({ag.WithTies.Agree}/{ag.WithTies.Total}), {RunReport.F(ag.WithoutTies.Rate, "0.0%")} without ties.\n");
        }

        return sb.ToString();
    }

    private static string Md(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}

/// <summary>JUnit XML: one testcase per gate (and the error-rate gate), optionally one per item.</summary>
internal static class JUnitReport
{
    public static XDocument Render(RunReport r)
    {
        var a = r.Analysis;
        var cases = new List<XElement>
        {
            Case("judge.run", "max_error_rate", a.ErrorRateExceeded ? $"error rate {a.ErrorRate:P1} exceeds {r.Config.Thresholds.MaxErrorRate:P1}" : null),
        };
        cases.AddRange(a.Gates.Select(g => Case($"judge.gates.{g.Judge}", $"{g.Name} {g.Model}", g.Passed ? null : g.Detail)));
        if (r.Config.Thresholds.JUnitPerItem)
        {
            foreach (var (verdict, _) in r.Items())
            {
                var (status, error) = verdict switch
                {
                    PairwiseRecord p => (p.Status, p.Error),
                    AbsoluteRecord s => (s.Status, s.Error),
                    _ => ("parsed", null),
                };
                var name = verdict.Repeat is int rep ? $"{verdict.Item} #{rep}" : verdict.Item;
                cases.Add(Case($"judge.items.{verdict.Judge}", name, status == "parsed" ? null : $"{status}: {error}"));
            }
        }

        var failures = cases.Count(c => c.Element("failure") is not null);
        return new XDocument(
            new XDeclaration("1.0", "utf-8", null),
            new XElement(
                "testsuites",
                new XAttribute("name", "judge run"),
                new XAttribute("tests", cases.Count),
                new XAttribute("failures", failures),
                new XElement(
                    "testsuite",
                    new XAttribute("name", Path.GetFileName(r.Config.SourcePath)),
                    new XAttribute("tests", cases.Count),
                    new XAttribute("failures", failures),
                    new XAttribute("errors", 0),
                    new XAttribute("timestamp", (r.Manifest.FinishedAt ?? r.Manifest.StartedAt).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)),
                    cases)));
    }

    private static XElement Case(string className, string name, string? failure)
    {
        var element = new XElement("testcase", new XAttribute("classname", Clean(className)), new XAttribute("name", Clean(name)));
        if (failure is not null)
        {
            element.Add(new XElement("failure", new XAttribute("message", Clean(failure)), Clean(failure)));
        }

        return element;
    }

    // XML 1.0 cannot hold most control characters even escaped; judge output may contain them.
    private static string Clean(string text) => new(text.Where(c => c is '\t' or '\n' or '\r' || (c >= ' ' && c != '\uFFFE' && c != '\uFFFF')).ToArray());
}

/// <summary>The verdict records as CSV, one row per item and repeat.</summary>
internal static class CsvExport
{
    public static string Render(RunReport r)
    {
        var sb = new StringBuilder("judge,rubric,item,repeat,question_id,turn,model,model_a,model_b,winner,score,status,flipped,error\n");
        foreach (var (v, _) in r.Items())
        {
            string[] row = v switch
            {
                PairwiseRecord p => [p.Judge, p.Rubric, p.Item, Int(p.Repeat), p.QuestionId, Int(p.Turn), "", p.ModelA, p.ModelB, p.Winner ?? "", "", p.Status, p.Flipped is bool f ? (f ? "true" : "false") : "", p.Error ?? ""],
                AbsoluteRecord s => [s.Judge, s.Rubric, s.Item, Int(s.Repeat), s.QuestionId, Int(s.Turn), s.Model, "", "", "", RunReport.F(s.Score, "0.###"), s.Status, "", s.Error ?? ""],
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

/// <summary>The <c>--json</c> summary.</summary>
internal static class JsonSummary
{
    public static string Write(RunReport r, IReadOnlyDictionary<string, string> files)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var a = r.Analysis;
            w.WriteStartObject();
            w.WriteNumber("exit_code", r.ExitCode);
            w.WriteString("outcome", r.Outcome);
            w.WriteString("mode", r.Config.Mode.ToString().ToLowerInvariant());
            w.WriteNumber("planned", r.Manifest.Planned);
            w.WriteNumber("judged_now", r.Progress.Done);
            w.WriteNumber("calls_now", r.Progress.Calls);
            w.WriteNumber("responses_from_journal", r.JournalServed);
            w.WriteNumber("judgments", a.Judgments.Values.Sum());
            w.WriteStartObject("by_status");
            foreach (var (status, n) in a.ByStatus.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                w.WriteNumber(status, n);
            }

            w.WriteEndObject();
            w.WriteNumber("error_rate", a.ErrorRate);
            w.WriteBoolean("error_rate_exceeded", a.ErrorRateExceeded);
            if (r.Progress.Cost is double cost)
            {
                w.WriteNumber("cost", cost);
            }

            w.WriteStartArray("gates");
            foreach (var g in a.Gates)
            {
                w.WriteStartObject();
                w.WriteString("name", g.Name);
                w.WriteString("judge", g.Judge);
                w.WriteString("model", g.Model);
                if (g.Value is double v)
                {
                    w.WriteNumber("value", v);
                }
                else
                {
                    w.WriteNull("value");
                }

                w.WriteNumber("threshold", g.Threshold);
                w.WriteBoolean("passed", g.Passed);
                w.WriteString("detail", g.Detail);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("unstable_items");
            foreach (var s in a.Stability.Where(s => s.Unstable))
            {
                w.WriteStartObject();
                w.WriteString("judge", s.Judge);
                w.WriteString("item", s.Item);
                w.WriteStartArray("verdicts");
                foreach (var v in s.Verdicts)
                {
                    w.WriteStringValue(v);
                }

                w.WriteEndArray();
                if (s.Variance is double variance)
                {
                    w.WriteNumber("variance", variance);
                }

                if (s.Disagreement is double d)
                {
                    w.WriteNumber("disagreement", d);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("files");
            foreach (var (kind, path) in files)
            {
                w.WriteString(kind, path);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

/// <summary>The console summary of a run.</summary>
internal static class RunSummaryView
{
    public static void Write(IAnsiConsole console, RunReport r, IReadOnlyDictionary<string, string> files)
    {
        var a = r.Analysis;
        console.MarkupLineInterpolated($"judgments: {a.Judgments.Values.Sum()} ({string.Join(", ", a.ByStatus.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value}"))}); judged now {r.Progress.Done} with {r.Progress.Calls} calls, {r.JournalServed} responses reused from the journal");
        if (a.Scores.Count > 0)
        {
            foreach (var judge in a.Scores.GroupBy(s => s.Judge, StringComparer.Ordinal))
            {
                var table = new Table().Title(Markup.Escape(judge.Key)).AddColumns("model", "answers", "scored", "mean", "CI", "pass rate");
                foreach (var s in judge)
                {
                    table.AddRow(Markup.Escape(s.Model), s.Items.ToString(CultureInfo.InvariantCulture), s.Scored.ToString(CultureInfo.InvariantCulture), RunReport.F(s.Mean, "0.00"), Markup.Escape(RunReport.Ci(s.MeanCi)), RunReport.F(s.PassRate, "0.0%"));
                }

                console.Write(table);
            }
        }

        if (a.WinRates.Count > 0)
        {
            foreach (var judge in a.WinRates.GroupBy(w => w.Judge, StringComparer.Ordinal))
            {
                var table = new Table().Title(Markup.Escape(judge.Key)).AddColumns("model", "opponent", "pairs", "win rate (ties ½)", "CI");
                foreach (var w in judge)
                {
                    table.AddRow(Markup.Escape(w.Model), Markup.Escape(w.Opponent), w.Items.ToString(CultureInfo.InvariantCulture), RunReport.F(w.Rate, "0.0%"), Markup.Escape(RunReport.Ci(w.Ci)));
                }

                console.Write(table);
            }
        }

        if (a.Stability.Count > 0)
        {
            var unstable = a.Stability.Where(s => s.Unstable).ToList();
            console.MarkupLineInterpolated($"repeats: {unstable.Count} of {a.Stability.Count} items unstable across {r.Config.Options.Repeats} repeats");
            foreach (var s in unstable.Take(10))
            {
                console.MarkupLineInterpolated($"  [yellow]unstable[/] {s.Item}: {string.Join(" / ", s.Verdicts)}{(s.Variance is double v ? $" (variance {v:0.00})" : string.Empty)}");
            }
        }

        if (r.Agreement is { } ag)
        {
            console.MarkupLineInterpolated($"agreement with human labels: {RunReport.F(ag.WithTies.Rate, "0.0%")} with ties ({ag.WithTies.Agree}/{ag.WithTies.Total}), {RunReport.F(ag.WithoutTies.Rate, "0.0%")} without ties");
        }

        var errorLine = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"error rate {a.ErrorRate:P1} (max {r.Config.Thresholds.MaxErrorRate:P1})"));
        console.MarkupLine(a.ErrorRateExceeded ? errorLine + " [red]EXCEEDED[/]" : errorLine);
        foreach (var g in a.Gates)
        {
            console.MarkupLine((g.Passed ? "[green]pass[/] " : "[red]FAIL[/] ") + Markup.Escape($"{g.Name} [{g.Judge}]: {g.Detail}"));
        }

        console.MarkupLineInterpolated($"reports: {files["html"]}, {files["markdown"]}, {files["junit"]}, {files["csv"]}");
        console.MarkupLineInterpolated($"result: {r.Outcome} (exit {r.ExitCode})");
    }
}

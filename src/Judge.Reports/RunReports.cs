using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Judge.Data;
using Judge.Runs;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Reports;

/// <summary>Number and interval formatting, and verdict grouping, shared by every report.</summary>
public static class ReportText
{
    /// <summary>A number in the invariant culture, or <c>n/a</c>.</summary>
    public static string F(double? value, string format = "0.###") => value?.ToString(format, CultureInfo.InvariantCulture) ?? "n/a";

    /// <summary>An interval as <c>[0.12, 0.34]</c>, or <c>n/a</c>.</summary>
    public static string Ci(ConfidenceInterval? ci) => ci is null ? "n/a" : $"[{F(ci.Lower, "0.00")}, {F(ci.Upper, "0.00")}]";

    /// <summary>The cost line: <c>cost: $0.0123 for 40 calls</c> (with the unpriced ones counted), or why there is none.</summary>
    public static string Cost(Judging.CostTotals cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        if (cost.PricedCalls == 0)
        {
            return cost.Calls == 0 ? "cost: no judge calls" : "cost: unknown, no call was priced (a local or replayed judge, or no price for the model)";
        }

        var unpriced = cost.Calls - cost.PricedCalls;
        return string.Create(CultureInfo.InvariantCulture, $"cost: ${cost.Usd:0.0000} for {cost.Calls} calls{(unpriced > 0 ? $" ({unpriced} unpriced)" : string.Empty)}");
    }

    /// <summary>A judge spec as a short label: the scheme and the target's file name (<c>replay:recorded_judgments.jsonl</c>), no options.</summary>
    public static string JudgeLabel(string judge)
    {
        ArgumentNullException.ThrowIfNull(judge);
        var colon = judge.IndexOf(':', StringComparison.Ordinal);
        var query = judge.IndexOf('?', StringComparison.Ordinal);
        var target = colon < 0 ? judge : judge[(colon + 1)..(query > colon ? query : judge.Length)];
        var name = target.Contains('/', StringComparison.Ordinal) || target.Contains('\\', StringComparison.Ordinal) ? Path.GetFileName(target) : target;
        return colon < 0 ? name : $"{judge[..colon]}:{name}";
    }
}

/// <summary>The files <see cref="ReportWriter.WriteAll"/> wrote, by kind.</summary>
/// <param name="Html">report.html</param>
/// <param name="Markdown">summary.md</param>
/// <param name="JUnit">junit.xml</param>
/// <param name="Csv">verdicts.csv</param>
public sealed record ReportFiles(string Html, string Markdown, string JUnit, string Csv)
{
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
    /// <summary>Writes the reports of <paramref name="result"/> into <paramref name="folder"/> (UTF-8 without a byte-order mark).</summary>
    public static ReportFiles WriteAll(RunResult result, string folder)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(folder);
        var files = new ReportFiles(Path.Combine(folder, "report.html"), Path.Combine(folder, "summary.md"), Path.Combine(folder, "junit.xml"), Path.Combine(folder, "verdicts.csv"));
        var utf8 = new UTF8Encoding(false);
        File.WriteAllText(files.Html, HtmlReport.Render(result), utf8);
        File.WriteAllText(files.Markdown, MarkdownReport.Render(result), utf8);
        File.WriteAllText(files.JUnit, JUnitReport.Render(result), utf8);
        File.WriteAllText(files.Csv, CsvExport.Render(result), utf8);
        return files;
    }
}

/// <summary>A Markdown summary fit for <c>$GITHUB_STEP_SUMMARY</c>.</summary>
public static class MarkdownReport
{
    /// <summary>Renders the summary.</summary>
    public static string Render(RunResult r)
    {
        var a = r.Analysis;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"## Judge run: {(r.Outcome == RunOutcome.Passed ? "✅" : "❌")} {r.OutcomeText}\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Mode **{r.Config.Mode.ToString().ToLowerInvariant()}**, judges {string.Join(", ", r.Config.Judges.Select(j => $"`{Md(j.Text)}`"))}, {a.Judgments.Values.Sum()} judgments");
        sb.Append(CultureInfo.InvariantCulture, $" ({string.Join(", ", a.ByStatus.OrderBy(s => s.Key).Select(s => $"{s.Key.ToWire()} {s.Value}"))}); error rate {a.ErrorRate:P1} (max {r.Config.Thresholds.MaxErrorRate:P1}); {ReportText.Cost(a.Cost)}.\n\n");
        if (a.Gates.Count > 0)
        {
            sb.Append("| gate | judge | rubric | model | value | threshold | result | detail |\n|---|---|---|---|---|---|---|---|\n");
            foreach (var g in a.Gates)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {g.Name} | `{Md(g.Judge ?? "")}` | {Md(g.Rubric ?? "")} | {Md(g.Model ?? "")} | {ReportText.F(g.Value)} | {ReportText.F(g.Threshold)} | {(g.Passed ? "✅ pass" : "❌ fail")} | {Md(g.Detail)} |\n");
            }

            sb.Append(CultureInfo.InvariantCulture, $"\nGates compare the {(r.Config.Thresholds.GateOn == GateOn.LowerBound ? "lower bound of the bootstrap interval" : "point estimate")}.\n\n");
        }

        if (a.Scores.Count > 0)
        {
            sb.Append("| judge | rubric | model | answers | scored | without verdict | mean | CI | pass rate |\n|---|---|---|---|---|---|---|---|---|\n");
            foreach (var s in a.Scores)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| `{Md(s.Judge)}` | {Md(s.Rubric)} | {Md(s.Model)} | {s.Items} | {s.Scored} | {s.Missing} | {ReportText.F(s.Mean, "0.00")} | {ReportText.Ci(s.MeanCi)} | {ReportText.F(s.PassRate, "0.0%")} |\n");
            }

            sb.Append('\n');
        }

        if (a.WinRates.Count > 0)
        {
            sb.Append("| judge | rubric | model | opponent | pairs | with verdict | without verdict | win rate (ties ½) | CI |\n|---|---|---|---|---|---|---|---|---|\n");
            foreach (var w in a.WinRates)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| `{Md(w.Judge)}` | {Md(w.Rubric)} | {Md(w.Model)} | {Md(w.Opponent ?? "all")} | {w.Items} | {w.WithVerdict} | {w.Missing} | {ReportText.F(w.Rate, "0.0%")} | {ReportText.Ci(w.Ci)} |\n");
            }

            sb.Append('\n');
        }

        if (a.Stability.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Repeats: {a.Stability.Count(s => s.Unstable)} of {a.Stability.Count} items unstable across {r.Config.Options.Repeats} repeats.\n\n");
        }

        if (r.Agreement is { } ag)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Agreement with human labels ({HumanRaters.Describe(ag.HumanRaterPrefix)}): {ReportText.F(ag.WithTies.Rate, "0.0%")} with ties ({ag.WithTies.Agree}/{ag.WithTies.Total}), {ReportText.F(ag.WithoutTies.Rate, "0.0%")} without ties.\n");
            if (ag.Orders is { } o)
            {
                sb.Append(CultureInfo.InvariantCulture, $"Per presentation order ({o.Items} items in both orders; an order without a verdict counts as wrong): A first {ReportText.F(o.WithTies.Ab.Rate, "0.0%")} ({o.WithTies.Ab.Agree}/{o.WithTies.Ab.Total}), B first {ReportText.F(o.WithTies.Ba.Rate, "0.0%")} ({o.WithTies.Ba.Agree}/{o.WithTies.Ba.Total}), mean {ReportText.F(o.WithTies.Mean, "0.0%")}; correct in both orders {ReportText.F(o.WithTies.BothOrders.Rate, "0.0%")} ({o.WithTies.BothOrders.Agree}/{o.WithTies.BothOrders.Total}); positional consistency {ReportText.F(o.PositionalConsistency.Rate, "0.0%")} ({o.PositionalConsistency.Agree}/{o.PositionalConsistency.Total}). Without ties: mean {ReportText.F(o.WithoutTies.Mean, "0.0%")}, both orders {ReportText.F(o.WithoutTies.BothOrders.Rate, "0.0%")}.\n");
            }
        }

        return sb.ToString();
    }

    private static string Md(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}

/// <summary>
/// JUnit XML: one testcase per configured gate (passed, failed, or an error when there was nothing to
/// measure), the error-rate bound, and optionally one per item. Class names are fixed words, never
/// paths or judge specs; the judge and rubric are in the test name.
/// </summary>
public static class JUnitReport
{
    /// <summary>Renders the XML (write it as UTF-8 without a byte-order mark).</summary>
    public static string Render(RunResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var a = r.Analysis;
        var seconds = Seconds(r.Progress.Elapsed);
        var cases = new List<XElement>
        {
            Case("judge.run", "max_error_rate", 0, a.ErrorRateExceeded ? $"error rate {a.ErrorRate:P1} exceeds {r.Config.Thresholds.MaxErrorRate:P1}" : null, error: false),
        };
        foreach (var g in a.Gates)
        {
            var name = g.Judge is null ? g.Name : $"{g.Name} [judge {ReportText.JudgeLabel(g.Judge)}; rubric {g.Rubric}; model {g.Model}]";
            cases.Add(Case("judge.gates", name, 0, g.Passed ? null : g.Detail, error: g.Unmeasured));
        }

        if (r.Config.Thresholds.JUnitPerItem)
        {
            foreach (var verdict in r.Records.OfType<ItemVerdict>())
            {
                var (status, error) = verdict switch
                {
                    PairwiseVerdict p => (p.Status, p.Error),
                    AbsoluteVerdict s => (s.Status, s.Error),
                    _ => (VerdictStatus.Parsed, null),
                };
                var name = $"{verdict.Item}{(verdict.Repeat is int rep ? $" #{rep}" : string.Empty)} [judge {ReportText.JudgeLabel(verdict.Judge)}]";
                var time = verdict.Calls.Sum(c => c.LatencyMs) / 1000;
                cases.Add(Case("judge.items", name, time, status == VerdictStatus.Parsed ? null : $"{status.ToWire()}: {error}", error: status == VerdictStatus.Error));
            }
        }

        var failures = cases.Count(c => c.Element("failure") is not null);
        var errors = cases.Count(c => c.Element("error") is not null);
        var document = new XDocument(
            new XDeclaration("1.0", "utf-8", null),
            new XElement(
                "testsuites",
                new XAttribute("name", "judge run"),
                new XAttribute("tests", cases.Count),
                new XAttribute("failures", failures),
                new XAttribute("errors", errors),
                new XAttribute("time", seconds),
                new XElement(
                    "testsuite",
                    new XAttribute("name", "judge"),
                    new XAttribute("tests", cases.Count),
                    new XAttribute("failures", failures),
                    new XAttribute("errors", errors),
                    new XAttribute("time", seconds),
                    new XAttribute("timestamp", (r.Manifest.FinishedAt ?? r.Manifest.StartedAt).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)),
                    cases)));
        var text = new StringBuilder();
        using (var writer = XmlWriter.Create(text, new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) }))
        {
            document.Save(writer);
        }

        return text.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal) + "\n";
    }

    private static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static XElement Case(string className, string name, double seconds, string? problem, bool error)
    {
        var element = new XElement("testcase", new XAttribute("classname", className), new XAttribute("name", Clean(name)), new XAttribute("time", seconds.ToString("0.###", CultureInfo.InvariantCulture)));
        if (problem is not null)
        {
            element.Add(new XElement(error ? "error" : "failure", new XAttribute("message", Clean(problem)), Clean(problem)));
        }

        return element;
    }

    // XML 1.0 cannot hold most control characters even escaped; judge output may contain them.
    private static string Clean(string text) => new(text.Where(c => c is '\t' or '\n' or '\r' || (c >= ' ' && c != '\uFFFE' && c != '\uFFFF')).ToArray());
}

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
                AbsoluteVerdict s => [s.Judge, s.Rubric, s.Item, Int(s.Repeat), s.QuestionId, Int(s.Turn), s.Model, "", "", "", ReportText.F(s.Score, "0.###"), s.Status.ToWire(), "", s.Error ?? ""],
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
public static class JsonSummary
{
    /// <summary>The summary as indented JSON.</summary>
    public static string Write(RunResult r, IReadOnlyDictionary<string, string> files, int? exitCode = null)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var a = r.Analysis;
            w.WriteStartObject();
            if (exitCode is int code)
            {
                w.WriteNumber("exit_code", code);
            }

            w.WriteString("outcome", r.OutcomeText);
            w.WriteString("mode", r.Config.Mode.ToString().ToLowerInvariant());
            w.WriteNumber("planned", r.Manifest.Planned);
            w.WriteNumber("judged_now", r.Progress.Done);
            w.WriteNumber("calls_now", r.Progress.Calls);
            w.WriteNumber("responses_from_journal", r.JournalServed);
            w.WriteNumber("judgments", a.Judgments.Values.Sum());
            w.WriteStartObject("by_status");
            foreach (var (status, n) in a.ByStatus.OrderBy(s => s.Key))
            {
                w.WriteNumber(status.ToWire(), n);
            }

            w.WriteEndObject();
            w.WriteNumber("error_rate", a.ErrorRate);
            w.WriteBoolean("error_rate_exceeded", a.ErrorRateExceeded);
            if (a.Cost.PricedCalls > 0)
            {
                w.WriteNumber("cost_usd", a.Cost.Usd);
            }

            w.WriteNumber("calls", a.Cost.Calls);
            w.WriteNumber("priced_calls", a.Cost.PricedCalls);

            w.WriteStartArray("gates");
            foreach (var g in a.Gates)
            {
                w.WriteStartObject();
                w.WriteString("name", g.Name);
                w.WriteString("judge", g.Judge);
                w.WriteString("rubric", g.Rubric);
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

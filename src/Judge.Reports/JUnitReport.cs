using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Judge.Data;
using Judge.Runs;
using Judge.Verdicts;

namespace Judge.Reports;

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
            Case("judge.run", "max_error_rate", 0, a.ErrorRateExceeded ? $"error rate {Numbers.Percent(a.ErrorRate)} exceeds {Numbers.Percent(r.Config.Thresholds.MaxErrorRate)}" : null, error: false),
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

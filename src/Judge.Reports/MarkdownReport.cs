using System.Globalization;
using System.Text;
using Judge.Data;
using Judge.Runs;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Reports;

/// <summary>A Markdown summary fit for <c>$GITHUB_STEP_SUMMARY</c>.</summary>
public static class MarkdownReport
{
    /// <summary>Renders the summary.</summary>
    public static string Render(RunResult r)
    {
        var a = r.Analysis;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"## Judge run: {(r.Outcome == RunOutcome.Passed ? "✅" : "❌")} {r.OutcomeText}\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Mode **{r.Config.Mode.ToString().ToLowerInvariant()}**, judges {string.Join(", ", r.Config.Judges.Select(j => $"{Md(j.Text)}"))}, {a.Judgments.Values.Sum()} judgments");
        sb.Append(CultureInfo.InvariantCulture, $" ({string.Join(", ", a.ByStatus.OrderBy(s => s.Key).Select(s => $"{s.Key.ToWire()} {s.Value}"))}); error rate {Numbers.Percent(a.ErrorRate)} (max {Numbers.Percent(r.Config.Thresholds.MaxErrorRate)}); {ReportText.Cost(a.Cost)}.\n\n");
        foreach (var caution in ReportText.Cautions(r))
        {
            sb.Append(CultureInfo.InvariantCulture, $"> ⚠️ caution: {Md(caution)}\n\n");
        }

        if (ReportText.Cascade(r) is { Count: > 0 } cascade)
        {
            sb.Append("**Cascade**\n\n");
            foreach (var line in cascade)
            {
                sb.Append(CultureInfo.InvariantCulture, $"- {Md(line)}\n");
            }

            sb.Append('\n');
        }

        if (a.Gates.Count > 0)
        {
            sb.Append("| gate | judge | rubric | model | value | threshold | result | detail |\n|---|---|---|---|---|---|---|---|\n");
            foreach (var g in a.Gates)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {g.Name} | {Md(g.Judge ?? "")} | {Md(g.Rubric ?? "")} | {Md(g.Model ?? "")} | {Numbers.Gate(g, g.Value)} | {Numbers.Gate(g, g.Threshold)} | {(g.Passed ? "✅ pass" : "❌ fail")} | {Md(g.Detail)} |\n");
            }

            sb.Append(CultureInfo.InvariantCulture, $"\nGates compare the {(r.Config.Thresholds.GateOn == GateOn.LowerBound ? "lower bound of the bootstrap interval" : "point estimate")}.\n\n");
        }

        if (a.Scores.Count > 0)
        {
            sb.Append("| judge | rubric | model | answers | scored | without verdict | mean | CI | pass rate |\n|---|---|---|---|---|---|---|---|---|\n");
            foreach (var s in a.Scores)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {Md(s.Judge)} | {Md(s.Rubric)} | {Md(s.Model)} | {s.Items} | {s.Scored} | {s.Missing} | {Numbers.Fixed(s.Mean)} | {Numbers.Interval(s.MeanCi)} | {Numbers.Percent(s.PassRate)} |\n");
            }

            sb.Append('\n');
        }

        if (a.WinRates.Count > 0)
        {
            sb.Append("| judge | rubric | model | opponent | pairs | with verdict | without verdict | win rate (ties ½) | CI |\n|---|---|---|---|---|---|---|---|---|\n");
            foreach (var w in a.WinRates)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {Md(w.Judge)} | {Md(w.Rubric)} | {Md(w.Model)} | {Md(w.Opponent ?? "all")} | {w.Items} | {w.WithVerdict} | {w.Missing} | {Numbers.Percent(w.Rate)} | {Numbers.PercentInterval(w.Ci)} |\n");
            }

            sb.Append('\n');
        }

        if (a.Stability.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Repeats: {a.Stability.Count(s => s.Unstable)} of {a.Stability.Count} items unstable across {r.Config.Options.Repeats} repeats.\n\n");
        }

        if (r.Agreement is { } ag)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Agreement with human labels ({HumanRaters.Describe(ag.HumanRaterPrefix)}): {Numbers.Percent(ag.WithTies.Rate)} with ties ({ag.WithTies.Agree}/{ag.WithTies.Total}), {Numbers.Percent(ag.WithoutTies.Rate)} without ties.\n");
            if (ag.Orders is { } o)
            {
                sb.Append(CultureInfo.InvariantCulture, $"Per presentation order ({o.Items} items in both orders; an order without a verdict counts as wrong): A first {Numbers.Percent(o.WithTies.Ab.Rate)} ({o.WithTies.Ab.Agree}/{o.WithTies.Ab.Total}), B first {Numbers.Percent(o.WithTies.Ba.Rate)} ({o.WithTies.Ba.Agree}/{o.WithTies.Ba.Total}), mean {Numbers.Percent(o.WithTies.Mean)}; correct in both orders {Numbers.Percent(o.WithTies.BothOrders.Rate)} ({o.WithTies.BothOrders.Agree}/{o.WithTies.BothOrders.Total}); positional consistency {Numbers.Percent(o.PositionalConsistency.Rate)} ({o.PositionalConsistency.Agree}/{o.PositionalConsistency.Total}; publishers' over all items, both missing agreeing: {Numbers.Percent(o.PositionalAgreementAllItems.Rate)}). Without ties: mean {Numbers.Percent(o.WithoutTies.Mean)}, both orders {Numbers.Percent(o.WithoutTies.BothOrders.Rate)}.\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Text from the run (model ids, judge specs, rubric names, messages) as inert Markdown: HTML special characters as
    /// entities, the Markdown punctuation that acts mid-line (emphasis, links, code, tables) backslash-escaped, line breaks and control characters as spaces, so nothing a model
    /// id holds can open a tag, a link, an image or a code span, or break a table row.
    /// </summary>
    internal static string Md(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => sb.Append("&amp;"),
                '<' => sb.Append("&lt;"),
                '>' => sb.Append("&gt;"),
                '\\' or '`' or '*' or '_' or '[' or ']' or '|' or '~' => sb.Append('\\').Append(c),
                _ when char.IsControl(c) => sb.Append(' '),
                _ => sb.Append(c),
            };
        }

        return sb.ToString();
    }
}

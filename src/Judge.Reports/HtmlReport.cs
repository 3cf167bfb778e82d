using System.Globalization;
using System.Net;
using System.Text;
using Judge.Data;
using Judge.Runs;
using Judge.Verdicts;

namespace Judge.Reports;

/// <summary>
/// The run report: one self-contained HTML file (inline CSS, inline SVG charts, a few lines of inline
/// script for the item filter; nothing fetched). Every text that comes from data, judges or configs
/// is HTML-escaped, so a judge output holding <c>&lt;script&gt;</c> is shown, not run.
/// </summary>
public static class HtmlReport
{
    private const string Style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:1rem 2rem;color:#1d2330;background:#fff}
        h1{margin-bottom:.2rem}h2{border-bottom:2px solid #e3e7ef;padding-bottom:.3rem;margin-top:2rem}
        table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}th,td{border:1px solid #d9dee8;padding:.3rem .6rem;text-align:left;vertical-align:top}
        th{background:#f3f5f9}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        .badge{display:inline-block;padding:.2rem .7rem;border-radius:1rem;font-weight:600;color:#fff}
        .ok{background:#1f8a4c}.fail{background:#c62828}.warn{background:#b26a00}
        .pass{color:#1f8a4c;font-weight:600}.bad{color:#c62828;font-weight:600}
        .meta{color:#5b6478;font-size:.9rem}.caution{background:#fff4e5;border-left:4px solid #e65100;padding:.4rem .8rem;font-weight:600}.chart svg{max-width:100%;height:auto}
        pre{white-space:pre-wrap;word-break:break-word;background:#f7f8fb;border:1px solid #e3e7ef;padding:.5rem;max-height:24rem;overflow:auto;font-size:.82rem}
        details summary{cursor:pointer;color:#2a5db0}#filters{display:flex;gap:.6rem;align-items:center;margin:.5rem 0}
        #filters input,#filters select{padding:.3rem;font-size:.9rem}#items td{max-width:40rem}
        """;

    private const string Script = """
        (function () {
          function apply() {
            var text = document.getElementById('f-text').value.toLowerCase();
            var status = document.getElementById('f-status').value;
            var judge = document.getElementById('f-judge').value;
            var shown = 0;
            var rows = document.querySelectorAll('#items tbody tr.item');
            for (var i = 0; i < rows.length; i++) {
              var r = rows[i];
              var ok = (!status || r.getAttribute('data-status') === status)
                && (!judge || r.getAttribute('data-judge') === judge)
                && (!text || r.textContent.toLowerCase().indexOf(text) >= 0);
              r.style.display = ok ? '' : 'none';
              if (ok) { shown++; }
            }
            document.getElementById('f-count').textContent = shown + ' of ' + rows.length + ' shown';
          }
          document.addEventListener('DOMContentLoaded', function () {
            ['f-text', 'f-status', 'f-judge'].forEach(function (id) {
              var el = document.getElementById(id);
              if (el) { el.addEventListener('input', apply); el.addEventListener('change', apply); }
            });
            if (document.getElementById('items')) { apply(); }
            document.body.setAttribute('data-report-ready', '1');
          });
        })();
        """;

    /// <summary>Renders the report of a run.</summary>
    public static string Render(RunResult r)
    {
        var a = r.Analysis;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        html.Append("<title>Judge run report</title><style>").Append(Style).Append("</style></head><body>\n");
        var badge = r.Outcome switch { RunOutcome.Passed => "ok", RunOutcome.GatesFailed => "fail", _ => "warn" };
        html.Append(Inv($"<h1>Judge run report <span class=\"badge {badge}\">{E(r.OutcomeText)}</span></h1>\n"));
        html.Append(Inv($"<p class=\"meta\">config {E(r.Config.SourcePath)} · mode {E(r.Config.Mode.ToString().ToLowerInvariant())} · started {E(r.Manifest.StartedAt.ToString("u", CultureInfo.InvariantCulture))}"));
        html.Append(Inv($" · finished {E(r.Manifest.FinishedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "unfinished")}{(r.Manifest.ResumedAt.Count > 0 ? $" · resumed {r.Manifest.ResumedAt.Count}×" : string.Empty)}</p>\n"));

        Summary(html, r);
        Gates(html, r);
        if (a.Scores.Count > 0)
        {
            Scores(html, r);
        }

        if (a.WinRates.Count > 0)
        {
            WinRates(html, r);
        }

        if (r.Agreement is not null)
        {
            AgreementPanel(html, r);
        }

        if (a.Flips.BothOrders > 0 || r.Records.OfType<JudgeCall>().Any(c => c.Order == "BA"))
        {
            Positions(html, r);
        }

        if (a.Stability.Count > 0)
        {
            Stability(html, r);
        }

        Items(html, r);
        html.Append("<script>").Append(Script).Append("</script>\n</body></html>\n");
        return html.ToString();
    }

    private static void Summary(StringBuilder html, RunResult r)
    {
        var a = r.Analysis;
        foreach (var caution in ReportText.Cautions(r))
        {
            html.Append("<p class=\"caution\">caution: ").Append(E(caution)).Append("</p>\n");
        }

        if (ReportText.Cascade(r) is { Count: > 0 } cascade)
        {
            html.Append("<h2>Cascade</h2><ul>");
            foreach (var line in cascade)
            {
                html.Append("<li>").Append(E(line)).Append("</li>");
            }

            html.Append("</ul>\n");
        }

        html.Append("<h2>Summary</h2><table><tr><th>judges</th><td>").AppendJoin("<br>", r.Config.Judges.Select(j => E(j.Text))).Append("</td></tr>");
        html.Append(Inv($"<tr><th>rubrics</th><td>{E(string.Join(", ", ReportText.RubricsJudged(r)))}</td></tr>"));
        html.Append(Inv($"<tr><th>judgments</th><td class=\"num\">{a.Judgments.Values.Sum()} of {r.Manifest.Planned} planned ({r.Config.Options.Repeats} repeat(s))</td></tr>"));
        html.Append(Inv($"<tr><th>by status</th><td>{E(string.Join(", ", a.ByStatus.OrderBy(s => s.Key).Select(s => $"{s.Key.ToWire()} {s.Value}")))}</td></tr>"));
        html.Append(Inv($"<tr><th>judge calls</th><td class=\"num\">{a.Cost.Calls} recorded; tokens in {a.Cost.InputTokens}, out {a.Cost.OutputTokens}; {ReportText.Cost(a.Cost)}</td></tr>"));
        html.Append(Inv($"<tr><th>error rate</th><td class=\"{(a.ErrorRateExceeded ? "bad" : "pass")}\">{Numbers.Percent(a.ErrorRate)} (max {Numbers.Percent(r.Config.Thresholds.MaxErrorRate)})</td></tr></table>\n"));
    }

    private static void Gates(StringBuilder html, RunResult r)
    {
        var a = r.Analysis;
        html.Append("<h2>Gates</h2>");
        if (a.Gates.Count == 0)
        {
            html.Append("<p>No quality thresholds are configured.</p>\n");
            return;
        }

        html.Append(Inv($"<p class=\"meta\">Gated on the {(r.Config.Thresholds.GateOn == GateOn.LowerBound ? $"lower bound of the {Numbers.Percent(r.Config.Thresholds.Confidence, 0)} bootstrap interval" : "point estimate")}. Items without a verdict are left out of every rate and mean and counted beside it; a gate with nothing to measure fails.</p>"));
        html.Append("<table><tr><th>gate</th><th>judge</th><th>rubric</th><th>model</th><th>value</th><th>threshold</th><th>result</th><th>detail</th></tr>");
        foreach (var g in a.Gates)
        {
            html.Append(Inv($"<tr><td>{E(g.Name)}</td><td>{E(g.Judge ?? "")}</td><td>{E(g.Rubric ?? "")}</td><td>{E(g.Model ?? "")}</td><td class=\"num\">{Numbers.Gate(g, g.Value)}</td><td class=\"num\">{Numbers.Gate(g, g.Threshold)}</td><td class=\"{(g.Passed ? "pass" : "bad")}\">{(g.Passed ? "pass" : "FAIL")}</td><td>{E(g.Detail)}</td></tr>"));
        }

        html.Append("</table>\n");
    }

    private static void Scores(StringBuilder html, RunResult r)
    {
        var a = r.Analysis;
        html.Append("<h2>Scores per model</h2><table><tr><th>judge</th><th>rubric</th><th>model</th><th>answers</th><th>scored</th><th>without verdict</th><th>mean</th><th>interval</th><th>pass rate</th><th>interval</th></tr>");
        foreach (var s in a.Scores)
        {
            html.Append(Inv($"<tr><td>{E(s.Judge)}</td><td>{E(s.Rubric)}</td><td>{E(s.Model)}</td><td class=\"num\">{s.Items}</td><td class=\"num\">{s.Scored}</td><td>{E(s.Missing.ToString())}</td><td class=\"num\">{Numbers.Fixed(s.Mean)}</td><td>{Numbers.Interval(s.MeanCi)}</td><td class=\"num\">{Numbers.Percent(s.PassRate)}</td><td>{Numbers.PercentInterval(s.PassCi)}</td></tr>"));
        }

        html.Append("</table>");
        foreach (var judge in a.Scores.GroupBy(s => (s.Judge, s.Rubric)))
        {
            html.Append("<h3>").Append(E(judge.Key.Judge)).Append(" · ").Append(E(judge.Key.Rubric)).Append("</h3>");
            var bars = judge.Where(s => s.Mean is not null).Select(s => (s.Model, s.Mean!.Value, s.MeanCi?.Lower, s.MeanCi?.Upper)).ToList();
            if (bars.Count > 0)
            {
                html.Append("<div class=\"chart\">").Append(Charts.BarsWithIntervals("Mean score and bootstrap interval", "mean score", bars, r.Config.Thresholds.MinMeanScore)).Append("</div>");
            }

            html.Append("<div class=\"chart\">")
                .Append(Charts.Distribution("Score distribution (every repeat)", judge.Select(s => (s.Model, s.Scores)).ToList()))
                .Append("</div>\n");
        }
    }

    private static void WinRates(StringBuilder html, RunResult r)
    {
        var a = r.Analysis;
        html.Append("<h2>Win rates</h2><p class=\"meta\">Row model against column model: wins plus half the ties, over the pairs with a verdict; pairs without a verdict are left out and shown in the cell's tooltip.</p>");
        foreach (var judge in a.WinRates.GroupBy(w => (w.Judge, w.Rubric)))
        {
            var models = judge.Select(w => w.Model).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            html.Append(Inv($"<h3>{E(judge.Key.Judge)} · {E(judge.Key.Rubric)}</h3><table><tr><th></th>"));
            foreach (var m in models)
            {
                html.Append("<th>").Append(E(m)).Append("</th>");
            }

            html.Append("</tr>");
            foreach (var row in models)
            {
                html.Append("<tr><th>").Append(E(row)).Append("</th>");
                foreach (var col in models)
                {
                    var w = judge.FirstOrDefault(w => w.Model == row && w.Opponent == col);
                    if (w?.Rate is double rate)
                    {
                        var hue = (int)Math.Round(rate * 120);
                        html.Append(Inv($"<td class=\"num\" style=\"background:hsl({hue},60%,85%)\" title=\"{w.WithVerdict} of {w.Items} pairs with a verdict (without: {w.Missing}), interval {Numbers.PercentInterval(w.Ci)}\">{Numbers.Percent(rate, 0)}</td>"));
                    }
                    else
                    {
                        html.Append("<td></td>");
                    }
                }

                html.Append("</tr>");
            }

            html.Append("</table>");
            html.Append("<table><tr><th>model</th><th>pairs</th><th>wins</th><th>losses</th><th>ties</th><th>without verdict</th><th>win rate</th><th>interval</th></tr>");
            foreach (var w in judge.Where(w => w.Opponent is null).OrderByDescending(w => w.Rate ?? -1))
            {
                html.Append(Inv($"<tr><td>{E(w.Model)}</td><td class=\"num\">{w.Items}</td><td class=\"num\">{Numbers.Tally(w.Wins)}</td><td class=\"num\">{Numbers.Tally(w.Losses)}</td><td class=\"num\">{Numbers.Tally(w.Ties)}</td><td>{E(w.Missing.ToString())}</td><td class=\"num\">{Numbers.Percent(w.Rate)}</td><td>{Numbers.PercentInterval(w.Ci)}</td></tr>"));
            }

            html.Append("</table>");
            var baseline = r.Config.Thresholds.Baseline;
            var against = baseline is null ? [] : judge.Where(w => w.Opponent == baseline && w.Rate is not null).ToList();
            if (against.Count > 0)
            {
                var bars = against.Select(w => (w.Model, w.Rate!.Value, w.Ci?.Lower, w.Ci?.Upper)).ToList();
                html.Append("<div class=\"chart\">").Append(Charts.BarsWithIntervals($"Win rate against {baseline}", "win rate", bars, r.Config.Thresholds.MinWinRate, 1, percent: true)).Append("</div>\n");
            }
        }
    }

    private static void AgreementPanel(StringBuilder html, RunResult r)
    {
        var ag = r.Agreement!;
        html.Append(Inv($"<h2>Agreement with human labels</h2><p class=\"meta\">human votes by {E(Statistics.HumanRaters.Describe(ag.HumanRaterPrefix))}</p><table>"));
        html.Append(Inv($"<tr><th>with ties</th><td class=\"num\">{Numbers.Percent(ag.WithTies.Rate)} ({ag.WithTies.Agree}/{ag.WithTies.Total})</td><td>{Numbers.PercentInterval(ag.Ci?.Lower, ag.Ci?.Upper)}</td></tr>"));
        html.Append(Inv($"<tr><th>without ties</th><td class=\"num\">{Numbers.Percent(ag.WithoutTies.Rate)} ({ag.WithoutTies.Agree}/{ag.WithoutTies.Total})</td><td>{Numbers.PercentInterval(ag.CiWithoutTies?.Lower, ag.CiWithoutTies?.Upper)}</td></tr>"));
        html.Append(Inv($"<tr><th>Cohen's kappa</th><td class=\"num\">{Numbers.Fixed(ag.CohenKappa, 3)}</td><td></td></tr>"));
        if (ag.HumanVsHuman is { } hh)
        {
            html.Append(Inv($"<tr><th>human vs human</th><td class=\"num\">{Numbers.Percent(hh.WithTies.Rate)} ({hh.WithTies.Agree}/{hh.WithTies.Total})</td><td>with ties</td></tr>"));
        }

        html.Append(Inv($"<tr><th>judge verdicts unmatched</th><td class=\"num\">{ag.UnmatchedJudgeVerdicts} of {ag.JudgeVerdicts}</td><td>{ag.JudgeItemsWithoutVerdict ?? 0} items without verdict</td></tr></table>"));
        if (ag.Orders is { } o)
        {
            string Cell(Statistics.AgreementCount f) => Inv($"{Numbers.Percent(f.Rate)} ({f.Agree}/{f.Total})");
            html.Append(Inv($"<h3>Per presentation order</h3><p class=\"meta\">{o.Items} items judged in both orders; an order without a verdict counts as wrong (AB: {o.WithoutVerdictAb}, BA: {o.WithoutVerdictBa}); {o.SingleOrderItems} items judged in one order only are left out.</p><table><tr><th></th><th>with ties</th><th>without ties</th></tr>"));
            html.Append(Inv($"<tr><th>accuracy, A shown first</th><td class=\"num\">{Cell(o.WithTies.Ab)}</td><td class=\"num\">{Cell(o.WithoutTies.Ab)}</td></tr>"));
            html.Append(Inv($"<tr><th>accuracy, B shown first</th><td class=\"num\">{Cell(o.WithTies.Ba)}</td><td class=\"num\">{Cell(o.WithoutTies.Ba)}</td></tr>"));
            html.Append(Inv($"<tr><th>mean of the two orders</th><td class=\"num\">{Numbers.Percent(o.WithTies.Mean)}</td><td class=\"num\">{Numbers.Percent(o.WithoutTies.Mean)}</td></tr>"));
            html.Append(Inv($"<tr><th>correct in both orders</th><td class=\"num\">{Cell(o.WithTies.BothOrders)}</td><td class=\"num\">{Cell(o.WithoutTies.BothOrders)}</td></tr>"));
            html.Append(Inv($"<tr><th>positional consistency (items with both verdicts)</th><td class=\"num\">{Cell(o.PositionalConsistency)}</td><td></td></tr>"));
            html.Append(Inv($"<tr><th>positional agreement, publishers' (all items; both missing agree)</th><td class=\"num\">{Cell(o.PositionalAgreementAllItems)}</td><td></td></tr></table>"));
        }

        html.Append("<table><tr><th>judge \\ human</th>");
        foreach (var l in ag.ConfusionMatrix.Labels)
        {
            html.Append("<th>").Append(E(l)).Append("</th>");
        }

        html.Append("</tr>");
        for (var i = 0; i < ag.ConfusionMatrix.Counts.Count; i++)
        {
            html.Append("<tr><th>").Append(E(ag.ConfusionMatrix.Labels[i])).Append("</th>");
            foreach (var n in ag.ConfusionMatrix.Counts[i])
            {
                html.Append(Inv($"<td class=\"num\">{n}</td>"));
            }

            html.Append("</tr>");
        }

        html.Append("</table>\n");
    }

    private static void Positions(StringBuilder html, RunResult r)
    {
        var a = r.Analysis;
        var calls = r.Records.OfType<JudgeCall>().Where(c => c.Order is "AB" or "BA" && c.Choice is not null).ToList();
        html.Append("<h2>Position consistency</h2><table>");
        html.Append(Inv($"<tr><th>items judged in both orders</th><td class=\"num\">{a.Flips.BothOrders}</td></tr>"));
        html.Append(Inv($"<tr><th>flipped (orders disagreed)</th><td class=\"num\">{a.Flips.Flipped} ({Numbers.Percent(a.FlipRate)})</td></tr>"));
        if (calls.Count > 0)
        {
            double Share(PairOutcome choice) => (double)calls.Count(c => c.Choice == choice) / calls.Count;
            html.Append(Inv($"<tr><th>calls choosing the first shown</th><td class=\"num\">{Numbers.Percent(Share(PairOutcome.A))}</td></tr>"));
            html.Append(Inv($"<tr><th>calls choosing the second shown</th><td class=\"num\">{Numbers.Percent(Share(PairOutcome.B))}</td></tr>"));
            html.Append(Inv($"<tr><th>calls saying tie</th><td class=\"num\">{Numbers.Percent(Share(PairOutcome.Tie))}</td></tr>"));
        }

        html.Append("</table>\n");
    }

    private static void Stability(StringBuilder html, RunResult r)
    {
        var a = r.Analysis;
        var unstable = a.Stability.Where(s => s.Unstable).ToList();
        html.Append(Inv($"<h2>Stability across {r.Config.Options.Repeats} repeats</h2><p>{unstable.Count} of {a.Stability.Count} items unstable (absolute: score variance above {Numbers.Value(r.Config.Options.UnstableVariance)} or a repeat without verdict; pairwise: any disagreement).</p>"));
        html.Append("<table><tr><th>judge</th><th>item</th><th>verdicts</th><th>variance</th><th>disagreement</th></tr>");
        foreach (var s in unstable.Concat(a.Stability.Where(s => !s.Unstable)).Take(200))
        {
            html.Append(Inv($"<tr><td>{E(s.Judge)}</td><td>{E(s.Item)}</td><td class=\"{(s.Unstable ? "bad" : "")}\">{E(string.Join(" / ", s.Verdicts))}</td><td class=\"num\">{Numbers.Fixed(s.Variance)}</td><td class=\"num\">{Numbers.Percent(s.Disagreement)}</td></tr>"));
        }

        html.Append("</table>\n");
    }

    private static void Items(StringBuilder html, RunResult r)
    {
        var items = r.Records.OfType<ItemVerdict>().ToList();
        html.Append("<h2>Items</h2><div id=\"filters\"><input id=\"f-text\" type=\"search\" placeholder=\"filter text…\">");
        html.Append("<select id=\"f-status\"><option value=\"\">any status</option>");
        foreach (var s in VerdictStatuses.All.Select(s => s.ToWire()))
        {
            html.Append(Inv($"<option value=\"{s}\">{s}</option>"));
        }

        html.Append("</select><select id=\"f-judge\"><option value=\"\">any judge</option>");
        foreach (var j in items.Select(i => i.Judge).Distinct(StringComparer.Ordinal))
        {
            html.Append(Inv($"<option value=\"{E(j)}\">{E(j)}</option>"));
        }

        html.Append("</select><span id=\"f-count\" class=\"meta\"></span></div>");
        html.Append("<table id=\"items\"><thead><tr><th>item</th><th>judge</th><th>repeat</th><th>rubric</th><th>status</th><th>verdict</th><th>judge output</th></tr></thead><tbody>\n");
        foreach (var verdict in items)
        {
            var (status, shown, error) = verdict switch
            {
                PairwiseVerdict p => (p.Status, (p.Winner?.ToWire() ?? "—") + (p.Flipped == true ? " (flipped)" : string.Empty), p.Error),
                AbsoluteVerdict s => (s.Status, Numbers.Value(s.Score), s.Error),
                _ => (VerdictStatus.Parsed, string.Empty, null),
            };
            html.Append(Inv($"<tr class=\"item\" data-status=\"{status.ToWire()}\" data-judge=\"{E(verdict.Judge)}\"><td>{E(verdict.Item)}</td><td>{E(verdict.Judge)}</td><td class=\"num\">{verdict.Repeat ?? 0}</td><td>{E(verdict.Rubric)}</td><td class=\"{(status == VerdictStatus.Parsed ? "pass" : "bad")}\">{status.ToWire()}</td><td>{E(shown)}{(error is null ? string.Empty : $"<br><span class=\"meta\">{E(error)}</span>")}</td><td>"));
            foreach (var c in verdict.Calls)
            {
                html.Append(Inv($"<details><summary>{E(c.Order)}: {c.Status.ToWire()} {E(c.Verdict ?? c.Choice?.ToPosition() ?? string.Empty)}</summary>"));
                if (c.Feedback is { } feedback)
                {
                    html.Append("<p><b>feedback</b></p><pre>").Append(E(feedback)).Append("</pre>");
                }

                html.Append("<p><b>raw output</b></p><pre>").Append(E(c.RawOutput ?? c.Error ?? string.Empty)).Append("</pre></details>");
            }

            html.Append("</td></tr>\n");
        }

        html.Append("</tbody></table>\n");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

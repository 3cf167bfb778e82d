using System.Text;
using System.Text.Json;
using Judge.Runs;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Reports;

/// <summary>
/// The <c>--json</c> summary. Numbers are written exactly; the console, <c>summary.md</c> and the HTML report
/// show the same values rounded by <see cref="Numbers"/>. Every rate and mean comes with the items left out of
/// it (<c>without_verdict</c>, by why).
/// </summary>
public static class JsonSummary
{
    /// <summary>The summary as indented JSON.</summary>
    public static string Write(RunResult r, IReadOnlyDictionary<string, string> files, int? exitCode = null)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(files);
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
            if (a.Cascade is { } cascade)
            {
                Cascade(w, cascade);
            }

            Gates(w, a.Gates);
            WinRates(w, a.WinRates);
            Scores(w, a.Scores);
            Unstable(w, a.Stability);
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

    private static void Gates(Utf8JsonWriter w, IReadOnlyList<GateResult> gates)
    {
        w.WriteStartArray("gates");
        foreach (var g in gates)
        {
            w.WriteStartObject();
            w.WriteString("name", g.Name);
            w.WriteString("judge", g.Judge);
            w.WriteString("rubric", g.Rubric);
            w.WriteString("model", g.Model);
            Number(w, "value", g.Value);
            w.WriteNumber("threshold", g.Threshold);
            w.WriteBoolean("passed", g.Passed);
            w.WriteString("detail", g.Detail);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WinRates(Utf8JsonWriter w, IReadOnlyList<WinRateAggregate> rates)
    {
        w.WriteStartArray("win_rates");
        foreach (var rate in rates)
        {
            w.WriteStartObject();
            w.WriteString("judge", rate.Judge);
            w.WriteString("rubric", rate.Rubric);
            w.WriteString("model", rate.Model);
            w.WriteString("opponent", rate.Opponent);
            w.WriteNumber("pairs", rate.Items);
            w.WriteNumber("with_verdict", rate.WithVerdict);
            w.WriteNumber("wins", rate.Wins);
            w.WriteNumber("losses", rate.Losses);
            w.WriteNumber("ties", rate.Ties);
            Missing(w, rate.Missing);
            Number(w, "rate", rate.Rate);
            Interval(w, rate.Ci);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Scores(Utf8JsonWriter w, IReadOnlyList<ScoreAggregate> scores)
    {
        w.WriteStartArray("scores");
        foreach (var s in scores)
        {
            w.WriteStartObject();
            w.WriteString("judge", s.Judge);
            w.WriteString("rubric", s.Rubric);
            w.WriteString("model", s.Model);
            w.WriteNumber("answers", s.Items);
            w.WriteNumber("scored", s.Scored);
            Missing(w, s.Missing);
            Number(w, "mean", s.Mean);
            Interval(w, s.MeanCi);
            Number(w, "pass_rate", s.PassRate);
            Interval(w, s.PassCi, "pass_rate_interval");
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Unstable(Utf8JsonWriter w, IReadOnlyList<ItemStability> stability)
    {
        w.WriteStartArray("unstable_items");
        foreach (var s in stability.Where(s => s.Unstable))
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
    }

    private static void Cascade(Utf8JsonWriter w, CascadeSummary c)
    {
        w.WriteStartObject("cascade");
        w.WriteString("calibration", c.Calibration);
        Number(w, "guaranteed_agreement", c.GuaranteedAgreement);
        w.WriteNumber("delta", c.Delta);
        w.WriteNumber("items", c.Items);
        w.WriteNumber("decided", c.Decided);
        w.WriteNumber("coverage", c.Coverage);
        w.WriteNumber("abstained", c.Abstained);
        w.WriteNumber("unguaranteed", c.Unguaranteed);
        w.WriteStartArray("stages");
        foreach (var s in c.Stages)
        {
            w.WriteStartObject();
            w.WriteString("judge", s.Judge);
            Number(w, "threshold", s.Threshold);
            w.WriteNumber("reached", s.Reached);
            w.WriteNumber("decided", s.Decided);
            w.WriteNumber("share", s.Share);
            if (s.CostUsd is decimal cost)
            {
                w.WriteNumber("cost_usd", cost);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (c.CostPer1000 is decimal per)
        {
            w.WriteNumber("cost_per_1000_usd", per);
        }

        if (c.StrongestAlonePer1000 is decimal strongest)
        {
            w.WriteNumber("strongest_alone_per_1000_usd", strongest);
        }

        w.WriteBoolean("costs_more_than_strongest", c.CostsMoreThanStrongest);
        if (c.RealisedAgreement is { } realised)
        {
            w.WriteStartObject("realised_agreement");
            w.WriteNumber("agree", realised.Agree);
            w.WriteNumber("total", realised.Total);
            Number(w, "rate", realised.Rate);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void Missing(Utf8JsonWriter w, MissingVerdicts missing)
    {
        w.WriteStartObject("without_verdict");
        w.WriteNumber("total", missing.Total);
        w.WriteNumber(VerdictStatus.Unparsed.ToWire(), missing.Unparsed);
        w.WriteNumber(VerdictStatus.OutOfRange.ToWire(), missing.OutOfRange);
        w.WriteNumber(VerdictStatus.Dropped.ToWire(), missing.Dropped);
        w.WriteNumber(VerdictStatus.Error.ToWire(), missing.Error);
        w.WriteNumber(VerdictStatus.Abstained.ToWire(), missing.Abstained);
        w.WriteEndObject();
    }

    private static void Interval(Utf8JsonWriter w, ConfidenceInterval? ci, string name = "interval")
    {
        if (ci is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartObject(name);
        w.WriteNumber("level", ci.Level);
        Number(w, "lower", ci.Lower);
        Number(w, "upper", ci.Upper);
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is double v && double.IsFinite(v))
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}

using System.Text.Json;
using Judge.Data;
using Judge.Judging;
using Judge.Reports.Terminal;
using Judge.Runs;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Reports.Tests;

/// <summary>
/// The console summary, <c>summary.md</c>, <c>report.html</c> and the <c>--json</c> summary of one run show every
/// figure the same way: the JSON exact, the others rounded by <see cref="Numbers"/>, to the digit. The values sit
/// on rounding edges, where two formatters would part: 0.5625 (56.25 %), 0.8125 (81.25 %) and 6.125.
/// </summary>
public class RunOutputsAgreeTests
{
    private const string Judge = "mock:judge";

    private static readonly ConfidenceInterval RateCi = new(0.95, 0.005, 0.8125, 1000, 0);
    private static readonly ConfidenceInterval MeanCi = new(0.95, 5.125, 7.125, 1000, 0);

    /// <summary>The run on rounding edges; <paramref name="model"/> names the compared model (for escaping tests).</summary>
    internal static RunResult Result(string model = "model")
    {
        var without = new MissingVerdicts(1, 0, 0, 0);
        var analysis = new RunAnalysis
        {
            Judgments = new Dictionary<string, int> { [Judge] = 17 },
            Errors = new Dictionary<string, int> { [Judge] = 0 },
            ByStatus = new Dictionary<VerdictStatus, int> { [VerdictStatus.Parsed] = 16, [VerdictStatus.Unparsed] = 1 },
            WinRates =
            [
                new WinRateAggregate(Judge, RunAnalysis.StandardRubrics, model, null, 17, 16, 8, 6, 2, without, 0.5625, RateCi),
                new WinRateAggregate(Judge, RunAnalysis.StandardRubrics, model, "base", 17, 16, 8, 6, 2, without, 0.5625, RateCi),
            ],
            Scores = [new ScoreAggregate(Judge, RunAnalysis.StandardRubrics, "graded", 17, 16, without, 6.125, MeanCi, 0.5625, RateCi, [6, 7])],
            Gates = [new GateResult("min_win_rate", Judge, RunAnalysis.StandardRubrics, model, 0.5625, 0.5, true, "win rate against base (point estimate) 56.3 % >= 50.0 % over 16 items; without verdict 1 unparsed") { IsShare = true }],
        };
        var config = new RunConfig
        {
            SourcePath = "judge.yaml",
            Hash = "sha256:0",
            Mode = RunMode.Compare,
            Data = new RunData { Questions = "q.jsonl", Answers = ["a.jsonl"] },
            Judges = [JudgeSpec.Parse(Judge)],
            Thresholds = new RunThresholds { Baseline = "base", MinWinRate = 0.5 },
            Output = "out",
        };
        var started = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        return new RunResult
        {
            Config = config,
            Files = RunFiles.InFolder("out"),
            Manifest = new RunManifest
            {
                Config = config.SourcePath,
                ConfigHash = config.Hash,
                Mode = "compare",
                Judges = [.. config.Judges.Select(j => j.Text)],
                Rubrics = [],
                RubricKeys = [RunAnalysis.StandardRubrics],
                PlanHash = "sha256:0",
                Planned = 17,
                Repeats = 1,
                StartedAt = started,
                FinishedAt = started.AddMinutes(1),
            },
            Analysis = analysis,
            Records = [],
            Data = Dataset.Create([new Question("1", "writing", ["Q"])], [new ModelAnswer("1", "model", ["A"]), new ModelAnswer("1", "base", ["B"])]),
            Outcome = RunOutcome.Passed,
            Progress = new RunProgressSnapshot(17, 17, 1, CostTotals.None with { Calls = 34 }, 0, TimeSpan.FromMinutes(1)),
        };
    }

    private static string Console(RunResult result)
    {
        using var console = new TestConsole();
        RunSummaryConsole.Write(console.Console, result, showGates: true);
        return console.Output;
    }

    [Fact]
    public void EveryOutput_ShowsTheJsonValuesRoundedTheSameWay()
    {
        var result = Result();
        using var json = JsonDocument.Parse(JsonSummary.Write(result, new Dictionary<string, string>()));
        var rate = json.RootElement.GetProperty("win_rates").EnumerateArray().Single(w => w.GetProperty("opponent").ValueKind == JsonValueKind.Null);
        var score = json.RootElement.GetProperty("scores")[0];
        var gate = json.RootElement.GetProperty("gates")[0];

        // The JSON keeps the exact values, with the item left out beside them.
        Assert.Equal(0.5625, rate.GetProperty("rate").GetDouble());
        Assert.Equal(0.005, rate.GetProperty("interval").GetProperty("lower").GetDouble());
        Assert.Equal(0.8125, rate.GetProperty("interval").GetProperty("upper").GetDouble());
        Assert.Equal(1, rate.GetProperty("without_verdict").GetProperty("unparsed").GetInt32());
        Assert.Equal(6.125, score.GetProperty("mean").GetDouble());
        Assert.Equal(0.5625, score.GetProperty("pass_rate").GetDouble());
        Assert.Equal(0.5625, gate.GetProperty("value").GetDouble());

        // The same values as people see them: 56.3 %, [0.5 %, 81.3 %], 6.13 [5.13, 7.13]; a rate's gate in percent too.
        var percent = Numbers.Percent(rate.GetProperty("rate").GetDouble());
        var interval = Numbers.PercentInterval(rate.GetProperty("interval").GetProperty("lower").GetDouble(), rate.GetProperty("interval").GetProperty("upper").GetDouble());
        var mean = Numbers.Fixed(score.GetProperty("mean").GetDouble());
        var meanInterval = Numbers.Interval(MeanCi);
        Assert.Equal(("56.3 %", "[0.5 %, 81.3 %]", "6.13", "[5.13, 7.13]"), (percent, interval, mean, meanInterval));

        var outputs = new Dictionary<string, string>
        {
            ["console"] = Console(result),
            ["summary.md"] = MarkdownReport.Render(result),
            ["report.html"] = HtmlReport.Render(result),
        };
        foreach (var (name, text) in outputs)
        {
            foreach (var expected in new[] { percent, mean, meanInterval, Numbers.Percent(score.GetProperty("pass_rate").GetDouble()) })
            {
                Assert.True(text.Contains(expected, StringComparison.Ordinal), $"{name} lacks '{expected}'");
            }

            Assert.True(text.Contains(interval, StringComparison.Ordinal), $"{name} lacks the win rate's interval '{interval}'");
            Assert.DoesNotContain("56.2", text, StringComparison.Ordinal);
            Assert.DoesNotContain("6.12", text, StringComparison.Ordinal);
        }

        foreach (var name in new[] { "summary.md", "report.html" })
        {
            // One unit per table: the win-rate gate's value and threshold are percentages like the win rates beside them.
            Assert.Contains("56.3 %", outputs[name], StringComparison.Ordinal);
            Assert.Contains("50.0 %", outputs[name], StringComparison.Ordinal);
            Assert.DoesNotContain("0.563", outputs[name], StringComparison.Ordinal);
            Assert.DoesNotContain(">0.5<", outputs[name], StringComparison.Ordinal);
            Assert.DoesNotContain("| 0.5 |", outputs[name], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryRendering_CarriesTheSameCautions()
    {
        // A mock judge and an interval over 12 units: both said before any figure, in every rendering.
        var result = Result();
        result = result with
        {
            Analysis = result.Analysis with { WinRates = [.. result.Analysis.WinRates.Select(w => w with { Ci = RateCi with { Clusters = 12 } })] },
        };

        var cautions = ReportText.Cautions(result);

        Assert.Equal(2, cautions.Count);
        Assert.Contains("mock:judge makes its verdicts up", cautions[0], StringComparison.Ordinal);
        Assert.Contains("2 intervals (win rate of model, win rate of model against base): only 12 independent units resampled", cautions[1], StringComparison.Ordinal);
        var console = string.Join(' ', Console(result).Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        foreach (var caution in cautions)
        {
            Assert.Contains(caution, console, StringComparison.Ordinal);
            Assert.Contains(caution, MarkdownReport.Render(result), StringComparison.Ordinal);
            Assert.Contains(System.Net.WebUtility.HtmlEncode(caution), HtmlReport.Render(result), StringComparison.Ordinal);
        }

        Assert.Empty(ReportText.Cautions(result with { Config = result.Config with { Judges = [JudgeSpec.Parse("openai:gpt-4o")] }, Analysis = Result().Analysis }));
    }

    [Fact]
    public void ConsoleSummary_At80Columns_FitsTheTerminal()
    {
        using var console = new TestConsole(80);

        RunSummaryConsole.Write(console.Console, Result(), showGates: true);

        Assert.All(console.Output.Split('\n'), line => Assert.True(line.TrimEnd('\r').Length <= 80, line));
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Judge.Verdicts;

namespace Judge.Cli.Tests;

/// <summary>Writes run configs over the sample data into a fresh folder.</summary>
internal static class RunConfigs
{
    /// <summary>A config file in a fresh temp folder; <paramref name="body"/> follows the data block.</summary>
    public static string Write(string mode, string judge, string body, bool humanLabels = false)
    {
        var path = Paths.Temp("judge.yaml");
        var sample = Paths.Sample;
        var yaml = $"""
            mode: {mode}
            data:
              questions: {sample}/question.jsonl
              answers:
                - {sample}/model_answer/assistant-large.jsonl
                - {sample}/model_answer/assistant-small.jsonl
                - {sample}/model_answer/assistant-tiny.jsonl
              references: {sample}/reference_answer/reference.jsonl
            {(humanLabels ? $"  human_labels: {sample}/human_judgments.jsonl\n" : string.Empty)}rubrics_dir: {Paths.Rubrics}
            judges: ["{judge}"]
            output: out
            {body}
            """;
        File.WriteAllText(path, yaml);
        return path;
    }

    public static string Replay => $"replay:{Paths.Sample}/recorded_judgments.jsonl";

    public static string Out(string config) => Path.Combine(Path.GetDirectoryName(config)!, "out");

    public static List<JsonElement> Verdicts(string config) =>
        File.ReadLines(Path.Combine(Out(config), "judgments.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("type").GetString() != "call").ToList();
}

public class RunCommandTests
{
    [Fact]
    public async Task Run_VerdictFlag_OverridesTheConfig_AndIsCheckedBeforeAnythingIsWritten()
    {
        var config = RunConfigs.Write("grade", "mock:1", "options:\n  turns: [1]\n");

        var (logits, refused) = await CliRunner.RunAsync("run", config, "--verdict", "logits");
        var (bogus, usage) = await CliRunner.RunAsync("run", config, "--verdict", "bogus");

        // The config says auto; the flag asks for logits, which a mock judge cannot give: refused like the config key.
        Assert.True(logits == 2, refused);
        Assert.Contains("--verdict logits", refused, StringComparison.Ordinal);
        Assert.True(bogus == 2, usage);
        Assert.Contains("--verdict must be one of auto, text, json, logits", usage, StringComparison.Ordinal);
        Assert.False(Directory.Exists(RunConfigs.Out(config)), "a refused run wrote its output folder");
    }

    [Fact]
    public async Task Run_DryRun_EstimatesTheConfigsCallsAndWritesNothing()
    {
        var config = RunConfigs.Write("grade", "openai:gpt-4o", "options:\n  turns: [1]\n");

        var (exit, output) = await CliRunner.RunAsync("run", config, "--dry-run");

        Assert.True(exit == 0, output);
        Assert.Contains("dry run: nothing was sent", output, StringComparison.Ordinal);
        // 6 questions x 3 models, turn 1: one call each, priced at gpt-4o's price.
        Assert.Matches(@"│ 18 +│", output);
        Assert.Contains("$", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(RunConfigs.Out(config)), "a dry run wrote its output folder");
    }

    [Fact]
    public async Task Run_LlamaModelName_IsLookedUpInTheCatalogueNotBesideTheConfig()
    {
        var config = RunConfigs.Write("compare", "llama:no-such-model", string.Empty);
        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.Equal(2, exit);
        Assert.Contains("'no-such-model' is neither a GGUF file nor a model in the catalogue", output.Replace("\n", " "));
    }

    [Fact]
    public async Task Run_UnknownKey_FailsWithItsLine()
    {
        var config = RunConfigs.Write("compare", RunConfigs.Replay, "optoins:\n  seed: 1");
        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.Equal(2, exit);
        Assert.Contains("judge.yaml:12", output.Replace("\n", string.Empty));
        Assert.Contains("unknown key 'optoins'", output);
    }

    [Fact]
    public async Task Run_WrongType_FailsWithItsLineAndKey()
    {
        var config = RunConfigs.Write("compare", RunConfigs.Replay, "options:\n  turns: [1, 2]\n  concurrency: many");
        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.Equal(2, exit);
        var flat = output.Replace("\n", string.Empty);
        Assert.Contains("judge.yaml:14", flat);
        Assert.Contains("options.concurrency", flat);
        Assert.Contains("must be an integer, found 'many'", flat);
    }

    [Fact]
    public async Task Run_ThresholdOfTheOtherMode_FailsWithItsLine()
    {
        var config = RunConfigs.Write("compare", RunConfigs.Replay, "thresholds:\n  min_mean_score: 5");
        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.Equal(2, exit);
        Assert.Contains("judge.yaml:13", output.Replace("\n", string.Empty));
        Assert.Contains("applies to mode: grade only", output.Replace("\n", string.Empty));
    }

    [Fact]
    public async Task Run_GateOnAModelNotInTheData_IsAnInputError()
    {
        var config = RunConfigs.Write("compare", RunConfigs.Replay, "thresholds:\n  baseline: assistant-huge\n  min_win_rate: 0.5");
        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.Equal(2, exit);
        Assert.Contains("no answers by model 'assistant-huge'", output.Replace("\n", string.Empty));
    }

    [Fact]
    public async Task Run_WinRateGateMet_ExitsZeroAndWritesEveryReport()
    {
        var config = RunConfigs.Write("compare", RunConfigs.Replay, "options:\n  turns: [1, 2]\nthresholds:\n  baseline: assistant-tiny\n  min_win_rate: 0.6\n  models: [assistant-large]", humanLabels: true);
        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.True(exit == 0, output);
        var outDir = RunConfigs.Out(config);
        foreach (var file in new[] { "report.html", "summary.md", "junit.xml", "verdicts.csv", "manifest.json", "judgments.jsonl" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        }

        Assert.Equal(36, RunConfigs.Verdicts(config).Count);
        Assert.Equal(37, File.ReadAllLines(Path.Combine(outDir, "verdicts.csv")).Length);
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("Agreement with human labels", html);
        Assert.Contains("<svg", html);
        Assert.DoesNotContain("http://cdn", html);
        Assert.DoesNotContain("<script src", html);

        // The JUnit file parses and has the error-rate case and one case per gate.
        var junit = XDocument.Load(Path.Combine(outDir, "junit.xml"));
        var cases = junit.Descendants("testcase").ToList();
        Assert.Equal(2, cases.Count);
        Assert.Empty(junit.Descendants("failure"));
        Assert.Equal("2", junit.Root!.Attribute("tests")!.Value);
    }

    [Fact]
    public async Task Run_BothOrdersWithHumanLabels_ReportsShowThePerOrderFigures()
    {
        var config = RunConfigs.Write("compare", "mock:5", "options:\n  turns: [1, 2]", humanLabels: true);
        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.True(exit == 0, output);
        var outDir = RunConfigs.Out(config);
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("Per presentation order", html);
        Assert.Contains("correct in both orders", html);
        Assert.Contains("positional consistency", html);
        Assert.Contains("Per presentation order (", File.ReadAllText(Path.Combine(outDir, "summary.md")));
    }

    [Fact]
    public async Task Run_WinRateGateMissed_ExitsOneWithAFailedJUnitCase()
    {
        var config = RunConfigs.Write("compare", RunConfigs.Replay, "thresholds:\n  baseline: assistant-large\n  min_win_rate: 0.5\n  junit_per_item: true");
        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.True(exit == 1, output);
        var junit = XDocument.Load(Path.Combine(RunConfigs.Out(config), "junit.xml"));
        var failed = junit.Descendants("testcase").Where(c => c.Element("failure") is not null).Select(c => c.Attribute("name")!.Value).ToList();
        Assert.Equal(["min_win_rate [judge replay:recorded_judgments.jsonl; rubric standard; model assistant-small]", "min_win_rate [judge replay:recorded_judgments.jsonl; rubric standard; model assistant-tiny]"], failed.Order());
        Assert.All(junit.Descendants("testcase"), c => Assert.DoesNotContain("/", c.Attribute("classname")!.Value, StringComparison.Ordinal));

        // One case for the error rate, two gates, eighteen items.
        Assert.Equal(21, junit.Descendants("testcase").Count());
    }

    [Fact]
    public async Task Run_GateOnLowerBound_FailsWhereThePointEstimatePasses()
    {
        // assistant-large beats assistant-small in 9 of 12 turn-1/2 pairs with ties counted half: 0.75,
        // above 0.7; the 95% bootstrap interval over 12 pairs reaches well below 0.7.
        const string gate = "options:\n  turns: [1, 2]\nthresholds:\n  baseline: assistant-small\n  min_win_rate: 0.7\n  models: [assistant-large]";
        var point = RunConfigs.Write("compare", RunConfigs.Replay, gate);
        var lower = RunConfigs.Write("compare", RunConfigs.Replay, gate + "\n  gate_on: lower_bound");

        var (pointExit, pointOutput) = await CliRunner.RunAsync("run", point);
        var (lowerExit, lowerOutput) = await CliRunner.RunAsync("run", lower, "--json");

        Assert.True(pointExit == 0, pointOutput);
        Assert.True(lowerExit == 1, lowerOutput);
        using var json = JsonDocument.Parse(lowerOutput);
        var g = json.RootElement.GetProperty("gates")[0];
        Assert.False(g.GetProperty("passed").GetBoolean());
        Assert.True(g.GetProperty("value").GetDouble() < 0.7);
        Assert.Contains("lower bound", g.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Run_ErrorRateAboveMax_ExitsThree_AndErrorsNeverCountAsPasses()
    {
        // Every parsed score passes at pass_mark 1. Answers lost to simulated judge failures are not in
        // the pass rate's denominator (never a pass, never a default score); they are counted beside it.
        const string judge = "mock:7?error_rate=0.3";
        var strict = RunConfigs.Write("grade", judge, "thresholds:\n  pass_mark: 1\n  min_pass_rate: 0.95");
        var lenient = RunConfigs.Write("grade", judge, "thresholds:\n  pass_mark: 1\n  min_pass_rate: 0.95\n  max_error_rate: 0.9");

        var (strictExit, strictOutput) = await CliRunner.RunAsync("run", strict, "--json");
        var (lenientExit, lenientOutput) = await CliRunner.RunAsync("run", lenient, "--json");

        Assert.True(strictExit == 3, strictOutput);
        using var s = JsonDocument.Parse(strictOutput);
        Assert.True(s.RootElement.GetProperty("error_rate_exceeded").GetBoolean());
        var errors = s.RootElement.GetProperty("by_status").GetProperty("error").GetInt32();
        Assert.InRange(errors, 1, 17);

        Assert.True(lenientExit == 0, lenientOutput);
        using var l = JsonDocument.Parse(lenientOutput);
        var gates = l.RootElement.GetProperty("gates").EnumerateArray().ToList();
        Assert.Equal(3, gates.Count);
        Assert.All(gates, g => Assert.Equal(1.0, g.GetProperty("value").GetDouble()));
        var shown = gates.Sum(g => int.Parse(Regex.Match(g.GetProperty("detail").GetString()!, @"without verdict (\d+) \(error \d+\)").Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(errors, shown);
    }

    [Fact]
    public async Task Run_Repeats_RecordsRepeatIndexAndFlagsUnstableItems()
    {
        var config = RunConfigs.Write("grade", "mock:3", "options:\n  repeats: 3\n  unstable_variance: 0.5");
        var (exit, output) = await CliRunner.RunAsync("run", config, "--json");

        Assert.True(exit == 0, output);
        var verdicts = RunConfigs.Verdicts(config);
        Assert.Equal(54, verdicts.Count);
        Assert.Equal([1, 2, 3], verdicts.Select(v => v.GetProperty("repeat").GetInt32()).Distinct().Order());
        foreach (var item in verdicts.GroupBy(v => v.GetProperty("item").GetString()))
        {
            Assert.Equal([1, 2, 3], item.Select(v => v.GetProperty("repeat").GetInt32()).Order());
        }

        // The mock's scores are seeded by the repeat, so they vary; every flagged item's variance is above the bar.
        using var json = JsonDocument.Parse(output);
        var unstable = json.RootElement.GetProperty("unstable_items").EnumerateArray().ToList();
        Assert.NotEmpty(unstable);
        Assert.All(unstable, u => Assert.True(u.GetProperty("variance").GetDouble() > 0.5));
        Assert.All(unstable, u => Assert.Equal(3, u.GetProperty("verdicts").GetArrayLength()));
    }

    [Fact]
    public async Task Run_SingleJudgment_OmitsTheRepeatField()
    {
        var config = RunConfigs.Write("grade", "mock:3", "options:\n  limit: 2");
        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.True(exit == 0, output);
        Assert.DoesNotContain("\"repeat\"", File.ReadAllText(Path.Combine(RunConfigs.Out(config), "judgments.jsonl")));
    }

    [Fact]
    public async Task Run_PairwiseRepeats_ReportDisagreement()
    {
        var config = RunConfigs.Write("compare", "mock:5", "options:\n  repeats: 2\n  swap: none");
        var (exit, output) = await CliRunner.RunAsync("run", config, "--json");

        Assert.True(exit == 0, output);
        using var json = JsonDocument.Parse(output);
        Assert.All(json.RootElement.GetProperty("unstable_items").EnumerateArray(), u => Assert.Equal(1.0, u.GetProperty("disagreement").GetDouble()));
        Assert.Equal(36, RunConfigs.Verdicts(config).Count);
    }

    [Fact]
    public async Task Run_OutputFolderHoldsARun_RefusesWithoutResumeOrOverwrite()
    {
        var config = RunConfigs.Write("grade", "mock:1", "options:\n  limit: 1");
        Assert.Equal(0, (await CliRunner.RunAsync("run", config)).Exit);

        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.Equal(2, exit);
        Assert.Contains("--resume", output);
    }

    [Fact]
    public async Task Resume_TornLastLine_IsCutAndTheItemJudgedAgain()
    {
        var config = RunConfigs.Write("grade", "mock:2", "options:\n  concurrency: 1");
        Assert.Equal(0, (await CliRunner.RunAsync("run", config)).Exit);
        var file = Path.Combine(RunConfigs.Out(config), "judgments.jsonl");
        var complete = File.ReadAllBytes(file);

        // Cut the file in the middle of its last line, as a crash mid-write would.
        File.WriteAllBytes(file, complete[..^40]);
        var (exit, output) = await CliRunner.RunAsync("run", config, "--resume");

        Assert.True(exit == 0, output);
        Assert.Contains("recovered:", output);
        Assert.Contains("17 of 18 judgments already recorded, 1 to go", output.Replace("\n", string.Empty));
        var verdicts = RunConfigs.Verdicts(config);
        Assert.Equal(18, verdicts.Count);
        Assert.Equal(18, verdicts.Select(v => v.GetProperty("item").GetString()).Distinct().Count());
        Assert.All(File.ReadLines(file), l => JsonDocument.Parse(l).Dispose());
    }

    [Fact]
    public async Task Report_JudgeOutputHoldingScript_IsEscaped()
    {
        var config = RunConfigs.Write("grade", "mock:4", "options:\n  limit: 3");
        Assert.Equal(0, (await CliRunner.RunAsync("run", config)).Exit);
        var file = Path.Combine(RunConfigs.Out(config), "judgments.jsonl");

        // Plant a hostile judge output in a recorded call, then let the resumed run rebuild the reports.
        var lines = File.ReadAllLines(file);
        var call = lines.Select((l, i) => (l, i)).First(x => x.l.Contains("\"type\":\"call\""));
        lines[call.i] = call.l.Replace("\"raw_output\":\"", "\"raw_output\":\"<script>alert('pwned')</script><img src=x onerror=alert(1)>");
        File.WriteAllLines(file, lines);
        var (exit, output) = await CliRunner.RunAsync("run", config, "--resume");

        Assert.True(exit == 0, output);
        var html = File.ReadAllText(Path.Combine(RunConfigs.Out(config), "report.html"));
        Assert.Contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;", html);
        Assert.DoesNotContain("<script>alert", html);
        Assert.DoesNotContain("<img src=x", html);
    }
}

using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace Judge.Cli.Tests;

/// <summary>compare, grade and run share one engine: the same usage checks, resume, gates and reports.</summary>
public class EngineCommandTests
{
    private static string[] Compare(string outPath, params string[] more) => CompareWith("mock:5", outPath, more);

    private static string[] CompareWith(string judge, string outPath, params string[] more) =>
    [
        "compare", "--questions", Path.Combine(Paths.Sample, "question.jsonl"),
        "--answers", Path.Combine(Paths.Sample, "model_answer", "assistant-large.jsonl"), Path.Combine(Paths.Sample, "model_answer", "assistant-small.jsonl"), Path.Combine(Paths.Sample, "model_answer", "assistant-tiny.jsonl"),
        "--judge", judge, "--rubrics-dir", Paths.Rubrics, "--out", outPath, .. more,
    ];

    [Theory]
    [InlineData("--limit", "0")]
    [InlineData("--limit", "-1")]
    [InlineData("--concurrency", "0")]
    [InlineData("--max-tokens", "0")]
    [InlineData("--turn", "0")]
    public async Task CompareAndGrade_CountBelowOne_IsAUsageErrorNamingTheOption(string option, string value)
    {
        foreach (var command in new[] { "compare", "grade" })
        {
            var args = Compare(Paths.Temp("x.jsonl"), option, value);
            args[0] = command;
            var (exit, output) = await CliRunner.RunAsync(args);
            Assert.True(exit == 2, output);
            Assert.Contains($"{option} must be a whole number of at least 1", output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--limit", "0")]
    [InlineData("--repeat", "0")]
    [InlineData("--concurrency", "-3")]
    public async Task Run_CountBelowOne_IsAUsageError(string option, string value)
    {
        var config = RunConfigs.Write("grade", "mock:1", "thresholds:\n  min_mean_score: 1");
        var (exit, output) = await CliRunner.RunAsync("run", config, option, value);
        Assert.True(exit == 2, output);
        Assert.False(File.Exists(Path.Combine(RunConfigs.Out(config), "manifest.json")));
    }

    [Fact]
    public async Task Compare_KilledMidRun_ResumeJudgesOnlyWhatIsMissing()
    {
        var outPath = Paths.Temp("compare.jsonl");
        var (exit, output) = await CliRunner.RunAsync(Compare(outPath));
        Assert.True(exit == 0, output);
        var lines = File.ReadAllLines(outPath);
        var verdicts = lines.Count(l => l.Contains("\"type\":\"pairwise\"", StringComparison.Ordinal));

        // A kill after the fourth item: its last items are gone and the manifest says unfinished.
        var keep = lines.Select((l, i) => (l, i)).Where(x => x.l.Contains("\"type\":\"pairwise\"", StringComparison.Ordinal)).ElementAt(3).i + 1;
        File.WriteAllLines(outPath, lines.Take(keep).Append(lines[keep][..20]));
        var manifest = outPath[..^".jsonl".Length] + ".manifest.json";
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"finished_at\"", "\"killed_at\"", StringComparison.Ordinal));

        var (refusedExit, refused) = await CliRunner.RunAsync(Compare(outPath));
        Assert.True(refusedExit == 2, refused);
        Assert.Contains("unfinished run", refused, StringComparison.Ordinal);

        var (resumedExit, resumed) = await CliRunner.RunAsync(Compare(outPath, "--resume"));
        Assert.True(resumedExit == 0, resumed);
        Assert.Contains($"resuming: 4 of {verdicts} judgments already recorded, {verdicts - 4} to go", resumed, StringComparison.Ordinal);
        Assert.Contains($"judged now {verdicts - 4}", resumed, StringComparison.Ordinal);
        var after = File.ReadAllLines(outPath).Where(l => l.Contains("\"type\":\"pairwise\"", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("item").GetString()).ToList();
        Assert.Equal(verdicts, after.Count);
        Assert.Equal(verdicts, after.Distinct().Count());
    }

    [Fact]
    public async Task Run_GatesAndJUnit_EveryGateAppearsWithTimeAndNoByteOrderMark()
    {
        var config = RunConfigs.Write("grade", "mock:2", "thresholds:\n  min_mean_score: 3\n  pass_mark: 5\n  min_pass_rate: 0.1\n  models: [assistant-large, assistant-small]");
        var (exit, output) = await CliRunner.RunAsync("run", config);
        Assert.True(exit is 0 or 1, output);

        var path = Path.Combine(RunConfigs.Out(config), "junit.xml");
        var bytes = File.ReadAllBytes(path);
        Assert.False(bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF, "junit.xml starts with a byte-order mark");
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        var junit = XDocument.Load(path);
        var cases = junit.Descendants("testcase").ToList();

        // The error-rate bound, and two gates for each of the two gated models.
        Assert.Equal(5, cases.Count);
        Assert.All(cases, c => Assert.NotNull(c.Attribute("time")));
        Assert.NotNull(junit.Root!.Attribute("time"));
        Assert.All(cases, c => Assert.Matches("^judge\\.(run|gates)$", c.Attribute("classname")!.Value));
        Assert.Equal(2, cases.Count(c => c.Attribute("name")!.Value.StartsWith("min_mean_score", StringComparison.Ordinal)));
        Assert.Equal(2, cases.Count(c => c.Attribute("name")!.Value.StartsWith("min_pass_rate", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Run_HumanLabels_ReportAndAgreementCommandAgreeOnTheSameVerdicts()
    {
        var config = RunConfigs.Write("compare", RunConfigs.Replay, string.Empty, humanLabels: true);
        var (exit, output) = await CliRunner.RunAsync("run", config, "--json");
        Assert.True(exit == 0, output);
        var outDir = RunConfigs.Out(config);
        var summary = File.ReadAllText(Path.Combine(outDir, "summary.md"));

        var (agreementExit, agreement) = await CliRunner.RunAsync("agreement", "--judgments", Path.Combine(outDir, "judgments.jsonl"), "--human", Path.Combine(Paths.Sample, "human_judgments.jsonl"), "--format", "json");
        Assert.True(agreementExit == 0, agreement);
        using var json = JsonDocument.Parse(agreement);
        var withTies = json.RootElement.GetProperty("with_ties");
        var agree = withTies.GetProperty("agree").GetInt32();
        var total = withTies.GetProperty("total").GetInt32();
        Assert.True(total > 0);
        Assert.Contains($"({agree}/{total})", summary, StringComparison.Ordinal);
        Assert.Contains("raters 'expert*'", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agreement_NoVoteByTheDefaultRaters_IsAnErrorNamingTheRatersHeld()
    {
        var labels = Paths.Temp("gold.jsonl");
        File.WriteAllLines(labels, File.ReadAllLines(Path.Combine(Paths.Sample, "human_judgments.jsonl")).Select(l => l.Replace("\"expert_", "\"gold_", StringComparison.Ordinal)));
        var judged = Paths.Temp("judged.jsonl");
        var (compareExit, compareOutput) = await CliRunner.RunAsync(CompareWith(RunConfigs.Replay, judged));
        Assert.True(compareExit == 0, compareOutput);

        var (exit, output) = await CliRunner.RunAsync("agreement", "--judgments", judged, "--human", labels);
        Assert.True(exit == 2, output);
        Assert.Contains("no human vote is by raters 'expert*'", output, StringComparison.Ordinal);
        Assert.Contains("gold_0", output, StringComparison.Ordinal);

        var (allExit, all) = await CliRunner.RunAsync("agreement", "--judgments", judged, "--human", labels, "--human-raters", "gold");
        Assert.True(allExit == 0, all);
        Assert.Contains("raters 'gold*'", all, StringComparison.Ordinal);
    }
}

/// <summary>Ctrl-C: the command stops cleanly, keeps what it judged, and prints the command that resumes.</summary>
public class InterruptTests
{
    [Fact]
    public async Task Compare_Cancelled_Exits130AndThePrintedResumeCommandFinishesTheRun()
    {
        var outPath = Paths.Temp("stopped.jsonl");
        string[] args =
        [
            "compare", "--questions", Path.Combine(Paths.Sample, "question.jsonl"),
            "--answers", Path.Combine(Paths.Sample, "model_answer", "assistant-large.jsonl"), Path.Combine(Paths.Sample, "model_answer", "assistant-small.jsonl"),
            "--judge", "mock:3?latency_ms=40", "--rubrics-dir", Paths.Rubrics, "--concurrency", "1", "--out", outPath,
        ];

        // Stopped before the first judgment (the engine-level test stops one mid-run); the run's files
        // exist, and the printed command, run as printed, finishes it.
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        var (exit, output) = await CliRunner.RunAsync(stop.Token, args);

        Assert.True(exit == 130, output);
        Assert.Contains("stopped:", output, StringComparison.Ordinal);
        var resumeLine = output.Split('\n').Single(l => l.StartsWith("resume with: judge ", StringComparison.Ordinal));
        Assert.EndsWith("--resume", resumeLine.TrimEnd(), StringComparison.Ordinal);

        Assert.Equal([.. args, "--resume"], ShellWords(resumeLine["resume with: judge ".Length..].TrimEnd()));
        var (resumedExit, resumed) = await CliRunner.RunAsync([.. args, "--resume"]);
        Assert.True(resumedExit == 0, resumed);
        var verdicts = File.ReadAllLines(outPath).Count(l => l.Contains("\"type\":\"pairwise\"", StringComparison.Ordinal));
        Assert.Equal(6, verdicts);
    }

    private static List<string> ShellWords(string line)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '\'' )
            {
                quoted = !quoted;
            }
            else if (c == ' ' && !quoted)
            {
                words.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        words.Add(current.ToString());
        return words;
    }
}

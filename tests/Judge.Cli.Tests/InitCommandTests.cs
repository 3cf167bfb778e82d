namespace Judge.Cli.Tests;

public sealed class InitCommandTests
{
    [Fact]
    public async Task Init_ThenRun_PassesItsGateOffline()
    {
        var folder = Paths.Temp("init-run");

        var (initExit, initOutput) = await CliRunner.RunAsync("init", folder);
        var (runExit, runOutput) = await CliRunner.RunAsync("run", Path.Combine(folder, "judge.yaml"));

        Assert.Equal(0, initExit);
        Assert.Contains("wrote 12 files", initOutput, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, "ci", "github-actions.yml")));
        Assert.True(File.Exists(Path.Combine(folder, "data", "recorded_judgments.jsonl")));
        Assert.Equal(0, runExit);
        Assert.Contains("result: passed (exit 0)", runOutput, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, "out", "summary.md")));
    }

    [Fact]
    public async Task Init_IntoAFolderHoldingItsFiles_RefusesNamingOverwriteAndTouchesNothing()
    {
        var folder = Paths.Temp("init-refuse");
        Assert.Equal(0, (await CliRunner.RunAsync("init", folder)).Exit);
        var config = Path.Combine(folder, "judge.yaml");
        File.WriteAllText(config, "# edited by the user\n");

        var (exit, output) = await CliRunner.RunAsync("init", folder);

        Assert.Equal(2, exit);
        Assert.Contains("--overwrite", output, StringComparison.Ordinal);
        Assert.Equal("# edited by the user\n", File.ReadAllText(config));

        Assert.Equal(0, (await CliRunner.RunAsync("init", folder, "--overwrite")).Exit);
        Assert.StartsWith("# A starter `judge run` config", File.ReadAllText(config), StringComparison.Ordinal);
    }
}

public sealed class CompareReportTests
{
    [Fact]
    public async Task Compare_WithReport_WritesTheReportsOfARun_AndAMockRunSaysItsVerdictsAreMadeUp()
    {
        var sample = Paths.Sample;
        var answers = Directory.GetFiles(Path.Combine(sample, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal).ToArray();
        var folder = Paths.Temp("reports");

        var (exit, output) = await CliRunner.RunAsync(
            ["compare", "-q", Path.Combine(sample, "question.jsonl"), "-a", .. answers, "--judge", "mock:3",
             "--out", Paths.Temp("m.jsonl"), "--report", folder]);

        Assert.True(exit == 0, output);
        Assert.Contains("caution:", output, StringComparison.Ordinal);
        foreach (var file in new[] { "report.html", "summary.md", "junit.xml", "verdicts.csv" })
        {
            Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} missing");
        }

        Assert.Contains("makes its verdicts up", File.ReadAllText(Path.Combine(folder, "summary.md")), StringComparison.Ordinal);
        Assert.Contains("makes its verdicts up", File.ReadAllText(Path.Combine(folder, "report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_WithAReportPathThatIsAFile_IsRefusedBeforeAnythingIsJudged()
    {
        var sample = Paths.Sample;
        var file = Paths.Temp("not-a-folder");
        File.WriteAllText(file, "x");
        var outPath = Paths.Temp("never.jsonl");

        var (exit, output) = await CliRunner.RunAsync(
            ["compare", "-q", Path.Combine(sample, "question.jsonl"), "-a", Path.Combine(sample, "model_answer", "assistant-tiny.jsonl"), Path.Combine(sample, "model_answer", "assistant-large.jsonl"),
             "--judge", "mock:3", "--out", outPath, "--report", file]);

        Assert.Equal(2, exit);
        Assert.Contains("--report", output, StringComparison.Ordinal);
        Assert.False(File.Exists(outPath));
        Assert.Equal("x", File.ReadAllText(file));
    }
}

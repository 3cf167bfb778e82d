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

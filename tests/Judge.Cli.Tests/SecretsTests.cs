using Judge.Providers.Tests.Fakes;

namespace Judge.Cli.Tests;

/// <summary>A password in a judge's base_url reaches the server and no artefact of the run.</summary>
public class SecretsTests
{
    [Fact]
    public async Task Run_PasswordInBaseUrl_AppearsInNoRecordJournalManifestCacheReportOrConsole()
    {
        const string password = "PLANTED-s3cret-pw";
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("Fine. [[A]]"));
        var baseUrl = server.BaseUrl.ToString().Replace("http://", $"http://judge-user:{password}@", StringComparison.Ordinal);
        var dir = Path.GetDirectoryName(Paths.Temp("x"))!;
        var cache = Path.Combine(dir, "cache.sqlite");
        var config = RunConfigs.Write("compare", $"openai:gpt-4o?base_url={baseUrl}&cache={cache}", "thresholds:\n  baseline: assistant-tiny\n  min_win_rate: 0.1\n  junit_per_item: true");

        var (exit, output) = await CliRunner.RunAsync("run", config);
        var (jsonExit, json) = await CliRunner.RunAsync("run", config, "--resume", "--json");

        Assert.True(exit is 0 or 1, output);
        Assert.True(jsonExit is 0 or 1, json);
        Assert.True(server.RequestCount > 0);
        Assert.DoesNotContain(password, output, StringComparison.Ordinal);
        Assert.DoesNotContain(password, json, StringComparison.Ordinal);
        var files = Directory.GetFiles(RunConfigs.Out(config)).Append(cache).ToList();
        Assert.Contains(files, f => f.EndsWith("report.html", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var text = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(file));
            Assert.False(text.Contains(password, StringComparison.Ordinal), $"{file} holds the password");
        }
    }
}

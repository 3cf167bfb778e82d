using System.Diagnostics;
using System.Text.Json;

namespace Judge.Cli.Tests;

/// <summary>Runs the built <c>judge</c> as a separate process, the way CI does.</summary>
internal static class JudgeProcess
{
    /// <summary>judge.dll: beside the test assembly (the project reference copies it), else under src/Judge.Cli/bin.</summary>
    public static string Dll { get; } = Find();

    public static Process Start(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["JUDGE_RUBRICS"] = Paths.Rubrics;
        return Process.Start(info)!;
    }

    public static async Task<(int Exit, string Output)> RunAsync(string workingDirectory, params string[] args)
    {
        using var process = Start(workingDirectory, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string Find()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "judge.dll");
        if (File.Exists(beside) && File.Exists(Path.Combine(AppContext.BaseDirectory, "judge.runtimeconfig.json")))
        {
            return beside;
        }

        foreach (var configuration in new[] { "Release", "Debug" })
        {
            var built = Path.Combine(Paths.RepoRoot, "src", "Judge.Cli", "bin", configuration, "net10.0", "judge.dll");
            if (File.Exists(built))
            {
                return built;
            }
        }

        throw new FileNotFoundException("judge.dll not found beside the tests or under src/Judge.Cli/bin; build the solution first");
    }
}

public class ResumeAfterKillTests
{
    /// <summary>
    /// Starts a real run whose mock judge takes 200 ms a call, kills the process tree (SIGKILL)
    /// once some items are recorded, resumes it, and checks that nothing was lost, duplicated or
    /// paid for twice: one verdict record per planned item, and the mock's call log (one line per
    /// answered call, written by both processes) holds exactly items × 2 orders distinct calls.
    /// </summary>
    [Fact]
    public async Task Resume_AfterKill9MidRun_FinishesWithEveryItemOnceAndNoCallRepeated()
    {
        var log = Paths.Temp("mock-calls.log");
        var config = RunConfigs.Write("compare", $"mock:11?latency_ms=200&log={log}", "options:\n  turns: [1, 2]\n  concurrency: 3");
        var folder = Path.GetDirectoryName(config)!;
        var judgments = Path.Combine(RunConfigs.Out(config), "judgments.jsonl");
        const int items = 36;

        using (var first = JudgeProcess.Start(folder, "run", config))
        {
            var deadline = DateTime.UtcNow.AddSeconds(45);
            while (VerdictLines(judgments) < 6 && !first.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(25);
            }

            // Read nothing from the process before the kill: waiting on its output would wait for it to end.
            var exitedEarly = first.HasExited;
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
            Assert.False(exitedEarly, "the run finished before it could be killed: " + await first.StandardOutput.ReadToEndAsync());
            Assert.NotEqual(0, first.ExitCode);
        }

        var recordedAtKill = VerdictLines(judgments);
        Assert.InRange(recordedAtKill, 6, items - 1);

        var (exit, output) = await JudgeProcess.RunAsync(folder, "run", config, "--resume");

        Assert.True(exit == 0, output);
        Assert.Contains("already recorded", output);
        var verdicts = RunConfigs.Verdicts(config);
        Assert.Equal(items, verdicts.Count);
        Assert.Equal(items, verdicts.Select(v => v.GetProperty("item").GetString()).Distinct().Count());

        var calls = File.ReadAllLines(log);
        Assert.Equal(items * 2, calls.Length);
        Assert.Equal(items * 2, calls.Select(c => c[(c.IndexOf('\t') + 1)..]).Distinct().Count());
        Assert.Equal(2, calls.Select(c => c[..c.IndexOf('\t')]).Distinct().Count());

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(RunConfigs.Out(config), "manifest.json")));
        Assert.Equal(1, manifest.RootElement.GetProperty("resumed_at").GetArrayLength());
        Assert.NotEqual(JsonValueKind.Null, manifest.RootElement.GetProperty("finished_at").ValueKind);
    }

    private static int VerdictLines(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var count = 0;
        while (reader.ReadLine() is { } line)
        {
            count += line.Contains("\"type\":\"pairwise\"", StringComparison.Ordinal) ? 1 : 0;
        }

        return count;
    }
}

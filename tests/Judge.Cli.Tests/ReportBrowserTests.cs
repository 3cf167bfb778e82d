using System.Diagnostics;

namespace Judge.Cli.Tests;

/// <summary>
/// Loads the HTML report in Debian's headless chromium (installed by scripts/test.sh, never here).
/// Console errors are read from chromium's own log: with <c>--enable-logging=stderr --v=0</c> every
/// console message, including uncaught exceptions, is logged as a line holding <c>:CONSOLE</c>. The
/// method is checked on a page that throws, so a chromium that stopped logging would fail the test
/// instead of passing it silently.
/// </summary>
public class ReportBrowserTests
{
    [Fact]
    public async Task Report_InHeadlessChromium_LoadsWithoutConsoleErrorsAndRenders()
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        Assert.True(chromium is not null, "chromium is not installed; scripts/test.sh installs it (apt-get install -y chromium)");

        // Control: the detector sees an uncaught error.
        var bad = Paths.Temp("bad.html");
        await File.WriteAllTextAsync(bad, "<html><body><script>undefinedFunction();</script></body></html>");
        var (_, badConsole, _) = await ShootAsync(chromium!, bad);
        Assert.Contains(badConsole, l => l.Contains("Uncaught ReferenceError"));

        var config = RunConfigs.Write("compare", RunConfigs.Replay, "options:\n  turns: [1, 2]\nthresholds:\n  baseline: assistant-tiny\n  min_win_rate: 0.6", humanLabels: true);
        var (exit, output) = await CliRunner.RunAsync("run", config);
        Assert.True(exit == 0, output);
        var report = Path.Combine(RunConfigs.Out(config), "report.html");

        var (screenshot, console, exitCode) = await ShootAsync(chromium!, report);

        Assert.Equal(0, exitCode);
        Assert.Empty(console);
        Assert.True(new FileInfo(screenshot).Length > 20_000, "the screenshot is suspiciously small");
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    private static async Task<(string Screenshot, List<string> Console, int Exit)> ShootAsync(string chromium, string page)
    {
        var dir = Path.GetDirectoryName(page)!;
        var screenshot = Path.Combine(dir, Path.GetFileNameWithoutExtension(page) + ".png");
        var info = new ProcessStartInfo(chromium) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", $"--user-data-dir={Path.Combine(dir, "chromium-profile-" + Guid.NewGuid().ToString("N"))}",
            "--enable-logging=stderr", "--v=0", $"--screenshot={screenshot}", "--window-size=1280,2000", new Uri(page).AbsoluteUri,
        })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var log = (await stderr + "\n" + await stdout).Split('\n');
        return (screenshot, log.Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal) || l.Contains("Uncaught", StringComparison.Ordinal)).ToList(), process.ExitCode);
    }
}

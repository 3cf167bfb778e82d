using Judge.Cli.Commands;
using Judge.Judging;
using Judge.Runs;
using Judge.Verdicts;
using Spectre.Console;

namespace Judge.Cli.Tests;

/// <summary>The plain progress lines of a log (no terminal).</summary>
public class LiveProgressTests
{
    [Fact]
    public void Update_SecondLabelledCounter_PrintsItsOwnStepsFromItsStart()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(writer) });
        console.Profile.Width = 200;
        var live = new LiveProgress(console, quiet: false);

        // Two stages of 20 calls, one a second: each stage's clock starts again at zero.
        foreach (var label in new[] { "rubrics", "instructions" })
        {
            for (var done = 0; done <= 20; done++)
            {
                live.Update(new RunProgressSnapshot(done, 20, 0, new CostTotals(done, 0, 0, 0, 0m), 0, TimeSpan.FromSeconds(done)) { Label = label });
            }
        }

        // At every 5 % (a step of one call here) that comes a second after the last line: calls 1 to 20 of each stage.
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(20, lines.Count(l => l.StartsWith("rubrics ", StringComparison.Ordinal)));
        Assert.Equal(20, lines.Count(l => l.StartsWith("instructions ", StringComparison.Ordinal)));
        Assert.Equal("instructions 1/20 5% 1.0/s ETA 0:19 no verdict 0", lines[20]);
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Judge.Cli.Commands;
using Judge.Feedback;
using Spectre.Console;

namespace Judge.Cli.Tests;

/// <summary><c>judge feedback generate</c> through the real command line.</summary>
public class FeedbackCommandTests
{
    [Fact]
    public async Task Generate_DryRun100kPlan_PrintsEveryStageAndTotal()
    {
        var (exit, output) = await CliRunner.RunAsync(
            "feedback", "generate", "--out", Paths.Temp("plan"), "--generator", "openai:gpt-4o", "--judge", "openai:gpt-4o",
            "--rubrics", "1000", "--instructions-per-rubric", "20", "--responses-per-level", "1", "--dry-run", "--rpm", "500", "--rubrics-dir", Paths.Rubrics);

        Assert.True(exit == 0, output);
        Assert.Contains("dry run: nothing was sent", output, StringComparison.Ordinal);
        foreach (var row in new[] { "│ rubrics ", "│ instructions ", "│ responses ", "│ feedback ", "│ total " })
        {
            Assert.Contains(row, output, StringComparison.Ordinal);
        }

        Assert.Contains("220,200", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_DryRunWithoutRubricsDir_PlansFromTheStandardPromptsBuiltIn()
    {
        // No --rubrics-dir: the stage prompts, seeds and prometheus-absolute come from Judge.Core's embedded catalogue.
        var (exit, output) = await CliRunner.RunAsync(
            "feedback", "generate", "--out", Paths.Temp("plan-standard"), "--generator", "openai:gpt-4o", "--judge", "openai:gpt-4o",
            "--rubrics", "1000", "--instructions-per-rubric", "20", "--responses-per-level", "1", "--dry-run", "--rpm", "500");

        Assert.True(exit == 0, output);
        Assert.Contains("220,200", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_UntilBeforeFrom_IsAUsageError()
    {
        var (exit, output) = await CliRunner.RunAsync(
            "feedback", "generate", "--out", Paths.Temp("bad"), "--generator", "mock:1", "--judge", "mock:1", "--from", "feedback", "--until", "rubrics", "--rubrics-dir", Paths.Rubrics);
        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("rubrics comes before feedback", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Ctrl-C (the process's token) as the rubrics stage finishes: the command keeps that stage's file and the
    /// journal, says so, prints the command that goes on from the instructions stage, and exits 130; that command
    /// then finishes the run without running the rubrics stage again.
    /// </summary>
    [Fact]
    public async Task Generate_CancelledAfterFirstStage_KeepsItAndPrintsTheResumeCommand()
    {
        var outDir = Paths.Temp("stopped");
        using var stop = new CancellationTokenSource();
        var writer = new CancellingWriter("  rubrics:", stop);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 400;

        var exit = await JudgeCli.RunAsync(
            ["feedback", "generate", "--out", outDir, "--generator", "mock:1", "--judge", "mock:2", "--rubrics", "2", "--rubrics-per-call", "1", "--instructions-per-rubric", "1", "--include-seeds", "--rubrics-dir", Paths.Rubrics],
            console,
            TimeProvider.System,
            stop.Token);

        var output = writer.ToString();
        Assert.True(exit == ExitCodes.Interrupted, output);
        Assert.Contains("stopped in the instructions stage: finished rubrics (rubrics.jsonl); 2 model responses kept in", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(outDir, "rubrics.jsonl")));
        Assert.False(File.Exists(Path.Combine(outDir, "instructions.jsonl")));
        var resume = output.Split('\n').Single(l => l.StartsWith("resume with: ", StringComparison.Ordinal))["resume with: ".Length..].Trim();
        Assert.EndsWith(" --from instructions", resume, StringComparison.Ordinal);

        // Temporary paths need no quoting: the printed command splits on spaces.
        var args = resume.Split(' ');
        Assert.Equal("judge", args[0]);
        var (again, resumed) = await CliRunner.RunAsync(args[1..]);

        Assert.True(again == 0, resumed);
        Assert.DoesNotContain("  rubrics:", resumed, StringComparison.Ordinal);
        Assert.Contains("  instructions:", resumed, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(outDir, "feedback-collection.jsonl")));
    }

    [Theory]
    [InlineData("--from responses --until feedback", "--until feedback --from feedback")]
    [InlineData("--stages rubrics,feedback,export", "--stages feedback,export")]
    [InlineData("", "--from feedback")]
    [InlineData("--from=instructions", "--from feedback")]
    public void ResumeCommand_StoppedInFeedback_GoesOnFromThere(string stageArgs, string expectedEnd)
    {
        var command = new RootCommand { FeedbackCommands.Create(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()) }), TimeProvider.System) };
        string[] args = ["feedback", "generate", "--out", "/tmp/x y", "--generator", "mock:1", "--judge", "mock:1", .. stageArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        var parse = command.Parse(args);
        var remaining = stageArgs.Contains("--until", StringComparison.Ordinal) ? new[] { FeedbackStage.Feedback } : [FeedbackStage.Feedback, FeedbackStage.Export];

        var resume = FeedbackCommands.ResumeCommand(parse, remaining);

        Assert.Equal("judge feedback generate --out '/tmp/x y' --generator mock:1 --judge mock:1 " + expectedEnd, resume);
    }

    /// <summary>Captures the console and cancels once <paramref name="trigger"/> has been written, as Ctrl-C would at that moment.</summary>
    private sealed class CancellingWriter(string trigger, CancellationTokenSource stop) : StringWriter
    {
        public override void Write(char value)
        {
            base.Write(value);
            Check();
        }

        public override void Write(string? value)
        {
            base.Write(value);
            Check();
        }

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            Check();
        }

        private void Check()
        {
            if (!stop.IsCancellationRequested && GetStringBuilder().ToString().Contains(trigger, StringComparison.Ordinal))
            {
                stop.Cancel();
            }
        }
    }

    /// <summary>
    /// The whole pipeline with the real tiny local model as generator and judge. It is not instruction-tuned,
    /// so its generations are expected to be rejected as unparsable: the test asserts the run completes and
    /// records each rejection with its reason and raw text.
    /// </summary>
    [Fact]
    public async Task Generate_TinyLocalModel_CompletesAndRecordsRejections()
    {
        var outDir = Paths.Temp("feedback");
        var seeds = Path.Combine(Path.GetDirectoryName(outDir)!, "seeds");
        Directory.CreateDirectory(seeds);
        File.Copy(Path.Combine(Paths.Rubrics, "feedback", "seeds", "conciseness.yaml"), Path.Combine(seeds, "conciseness.yaml"));
        var model = $"llama:{Path.Combine(Paths.Shared, "models", "stories260K.gguf")}?ctx=4096&max_tokens=64";
        var clock = Stopwatch.StartNew();

        var (exit, output) = await CliRunner.RunAsync(
            "feedback", "generate", "--out", outDir, "--generator", model, "--judge", model, "--seeds", seeds,
            "--rubrics", "1", "--rubrics-per-call", "1", "--instructions-per-rubric", "1", "--include-seeds", "--concurrency", "1", "--rubrics-dir", Paths.Rubrics);

        Assert.True(exit == 0, output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.Contains("feedback generation summary", output, StringComparison.Ordinal);

        // The seed goes on; the model's rubric and instruction calls were made and their outcomes recorded.
        var rubrics = File.ReadLines(Path.Combine(outDir, "rubrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(rubrics, r => r.GetProperty("id").GetString() == "seed-conciseness");
        var rejected = new[] { "rubrics", "instructions", "responses", "feedback", "export" }
            .SelectMany(s => File.ReadLines(Path.Combine(outDir, s + ".rejected.jsonl")))
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var journal = File.ReadLines(Path.Combine(outDir, "journal.jsonl")).Count();
        Assert.True(journal >= 1 + rubrics.Count, $"{journal} journalled calls");
        Assert.NotEmpty(rejected);
        Assert.All(rejected, r =>
        {
            Assert.False(string.IsNullOrEmpty(r.GetProperty("reason").GetString()));
            Assert.False(string.IsNullOrEmpty(r.GetProperty("detail").GetString()));
        });
        Assert.All(rejected.Where(r => r.GetProperty("reason").GetString() == "unparsable"), r => Assert.True(r.TryGetProperty("raw", out _)));
        Assert.True(File.Exists(Path.Combine(outDir, "feedback-collection.jsonl")));

        // The model never writes a usable instruction, so give the judge stage hand-made material and run it alone.
        File.WriteAllText(Path.Combine(outDir, "instructions.jsonl"), """{"id":"seed-conciseness/i00","rubric_id":"seed-conciseness","instruction":"Tell me what a cat is.","reference_answer":"A cat is a small furry animal that people keep as a pet."}""" + "\n");
        File.WriteAllText(Path.Combine(outDir, "responses.jsonl"), string.Concat(
            """{"id":"r1","instruction_id":"seed-conciseness/i00","target_score":5,"response":"A cat is a small pet animal."}""" + "\n",
            """{"id":"r2","instruction_id":"seed-conciseness/i00","target_score":1,"response":"Cats. Cats cats cats. Well, let me tell you about dogs first."}""" + "\n"));
        (exit, output) = await CliRunner.RunAsync(
            "feedback", "generate", "--out", outDir, "--generator", model, "--judge", model, "--seeds", seeds, "--from", "feedback", "--rubrics-dir", Paths.Rubrics);

        Assert.True(exit == 0, output);
        var judged = File.ReadLines(Path.Combine(outDir, "feedback.rejected.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var kept = File.ReadLines(Path.Combine(outDir, "feedback.jsonl")).Count();
        Assert.Equal(2, judged.Count + kept);
        Assert.All(judged, r => Assert.Contains(r.GetProperty("reason").GetString(), new[] { "unparsable", "out-of-range", "off-target", "no-feedback" }));
    }
}

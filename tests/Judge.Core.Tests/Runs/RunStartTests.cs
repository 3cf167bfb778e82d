using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;
using Microsoft.Extensions.Time.Testing;

namespace Judge.Tests.Runs;

/// <summary>The engine's start: resuming what a stopped run left, and refusing, with every file left as it was.</summary>
public class RunStartTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Resume_PartlyWrittenRun_JudgesOnlyWhatIsMissingAndServesJournalledAnswers()
    {
        using var dir = new TempDir();
        var clock = new FakeTimeProvider(Start);
        var config = TestRuns.Grade(dir.Path, "single-general");
        var files = RunFiles.InFolder(dir.Path);
        var first = new ScriptedJudges((n, _) => $"Call {n}. Rating: [[{1 + (n % 9)}]]");
        await new RunEngine(first, clock).RunAsync(config, files, RunStart.New, TestRuns.Library);
        var scores = JudgmentsReader.Read(files.Judgments).OfType<AbsoluteVerdict>().ToDictionary(v => v.Item, v => v.Score);

        // As a kill leaves it: one item at a time, so the judgments hold the first 10 items (a call and a verdict each),
        // the journal the answers of 14 calls, and the manifest an unfinished run.
        File.WriteAllLines(files.Judgments, File.ReadLines(files.Judgments).Take(20).ToList());
        File.WriteAllLines(files.Journal, File.ReadLines(files.Journal).Take(14).ToList());
        (RunManifest.Read(files.Manifest) with { FinishedAt = null }).Write(files.Manifest);
        clock.Advance(TimeSpan.FromHours(1));
        var second = new ScriptedJudges((_, _) => "Later. Rating: [[2]]");
        var notes = new List<string>();

        var result = await new RunEngine(second, clock).RunAsync(config, files, RunStart.Resume, TestRuns.Library, new RunObserver { Note = notes.Add });

        // 18 answers: 10 recorded, 4 more answered in the journal, 4 judged now.
        Assert.Equal(4, second.Calls);
        Assert.Equal(4, result.JournalServed);
        Assert.Equal((8, 8L), (result.Progress.Done, result.Progress.Calls));
        Assert.Contains("resuming: 10 of 18 judgments already recorded, 8 to go", notes);
        var verdicts = result.Records.OfType<AbsoluteVerdict>().ToList();
        Assert.Equal(18, verdicts.Select(v => v.Item).Distinct().Count());
        Assert.Equal(verdicts.Take(14).Select(v => scores[v.Item]), verdicts.Take(14).Select(v => v.Score));
        Assert.All(verdicts.Skip(14), v => Assert.Equal(2, v.Score));

        // Each of the 18 calls recorded once, at its price; the 10 recorded before count as earlier cost.
        Assert.Equal(18, result.Analysis.Cost.Calls);
        Assert.Equal(18 * TestRuns.CallCost, result.Analysis.Cost.Usd);
        Assert.Equal(10 * TestRuns.CallCost, result.Progress.EarlierCost);
        Assert.Equal(Start, result.Manifest.StartedAt);
        Assert.Equal([Start.AddHours(1)], result.Manifest.ResumedAt);
        Assert.Equal(Start.AddHours(1), result.Manifest.FinishedAt);
    }

    [Fact]
    public async Task Resume_PlanChanged_RefusesAndLeavesEveryFileByteIdentical()
    {
        using var dir = new TempDir();
        var config = TestRuns.Grade(dir.Path, "single-general") with { Options = new RunOptions { Concurrency = 1, Limit = 3 } };
        var files = RunFiles.InFolder(dir.Path);
        await new RunEngine(new ScriptedJudges((_, _) => "[[5]]")).RunAsync(config, files, RunStart.New, TestRuns.Library);
        File.Delete(files.Journal);
        var before = TestRuns.Snapshot(dir.Path);
        var judges = new ScriptedJudges((_, _) => "[[6]]");

        var refused = await Assert.ThrowsAsync<InputException>(() =>
            new RunEngine(judges).RunAsync(config with { Options = config.Options with { Limit = 4 } }, files, RunStart.Resume, TestRuns.Library));

        Assert.Equal("plan_hash", refused.Field);
        Assert.Contains("a different plan: 3 judgments under other settings (judge, rubric, data, turns, seed or limit) than this one's 4", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, judges.Calls);
        Assert.Equal(before, TestRuns.Snapshot(dir.Path));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task New_OutputHoldsARun_RefusesAndLeavesEveryFileByteIdentical(bool withManifest)
    {
        using var dir = new TempDir();
        var config = TestRuns.Grade(dir.Path, "single-general") with { Options = new RunOptions { Concurrency = 1, Limit = 1 } };
        var files = RunFiles.InFolder(dir.Path);
        await new RunEngine(new ScriptedJudges((_, _) => "[[5]]")).RunAsync(config, files, RunStart.New, TestRuns.Library);
        if (!withManifest)
        {
            // Judgments without their manifest are still results: a new run does not delete them.
            File.Delete(files.Manifest);
        }

        var before = TestRuns.Snapshot(dir.Path);

        var refusal = RunStartRule.Check(RunStart.New, files);
        var refused = await Assert.ThrowsAsync<InputException>(() => new RunEngine(new ScriptedJudges((_, _) => "[[6]]")).RunAsync(config, files, RunStart.New, TestRuns.Library));

        Assert.NotNull(refusal);
        Assert.Equal([RunStart.Resume, RunStart.Overwrite], refusal.Allowed);
        Assert.EndsWith("resume it to keep what it judged, or overwrite it", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, TestRuns.Snapshot(dir.Path));
    }

    [Fact]
    public async Task Decide_EachStartAgainstWhatTheOutputHolds_FollowsTheOneRule()
    {
        using var dir = new TempDir();
        var files = RunFiles.BesideResults(Path.Combine(dir.Path, "grade.jsonl"));
        var config = TestRuns.Grade(dir.Path, "single-general") with { Options = new RunOptions { Concurrency = 1, Limit = 1 } };

        // Nothing there: every start goes ahead; only a resume says there was nothing to resume.
        Assert.All(Enum.GetValues<RunStart>(), s => Assert.Null(RunStartRule.Check(s, files)));
        Assert.Equal(["nothing to resume yet: starting the run"], RunStartRule.Decide(RunStart.Resume, files, "p", 1, "h").Notes);

        var result = await new RunEngine(new ScriptedJudges((_, _) => "[[5]]")).RunAsync(config, files, RunStart.ReplaceFinished, TestRuns.Library);
        var plan = result.Manifest.PlanHash;

        // A finished run: replaced unless a new run is asked for; resumed (with nothing left) when asked.
        Assert.False(RunStartRule.Decide(RunStart.ReplaceFinished, files, plan, 1, "h").Resume);
        Assert.False(RunStartRule.Decide(RunStart.Overwrite, files, plan, 1, "h").Resume);
        Assert.True(RunStartRule.Decide(RunStart.Resume, files, plan, 1, "h").Resume);
        Assert.NotNull(RunStartRule.Check(RunStart.New, files));
        Assert.Equal(["the settings changed since the run started, but not what it judges; gates and reports use the new ones"], RunStartRule.Decide(RunStart.Resume, files, plan, 1, "other").Notes);

        // An unfinished run: never replaced silently; resumed or overwritten when asked.
        (RunManifest.Read(files.Manifest) with { FinishedAt = null }).Write(files.Manifest);
        var unfinished = RunStartRule.Check(RunStart.ReplaceFinished, files);
        Assert.NotNull(unfinished);
        Assert.Equal("holds an unfinished run (1 judgments planned)", unfinished.Problem);
        Assert.True(RunStartRule.Decide(RunStart.Resume, files, plan, 1, "h").Resume);
        Assert.False(RunStartRule.Decide(RunStart.Overwrite, files, plan, 1, "h").Resume);
    }
}

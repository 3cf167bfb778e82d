using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Statistics;
using Judge.Tests.Support;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Tests.Runs;

public class RunEngineTests
{
    private const decimal CallCost = TestRuns.CallCost;

    private static RunConfig GradeConfig(string output, params string[] rubrics) => TestRuns.Grade(output, rubrics);

    private static RubricLibrary Library => TestRuns.Library;

    [Fact]
    public async Task RunAsync_CancelledThenResumed_JudgesEachItemOnceAndCostCoversBothInvocations()
    {
        using var dir = new TempDir();
        var config = GradeConfig(dir.Path, "single-general");
        var files = RunFiles.InFolder(dir.Path);
        using var stop = new CancellationTokenSource();
        var first = new ScriptedJudges((n, ct) =>
        {
            if (n == 6)
            {
                stop.Cancel();
                ct.ThrowIfCancellationRequested();
            }

            return "Good. Rating: [[7]]";
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new RunEngine(first).RunAsync(config, files, RunStart.New, Library, cancellationToken: stop.Token));
        var kept = JudgmentsReader.Read(files.Judgments).OfType<AbsoluteVerdict>().Count();
        Assert.Equal(5, kept);
        Assert.Null(RunManifest.Read(files.Manifest).FinishedAt);

        var second = new ScriptedJudges((_, _) => "Fine. Rating: [[7]]");
        var result = await new RunEngine(second).RunAsync(config, files, RunStart.Resume, Library);

        // Sample data: 6 questions × 3 models, turn 1 = 18 answers; 5 were kept, 13 judged now.
        Assert.Equal(13, second.Calls);
        Assert.Equal(18, result.Analysis.Judgments.Values.Sum());
        Assert.Equal(13, result.Progress.Done);
        Assert.Equal(5 * CallCost, result.Progress.EarlierCost);
        Assert.Equal(18 * CallCost, result.Progress.TotalCost);
        Assert.Equal(18 * CallCost, result.Analysis.Cost.Usd);
        Assert.All(result.Records.OfType<JudgeCall>(), c => Assert.Equal(CallCost, c.CostUsd));
        Assert.Equal(RunOutcome.Passed, result.Outcome);
        Assert.Single(result.Manifest.ResumedAt);
        Assert.NotNull(result.Manifest.FinishedAt);
    }

    [Fact]
    public async Task RunAsync_AnotherProcessWritingTheRun_RefusedBeforeAnyFileIsTouchedAndTheLockGoesWithTheRun()
    {
        using var dir = new TempDir();
        var config = GradeConfig(dir.Path, "single-general");
        var files = RunFiles.InFolder(dir.Path);
        await new RunEngine(new ScriptedJudges((_, _) => "[[5]]")).RunAsync(config, files, RunStart.New, Library);
        var before = File.ReadAllBytes(files.Judgments);
        Assert.False(File.Exists(files.Manifest + ".lock"));

        // A run in progress elsewhere holds the lock (flock: another open file description conflicts, in-process too).
        using (new FileStream(files.Manifest + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var refused = await Assert.ThrowsAsync<InputException>(() => new RunEngine(new ScriptedJudges((_, _) => "[[5]]")).RunAsync(config, files, RunStart.Overwrite, Library));
            Assert.Contains("another judge process is writing this run", refused.Message, StringComparison.Ordinal);
            Assert.Equal(before, File.ReadAllBytes(files.Judgments));
        }

        await new RunEngine(new ScriptedJudges((_, _) => "[[6]]")).RunAsync(config, files, RunStart.Overwrite, Library);
        Assert.NotEqual(before, File.ReadAllBytes(files.Judgments));
        Assert.False(File.Exists(files.Manifest + ".lock"));
    }

    [Fact]
    public async Task RunAsync_UnfinishedRunThere_RefusesToReplaceItUnlessAskedTo()
    {
        using var dir = new TempDir();
        var config = GradeConfig(dir.Path, "single-general");
        var files = RunFiles.BesideResults(Path.Combine(dir.Path, "grade.jsonl"));
        await new RunEngine(new ScriptedJudges((_, _) => "[[5]]")).RunAsync(config, files, RunStart.ReplaceFinished, Library);
        File.WriteAllText(files.Manifest, File.ReadAllText(files.Manifest).Replace("\"finished_at\"", "\"was_finished_at\"", StringComparison.Ordinal));

        var refused = await Assert.ThrowsAsync<InputException>(() => new RunEngine(new ScriptedJudges((_, _) => "[[5]]")).RunAsync(config, files, RunStart.ReplaceFinished, Library));
        Assert.Contains("unfinished run", refused.Message, StringComparison.Ordinal);

        var again = new ScriptedJudges((_, _) => "[[6]]");
        var result = await new RunEngine(again).RunAsync(config, files, RunStart.Overwrite, Library);
        Assert.Equal(18, again.Calls);
        Assert.All(result.Records.OfType<AbsoluteVerdict>(), r => Assert.Equal(6, r.Score));
    }

    [Fact]
    public async Task RunAsync_RetryErrors_JudgesAgainOnlyTheItemsRecordedAsErrorAndKeepsTheRest()
    {
        using var dir = new TempDir();
        var baseConfig = GradeConfig(dir.Path, "single-general");
        var config = baseConfig with { Options = baseConfig.Options with { Concurrency = 1 } };
        var files = RunFiles.InFolder(dir.Path);
        var outage = new ScriptedJudges((n, _) => n % 3 == 0 ? throw new HttpRequestException("connection refused") : "[[7]]");
        var first = await new RunEngine(outage).RunAsync(config, files, RunStart.New, Library);
        var errors = first.Analysis.ByStatus.GetValueOrDefault(VerdictStatus.Error);
        var parsed = first.Analysis.ByStatus.GetValueOrDefault(VerdictStatus.Parsed);

        var back = new ScriptedJudges((_, _) => "[[5]]");
        var second = await new RunEngine(back).RunAsync(config with { Options = config.Options with { RetryErrors = true } }, files, RunStart.Resume, Library);

        var scores = second.Records.OfType<AbsoluteVerdict>().ToList();
        Assert.True(errors > 0 && parsed > 0, $"{errors} errors, {parsed} parsed");
        Assert.Equal(errors, back.Calls);
        Assert.Equal(errors + parsed, scores.Count);
        Assert.All(scores, s => Assert.Equal(VerdictStatus.Parsed, s.Status));
        Assert.Equal(parsed, scores.Count(s => s.Score == 7));
        Assert.Equal(errors, scores.Count(s => s.Score == 5));
        Assert.DoesNotContain(second.Records.OfType<JudgeCall>(), c => c.Status == VerdictStatus.Error);
    }

    [Fact]
    public async Task RunAsync_ResumeWithoutRetryErrors_KeepsErrorRecordsAndCallsNothing()
    {
        using var dir = new TempDir();
        var baseConfig = GradeConfig(dir.Path, "single-general");
        var config = baseConfig with { Options = baseConfig.Options with { Concurrency = 1 } };
        var files = RunFiles.InFolder(dir.Path);
        var first = await new RunEngine(new ScriptedJudges((n, _) => n % 2 == 0 ? throw new HttpRequestException("down") : "[[7]]")).RunAsync(config, files, RunStart.New, Library);

        var back = new ScriptedJudges((_, _) => "[[5]]");
        var second = await new RunEngine(back).RunAsync(config, files, RunStart.Resume, Library);

        Assert.Equal(0, back.Calls);
        Assert.Equal(first.Analysis.ByStatus.GetValueOrDefault(VerdictStatus.Error), second.Analysis.ByStatus.GetValueOrDefault(VerdictStatus.Error));
    }

    [Fact]
    public async Task RunAsync_GradedModelWithoutAnswers_RefusedBeforeAnyFileIsWritten()
    {
        using var dir = new TempDir();
        var config = GradeConfig(dir.Path, "single-general") with
        {
            Options = new RunOptions { Models = ["assistant-large"], Concurrency = 1 },
            Thresholds = new RunThresholds { MinMeanScore = 1 },
        };
        var data = RunEngine.LoadData(config);
        var emptied = config with { Data = config.Data with { Answers = [Path.Combine(TestPaths.Sample, "model_answer", "assistant-small.jsonl")] } };

        var refused = await Assert.ThrowsAsync<InputException>(() => new RunEngine(new ScriptedJudges((_, _) => "[[9]]")).RunAsync(emptied, RunFiles.InFolder(dir.Path), RunStart.New, Library));

        Assert.Contains("assistant-large", data.Models);
        Assert.Equal("models", refused.Field);
        Assert.Contains("no answers by model 'assistant-large'", refused.Problem, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task RunAsync_TwoRubricsOnDifferentScales_AggregatesAndGatesEachApart()
    {
        using var dir = new TempDir();
        static string Rubric(string id, int min, int max) => $"id: {id}\nversion: 1\ntitle: {id}\nmode: absolute\nscale:\n  min: {min}\n  max: {max}\noutput:\n  tag: \"[[{{verdict}}]]\"\nprompt: \"{{question}} {{answer}}\"\n";
        var rubrics = Directory.CreateDirectory(Path.Combine(dir.Path, "rubrics")).FullName;
        File.WriteAllText(Path.Combine(rubrics, "three.yaml"), Rubric("three", 1, 3));
        File.WriteAllText(Path.Combine(rubrics, "binary.yaml"), Rubric("binary", 0, 1));
        var config = GradeConfig(Path.Combine(dir.Path, "out"), "three", "binary") with { Thresholds = new RunThresholds { MinMeanScore = 0.5 } };

        // The judge says 3: the top of the 1-3 scale, out of range on 0-1. The 0-1 answers are counted
        // apart as out of range, never averaged with the 1-3 scores into one mean.
        var result = await new RunEngine(new ScriptedJudges((_, _) => "[[3]]")).RunAsync(config, RunFiles.InFolder(config.Output), RunStart.New, RubricLibrary.LoadDirectory(rubrics));

        var three = result.Analysis.Scores.Where(s => s.Rubric == "three@1").ToList();
        var binary = result.Analysis.Scores.Where(s => s.Rubric == "binary@1").ToList();
        Assert.Equal(3, three.Count);
        Assert.Equal(3, binary.Count);
        Assert.All(three, s => Assert.Equal(3, s.Mean));
        Assert.All(binary, s => Assert.Null(s.Mean));
        Assert.All(binary, s => Assert.Equal(new MissingVerdicts(0, s.Items, 0, 0), s.Missing));
        Assert.Equal(6, result.Analysis.Gates.Count(g => g.Name == "min_mean_score"));
        Assert.All(result.Analysis.Gates.Where(g => g.Rubric == "three@1"), g => Assert.True(g.Passed));
        Assert.All(result.Analysis.Gates.Where(g => g.Rubric == "binary@1"), g => Assert.True(!g.Passed && g.Unmeasured));
        Assert.Equal(RunOutcome.GatesFailed, result.Outcome);
    }

    [Fact]
    public void WinRate_ItemsWithoutVerdict_AreLeftOutAndCountedBesideTheRate()
    {
        static PairwiseVerdict P(string item, string? winner, VerdictStatus status) => new()
        {
            Item = item, Judge = "j", Rubric = "r@1", QuestionId = item, Turn = 1, ModelA = "a", ModelB = "b", Winner = PairOutcomes.TryParse(winner), Status = status,
        };

        // a wins 2, ties 1 of the 3 pairs with a verdict: (2 + 0.5) / 3; one unparsed and one error pair are apart.
        JudgmentRecord[] records = [P("1", "model_a", VerdictStatus.Parsed), P("2", "model_a", VerdictStatus.Parsed), P("3", "tie", VerdictStatus.Parsed), P("4", null, VerdictStatus.Unparsed), P("5", null, VerdictStatus.Error)];
        var analysis = RunAnalysis.Compute(records, RunMode.Compare, new RunOptions(), new RunThresholds { MaxErrorRate = 1 }, namedRubrics: false);

        var a = analysis.WinRates.Single(w => w.Model == "a" && w.Opponent is null);
        var b = analysis.WinRates.Single(w => w.Model == "b" && w.Opponent == "a");
        Assert.Equal(2.5 / 3, a.Rate!.Value, 12);
        Assert.Equal(0.5 / 3, b.Rate!.Value, 12);
        Assert.Equal(new MissingVerdicts(1, 0, 0, 1), a.Missing);
        Assert.Equal(3, a.WithVerdict);
        Assert.Equal(5, a.Items);
        Assert.Equal("2 (unparsed 1, error 1)", a.Missing.ToString());
    }

    [Fact]
    public void ProgressLine_LargeRunWithCost_FitsEightyColumns()
    {
        var snapshot = new RunProgressSnapshot(123_456, 1_000_000, 12_345, new CostTotals(246_912, 10_000_000, 1_000_000, 246_912, 1234.5678m), 99.1m, TimeSpan.FromSeconds(3_600));

        var line = snapshot.Line();

        Assert.True(line.Length <= 80, line);
        // 123,456 in an hour is 34.29/s; 876,544 to go at that rate is 25,560 s = 7:06:00; cost 1234.5678 now + 99.1 earlier.
        Assert.Equal("123456/1000000 12% 34.3/s ETA 7:06:00 no verdict 12345 $1333.6678", line);
    }

    [Fact]
    public void HumanRaters_NoVoteByTheDefaultRaters_IsAnErrorNamingTheRatersHeld()
    {
        PairwiseLabel[] human = [new("1", "a", "b", PairOutcome.A, "gold", 1), new("2", "a", "b", PairOutcome.Tie, "gold-2", 1)];

        var error = Assert.Throws<InputException>(() => AgreementReport.Compute([new("1", "a", "b", PairOutcome.A, "judge", 1)], human, new AgreementOptions(), "labels.jsonl"));

        Assert.Contains("raters 'expert*'", error.Message, StringComparison.Ordinal);
        Assert.Contains("gold, gold-2", error.Message, StringComparison.Ordinal);
        var all = AgreementReport.Compute([new("1", "a", "b", PairOutcome.A, "judge", 1)], human, new AgreementOptions { HumanRaterPrefix = HumanRaters.Parse("all") });
        Assert.Equal(1, all.WithTies.Total);
        Assert.Equal(1, all.WithTies.Agree);
    }
}

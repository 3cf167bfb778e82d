using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;
using Microsoft.Extensions.Time.Testing;

namespace Judge.Tests.Runs;

/// <summary>The engine's gates over what a run judged, and shards merged into the run they split.</summary>
public class RunGateAndMergeTests
{
    [Fact]
    public async Task Gate_OnTheLowerBound_FailsWhereThePointEstimatePasses()
    {
        using var dir = new TempDir();
        var files = RunFiles.InFolder(dir.Path);
        var gated = TestRuns.Grade(dir.Path, "single-general") with
        {
            Thresholds = new RunThresholds { MinMeanScore = 5.5, GateOn = GateOn.LowerBound },
        };

        // Odd calls say 3, even ones 9: one item at a time, each model's six answers get three of each, a mean of 6.
        var judges = new ScriptedJudges((n, _) => n % 2 == 1 ? "[[3]]" : "[[9]]");
        var result = await new RunEngine(judges, new FakeTimeProvider()).RunAsync(gated, files, RunStart.New, TestRuns.Library);

        // The mean of six draws from {3, 9} is 3 + k with k ~ Binomial(6, 1/2): P(k <= 1) = 7/64 > 2.5 %, so the 95 %
        // bootstrap interval's lower bound is at most 4, under the 5.5 the gate asks for, while the mean 6 is over it.
        Assert.All(result.Analysis.Scores, s => Assert.Equal(6, s.Mean));
        Assert.All(result.Analysis.Scores, s => Assert.True(s.MeanCi!.Lower <= 4, $"{s.Model}: {s.MeanCi}"));
        var gates = result.Analysis.Gates.Where(g => g.Name == "min_mean_score").ToList();
        Assert.Equal(3, gates.Count);
        Assert.All(gates, g => Assert.False(g.Passed));
        Assert.Equal(RunOutcome.GatesFailed, result.Outcome);

        // The same judgments gated on the point estimate pass: a resume judges nothing and gates with the new settings.
        var point = gated with { Thresholds = gated.Thresholds with { GateOn = GateOn.Point } };
        var again = await new RunEngine(judges, new FakeTimeProvider()).RunAsync(point, files, RunStart.Resume, TestRuns.Library);
        Assert.Equal(18, judges.Calls);
        Assert.Equal(RunOutcome.Passed, again.Outcome);
    }

    [Fact]
    public async Task Gate_EveryCallFails_NothingJudgedIsNeverAPass()
    {
        using var dir = new TempDir();
        var config = TestRuns.Grade(dir.Path, "single-general") with
        {
            Thresholds = new RunThresholds { MinMeanScore = 1, MaxErrorRate = 1 },
        };

        var result = await new RunEngine(new ScriptedJudges((_, _) => throw new HttpRequestException("unreachable"))).RunAsync(config, RunFiles.InFolder(dir.Path), RunStart.New, TestRuns.Library);

        // Every item is recorded, with status error and no score; no mean exists, and a gate over nothing fails.
        Assert.Equal(18, result.Analysis.ByStatus[VerdictStatus.Error]);
        Assert.All(result.Analysis.Scores, s => Assert.Null(s.Mean));
        Assert.All(result.Analysis.Gates.Where(g => g.Name == "min_mean_score"), g => Assert.True(!g.Passed && g.Unmeasured));
        Assert.Equal(RunOutcome.GatesFailed, result.Outcome);
    }

    [Fact]
    public async Task Merge_ShardsOfARun_EqualTheUnshardedRun()
    {
        using var dir = new TempDir();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var config = TestRuns.Grade(Path.Combine(dir.Path, "whole"), "single-general") with
        {
            Options = new RunOptions { Concurrency = 1, Repeats = 2, InputPricePerMillion = 1, OutputPricePerMillion = 2 },
        };

        // Scores follow the prompt, so a shard judges its items as the whole run does, whatever the order.
        var judges = ScriptedJudges.ByPrompt(text => $"[[{1 + (text.Length % 10)}]]");
        var engine = new RunEngine(judges, clock);
        var whole = await engine.RunAsync(config, RunFiles.InFolder(config.Output), RunStart.New, TestRuns.Library);
        var shards = new List<string>();
        foreach (var k in new[] { 1, 2, 3 })
        {
            var folder = Path.Combine(dir.Path, $"shard-{k}");
            shards.Add(folder);
            var shard = await engine.RunAsync(config with { Options = config.Options with { Shard = (k, 3) } }, RunFiles.InFolder(folder), RunStart.New, TestRuns.Library);
            Assert.InRange(shard.Manifest.Planned, 1, 35);
        }

        var merged = await engine.MergeAsync(config, shards, RunFiles.InFolder(Path.Combine(dir.Path, "merged")), TestRuns.Library);

        // 18 answers judged twice, once in the whole run and once across the shards: the merged file is the whole run's, byte for byte.
        Assert.Equal(2 * 36, judges.Calls);
        Assert.Equal(File.ReadAllBytes(whole.Files.Judgments), File.ReadAllBytes(merged.Files.Judgments));
        Assert.Equal(whole.Manifest.PlanHash, merged.Manifest.PlanHash);
        Assert.Equal(whole.Analysis.Scores.Select(Figures), merged.Analysis.Scores.Select(Figures));
        Assert.Equal(whole.Analysis.Stability.Select(s => (s.Item, string.Join(" / ", s.Verdicts), s.Unstable)), merged.Analysis.Stability.Select(s => (s.Item, string.Join(" / ", s.Verdicts), s.Unstable)));
        Assert.Equal(whole.Analysis.Cost, merged.Analysis.Cost);
        Assert.Equal(whole.Outcome, merged.Outcome);
    }

    private static (string Model, double? Mean, double? Lower, double? Upper, double? PassRate, int Scored) Figures(ScoreAggregate s) =>
        (s.Model, s.Mean, s.MeanCi?.Lower, s.MeanCi?.Upper, s.PassRate, s.Scored);
}

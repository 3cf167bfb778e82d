using Judge.Data;
using Judge.Judging;
using Judge.Runs;
using Judge.Statistics;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests.Runs;

/// <summary>A cascade in a run (issue 21, part 3): calibration file + judges in the config, abstained counted apart, cost per stage, resume.</summary>
public sealed class CascadeRunTests
{
    /// <summary>
    /// Grades from a table: the cheap judge is sure (0.95) on questions 1-4 and unsure (0.5) on 5-6; the strong judge is
    /// sure (0.9) on everything but question 6. Each call reports 100 prompt and 10 completion tokens.
    /// </summary>
    private sealed class TableFactory : IJudgeFactory
    {
        public Dictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

        public BuiltPairwiseJudge CreatePairwise(JudgeSpec spec, JudgeBuildOptions options) => throw new NotSupportedException();

        public IAbsoluteJudge CreateAbsolute(JudgeSpec spec, JudgeBuildOptions options) => new Table(spec.Text, this);

        public RecordedPairwiseJudge? Recorded(JudgeSpec spec) => null;

        private sealed class Table(string id, TableFactory owner) : IAbsoluteJudge
        {
            public string Id => id;

            public Task<AbsoluteVerdict> GradeAsync(AbsoluteItem item, CancellationToken cancellationToken = default)
            {
                lock (owner.Calls)
                {
                    owner.Calls[id] = owner.Calls.GetValueOrDefault(id) + 1;
                }

                var q = int.Parse(item.Question.Id, System.Globalization.CultureInfo.InvariantCulture);
                var confidence = id.EndsWith("cheap", StringComparison.Ordinal) ? (q <= 4 ? 0.95 : 0.5) : (q <= 5 ? 0.9 : 0.4);
                var call = new JudgeCall { Item = item.Key, Judge = id, Rubric = "single-general@1", Order = "single", PromptHash = "h", Status = VerdictStatus.Parsed, Score = 7, InputTokens = 100, OutputTokens = 10, Model = id.EndsWith("cheap", StringComparison.Ordinal) ? "cheap-model" : "strong-model" };
                return Task.FromResult(new AbsoluteVerdict
                {
                    Item = item.Key,
                    Judge = id,
                    Rubric = "single-general@1",
                    QuestionId = item.Question.Id,
                    Turn = item.Turn,
                    Model = item.Answer.ModelId,
                    Score = 7,
                    Status = VerdictStatus.Parsed,
                    Confidence = confidence,
                    ConfidenceSource = VerdictConfidence.Logits,
                    Calls = [call],
                });
            }
        }
    }

    private static string WriteCalibration(string folder, double? cheap, double? strong)
    {
        var stage = (string judge, double? t) => new StageCalibration { Judge = judge, Items = 100, WithoutConfidence = 0, Delta = 0.05, Threshold = t, GuaranteedAgreement = t is null ? null : 0.8, Decided = 0, Agreeing = 0, MinimumDecided = 11, Tests = [] };
        var file = new CalibrationFile { Target = 0.8, Delta = 0.1, Mode = "absolute", Confidence = "recorded", Items = 100, Unlabelled = 0, Stages = [stage("scripted:cheap", cheap), stage("scripted:strong", strong)] };
        var path = Path.Combine(folder, "calibration.json");
        File.WriteAllText(path, file.ToJson());
        return path;
    }

    private static string WritePrices(string folder)
    {
        var path = Path.Combine(folder, "prices.yaml");
        File.WriteAllText(path, "cheap-model: { input: 1, output: 2 }\nstrong-model: { input: 10, output: 20 }\n");
        return path;
    }

    private static RunConfig Config(string folder, string calibration) => TestRuns.Grade(Path.Combine(folder, "out"), "single-general") with
    {
        Judges = [JudgeSpec.Parse("scripted:cheap"), JudgeSpec.Parse("scripted:strong")],
        Cascade = new RunCascade(calibration, CalibrationFile.Load(calibration).Thresholds(), AbstainPolicy.Abstain, 0.8, 0.1),
        Options = new RunOptions { Concurrency = 1, Prices = WritePrices(folder) },
        Thresholds = new RunThresholds { MinGuaranteedAgreement = 0.8, MinCoverage = 0.9 },
    };

    [Fact]
    public async Task RunAsync_Cascade_EscalatesOnlyUnsureItems_AbstainsApart_PricesEachStage_AndResumes()
    {
        using var dir = new TempDir();
        var config = Config(dir.Path, WriteCalibration(dir.Path, 0.9, 0.85));
        var factory = new TableFactory();

        var result = await new RunEngine(factory).RunAsync(config, RunFiles.InFolder(config.Output), RunStart.New, TestRuns.Library);

        // 6 questions × 3 models = 18 answers. Cheap decides questions 1-4 (12), strong question 5 (3), question 6 abstains (3).
        Assert.Equal((18, 6), (factory.Calls["scripted:cheap"], factory.Calls["scripted:strong"]));
        var verdicts = result.Records.OfType<AbsoluteVerdict>().ToList();
        Assert.All(verdicts, v => Assert.Equal("cascade:scripted:cheap > scripted:strong", v.Judge));
        Assert.Equal(12, verdicts.Count(v => v.Stage == 1));
        Assert.Equal(3, verdicts.Count(v => v.Stage == 2));
        Assert.Equal(3, result.Analysis.ByStatus.GetValueOrDefault(VerdictStatus.Abstained));
        Assert.Equal(15, result.Analysis.ByStatus.GetValueOrDefault(VerdictStatus.Parsed));
        Assert.Equal(3, MissingVerdicts.Count(verdicts.Select(v => v.Status)).Abstained);

        // Priced per stage: cheap 100 × $1 + 10 × $2 per million = $0.00012 a call; strong ten times that.
        var calls = result.Records.OfType<JudgeCall>().ToList();
        Assert.Equal(18 * 0.00012m, calls.Where(c => c.Judge == "scripted:cheap").Sum(c => c.CostUsd));
        Assert.Equal(6 * 0.0012m, calls.Where(c => c.Judge == "scripted:strong").Sum(c => c.CostUsd));

        // The summary: coverage 15/18; cost $0.00936 for 18 items = $0.52 per 1,000, against the strong judge alone at
        // $0.0072 / 6 items = $1.20 per 1,000. Gates: the guarantee 0.8 passes min 0.8, coverage 0.833 fails min 0.9.
        var summary = result.Analysis.Cascade!;
        Assert.Equal((18, 15, 3), (summary.Items, summary.Decided, summary.Abstained));
        Assert.Equal(15.0 / 18, summary.Coverage, 12);
        Assert.Equal([(18, 12), (6, 3)], summary.Stages.Select(s => (s.Reached, s.Decided)));
        Assert.Equal(0.52m, summary.CostPer1000);
        Assert.Equal(1.2m, summary.StrongestAlonePer1000);
        Assert.False(summary.CostsMoreThanStrongest);
        Assert.Equal(0.8, summary.GuaranteedAgreement);
        Assert.Equal([("min_guaranteed_agreement", true), ("min_coverage", false)], result.Analysis.Gates.Select(g => (g.Name, g.Passed)));
        Assert.Equal(RunOutcome.GatesFailed, result.Outcome);

        // A resumed finished run judges nothing again.
        var again = new TableFactory();
        await new RunEngine(again).RunAsync(config, RunFiles.InFolder(config.Output), RunStart.Resume, TestRuns.Library);
        Assert.Empty(again.Calls);
    }

    [Fact]
    public void Estimate_Cascade_IsPerStage_AnUpperBoundWithEveryStageOnEveryItem()
    {
        using var dir = new TempDir();
        var config = Config(dir.Path, WriteCalibration(dir.Path, 0.9, 0.85));

        var estimate = new RunEngine(new TableFactory()).Estimate(config, TestRuns.Library);

        Assert.Equal([("scripted:cheap", 18L), ("scripted:strong", 18L)], estimate.Judges.Select(j => (j.Judge, j.Calls)));
    }

    [Fact]
    public async Task Load_CalibrationStagesDoNotMatchJudges_NamesTheKeyAndCounts()
    {
        using var dir = new TempDir();
        var calibration = WriteCalibration(dir.Path, 0.9, 0.85);
        var yaml = dir.Write("judge.yaml", $"""
            mode: grade
            data:
              questions: {Path.Combine(TestPaths.Sample, "question.jsonl")}
              answers: [{Path.Combine(TestPaths.Sample, "model_answer", "assistant-large.jsonl")}]
            judges: [mock:seed=1]
            calibration: {calibration}
            on_abstain: guess
            """);

        var ex = await Assert.ThrowsAnyAsync<JudgeException>(() => Task.Run(() => RunConfigLoader.LoadFile(yaml)));

        Assert.Contains("calibrates 2 stage(s), but the cascade has 1 judge(s)", ex.Message, StringComparison.Ordinal);
    }
}

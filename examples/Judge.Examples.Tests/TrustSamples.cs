using Judge.Data;
using Judge.Judging;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Examples;

/// <summary>
/// Judges you can trust at a known rate, from code (docs/trust.md): calibrate a judge's confidence against human labels,
/// then judge through a cascade built from the calibration. Uses MT-Bench's published GPT-4 verdicts and human votes in
/// <c>../shared</c>, so nothing is called or downloaded.
/// </summary>
public sealed class TrustSamples
{
    /// <summary>MT-Bench in <c>../shared/datasets</c> beside the checkout (found by walking up to Judge.sln).</summary>
    private static string MtBench
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Judge.sln")))
                {
                    return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "datasets", "mt-bench"));
                }
            }

            throw new InvalidOperationException($"no Judge.sln above {AppContext.BaseDirectory}");
        }
    }

    [Fact]
    public async Task Calibrate_ThenJudgeThroughTheCascade()
    {
        var gpt4 = Path.Combine(MtBench, "gpt4_pair_judgments.jsonl");

        // 1. Calibrate: GPT-4's swap consistency as its confidence, 70 % agreement with the expert raters, δ = 0.1.
        var request = new CalibrationRequest
        {
            Human = Path.Combine(MtBench, "human_judgments.jsonl"),
            Options = new CalibrationOptions { Target = 0.7, Delta = 0.1 },
        };
        request.Stages.Add(new CalibrationStageSource(gpt4, Confidence: CalibrationConfidence.Orders));
        CalibrationFile calibration = Calibrator.Run(request);

        Assert.True(calibration.Certified);
        Assert.Equal(1, calibration.Stages[0].Threshold);
        Assert.Equal(0.855, calibration.Coverage, 3);

        // 2. Judge through the cascade: the replayed GPT-4 verdicts record their swap consistency as confidence, and the
        //    stage decides only when it reaches the calibrated threshold; otherwise the item is abstained, never guessed.
        var cascade = new CascadePairwiseJudge("trusted-gpt4", [new CascadeStage<IPairwiseJudge>(new RecordedPairwiseJudge("gpt4", gpt4), calibration.Thresholds()[0])]);
        var question = new Question("81", "writing", ["Compose an engaging travel blog post about a recent trip to Hawaii."]);
        PairwiseVerdict consistent = await cascade.JudgeAsync(new PairwiseItem(question, new ModelAnswer("81", "alpaca-13b", ["…"]), new ModelAnswer("81", "claude-v1", ["…"]), 1));
        PairwiseVerdict inconsistent = await cascade.JudgeAsync(new PairwiseItem(question, new ModelAnswer("81", "gpt-3.5-turbo", ["…"]), new ModelAnswer("81", "claude-v1", ["…"]), 1));

        Assert.Equal((PairOutcome.B, true), (consistent.Winner, consistent.Guaranteed));
        Assert.Equal(VerdictStatus.Abstained, inconsistent.Status);
        Assert.StartsWith("no stage was confident enough: gpt4 0 < 1", inconsistent.Error, StringComparison.Ordinal);
    }
}

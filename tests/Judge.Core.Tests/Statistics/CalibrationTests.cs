using Judge.Statistics;
using Xunit.Abstractions;

namespace Judge.Tests.Statistics;

/// <summary>Fixed-sequence calibration (issue 21, parts 2 and 7), against hand derivations and a simulated population.</summary>
public sealed class CalibrationTests(ITestOutputHelper output)
{
    [Fact]
    public void BinomialCdf_HandDerivedValues()
    {
        // P(X ≤ 0), X ~ Bin(10, 0.2) = 0.8^10 = 0.1073741824.
        Assert.Equal(0.1073741824, SelectiveCalibration.BinomialCdf(0, 10, 0.2), 12);
        // P(X ≤ 1) = 0.8^10 + 10 · 0.2 · 0.8^9 = 0.1073741824 + 0.268435456 = 0.3758096384.
        Assert.Equal(0.3758096384, SelectiveCalibration.BinomialCdf(1, 10, 0.2), 12);
        // P(X ≤ 2), X ~ Bin(5, 0.5) = (1 + 5 + 10) / 32 = 0.5.
        Assert.Equal(0.5, SelectiveCalibration.BinomialCdf(2, 5, 0.5), 12);
        Assert.Equal(1, SelectiveCalibration.BinomialCdf(5, 5, 0.5));
        Assert.Equal(0, SelectiveCalibration.BinomialCdf(-1, 5, 0.5));
        // Large n stays finite: P(X ≤ 1,000), X ~ Bin(100,000, 0.01) is the lower half of a distribution with mean 1,000.
        Assert.InRange(SelectiveCalibration.BinomialCdf(1000, 100_000, 0.01), 0.5, 0.52);
    }

    [Fact]
    public void Calibrate_StopsAtTheFirstFailingThreshold_AndChoosesTheLastThatPassed()
    {
        // Target 0.8 (α = 0.2), δ = 0.1. At confidence 0.9: 20 items, all agree: p = 0.8^20 = 0.0115 ≤ 0.1, passes.
        // At 0.7: 20 more, 8 disagree: 28 of 40 disagree... 8 of 40 disagree: P(X ≤ 8 | 40, 0.2) ≈ 0.593 > 0.1, fails.
        // At 0.5: 20 more, all agree: 8 of 60 would pass (P ≈ 0.09), but the sequence has stopped: no fallback, no skipping.
        var units = Enumerable.Range(0, 20).Select(i => new CalibrationUnit($"h{i}", 0.9, true))
            .Concat(Enumerable.Range(0, 20).Select(i => new CalibrationUnit($"m{i}", 0.7, i >= 8)))
            .Concat(Enumerable.Range(0, 20).Select(i => new CalibrationUnit($"l{i}", 0.5, true)))
            .Concat(Enumerable.Range(0, 5).Select(i => new CalibrationUnit($"n{i}", null, false)))
            .ToList();

        var result = SelectiveCalibration.Calibrate("j", units, new CalibrationOptions { Target = 0.8, Delta = 0.1 });

        Assert.Equal(0.9, result.Threshold);
        Assert.Equal(0.8, result.GuaranteedAgreement);
        Assert.Equal((20, 20), (result.Decided, result.Agreeing));
        Assert.Equal(20.0 / 65, result.Coverage, 12);
        Assert.Equal(5, result.WithoutConfidence);
        Assert.Equal(2, result.Tests.Count);
        Assert.Equal(Math.Pow(0.8, 20), result.Tests[0].PValue, 12);
        Assert.False(result.Tests[1].Passed);
        Assert.Equal((40, 8), (result.Tests[1].Decided, result.Tests[1].Disagreements));
        Assert.Null(result.Refusal);
        // ⌈ln 0.1 / ln 0.8⌉ = ⌈10.32⌉ = 11.
        Assert.Equal(11, result.MinimumDecided);
    }

    [Fact]
    public void Calibrate_TopThresholdFails_RefusesWithTheReason_NeverKeepsIt()
    {
        var units = Enumerable.Range(0, 100).Select(i => new CalibrationUnit($"i{i}", i % 2 == 0 ? 1.0 : 0.4, i % 3 != 0)).ToList();

        var result = SelectiveCalibration.Calibrate("j", units, new CalibrationOptions { Target = 0.9, Delta = 0.1 });

        Assert.Null(result.Threshold);
        Assert.Null(result.GuaranteedAgreement);
        Assert.Equal(0, result.Decided);
        Assert.Single(result.Tests);
        Assert.Contains("cannot be certified at 0.9", result.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Calibrate_TinySet_WarnsAndSaysHowManyItemsAreNeeded()
    {
        var units = Enumerable.Range(0, 15).Select(i => new CalibrationUnit($"i{i}", 1.0, true)).ToList();

        var result = SelectiveCalibration.Calibrate("j", units, new CalibrationOptions { Target = 0.9, Delta = 0.1 });

        // ⌈ln 0.1 / ln 0.9⌉ = ⌈21.85⌉ = 22 > 15: even a perfect judge cannot be certified.
        Assert.Null(result.Threshold);
        Assert.Contains("fewer than the 22 needed", result.Refusal, StringComparison.Ordinal);
        Assert.Contains("too small for a useful guarantee", Assert.Single(result.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void CalibrateCascade_LaterStageSeesOnlyWhatEarlierStagesLeft_AtDeltaOverStages()
    {
        // Stage 1 is sure and right on 60 items, unsure on 40; stage 2 is sure and right on those 40.
        var first = Enumerable.Range(0, 100).Select(i => new CalibrationUnit($"i{i}", i < 60 ? 1.0 : 0.1, i < 60 || i % 2 == 0)).ToList();
        var second = Enumerable.Range(0, 100).Select(i => new CalibrationUnit($"i{i}", 0.95, true)).ToList();

        var stages = SelectiveCalibration.CalibrateCascade([("cheap", first), ("strong", second)], new CalibrationOptions { Target = 0.9, Delta = 0.1 });

        Assert.Equal((1.0, 60), (stages[0].Threshold, stages[0].Decided));
        Assert.Equal(0.05, stages[0].Delta, 12);
        Assert.Equal(40, stages[1].Items);
        Assert.Equal((0.95, 40), (stages[1].Threshold, stages[1].Decided));
    }

    [Fact]
    public void CalibrationOptions_OutOfRange_NamesTheOptionAndRange()
    {
        var ex = Assert.Throws<InputException>(() => SelectiveCalibration.Calibrate("j", [], new CalibrationOptions { Target = 1.2 }));
        Assert.Contains("--target", ex.Message, StringComparison.Ordinal);
        Assert.Contains("strictly between 0 and 1", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The guarantee itself (part 7). A population where confidence c ~ Uniform(0, 1) and P(agree | c) = 0.5 + 0.5c, so
    /// the population agreement of the items decided at threshold λ is exactly E[0.5 + 0.5c | c ≥ λ] = 0.75 + 0.25λ.
    /// Target 0.9 needs λ ≥ 0.6. Over 1,000 calibration draws of 1,000 items (thresholds on the default grid of 0.05), the population agreement at the chosen
    /// threshold must reach the target in at least 1 − δ = 90 % of the draws (a refusal decides nothing and so cannot
    /// break the guarantee). A calibrator that keeps the lowest threshold whose empirical agreement reaches the target,
    /// without the test, breaks it in far more than δ of the draws: the check has teeth.
    /// </summary>
    [Fact]
    public void Calibrate_SimulatedPopulation_MeetsTheTargetInAtLeastOneMinusDeltaOfDraws()
    {
        const double target = 0.9, delta = 0.1;
        const int draws = 1000, size = 1000;
        static double PopulationAgreement(double threshold) => 0.75 + (0.25 * threshold);

        var random = new Random(2125);
        int violations = 0, naiveViolations = 0, refusals = 0;
        var coverage = new List<double>();
        var testHalfAgreement = new List<double>();
        for (var d = 0; d < draws; d++)
        {
            var units = Enumerable.Range(0, size).Select(i =>
            {
                var c = random.NextDouble();
                return new CalibrationUnit($"i{i}", c, random.NextDouble() < 0.5 + (0.5 * c));
            }).ToList();

            var result = SelectiveCalibration.Calibrate("sim", units, new CalibrationOptions { Target = target, Delta = delta });
            if (result.Threshold is not double t)
            {
                refusals++;
            }
            else
            {
                violations += PopulationAgreement(t) < target ? 1 : 0;
                coverage.Add(1 - t);

                // A fresh finite test half: its agreement varies by its own sampling noise, so it is reported, not asserted.
                var test = Enumerable.Range(0, size).Select(_ => random.NextDouble()).Where(c => c >= t).Select(c => random.NextDouble() < 0.5 + (0.5 * c)).ToList();
                if (test.Count > 0)
                {
                    testHalfAgreement.Add(test.Average(a => a ? 1.0 : 0.0));
                }
            }

            // Without the test: the lowest threshold whose empirical agreement reaches the target.
            var sorted = units.OrderByDescending(u => u.Confidence).ToList();
            double naive = 1, agreeing = 0;
            for (var i = 0; i < sorted.Count; i++)
            {
                agreeing += sorted[i].Agrees ? 1 : 0;
                naive = agreeing / (i + 1) >= target ? sorted[i].Confidence!.Value : naive;
            }

            naiveViolations += PopulationAgreement(naive) < target ? 1 : 0;
        }

        output.WriteLine($"violations {violations}/{draws}, untested calibrator {naiveViolations}/{draws}, refusals {refusals}, mean coverage {coverage.Average():0.000}, mean test-half agreement {testHalfAgreement.Average():0.0000} (min {testHalfAgreement.Min():0.000})");
        Assert.True(violations <= delta * draws, $"the guarantee failed in {violations} of {draws} draws (allowed {delta * draws})");
        Assert.True(naiveViolations > 3 * delta * draws, $"the untested calibrator failed in only {naiveViolations} draws: the simulation cannot tell a guarantee from none");
        Assert.True(refusals < draws / 10, $"{refusals} refusals: the population should usually be certifiable");
        Assert.InRange(coverage.Average(), 0.2, 0.4);
        Assert.InRange(testHalfAgreement.Average(), target - 0.02, 1);
    }

    [Fact]
    public void ConfidenceFit_HandDerivedDecilesAndEce()
    {
        // Bin 0.9-1: confidences 0.95, 1.0 (mean 0.975), one of two agree (0.5): |0.5 - 0.975| = 0.475, weight 2/4.
        // Bin 0.2-0.3: confidences 0.25, 0.25 (mean 0.25), both disagree (0): |0 - 0.25| = 0.25, weight 2/4.
        // ECE = 0.5 · 0.475 + 0.5 · 0.25 = 0.3625. The item without confidence is counted apart.
        var fit = ConfidenceFit.Of([new("a", 0.95, true), new("b", 1.0, false), new("c", 0.25, false), new("d", 0.25, false), new("e", null, true)])!;

        Assert.Equal((4, 1), (fit.Items, fit.WithoutConfidence));
        Assert.Equal([(0.2, 2, 0.25, 0.0), (0.9, 2, 0.975, 0.5)], fit.Bins.Select(b => (b.Lower, b.Items, b.MeanConfidence, b.Agreement)));
        Assert.Equal(0.3625, fit.ExpectedCalibrationError, 12);
        Assert.Null(ConfidenceFit.Of([new("x", null, true)]));
    }
}

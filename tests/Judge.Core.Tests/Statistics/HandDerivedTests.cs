using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Runs;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Core.Tests.Statistics;

/// <summary>Every statistic on inputs small enough to work out on paper; the working is in each comment.</summary>
public class HandDerivedTests
{
    private const double Tol = 1e-12;

    [Fact]
    public void Cohen_TwoByTwoTable_MatchesHandValue()
    {
        // Table [[20, 5], [10, 15]], n = 50.
        // pₒ = (20 + 15) / 50 = 0.7.
        // Row marginals 25, 25; column marginals 30, 20: pₑ = (25·30 + 25·20) / 50² = 1250 / 2500 = 0.5.
        // κ = (0.7 − 0.5) / (1 − 0.5) = 0.4.
        var m = new ConfusionMatrix([[20L, 5L], [10L, 15L]]);

        Assert.Equal(0.4, Kappa.Cohen(m), Tol);
        Assert.Equal(0.7, m.ObservedAgreement, Tol);
        Assert.Equal(50, m.Total);
    }

    [Fact]
    public void Cohen_ThreeCategoriesWeighted_MatchesHandValues()
    {
        // Rater 1: 0 1 2 0; rater 2: 0 2 2 1 → cells (0,0) (1,2) (2,2) (0,1), n = 4.
        // Row marginals r = (2, 1, 1), column marginals c = (1, 1, 2); expected count eᵢⱼ = rᵢcⱼ / 4.
        // Unweighted: pₒ = 2/4, pₑ = (2·1 + 1·1 + 1·2) / 16 = 5/16, κ = (8/16 − 5/16) / (11/16) = 3/11.
        // Linear (dᵢⱼ = |i − j|): Σ d·o = 1 + 1 = 2;
        //   Σ d·r·c = r0c1·1 + r0c2·2 + r1c0·1 + r1c2·1 + r2c0·2 + r2c1·1 = 2 + 8 + 1 + 2 + 2 + 1 = 16, /4 = 4;
        //   κ = 1 − 2/4 = 0.5.
        // Quadratic (dᵢⱼ = (i − j)²): Σ d·o = 2; Σ d·r·c = 2 + 16 + 1 + 2 + 4 + 1 = 26, /4 = 6.5;
        //   κ = 1 − 2/6.5 = 9/13.
        int[] a = [0, 1, 2, 0];
        int[] b = [0, 2, 2, 1];

        Assert.Equal(3.0 / 11, Kappa.Cohen(a, b, 3), Tol);
        Assert.Equal(0.5, Kappa.Cohen(a, b, 3, KappaWeighting.Linear), Tol);
        Assert.Equal(9.0 / 13, Kappa.Cohen(a, b, 3, KappaWeighting.Quadratic), Tol);
    }

    [Fact]
    public void Cohen_BothRatersConstant_IsNaNNotInvented()
    {
        // Both always say 0: pₑ = 1, so κ = 0/0 is undefined.
        Assert.True(double.IsNaN(Kappa.Cohen([0, 0, 0], [0, 0, 0], 2)));
    }

    [Fact]
    public void FromPairs_Transpose_ExchangesRaters()
    {
        // Pairs (0,1) (0,1) (1,0): cell [0,1] = 2, [1,0] = 1; transposed the other way round.
        var m = ConfusionMatrix.FromPairs([0, 0, 1], [1, 1, 0], 2);

        Assert.Equal(2, m[0, 1]);
        Assert.Equal(1, m[1, 0]);
        Assert.Equal(1, m.Transpose()[0, 1]);
        Assert.Equal(2, m.Transpose()[1, 0]);
    }

    [Fact]
    public void Fleiss_ThreeItemsThreeRaters_MatchesHandValue()
    {
        // Counts per item over 2 categories, 3 raters: [3,0], [0,3], [2,1].
        // Pᵢ = (Σ nᵢⱼ² − 3) / (3·2): 1, 1, (4 + 1 − 3)/6 = 1/3; P̄ = (7/3)/3 = 7/9.
        // pⱼ = (5/9, 4/9); Pₑ = 25/81 + 16/81 = 41/81.
        // κ = (63/81 − 41/81) / (40/81) = 22/40 = 0.55.
        Assert.Equal(0.55, Kappa.Fleiss([[3, 0], [0, 3], [2, 1]]), Tol);
        Assert.Equal(0.55, Kappa.FleissFromLabels([[0, 0, 0], [1, 1, 1], [0, 0, 1]], 2), Tol);
    }

    [Fact]
    public void Alpha_NominalThreeUnits_MatchesHandValue()
    {
        // Units [0,0,0], [1,1,1], [0,0,1]; each ordered pair in a unit of m values weighs 1/(m − 1) = 1/2.
        // Coincidences: o00 = 3 (unit 1) + 1 (unit 3) = 4, o11 = 3, o01 = o10 = 1. n0 = 5, n1 = 4, n = 9.
        // Dₒ = (o01 + o10) / n = 2/9; Dₑ = (n0n1 + n1n0) / (n(n − 1)) = 40/72 = 5/9; α = 1 − 2/5 = 0.6.
        // A fourth unit with a single rating is not pairable and changes nothing.
        int?[][] units = [[0, 0, 0], [1, 1, 1], [0, 0, 1], [null, 1, null]];

        Assert.Equal(0.6, Krippendorff.Alpha(units, MeasurementLevel.Nominal), Tol);
    }

    [Fact]
    public void Alpha_MissingDataThreeLevels_MatchesHandValues()
    {
        // Units [1,2], [3,3], [1,missing] (the last not pairable). Weight 1/(m − 1) = 1.
        // o12 = o21 = 1, o33 = 2; n1 = 1, n2 = 1, n3 = 2, n = 4. Dₑ's denominator n(n − 1) = 12.
        // Interval δ² = (c − k)²: Dₒ = (1 + 1)/4 = 0.5;
        //   Dₑ = 2·(n1n2·1 + n1n3·4 + n2n3·1)/12 = 2·(1 + 8 + 2)/12 = 22/12; α = 1 − 0.5·12/22 = 8/11.
        // Ordinal δ²(c,k) = (Σ_{g=c..k} n_g − (n_c + n_k)/2)²: δ²(1,2) = (2 − 1)² = 1,
        //   δ²(1,3) = (4 − 1.5)² = 6.25, δ²(2,3) = (3 − 1.5)² = 2.25;
        //   Dₒ = 0.5; Dₑ = 2·(1·1 + 2·6.25 + 2·2.25)/12 = 36/12 = 3; α = 1 − 0.5/3 = 5/6.
        // Nominal: Dₒ = 0.5; Dₑ = 2·(1 + 2 + 2)/12 = 10/12; α = 1 − 0.6 = 0.4.
        double?[][] units = [[1, 2], [3, 3], [1, null]];

        Assert.Equal(8.0 / 11, Krippendorff.Alpha(units, MeasurementLevel.Interval), Tol);
        Assert.Equal(5.0 / 6, Krippendorff.Alpha(units, MeasurementLevel.Ordinal), Tol);
        Assert.Equal(0.4, Krippendorff.Alpha(units, MeasurementLevel.Nominal), Tol);
    }

    [Fact]
    public void Correlations_FourPointsWithTies_MatchHandValues()
    {
        // x = 1 2 2 4, y = 1 3 2 2.
        // Pearson: x̄ = 2.25, ȳ = 2; dx = −1.25 −0.25 −0.25 1.75, dy = −1 1 0 0;
        //   Sxy = 1.25 − 0.25 = 1, Sxx = 4.75, Syy = 2; r = 1/√9.5.
        // Spearman: ranks x = 1 2.5 2.5 4, ranks y = 1 4 2.5 2.5 (the two 2s share ranks 2 and 3);
        //   deviations from 2.5: −1.5 0 0 1.5 and −1.5 1.5 0 0; ρ = 2.25 / √(4.5·4.5) = 0.5.
        // Kendall tau-b over the 6 pairs: (0,1) +, (0,2) +, (0,3) +, (1,2) x tied, (1,3) −, (2,3) y tied;
        //   S = 3 − 1 = 2, n₀ = 6, n₁ = n₂ = 1: τb = 2 / √(5·5) = 0.4.
        double[] x = [1, 2, 2, 4];
        double[] y = [1, 3, 2, 2];

        Assert.Equal(1 / Math.Sqrt(9.5), Correlation.Pearson(x, y), Tol);
        Assert.Equal(0.5, Correlation.Spearman(x, y), Tol);
        Assert.Equal(0.4, Correlation.KendallTauB(x, y), Tol);
        Assert.Equal([1, 2.5, 2.5, 4], Correlation.Ranks(x));
    }

    [Fact]
    public void Pearson_ConstantList_IsNaN()
    {
        // Syy = 0: the coefficient is 0/0.
        Assert.True(double.IsNaN(Correlation.Pearson([1, 2, 3], [5, 5, 5])));
    }

    [Fact]
    public void Quantile_FiveValues_InterpolatesLinearly()
    {
        // Sorted 1..5: position p·(n − 1); p = 0.25 → 1 → value 2; p = 0.1 → 0.4 → 1 + 0.4·(2 − 1) = 1.4.
        double[] v = [1, 2, 3, 4, 5];

        Assert.Equal(2, Bootstrap.Quantile(v, 0.25), Tol);
        Assert.Equal(1.4, Bootstrap.Quantile(v, 0.1), Tol);
        Assert.Equal(5, Bootstrap.Quantile(v, 1), Tol);
    }

    [Fact]
    public void Mean_ConstantData_IntervalIsThePoint()
    {
        // Every resample of [3, 3, 3] has mean 3.
        var ci = Bootstrap.Mean([3, 3, 3], seed: 1, resamples: 50);

        Assert.Equal(3, ci.Lower, Tol);
        Assert.Equal(3, ci.Upper, Tol);
        Assert.Equal(50, ci.Resamples);
    }

    [Fact]
    public void WinRates_FourBattles_CountsByHand()
    {
        // x beats y; x ties y; z beats y; x beats z.
        // x: 2 wins, 0 losses, 1 tie → 2/3, with ties half (2 + 0.5)/3.
        // y: 0 wins, 2 losses, 1 tie. z: 1 win, 1 loss.
        var rates = Ratings.WinRates([Battle("x", "y", PairOutcome.A), Battle("x", "y", PairOutcome.Tie), Battle("y", "z", PairOutcome.B), Battle("x", "z", PairOutcome.A)]);

        Assert.Equal(new WinRate("x", 2, 0, 1), rates[0]);
        Assert.Equal(new WinRate("y", 0, 2, 1), rates[1]);
        Assert.Equal(new WinRate("z", 1, 1, 0), rates[2]);
        Assert.Equal(2.5 / 3, rates[0].RateTiesHalf!.Value, Tol);
    }

    [Fact]
    public void BradleyTerry_TwoModels_OddsEqualWinRatio()
    {
        // Two models: the MLE satisfies p_a / (p_a + p_b) = a's share of points.
        // 3 wins, 1 loss: p_a / p_b = 3; geometric mean 1 → p_a = √3; rating = 1000 + 400·log10 √3 = 1000 + 200·log10 3.
        // With a tie as half a win: 2 wins, 1 tie, 1 loss → 2.5 : 1.5 = 5/3; rating = 1000 + 200·log10(5/3).
        var plain = Ratings.BradleyTerry([Battle("a", "b", PairOutcome.A), Battle("a", "b", PairOutcome.A), Battle("b", "a", PairOutcome.B), Battle("a", "b", PairOutcome.B)]);
        var tied = Ratings.BradleyTerry([Battle("a", "b", PairOutcome.A), Battle("a", "b", PairOutcome.A), Battle("a", "b", PairOutcome.InconsistentTie), Battle("a", "b", PairOutcome.B)]);

        Assert.Equal(1000 + (200 * Math.Log10(3)), plain[0].Rating, 1e-6);
        Assert.Equal(1000 - (200 * Math.Log10(3)), plain[1].Rating, 1e-6);
        Assert.Equal(1000 + (200 * Math.Log10(5.0 / 3)), tied[0].Rating, 1e-6);
    }

    [Fact]
    public void Elo_TwoWins_MatchesHandUpdates()
    {
        // K = 4, scale 400, start 1000. Battle 1: E = 0.5, a += 4·0.5 = 2 → 1002 / 998.
        // Battle 2: E = 1 / (1 + 10^(−4/400)) = 0.5057562, a += 4·(1 − E) = 1.9769752 → 1003.9769752.
        var ratings = Ratings.Elo([Battle("a", "b", PairOutcome.A), Battle("b", "a", PairOutcome.B)]);

        Assert.Equal(1003.9769751663554, ratings[0].Rating, 1e-9);
        Assert.Equal(996.0230248336446, ratings[1].Rating, 1e-9);
        Assert.Null(ratings[0].Interval);
    }

    [Fact]
    public void Elo_Bootstrap_SameSeedSameIntervals()
    {
        var battles = Enumerable.Range(0, 60).Select(i => Battle("a", "b", i % 3 == 0 ? PairOutcome.B : PairOutcome.A)).ToArray();
        var options = new EloOptions { BootstrapResamples = 100, Seed = 42 };

        var first = Ratings.Elo(battles, options);
        var second = Ratings.Elo(battles, options);

        Assert.Equal(first, second);
        Assert.True(first[0].Interval!.Lower <= first[0].Interval!.Upper);
        Assert.True(first[0].Interval!.Lower > 1000);
    }

    [Fact]
    public void Compute_MeanScores_UnscoredCountedNotAveraged()
    {
        // m1: turn 1 scores 8 and 6 (q1 writing, q2 math), turn 2 score 4 (q1) and one unparsed (q2).
        // Overall mean (8 + 6 + 4)/3 = 6 with 1 unscored; turn 1 → 7, turn 2 → 4 (1 unscored);
        // writing (q1) → (8 + 4)/2 = 6; math (q2) → 6 with 1 unscored.
        AbsoluteVerdict[] grades =
        [
            Grade("q1", 1, 8), Grade("q2", 1, 6), Grade("q1", 2, 4), Grade("q2", 2, null),
        ];
        Question[] questions = [new("q1", "writing", ["?"]), new("q2", "math", ["?"])];

        var table = MeanScores.Compute(grades, questions);

        Assert.Equal(new MeanScore("m1", null, null, 6, 3, 1), table.Overall.Single());
        Assert.Equal([new MeanScore("m1", 1, null, 7, 2, 0), new MeanScore("m1", 2, null, 4, 1, 1)], table.ByTurn);
        Assert.Equal([new MeanScore("m1", null, "math", 6, 1, 1), new MeanScore("m1", null, "writing", 6, 2, 0)], table.ByCategory);
    }

    [Fact]
    public void JudgeVersusHuman_MirroredPairsAndFilters_CountedByHand()
    {
        // q1: judge says x beats y. expert_1 lists the pair as (y, x) with model_b → x wins: agree.
        //     expert_2 says tie: disagree (and dropped without ties). author_1 is not an expert: ignored.
        // q2: judge "tie (inconsistent)", expert_1 tie listed as (y, x): a tie agrees with a tie.
        // With ties 2/3; without ties only the first pair: 1/1.
        // Human vs human: q1 has expert_1 (x) against expert_2 (tie): 0/1 with ties, 0/0 without.
        PairwiseLabel[] judge = [Label("q1", "x", "y", PairOutcome.A, "gpt4"), Label("q2", "x", "y", PairOutcome.InconsistentTie, "gpt4")];
        PairwiseLabel[] human =
        [
            Label("q1", "y", "x", PairOutcome.B, "expert_1"), Label("q1", "x", "y", PairOutcome.Tie, "expert_2"),
            Label("q1", "x", "y", PairOutcome.B, "author_1"), Label("q2", "y", "x", PairOutcome.Tie, "expert_1"),
        ];

        var counts = PairwiseAgreement.JudgeVersusHuman(judge, human, new AgreementOptions());
        var hh = PairwiseAgreement.HumanVersusHuman(human, new AgreementOptions());

        Assert.Equal(new AgreementCount(2, 3), counts.WithTies);
        Assert.Equal(new AgreementCount(1, 1), counts.WithoutTies);
        Assert.Equal(new AgreementCount(0, 1), hh.WithTies);
        Assert.Equal(new AgreementCount(0, 0), hh.WithoutTies);
        Assert.Null(hh.WithoutTies.Rate);
    }

    [Fact]
    public void HumanVersusHuman_SameRaterTwice_NotComparedWithThemselves()
    {
        // expert_1 voted twice on the same pair; only votes by different raters are compared: none here.
        PairwiseLabel[] human = [Label("q1", "x", "y", PairOutcome.A, "expert_1"), Label("q1", "x", "y", PairOutcome.A, "expert_1")];

        Assert.Equal(new AgreementCount(0, 0), PairwiseAgreement.HumanVersusHuman(human, new AgreementOptions()).WithTies);
    }

    [Fact]
    public void AgainstGpt4Mean_OneUnscored_LeftOutAndCounted()
    {
        // GPT-4 means: [1,3] → 2, [4,4] → 4, [5,5] → 5, [2] → 2. Judge: 1, 3, null, 2.
        // The null item drops out (Unscored = 1); over the rest, reference 2 4 2 vs judge 1 3 2:
        // ranks reference 1.5 3 1.5, judge 1 3 2; Pearson: dref = −2/3 4/3 −2/3, djudge = −1 1 0,
        // S = 2/3 + 4/3 = 2, Sref = 4/9 + 16/9 + 4/9 = 24/9, Sjudge = 2 → r = 2 / √(48/9) = 3/(2√3) = √3/2.
        PrometheusItem[] items = [new("1", "m", "c", [1, 3]), new("2", "m", "c", [4, 4]), new("3", "m", "c", [5, 5]), new("4", "m", "c", [2])];

        var result = Prometheus.AgainstGpt4Mean(items, [1, 3, null, 2]);

        Assert.Equal(1, result.Unscored);
        Assert.Equal(3, result.Correlation.Count);
        Assert.Equal(Math.Sqrt(3) / 2, result.Correlation.Pearson, Tol);
    }

    internal static PairwiseLabel Label(string q, string a, string b, PairOutcome w, string rater, int turn = 1) => new(q, a, b, w, rater, turn);

    private static PairwiseLabel Battle(string a, string b, PairOutcome w) => Label("q", a, b, w, "r");

    private static AbsoluteVerdict Grade(string q, int turn, double? score) => new()
    {
        Item = $"{q}/{turn}",
        QuestionId = q,
        Turn = turn,
        Model = "m1",
        Score = score,
        Status = score is null ? VerdictStatus.Unparsed : VerdictStatus.Parsed,
        Judge = "j",
        Rubric = "r",
    };
}

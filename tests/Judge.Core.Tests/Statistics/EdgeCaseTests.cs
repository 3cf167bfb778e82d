using System.Globalization;
using System.Text;
using System.Text.Json;
using Judge.Data;
using Judge.Statistics;
using Judge.Statistics.Bias;

namespace Judge.Core.Tests.Statistics;

/// <summary>
/// Statistics where they do not exist: one-sided Bradley-Terry results, constant lists, NaN as a missing
/// rating, non-finite values in JSON, and resampling independent of the order of the input lines.
/// </summary>
public class EdgeCaseTests
{
    private static PairwiseLabel Battle(string a, string b, PairOutcome w, string q = "q") => new(q, a, b, w, "r", 1);

    /// <summary>
    /// b, c and d beat each other in turn (each pair 2 wins : 1); "top" wins every game against b and c;
    /// "bottom" loses every game against c and d.
    /// </summary>
    private static List<PairwiseLabel> OneSided()
    {
        var battles = new List<PairwiseLabel>();
        var q = 0;
        void Add(string a, string b, PairOutcome w) => battles.Add(Battle(a, b, w, $"q{q++}"));
        foreach (var (x, y) in new[] { ("b", "c"), ("c", "d"), ("d", "b") })
        {
            Add(x, y, PairOutcome.A);
            Add(x, y, PairOutcome.A);
            Add(x, y, PairOutcome.B);
        }

        for (var i = 0; i < 3; i++)
        {
            Add("top", "b", PairOutcome.A);
            Add("c", "top", PairOutcome.B);
            Add("bottom", "c", PairOutcome.B);
            Add("d", "bottom", PairOutcome.A);
        }

        return battles;
    }

    [Fact]
    public void BradleyTerry_OneSidedResults_UnboundedNotSetByTheIterationCap()
    {
        var battles = OneSided();

        foreach (var cap in new[] { 200, 10_000 })
        {
            var bt = Ratings.BradleyTerry(battles, maxIterations: cap).ToDictionary(r => r.Model);

            // Before: top got a finite rating that grew with the cap (2147 at 10,000 iterations) and bottom −∞ without a word.
            Assert.Equal(RatingBound.UnboundedAbove, bt["top"].Bound);
            Assert.Equal(double.PositiveInfinity, bt["top"].Rating);
            Assert.Equal(RatingBound.UnboundedBelow, bt["bottom"].Bound);
            Assert.Equal(double.NegativeInfinity, bt["bottom"].Rating);

            // b, c, d: the cycle is symmetric, so each has geometric-mean strength 1 → rating 1000, fitted on their own games.
            foreach (var m in new[] { "b", "c", "d" })
            {
                Assert.Equal(RatingBound.Finite, bt[m].Bound);
                Assert.Equal(1000, bt[m].Rating, 1e-6);
            }
        }
    }

    [Fact]
    public void BradleyTerry_OneSidedResults_FiniteRatingsAreTheFitWithoutTheUnboundedModels()
    {
        // Break the symmetry so the finite ratings differ: b beats c once more.
        var battles = OneSided();
        battles.Add(Battle("b", "c", PairOutcome.A, "extra"));
        var inner = battles.Where(x => x.ModelA is "b" or "c" or "d" && x.ModelB is "b" or "c" or "d").ToList();

        var all = Ratings.BradleyTerry(battles).ToDictionary(r => r.Model);
        var alone = Ratings.BradleyTerry(inner).ToDictionary(r => r.Model);

        foreach (var m in new[] { "b", "c", "d" })
        {
            Assert.Equal(alone[m].Rating, all[m].Rating, 1e-6);
        }

        Assert.NotEqual(alone["b"].Rating, alone["c"].Rating, 1e-3);
    }

    [Fact]
    public void BradleyTerry_ModelsNeitherAboveNorBelow_Undetermined()
    {
        // x beats the reference pair (a, b) every time; y loses only to x and never meets a or b: y is undetermined.
        var battles = new List<PairwiseLabel>
        {
            Battle("a", "b", PairOutcome.A), Battle("a", "b", PairOutcome.B), Battle("a", "b", PairOutcome.A, "q2"),
            Battle("x", "a", PairOutcome.A), Battle("x", "y", PairOutcome.A),
        };

        var bt = Ratings.BradleyTerry(battles).ToDictionary(r => r.Model);

        Assert.Equal(RatingBound.UnboundedAbove, bt["x"].Bound);
        Assert.Equal(RatingBound.Undetermined, bt["y"].Bound);
        Assert.True(double.IsNaN(bt["y"].Rating));
        Assert.Equal(RatingBound.Finite, bt["a"].Bound);
    }

    [Fact]
    public void BiasReport_OneSidedModel_UnboundedInEveryInterval_AndNullInJson()
    {
        var lines = new StringBuilder();
        foreach (var b in OneSided())
        {
            var w = b.Winner == PairOutcome.A ? "model_a" : "model_b";
            lines.Append(CultureInfo.InvariantCulture, $"{{\"question_id\":\"{b.QuestionId}\",\"model_a\":\"{b.ModelA}\",\"model_b\":\"{b.ModelB}\",\"winner\":\"{w}\",\"judge\":\"j\",\"turn\":1}}\n");
        }

        var path = Path.Combine(Path.GetTempPath(), $"onesided-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, lines.ToString());
        try
        {
            var report = BiasReport.Compute(JudgeRun.Load(path), [], null, null, [], new BiasReportOptions { ModelResamples = 50 });
            var top = report.BradleyTerry.Single(r => r.Model == "top");
            Assert.Equal(RatingBound.UnboundedAbove, top.Bound);

            // top wins every game it plays in every resample: its whole interval is unbounded, never [NaN, NaN].
            Assert.Equal(double.PositiveInfinity, top.Interval!.Lower);
            var bottom = report.BradleyTerry.Single(r => r.Model == "bottom");
            Assert.Equal(double.NegativeInfinity, bottom.Interval!.Upper);

            using var json = JsonDocument.Parse(report.ToJson());
            var topJson = json.RootElement.GetProperty("bradley_terry").EnumerateArray().Single(e => e.GetProperty("model").GetString() == "top");
            Assert.Equal(JsonValueKind.Null, topJson.GetProperty("rating").ValueKind);
            Assert.Equal("unbounded_above", topJson.GetProperty("bound").GetString());
            Assert.DoesNotContain("NaN", report.ToJson(), StringComparison.Ordinal);
            Assert.DoesNotContain("Infinity", report.ToJson(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ArenaHard_ModelThatWinsEveryGame_ScoreOneUnboundedAndNullInJson()
    {
        var games = new List<ArenaBattle>();
        for (var i = 0; i < 20; i++)
        {
            games.Add(new ArenaBattle($"q{i}", "m", "base", i % 3 == 0 ? PairOutcome.B : PairOutcome.A));
            games.Add(new ArenaBattle($"q{i}", "top", "base", PairOutcome.A));
        }

        var result = ArenaHard.Compute(games, new ArenaHardOptions { Baseline = "base", Rounds = 20 });
        var top = result.Models.Single(m => m.Model == "top");
        var m = result.Models.Single(m => m.Model == "m");

        Assert.Equal(RatingBound.UnboundedAbove, top.Bound);
        Assert.Equal(1, top.Score);
        Assert.Equal(double.PositiveInfinity, top.Rating);

        // m's score is its own: 13 wins of 20 → σ(log(13/7)) = 0.65 exactly, untouched by top.
        Assert.Equal(0.65, m.Score, 1e-6);
        Assert.True(result.Converged);
        using var json = JsonDocument.Parse(result.ToJson());
        var topJson = json.RootElement.GetProperty("models").EnumerateArray().Single(e => e.GetProperty("model").GetString() == "top");
        Assert.Equal(JsonValueKind.Null, topJson.GetProperty("rating").ValueKind);
        Assert.Equal("unbounded_above", topJson.GetProperty("bound").GetString());
    }

    [Fact]
    public void Pearson_ConstantListWithInexactMean_IsNaN()
    {
        // The mean of three 0.1s is 0.10000000000000002: before, r came out ~1e-16 instead of undefined.
        Assert.True(double.IsNaN(Correlation.Pearson([0.1, 0.1, 0.1], [1, 2, 3])));
        Assert.True(double.IsNaN(Correlation.Pearson([1, 2, 3], [0.7, 0.7, 0.7])));
        Assert.True(double.IsNaN(Correlation.Spearman([0.1, 0.1, 0.1], [1, 2, 3])));
    }

    [Fact]
    public void KrippendorffAlpha_NaNCell_IsMissing()
    {
        // Units {1,2}, {2,2,3}, {1,1}: coincidences o11 = 2, o12 = o21 = 1, o22 = 1, o23 = o32 = 1; n1 = 3, n2 = 3, n3 = 1, n = 7.
        // Dₒ = 4/7; Dₑ = 2·(3·3 + 3·1 + 3·1) / (7·6) = 30/42; α = 1 − (24/42)/(30/42) = 0.2.
        // Before, NaN was a fourth category and alpha came out 0.034.
        double?[][] withNaN = [[1, 2, double.NaN], [2, 2, 3], [1, 1, double.NaN]];
        double?[][] withNull = [[1, 2, null], [2, 2, 3], [1, 1, null]];

        Assert.Equal(0.2, Krippendorff.Alpha(withNaN, MeasurementLevel.Nominal), 1e-12);
        Assert.Equal(Krippendorff.Alpha(withNull, MeasurementLevel.Interval), Krippendorff.Alpha(withNaN, MeasurementLevel.Interval), 1e-12);
    }

    [Fact]
    public void Elo_Bootstrap_IndependentOfLineOrder()
    {
        var random = new Random(5);
        var models = new[] { "a", "b", "c", "d" };
        var battles = Enumerable.Range(0, 300).Select(i =>
        {
            var x = models[random.Next(4)];
            var y = models[(Array.IndexOf(models, x) + 1 + random.Next(3)) % 4];
            return Battle(x, y, (PairOutcome)random.Next(3), $"q{i % 40}");
        }).ToList();
        var shuffled = battles.OrderBy(_ => random.Next()).ToList();
        var options = new EloOptions { BootstrapResamples = 50, Seed = 3 };

        var first = Ratings.Elo(battles, options);
        var second = Ratings.Elo(shuffled, options);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Quantile_InfiniteSamples_StayInfiniteNotNaN()
    {
        double[] sorted = [double.NegativeInfinity, double.NegativeInfinity, 1, 2, double.PositiveInfinity, double.PositiveInfinity];

        Assert.Equal(double.NegativeInfinity, Bootstrap.Quantile(sorted, 0.1));
        Assert.Equal(double.PositiveInfinity, Bootstrap.Quantile(sorted, 0.9));
        Assert.Equal(1.5, Bootstrap.Quantile(sorted, 0.5));
    }
}

/// <summary>What the Arena-Hard bootstrap resamples: questions by default, games or Arena-Hard's own rows as options.</summary>
public class ArenaResamplingTests
{
    /// <summary>
    /// m against base on 300 questions, both orders judged. The two orders of a question agree (the judge sees the same
    /// answers): m wins both with probability 0.6, else loses both; a tenth of the verdicts are strong.
    /// </summary>
    private static List<ArenaBattle> CorrelatedOrders()
    {
        var random = new Random(4);
        var games = new List<ArenaBattle>();
        for (var q = 0; q < 300; q++)
        {
            var mWins = random.NextDouble() < 0.6;
            var strong = random.NextDouble() < 0.1;
            games.Add(new ArenaBattle($"q{q:D3}", "base", "m", mWins ? PairOutcome.B : PairOutcome.A) { Strong = strong });
            games.Add(new ArenaBattle($"q{q:D3}", "m", "base", mWins ? PairOutcome.A : PairOutcome.B) { Strong = strong });
        }

        return games;
    }

    private static double Width(ArenaHardResult r) => r.Models.Single(m => m.Model == "m").Interval is { } ci ? ci.Upper - ci.Lower : double.NaN;

    [Fact]
    public void Compute_CorrelatedOrders_QuestionResamplingByDefaultAndWiderThanGames()
    {
        var games = CorrelatedOrders();

        var byQuestion = ArenaHard.Compute(games, new ArenaHardOptions { Baseline = "base", Rounds = 200, Seed = 1 });
        var byGame = ArenaHard.Compute(games, new ArenaHardOptions { Baseline = "base", Rounds = 200, Seed = 1, Resampling = ArenaResampling.Game });
        var byRow = ArenaHard.Compute(games, new ArenaHardOptions { Baseline = "base", Rounds = 200, Seed = 1, Resampling = ArenaResampling.ArenaHardRows });

        Assert.Equal((ArenaResampling.Question, 300), (byQuestion.Resampling, byQuestion.ResampledUnits));
        Assert.Equal(600, byGame.ResampledUnits);
        Assert.Equal(600 + (2 * byGame.StrongGames), byRow.ResampledUnits);

        // Both orders always agree, so a question carries one game's information twice: resampling games treats it as two,
        // and the interval is about √2 too narrow; Arena-Hard's rows, with strong games as 3 independent rows, narrower still.
        Assert.InRange(Width(byQuestion) / Width(byGame), 1.2, 1.7);
        Assert.True(Width(byRow) < Width(byGame), $"rows {Width(byRow)} vs games {Width(byGame)}");
        Assert.Equal(byQuestion.Models.Select(m => m.Score), byGame.Models.Select(m => m.Score));
    }

    [Fact]
    public void Compute_ArenaHardRowsWithFractionalStrongWeight_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => ArenaHard.Compute(CorrelatedOrders(), new ArenaHardOptions { Baseline = "base", StrongWeight = 2.5, Resampling = ArenaResampling.ArenaHardRows }));

        Assert.Contains("whole number", error.Message, StringComparison.Ordinal);
    }
}

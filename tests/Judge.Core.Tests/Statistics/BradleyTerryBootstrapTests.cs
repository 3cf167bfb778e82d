using Judge.Data;
using Judge.Statistics;
using Judge.Statistics.Bias;

namespace Judge.Core.Tests.Statistics;

/// <summary>
/// The Bradley-Terry bootstrap on integer cell counts (pair × outcome): each resample refitted from the point fit,
/// in parallel, against the public fit on the same drawn battles.
/// </summary>
public class BradleyTerryBootstrapTests
{
    private static readonly string[] Models = ["a", "b", "c", "d", "e"];

    /// <summary>400 battles among five models of rising strength, a tenth tied.</summary>
    private static List<PairwiseLabel> Battles(int seed = 9)
    {
        var random = new Random(seed);
        var battles = new List<PairwiseLabel>();
        for (var i = 0; i < 400; i++)
        {
            var x = random.Next(5);
            var y = (x + 1 + random.Next(4)) % 5;
            var outcome = random.NextDouble() < 0.1 ? PairOutcome.Tie
                : random.NextDouble() < 1 / (1 + Math.Exp((y - x) * 0.4)) ? PairOutcome.A : PairOutcome.B;
            battles.Add(new PairwiseLabel($"q{i}", Models[x], Models[y], outcome, "r", 1));
        }

        return battles;
    }

    private static BattleCells Cells(IReadOnlyList<PairwiseLabel> battles)
    {
        var (models, a, b, score) = Ratings.Encode(battles);
        return BattleCells.From(models.Length, a, b, score);
    }

    [Fact]
    public void BradleyTerryWithIntervals_ShuffledLinesAndSwappedSides_SameRatingsAndIntervals()
    {
        var battles = Battles();
        var random = new Random(1);
        var other = battles
            .Select(x => random.Next(2) == 0 ? x : x with { ModelA = x.ModelB, ModelB = x.ModelA, Winner = x.Winner switch { PairOutcome.A => PairOutcome.B, PairOutcome.B => PairOutcome.A, var w => w } })
            .OrderBy(_ => random.Next())
            .ToList();
        var options = new BiasReportOptions { ModelResamples = 60, Seed = 4 };

        var first = BiasReport.BradleyTerryWithIntervals(battles, options);
        var second = BiasReport.BradleyTerryWithIntervals(other, options);

        Assert.Equal(first, second);
    }

    [Fact]
    public void BradleyTerryWithIntervals_EachResampleIsThePublicFitOfItsDrawnBattles()
    {
        // Oracle: rebuild every resample's battles from its cell counts, fit them with Ratings.BradleyTerry (the
        // point fit, checked against hand-derived values elsewhere) and take the percentiles.
        var battles = Battles();
        const int resamples = 40;
        const int seed = 7;
        var cells = Cells(battles);
        var master = new Random(seed);
        var samples = Models.ToDictionary(m => m, _ => new List<double>());
        var counts = new int[cells.Cells];
        for (var r = 0; r < resamples; r++)
        {
            cells.Resample(master.Next(), counts);
            var drawn = new List<PairwiseLabel>();
            for (var c = 0; c < counts.Length; c++)
            {
                var (lower, higher) = (Models[cells.First[c / 3]], Models[cells.Second[c / 3]]);
                var outcome = (c % 3) switch { 0 => PairOutcome.A, 1 => PairOutcome.B, _ => PairOutcome.Tie };
                drawn.AddRange(Enumerable.Repeat(new PairwiseLabel("q", lower, higher, outcome, "r", 1), counts[c]));
            }

            foreach (var rating in Ratings.BradleyTerry(drawn))
            {
                samples[rating.Model].Add(rating.Rating);
            }
        }

        var result = BiasReport.BradleyTerryWithIntervals(battles, new BiasReportOptions { ModelResamples = resamples, Seed = seed });

        var point = Ratings.BradleyTerry(battles);
        foreach (var rating in result)
        {
            var expected = Bootstrap.FromSamples(samples[rating.Model].ToArray(), 0.95, resamples, seed);
            Assert.Equal(expected.Lower, rating.Interval!.Lower, 1e-4);
            Assert.Equal(expected.Upper, rating.Interval.Upper, 1e-4);
            Assert.Equal(point.Single(p => p.Model == rating.Model).Rating, rating.Rating);
        }

        Assert.True(result.Max(r => r.Rating) - result.Min(r => r.Rating) > 100, "the five models differ in strength");
    }

    [Fact]
    public void Resample_DrawsEveryBattleSlotOnce_RepeatsForASeed()
    {
        var cells = Cells(Battles());
        var first = new int[cells.Cells];
        var again = new int[cells.Cells];
        var other = new int[cells.Cells];

        cells.Resample(11, first);
        cells.Resample(11, again);
        cells.Resample(12, other);

        Assert.Equal(400, first.Sum());
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Run_ModelWithoutGamesInTheCounts_HasNoRating()
    {
        var cells = Cells(Battles());
        var counts = cells.CountAll();
        var e = Array.IndexOf(Models, "e");
        for (var q = 0; q < cells.First.Length; q++)
        {
            if (cells.First[q] == e || cells.Second[q] == e)
            {
                counts[3 * q] = counts[(3 * q) + 1] = counts[(3 * q) + 2] = 0;
            }
        }

        var fit = new BradleyTerryFit(cells);
        fit.Run(counts, null, 10_000, 1e-10);

        // Without the rule e would keep its starting strength 1 and read as a rating of exactly 1000.
        Assert.True(double.IsNaN(fit.Rating(e)));
        Assert.All(Enumerable.Range(0, 4), m => Assert.True(double.IsFinite(fit.Rating(m))));
    }

    [Fact]
    public void Run_WarmStart_ConvergesToTheColdStartFit()
    {
        var cells = Cells(Battles());
        var point = new BradleyTerryFit(cells);
        point.Run(cells.CountAll(), null, 10_000, 1e-10);
        var counts = new int[cells.Cells];
        cells.Resample(3, counts);

        var cold = new BradleyTerryFit(cells);
        cold.Run(counts, null, 2_000, 1e-8);
        var warm = new BradleyTerryFit(cells);
        warm.Run(counts, point.Strengths, 2_000, 1e-8);

        for (var m = 0; m < Models.Length; m++)
        {
            Assert.Equal(cold.Rating(m), warm.Rating(m), 1e-4);
            Assert.NotEqual(point.Rating(m), warm.Rating(m));
        }

        Assert.True(warm.Iterations < cold.Iterations, $"warm {warm.Iterations} vs cold {cold.Iterations} iterations");
    }
}

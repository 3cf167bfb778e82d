using Judge.Data;
using Judge.Statistics;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Core.Tests.Statistics;

/// <summary>Self-battles, disconnected comparison graphs and Elo point estimates.</summary>
public class RatingsGraphTests
{
    private static PairwiseLabel Battle(string a, string b, PairOutcome w, string q = "1") => new(q, a, b, w, "j", 1);

    [Fact]
    public void Ratings_SelfBattles_LeftOutAndCounted()
    {
        // a beats b 3 times and loses once; a also "beats itself" twice. Counted as wins, the
        // self-battles would move a's win rate from 3/4 to 5/6 and its Bradley-Terry strength.
        PairwiseLabel[] clean = [Battle("a", "b", PairOutcome.A), Battle("a", "b", PairOutcome.A), Battle("b", "a", PairOutcome.B), Battle("a", "b", PairOutcome.B)];
        PairwiseLabel[] dirty = [.. clean, Battle("a", "a", PairOutcome.A), Battle("a", "a", PairOutcome.A)];

        Assert.Equal(Ratings.WinRates(clean), Ratings.WinRates(dirty));
        Assert.Equal(Ratings.BradleyTerry(clean), Ratings.BradleyTerry(dirty));
        Assert.Equal(Ratings.Elo(clean), Ratings.Elo(dirty));
        var graph = Ratings.Graph(dirty);
        Assert.Equal(2, graph.SelfBattles);
        Assert.Equal(4, graph.Battles);
        Assert.True(graph.Connected);
    }

    [Fact]
    public void Ratings_DisconnectedGraph_ReportsComponentsAndCentresEach()
    {
        // {a, b} and {c, d, e} never meet. Within each, ratings follow the win ratios; across, they
        // are not comparable, and each component is centred on 1000 (geometric mean 1) on its own.
        PairwiseLabel[] battles =
        [
            Battle("a", "b", PairOutcome.A), Battle("a", "b", PairOutcome.A), Battle("a", "b", PairOutcome.B),
            Battle("c", "d", PairOutcome.A), Battle("d", "e", PairOutcome.A), Battle("c", "e", PairOutcome.Tie),
            Battle("e", "c", PairOutcome.A), Battle("d", "c", PairOutcome.Tie),
        ];

        var graph = Ratings.Graph(battles);
        var bt = Ratings.BradleyTerry(battles).ToDictionary(r => r.Model);

        Assert.False(graph.Connected);
        Assert.Equal(["c", "d", "e"], graph.Components[0]);
        Assert.Equal(["a", "b"], graph.Components[1]);
        Assert.Equal(1, bt["a"].Component);
        Assert.Equal(0, bt["d"].Component);

        // a vs b: 2 wins in 3 → odds 2, geometric mean 1 → a = 1000 + 200·log10 2.
        Assert.Equal(1000 + (200 * Math.Log10(2)), bt["a"].Rating, 1e-6);
        Assert.Equal(1000, (bt["c"].Rating + bt["d"].Rating + bt["e"].Rating) / 3, 1e-6);
        Assert.Equal(1, Ratings.Elo(battles).Single(r => r.Model == "b").Component);
    }

    [Fact]
    public void Elo_MtBenchTurn1_PointEstimatesInsideTheirIntervals()
    {
        // Before: the point came from one pass in file order and the interval from shuffled resamples,
        // and 3 of the 6 MT-Bench models fell outside their own interval. Now the point is the median
        // of the same resamples.
        var labels = VerdictImport.ReadLabels(Path.Combine(TestPaths.MtBench, "gpt4_pair_judgments.jsonl")).Where(l => l.Turn == 1).ToList();

        var elo = Ratings.Elo(labels, new EloOptions { BootstrapResamples = 200, Seed = 0 });

        Assert.Equal(6, elo.Count);
        Assert.All(elo, r => Assert.True(r.Interval!.Contains(r.Rating), $"{r.Model} {r.Rating} outside [{r.Interval.Lower}, {r.Interval.Upper}]"));
    }
}

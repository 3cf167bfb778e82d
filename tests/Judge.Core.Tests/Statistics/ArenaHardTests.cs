using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Runs;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Core.Tests.Statistics;

/// <summary>Arena-Hard-style scores: anchored Bradley-Terry recovered from known strengths, strong weights, ties, graph and order.</summary>
public class ArenaHardTests
{
    private static ArenaBattle Game(string a, string b, PairOutcome o, string q = "q", bool strong = false) => new(q, a, b, o) { Strong = strong };

    [Fact]
    public void Compute_GamesFromKnownStrengths_RecoversAnchoredStrengths()
    {
        // Five models with known log-odds strengths, the baseline at 0. 6,000 random pairings, each
        // judged in both orders (two games), the winner drawn with P(A) = σ(βa − βb). With about 2,400
        // games per model the standard errors are below 0.06; 0.15 is a band of about 3 of them.
        var truth = new Dictionary<string, double> { ["base"] = 0, ["m1"] = 1.2, ["m2"] = 0.4, ["m3"] = -0.5, ["m4"] = -1.5 };
        var names = truth.Keys.ToArray();
        var random = new Random(3);
        var games = new List<ArenaBattle>();
        for (var i = 0; i < 6000; i++)
        {
            var a = names[random.Next(names.Length)];
            var b = names[random.Next(names.Length)];
            if (a == b)
            {
                continue;
            }

            var p = 1 / (1 + Math.Exp(truth[b] - truth[a]));
            games.Add(Game(a, b, random.NextDouble() < p ? PairOutcome.A : PairOutcome.B, $"q{i}"));
            games.Add(Game(b, a, random.NextDouble() < 1 - p ? PairOutcome.A : PairOutcome.B, $"q{i}"));
        }

        var result = ArenaHard.Compute(games, new ArenaHardOptions { Baseline = "base", Rounds = 30, Seed = 1 });

        Assert.True(result.Converged);
        foreach (var s in result.Models)
        {
            var expected = 1 / (1 + Math.Exp(-truth[s.Model]));
            Assert.Equal(expected, s.Score, 0.035);
            Assert.Equal(1000 + (400 / Math.Log(10) * Math.Log(s.Score / (1 - s.Score))), s.Rating, 1e-6);
            if (s.Model != "base")
            {
                Assert.True(s.Interval!.Contains(s.Score), $"{s.Model} {s.Score} outside [{s.Interval.Lower}, {s.Interval.Upper}]");
            }
        }

        var baseline = result.Models.Single(m => m.Model == "base");
        Assert.Equal(0.5, baseline.Score);
        Assert.Equal(1000, baseline.Rating);
        Assert.Equal(["m1", "m2", "base", "m3", "m4"], result.Models.Select(m => m.Model));
    }

    [Fact]
    public void Compute_StrongVerdictsAndTies_WeighedByHand()
    {
        // Two models. Games: x>>base, base>x. Strong counts 3: odds 3:1, score σ(ln 3) = 0.75; with
        // weight 1 it is one win each, 0.5. A tie is half a win for each side: x>base, tie → 1.5 : 0.5
        // = 3, score 0.75 again.
        ArenaBattle[] strong = [Game("x", "base", PairOutcome.A, strong: true), Game("base", "x", PairOutcome.A)];
        ArenaBattle[] tie = [Game("x", "base", PairOutcome.A), Game("base", "x", PairOutcome.Tie)];

        double Score(ArenaBattle[] games, double weight) =>
            ArenaHard.Compute(games, new ArenaHardOptions { Baseline = "base", StrongWeight = weight, Rounds = 0 }).Models.Single(m => m.Model == "x").Score;

        Assert.Equal(0.75, Score(strong, 3), 1e-9);
        Assert.Equal(0.5, Score(strong, 1), 1e-9);
        Assert.Equal(0.75, Score(tie, 3), 1e-9);
        Assert.Equal(1, ArenaHard.Compute(strong, new ArenaHardOptions { Baseline = "base", Rounds = 0 }).StrongGames);
    }

    [Fact]
    public void Compute_SelfBattlesDisconnectedModelsAndOrder_HandledExplicitly()
    {
        ArenaBattle[] games =
        [
            Game("a", "base", PairOutcome.A, "1"), Game("base", "a", PairOutcome.A, "2"), Game("a", "base", PairOutcome.Tie, "3"),
            Game("a", "a", PairOutcome.A, "4"),
            Game("c", "d", PairOutcome.A, "5"), Game("d", "c", PairOutcome.B, "6"),
        ];

        var result = ArenaHard.Compute(games, new ArenaHardOptions { Baseline = "base", Rounds = 50 });
        var shuffled = ArenaHard.Compute(games.Reverse().ToArray(), new ArenaHardOptions { Baseline = "base", Rounds = 50 });

        Assert.Equal(1, result.SelfBattles);
        Assert.Equal(["c", "d"], result.NotConnected);
        Assert.Equal(["a", "base"], result.Models.Select(m => m.Model).Order(StringComparer.Ordinal));
        Assert.Equal(result.Models, shuffled.Models);
        Assert.Equal(0.5, result.Models.Single(m => m.Model == "a").Score, 1e-9);
    }

    [Fact]
    public void GamesFromCalls_BothOrders_EachCallOneGameWithModelsRestored()
    {
        // Item gpt|claude: AB call chose first (gpt), BA call chose first too (claude shown first), so
        // the two games disagree; an unparsed call is counted, not a game.
        var item = new PairwiseVerdict { Item = "q1/t1/gpt|claude", Judge = "j", Rubric = "r", QuestionId = "1", Turn = 1, ModelA = "gpt", ModelB = "claude", Status = VerdictStatus.Parsed, Winner = PairOutcome.InconsistentTie };
        JudgeCall Call(string order, string? choice, VerdictStatus status) => new() { Item = item.Item, Judge = "j", Rubric = "r", Order = order, PromptHash = "h", Status = status, Choice = PairOutcomes.FromPosition(choice) };

        var games = ArenaHard.GamesFromCalls([item], [Call("AB", "first", VerdictStatus.Parsed), Call("BA", "first", VerdictStatus.Parsed), Call("BA", null, VerdictStatus.Unparsed)], null, out var withoutVerdict);

        Assert.Equal(2, games.Count);
        Assert.Equal(new ArenaBattle("1/t1", "gpt", "claude", PairOutcome.A), games[0]);
        Assert.Equal(new ArenaBattle("1/t1", "gpt", "claude", PairOutcome.B), games[1]);
        Assert.Equal(1, withoutVerdict);
    }
}

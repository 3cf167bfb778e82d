using FsCheck;
using FsCheck.Xunit;
using Judge.Data;
using Judge.Statistics;

namespace Judge.Core.Tests.Statistics;

/// <summary>Properties that must hold for any input, checked with FsCheck.</summary>
public class PropertyTests
{
    [Property]
    public bool Cohen_AnyTwoRaters_SymmetricAndWithinMinusOneToOne(int[] first, int[] second)
    {
        var n = Math.Min(first.Length, second.Length);
        var a = first.Take(n).Select(v => Math.Abs(v % 4)).ToArray();
        var b = second.Take(n).Select(v => Math.Abs(v % 4)).ToArray();

        var ab = Kappa.Cohen(a, b, 4);
        var ba = Kappa.Cohen(b, a, 4);

        var symmetric = ab.Equals(ba) || Math.Abs(ab - ba) < 1e-12;
        return symmetric && (double.IsNaN(ab) || (ab >= -1 - 1e-12 && ab <= 1 + 1e-12));
    }

    [Property]
    public bool CohenWeighted_AnyTwoRaters_Symmetric(int[] first, int[] second)
    {
        var n = Math.Min(first.Length, second.Length);
        var a = first.Take(n).Select(v => Math.Abs(v % 5)).ToArray();
        var b = second.Take(n).Select(v => Math.Abs(v % 5)).ToArray();

        return new[] { KappaWeighting.Linear, KappaWeighting.Quadratic }.All(w =>
        {
            var ab = Kappa.Cohen(a, b, 5, w);
            var ba = Kappa.Cohen(b, a, 5, w);
            return (double.IsNaN(ab) && double.IsNaN(ba)) || Math.Abs(ab - ba) < 1e-12;
        });
    }

    [Property]
    public bool JudgeVersusHuman_MirroringEveryPairInBothFiles_SameCounts(byte[] judgeCodes, byte[] humanCodes)
    {
        var judge = judgeCodes.Select((c, i) => Decode(c, "judge")).ToArray();
        var human = humanCodes.Select((c, i) => Decode(c, $"expert_{i % 3}")).ToArray();
        var options = new AgreementOptions();

        var plain = PairwiseAgreement.JudgeVersusHuman(judge, human, options);
        var mirrored = PairwiseAgreement.JudgeVersusHuman(judge.Select(Mirror).ToArray(), human.Select(Mirror).ToArray(), options);
        var relabelled = PairwiseAgreement.JudgeVersusHuman(judge.Select(SwapWinner).ToArray(), human.Select(SwapWinner).ToArray(), options);
        var hh = PairwiseAgreement.HumanVersusHuman(human, options);
        var hhMirrored = PairwiseAgreement.HumanVersusHuman(human.Select(Mirror).ToArray(), options);

        return plain == mirrored && plain == relabelled && hh == hhMirrored;
    }

    [Property]
    public bool JudgeVersusHuman_SomePairsListedTheOtherWayRound_SameCounts(byte[] judgeCodes, byte[] humanCodes, bool[] flip)
    {
        // Files may list a pair as (A, B) or (B, A); orientation is normalised, so re-listing any subset
        // of the votes (winner mirrored with it) must not change any count.
        var judge = judgeCodes.Select(c => Decode(c, "judge")).ToArray();
        var human = humanCodes.Select((c, i) => Decode(c, $"expert_{i % 3}")).ToArray();
        bool Flip(int i) => flip.Length > 0 && flip[i % flip.Length];
        var options = new AgreementOptions();

        var plain = PairwiseAgreement.JudgeVersusHuman(judge, human, options);
        var relisted = PairwiseAgreement.JudgeVersusHuman(
            judge.Select((l, i) => Flip(i) ? Mirror(l) : l).ToArray(),
            human.Select((l, i) => Flip(i + 1) ? Mirror(l) : l).ToArray(),
            options);
        var hh = PairwiseAgreement.HumanVersusHuman(human, options);
        var hhRelisted = PairwiseAgreement.HumanVersusHuman(human.Select((l, i) => Flip(i) ? Mirror(l) : l).ToArray(), options);

        return plain == relisted && hh == hhRelisted;
    }

    [Property]
    public bool Intervals_NonDegenerateAgreement_ContainsPointEstimate(bool[] agrees, int seed)
    {
        var data = agrees.Append(true).Append(false).ToArray();
        var clusters = data.Select(a => new ClusterCounts(a ? 1 : 0, 1, a ? 1 : 0, 1)).ToArray();
        var rate = data.Count(a => a) / (double)data.Length;

        var (withTies, withoutTies) = AgreementBootstrap.Intervals(clusters, seed, resamples: 200);

        return withTies.Contains(rate) && withoutTies.Contains(rate);
    }

    [Property]
    public bool Percentile_NonDegenerateMean_ContainsPointEstimate(bool[] ones, int seed)
    {
        var data = ones.Append(true).Append(false).Select(b => b ? 1.0 : 0.0).ToArray();

        return Bootstrap.Mean(data, seed, resamples: 200).Contains(data.Average());
    }

    [Property]
    public bool Intervals_SameSeed_SameInterval(byte[] raw, int seed)
    {
        var codes = raw.Append((byte)1).Select(c => (byte)(c & 3)).ToArray();
        var clusters = codes.Select(c => new ClusterCounts(c & 1, 1, c & 1 & (c >> 1), c >> 1)).ToArray();

        return AgreementBootstrap.Intervals(clusters, seed, resamples: 100) == AgreementBootstrap.Intervals(clusters, seed, resamples: 100)
            && Bootstrap.Mean(codes.Select(c => (double)c).ToArray(), seed, resamples: 100) == Bootstrap.Mean(codes.Select(c => (double)c).ToArray(), seed, resamples: 100);
    }

    // A byte picks question (2 values), ordered model pair (3 models, 6 orders) and winner (4 kinds),
    // so random arrays collide on pairs often enough to exercise grouping and mirroring.
    private static PairwiseLabel Decode(byte code, string rater)
    {
        string[] models = ["m1", "m2", "m3"];
        (int A, int B)[] pairs = [(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1)];
        var (a, b) = pairs[code % 6];
        var winner = (PairOutcome)(code / 6 % 4);
        return new PairwiseLabel($"q{code / 24 % 2}", models[a], models[b], winner, rater, 1 + (code / 48 % 2));
    }

    private static PairwiseLabel Mirror(PairwiseLabel l) => l with { ModelA = l.ModelB, ModelB = l.ModelA, Winner = l.Winner.Mirror() };

    private static PairwiseLabel SwapWinner(PairwiseLabel l) => l with { Winner = l.Winner.Mirror() };
}

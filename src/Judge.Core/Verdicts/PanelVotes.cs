using Judge.Data;

namespace Judge.Verdicts;

/// <summary>
/// The one rule that makes a panel's verdict of its members' verdicts on one pairwise item (Verga et al., "Replacing
/// Judges with Juries", 2024): the outcome most members chose wins (a tie and an inconsistent tie are the same vote); an
/// even split between the top outcomes is an inconsistent tie, as two disagreeing orders are. The confidence is the share of
/// all members whose vote is the panel's verdict (<see cref="VerdictConfidence.Panel"/>; a member without a verdict is a
/// vote not cast for it). Members without any verdict leave the item without one, with the worst status.
/// </summary>
public static class PanelVotes
{
    /// <summary>Combines the members' verdicts on one item into the panel's, keeping every member's calls.</summary>
    /// <param name="panel">The panel's judge id.</param>
    /// <param name="members">Each member's verdict on the same item (same key, any model order).</param>
    public static PairwiseVerdict Combine(string panel, IReadOnlyList<PairwiseVerdict> members) => Combine(panel, members, null);

    /// <summary>
    /// Combines the members' verdicts with a weight per member (calibrated-accuracy weights): the outcome with the most weight
    /// wins, equal top weights are an inconsistent tie, and the confidence is the winner's share of all members' weight (a
    /// member without a verdict counts against it). <see langword="null"/> weights: one vote each.
    /// </summary>
    /// <param name="panel">The panel's judge id.</param>
    /// <param name="members">Each member's verdict on the same item.</param>
    /// <param name="weights">One weight (at least 0) per member, in member order; <see langword="null"/> for equal votes.</param>
    public static PairwiseVerdict Combine(string panel, IReadOnlyList<PairwiseVerdict> members, IReadOnlyList<double>? weights)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (weights is not null)
        {
            RequireWeights(weights, members.Count);
        }

        if (members.Count == 0)
        {
            throw new ArgumentException("a panel needs at least one member", nameof(members));
        }

        var first = members[0];
        var votes = members.Select(m => m.Winner is { } w ? (PairOutcome?)Orient(m, w, first) : null).ToList();
        var calls = members.SelectMany(m => m.Calls).ToList();
        var baseline = first with { Judge = panel, Calls = calls, Flipped = null, PSecond = null, StrongVerdict = null };
        if (votes.All(v => v is null))
        {
            var status = members.Select(m => m.Status).Where(s => s != VerdictStatus.Parsed).DefaultIfEmpty(VerdictStatus.Error).Max();
            return baseline with { Status = status, Winner = null, Error = "no panel member gave a verdict", Confidence = null, ConfidenceSource = null };
        }

        var weight = weights ?? [.. members.Select(_ => 1.0)];
        var counts = votes.Select((v, i) => (Vote: v, Weight: weight[i])).Where(v => v.Vote is not null)
            .GroupBy(v => v.Vote!.Value).Select(g => (Outcome: g.Key, Count: g.Sum(v => v.Weight))).OrderByDescending(c => c.Count).ToList();
        var winner = counts.Count > 1 && counts[0].Count == counts[1].Count ? PairOutcome.InconsistentTie : counts[0].Outcome;
        var total = weight.Sum();
        return baseline with
        {
            Status = VerdictStatus.Parsed,
            Winner = winner,
            Error = null,
            Confidence = weights is null ? VerdictConfidence.Share(votes, winner) : total == 0 ? 0 : votes.Select((v, i) => v == winner ? weight[i] : 0).Sum() / total,
            ConfidenceSource = VerdictConfidence.Panel,
        };
    }

    /// <summary>Refuses weights that are not one finite number of at least 0 per member.</summary>
    internal static IReadOnlyList<double> RequireWeights(IReadOnlyList<double> weights, int members, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(weights))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(weights, name);
        return weights.Count == members && weights.All(w => double.IsFinite(w) && w >= 0)
            ? weights
            : throw new ArgumentException("one finite weight of at least 0 per member", name);
    }

    /// <summary>A member's winner in the orientation of the first member's item (tie and inconsistent tie as one vote).</summary>
    private static PairOutcome Orient(PairwiseVerdict member, PairOutcome winner, PairwiseVerdict first)
    {
        var oriented = string.Equals(member.ModelA, first.ModelA, StringComparison.Ordinal) ? winner : winner.Mirror();
        return oriented == PairOutcome.InconsistentTie ? PairOutcome.Tie : oriented;
    }
}

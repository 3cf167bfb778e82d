using Judge.Data;

namespace Judge.Verdicts;

/// <summary>
/// The one definition of a verdict's confidence (<see cref="JudgmentRecord.Confidence"/>) and of where it comes
/// from (<see cref="JudgmentRecord.ConfidenceSource"/>). Every source gives a number in [0, 1] that is higher when
/// the judge is surer; none is made up: a verdict that no source measured records none.
/// </summary>
public static class VerdictConfidence
{
    /// <summary>A local model's probability of the chosen label, read from its logits and renormalised over the allowed labels.</summary>
    public const string Logits = "logits";

    /// <summary>A hosted API's probability of the chosen label at the verdict token (<c>logprobs</c>/<c>top_logprobs</c>), renormalised over the allowed labels.</summary>
    public const string LogProbs = "logprobs";

    /// <summary>
    /// Both presentation orders, without probabilities: 1 when the two orders gave the same verdict, 0 when they
    /// disagreed (the item's verdict, an inconsistent tie or none, is neither order's).
    /// </summary>
    public const string Orders = "orders";

    /// <summary>
    /// Both presentation orders, each with a probability: 0 when they disagreed, otherwise the mean of the two
    /// orders' probabilities of the verdict they share.
    /// </summary>
    public const string OrdersProbability = "orders_probability";

    /// <summary>Repeats of the same item: the share of the repeats whose verdict is the majority verdict.</summary>
    public const string Repeats = "repeats";

    /// <summary>A panel of judges: the share of the members' votes that went to the panel's verdict.</summary>
    public const string Panel = "panel";

    /// <summary>
    /// Swap consistency of a verdict from a file whose verdicts already combine both orders (MT-Bench's
    /// <c>gpt4_pair</c> judgments): 0 when the orders disagreed (<see cref="PairOutcome.InconsistentTie"/> or
    /// <see cref="PairwiseVerdict.Flipped"/>), 1 otherwise; <see langword="null"/> without a verdict. Only meaningful
    /// when both orders were judged: a one-order file gives 1 everywhere.
    /// </summary>
    public static double? SwapConsistency(PairwiseVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (verdict.Status != VerdictStatus.Parsed || verdict.Winner is null)
        {
            return null;
        }

        return verdict.Winner == PairOutcome.InconsistentTie || verdict.Flipped == true ? 0 : 1;
    }

    /// <summary>
    /// The confidence of an item whose two orders were combined (<see cref="BothOrders.Combine"/>): see
    /// <see cref="Orders"/> and <see cref="OrdersProbability"/>. No verdict, no confidence.
    /// </summary>
    internal static (double? Value, string? Source) OfOrders(PairwiseVerdict ab, PairwiseVerdict ba, PairwiseVerdict combined)
    {
        if (combined.Status != VerdictStatus.Parsed || combined.Flipped is null)
        {
            return (null, null);
        }

        var withProbability = ab.Confidence is not null && ba.Confidence is not null
            && ab.ConfidenceSource is Logits or LogProbs && ba.ConfidenceSource is Logits or LogProbs;
        if (combined.Flipped == true)
        {
            return (0, withProbability ? OrdersProbability : Orders);
        }

        return withProbability ? ((ab.Confidence!.Value + ba.Confidence!.Value) / 2, OrdersProbability) : (1, Orders);
    }

    /// <summary>
    /// The share of <paramref name="votes"/> equal to <paramref name="chosen"/>, votes without a verdict
    /// (<see langword="null"/>) counting against it; <see langword="null"/> when there are no votes.
    /// </summary>
    public static double? Share<T>(IReadOnlyList<T?> votes, T chosen)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(votes);
        return votes.Count == 0 ? null : (double)votes.Count(v => v is { } x && EqualityComparer<T>.Default.Equals(x, chosen)) / votes.Count;
    }
}

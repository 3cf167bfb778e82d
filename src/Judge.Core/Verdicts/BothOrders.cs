using Judge.Data;

namespace Judge.Verdicts;

/// <summary>What to do when the two orders disagree.</summary>
public enum DisagreementPolicy
{
    /// <summary>Record an inconsistent tie (counted as a tie, kept distinct). The default, as in MT-Bench.</summary>
    Tie,

    /// <summary>Record no verdict (<see cref="VerdictStatus.Dropped"/>).</summary>
    Drop,
}

/// <summary>The one rule that makes an item's verdict of its two presentation orders' verdicts.</summary>
internal static class BothOrders
{
    /// <summary>
    /// The one combination of the two presentation orders' verdicts, used by this judge and by imported
    /// per-order verdict files: the same winner is that winner; different winners are an inconsistent
    /// tie (or, under <see cref="DisagreementPolicy.Drop"/>, no verdict); a side without a verdict leaves
    /// the item without one, with the worse status. Both judgments name winners by the item's models
    /// (not by position); the result takes its key, question and models from <paramref name="ab"/>.
    /// </summary>
    public static PairwiseVerdict Combine(PairwiseVerdict ab, PairwiseVerdict ba, DisagreementPolicy onDisagreement = DisagreementPolicy.Tie)
    {
        ArgumentNullException.ThrowIfNull(ab);
        ArgumentNullException.ThrowIfNull(ba);
        var combined = Decide(ab, ba, onDisagreement);
        var (confidence, source) = VerdictConfidence.OfOrders(ab, ba, combined);
        return combined with { Confidence = confidence, ConfidenceSource = source };
    }

    private static PairwiseVerdict Decide(PairwiseVerdict ab, PairwiseVerdict ba, DisagreementPolicy onDisagreement)
    {
        var calls = ab.Calls.Concat(ba.Calls).ToList();
        var baseline = ab with { Calls = calls };
        if (ab.Status != VerdictStatus.Parsed || ba.Status != VerdictStatus.Parsed)
        {
            // The worse of the two statuses describes the item: an error outranks a parse failure.
            var status = new[] { ab.Status, ba.Status }.Where(s => s != VerdictStatus.Parsed).Max();
            var problem = string.Join("; ", new[] { ("AB", ab), ("BA", ba) }.Where(x => x.Item2.Status != VerdictStatus.Parsed).Select(x => $"{x.Item1}: {x.Item2.Error ?? x.Item2.Status.ToString()}"));
            return baseline with { Status = status, Winner = null, Flipped = null, Error = problem };
        }

        if (ab.Winner == ba.Winner)
        {
            return baseline with { Status = VerdictStatus.Parsed, Winner = ab.Winner, Flipped = false, Error = null };
        }

        return onDisagreement == DisagreementPolicy.Tie
            ? baseline with { Status = VerdictStatus.Parsed, Winner = PairOutcome.InconsistentTie, Flipped = true, Error = null }
            : baseline with { Status = VerdictStatus.Dropped, Winner = null, Flipped = true, Error = $"orders disagree: AB {ab.Winner!.Value.ToWire()}, BA {ba.Winner!.Value.ToWire()}" };
    }
}

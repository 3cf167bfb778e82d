using Judge.Verdicts;

namespace Judge.Judging;

/// <summary>
/// Model calls, their tokens and what the priced ones cost, added up: the one cost total of a run's analysis (every
/// recorded call), its progress line (this invocation's calls), a feedback stage's summary, a hosted client's cost
/// meter. (A dry run's estimate is a <c>CostEstimate</c>.) Immutable.
/// </summary>
/// <param name="Calls">Calls counted.</param>
/// <param name="InputTokens">Prompt tokens reported.</param>
/// <param name="OutputTokens">Completion tokens reported.</param>
/// <param name="PricedCalls">Calls that carry a cost (see <see cref="CallPricer"/>).</param>
/// <param name="Usd">US dollars over the priced calls.</param>
public sealed record CostTotals(long Calls, long InputTokens, long OutputTokens, long PricedCalls, decimal Usd)
{
    /// <summary>No calls.</summary>
    public static CostTotals None { get; } = new(0, 0, 0, 0, 0m);

    /// <summary>Calls without a cost: a model not in the price table, a replayed judge, no usage reported.</summary>
    public long UnpricedCalls => Calls - PricedCalls;

    /// <summary>Whether any call carries a cost.</summary>
    public bool AnyPriced => PricedCalls > 0;

    /// <summary>These totals and one more call with its tokens and its cost (<see langword="null"/>: not priced).</summary>
    public CostTotals Add(long? inputTokens, long? outputTokens, decimal? cost) =>
        new(Calls + 1, InputTokens + (inputTokens ?? 0), OutputTokens + (outputTokens ?? 0), PricedCalls + (cost is null ? 0 : 1), Usd + (cost ?? 0m));

    /// <summary>These totals and <paramref name="other"/>'s.</summary>
    public CostTotals Add(CostTotals other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Calls + other.Calls, InputTokens + other.InputTokens, OutputTokens + other.OutputTokens, PricedCalls + other.PricedCalls, Usd + other.Usd);
    }

    /// <summary>Adds up call records as written: their tokens and recorded costs.</summary>
    public static CostTotals Of(IEnumerable<JudgeCall> calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        return calls.Aggregate(None, (totals, c) => totals.Add(c.InputTokens, c.OutputTokens, c.CostUsd));
    }

    /// <summary>US dollars per 1,000 of <paramref name="judgments"/> (the judgments these calls served); <see langword="null"/> for none.</summary>
    public decimal? PerThousand(long judgments) => judgments == 0 ? null : Usd * 1000m / judgments;
}

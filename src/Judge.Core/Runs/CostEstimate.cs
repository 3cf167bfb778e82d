using Judge.Judging;

namespace Judge.Runs;

/// <summary>Why an estimated cost is what it is.</summary>
public enum CostBasis
{
    /// <summary>The model's price from the price table: <see cref="CostEstimate.Usd"/>.</summary>
    Priced,

    /// <summary>Nothing is called: nothing to pay.</summary>
    NoCalls,

    /// <summary>Recorded verdicts are replayed: nothing to pay.</summary>
    Replay,

    /// <summary>A local (or scripted) model: nothing to pay a provider.</summary>
    Local,

    /// <summary>The price table has no price for <see cref="CostEstimate.Model"/>: the cost is unknown.</summary>
    Unpriced,
}

/// <summary>
/// What some calls to one model are estimated to cost before anything is spent, and why; the one rule every
/// dry run (<c>judge compare/grade --dry-run</c>, <c>judge feedback generate --dry-run</c>) prices with.
/// </summary>
/// <param name="Basis">Why the cost is what it is.</param>
/// <param name="Model">The model the calls are priced as (<see cref="JudgeSpec.PricedModel"/>).</param>
/// <param name="Usd">US dollars live; 0 unless <see cref="CostBasis.Priced"/>.</param>
/// <param name="BatchUsd">US dollars through the provider's batch API, for models that have one and are priced; else <see langword="null"/>.</param>
public sealed record CostEstimate(CostBasis Basis, string Model, decimal Usd, decimal? BatchUsd)
{
    /// <summary>Whether the estimate is a number of dollars (possibly 0): anything but <see cref="CostBasis.Unpriced"/>.</summary>
    public bool Known => Basis != CostBasis.Unpriced;

    /// <summary>What the calls cost when every model with a batch API is batched: <see cref="BatchUsd"/>, else <see cref="Usd"/>.</summary>
    public decimal CheapestUsd => BatchUsd ?? Usd;

    /// <summary>Prices <paramref name="calls"/> calls to <paramref name="spec"/> of the given tokens in all.</summary>
    public static CostEstimate For(JudgeSpec spec, PriceTable prices, long calls, long inputTokens, long outputTokens)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(prices);
        var model = spec.PricedModel;
        if (calls == 0)
        {
            return new CostEstimate(CostBasis.NoCalls, model, 0, null);
        }

        // Replayed and local judges cost nothing.
        if (spec.ReplaysRecordedVerdicts)
        {
            return new CostEstimate(CostBasis.Replay, model, 0, null);
        }

        if (spec.RunsLocally)
        {
            return new CostEstimate(CostBasis.Local, model, 0, null);
        }

        if (prices.Find(model) is not { } price)
        {
            return new CostEstimate(CostBasis.Unpriced, model, 0, null);
        }

        return new CostEstimate(CostBasis.Priced, model, price.Cost(inputTokens, outputTokens), spec.HasBatchApi ? price.BatchCost(inputTokens, outputTokens) : null);
    }
}

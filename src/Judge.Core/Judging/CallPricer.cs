namespace Judge.Judging;

/// <summary>
/// The one rule for what a model call costs, for judge runs, feedback generation and the hosted cost meter alike: priced
/// by the model that answered, else by the model the caller asked for (<see cref="JudgeSpec.PricedModel"/>); at the batch
/// price when a provider batch answered it; never for a call that reported no tokens, and never for a judge that replays
/// recorded verdicts (they were paid for when they were recorded). Immutable and thread-safe.
/// </summary>
public sealed class CallPricer
{
    private readonly PriceTable? _prices;
    private readonly string? _pricedModel;

    /// <summary>Prices a judge's or model's calls with <paramref name="prices"/> (<see langword="null"/>: nothing is priced).</summary>
    public CallPricer(PriceTable? prices, JudgeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _prices = spec.ReplaysRecordedVerdicts ? null : prices;
        _pricedModel = spec.PricedModel;
    }

    /// <summary>Prices calls with <paramref name="prices"/>; <paramref name="pricedModel"/> prices a call whose provider names no model.</summary>
    public CallPricer(PriceTable? prices, string? pricedModel)
    {
        _prices = prices;
        _pricedModel = pricedModel;
    }

    /// <summary>
    /// What one call cost in US dollars (see <see cref="PriceTable.CostOf"/>), or <see langword="null"/> when it is not
    /// priced: no price table, no tokens reported, or neither model in the table.
    /// </summary>
    /// <param name="answeringModel">The model id the provider reported, if any.</param>
    /// <param name="inputTokens">Prompt tokens reported.</param>
    /// <param name="outputTokens">Completion tokens reported.</param>
    /// <param name="batched">Whether a provider batch answered the call (priced at the batch price).</param>
    public decimal? CostOf(string? answeringModel, long? inputTokens, long? outputTokens, bool batched = false) =>
        _prices is null || (inputTokens is null && outputTokens is null)
            ? null
            : _prices.CostOf(answeringModel, _pricedModel, inputTokens ?? 0, outputTokens ?? 0, batched);
}

using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Hosted;

/// <summary>
/// Adds up what a judge actually spent: usage of every response that reached it from the model (placed
/// inside the cache, it does not count hits), priced by the one per-call rule (<see cref="CallPricer"/>). Thread-safe.
/// </summary>
public sealed class CostMeter
{
    private readonly CallPricer _pricer;
    private readonly Lock _gate = new();
    private CostTotals _totals = CostTotals.None;

    /// <summary>Creates a meter that prices with <paramref name="prices"/>; <paramref name="defaultModel"/> prices responses that name no model.</summary>
    public CostMeter(PriceTable prices, string? defaultModel = null) => _pricer = new CallPricer(prices, defaultModel);

    /// <summary>Records one response's usage.</summary>
    public void Record(string? model, UsageDetails? usage)
    {
        var cost = usage is null ? null : _pricer.CostOf(model, usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0);
        lock (_gate)
        {
            _totals = _totals.Add(usage?.InputTokenCount, usage?.OutputTokenCount, cost);
        }
    }

    /// <summary>The totals so far.</summary>
    public CostTotals Report()
    {
        lock (_gate)
        {
            return _totals;
        }
    }
}

/// <summary>
/// A spend-nothing estimate of a run. Heuristic: one token per 4 characters of message text (rounded up)
/// plus 4 tokens of framing per message, the rule of thumb for English with GPT-style BPE tokenizers
/// (±25% on prose, worse on code or non-Latin scripts); completion tokens are the caller's expectation.
/// </summary>
public static class CostEstimator
{
    /// <summary>Estimated prompt tokens of one call.</summary>
    public static long EstimateTokens(IEnumerable<ChatMessage> messages) =>
        messages.Sum(m => 4 + (((long)(m.Text?.Length ?? 0) + 3) / 4));

    /// <summary>
    /// Estimates the cost of sending <paramref name="prompts"/> to <paramref name="model"/>: calls, tokens, the live cost
    /// and (<see cref="CostTotals.BatchUsd"/>) the cost through a provider batch; no call is priced when the model has no price.
    /// </summary>
    public static CostTotals Estimate(IEnumerable<IEnumerable<ChatMessage>> prompts, string model, int expectedOutputTokens, PriceTable prices)
    {
        long calls = 0, input = 0;
        foreach (var prompt in prompts)
        {
            calls++;
            input += EstimateTokens(prompt);
        }

        var output = calls * expectedOutputTokens;
        var price = prices.Find(model);
        return new CostTotals(calls, input, output, price is null ? 0 : calls, price?.Cost(input, output) ?? 0m) { BatchUsd = price?.BatchCost(input, output) ?? 0m };
    }
}

/// <summary>Records the usage of every response that passes through into a <see cref="CostMeter"/>.</summary>
internal sealed class CostMeteringChatClient : DelegatingChatClient
{
    private readonly CostMeter _meter;
    private readonly string? _model;

    public CostMeteringChatClient(IChatClient inner, CostMeter meter, string? model)
        : base(inner)
    {
        _meter = meter;
        _model = model;
    }

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        _meter.Record(response.ModelId ?? _model, response.Usage);
        return response;
    }

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(CostMeter) ? _meter : base.GetService(serviceType, serviceKey);
}

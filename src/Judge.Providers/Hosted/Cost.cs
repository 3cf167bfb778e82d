using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Hosted;

/// <summary>Token and cost totals for a set of calls.</summary>
/// <param name="Calls">Calls counted.</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
/// <param name="Cost">US dollars, over the priced calls.</param>
/// <param name="UnpricedCalls">Calls whose model is not in the price table or that reported no usage.</param>
/// <param name="Judgments">Judgments the calls served (for cost per 1,000).</param>
public sealed record CostReport(long Calls, long InputTokens, long OutputTokens, decimal Cost, long UnpricedCalls, long Judgments)
{
    /// <summary>Dollars per 1,000 judgments, or <see langword="null"/> with none.</summary>
    public decimal? CostPerThousandJudgments => Judgments == 0 ? null : Cost * 1000m / Judgments;

    /// <summary>What the same calls cost through a provider batch (<see cref="ModelPrice.BatchCost"/>); an estimate's, else 0.</summary>
    public decimal BatchCost { get; init; }
}

/// <summary>
/// Adds up what a judge actually spent: usage of every response that reached it from the model (placed
/// inside the cache, it does not count hits). Thread-safe.
/// </summary>
public sealed class CostMeter
{
    private readonly PriceTable _prices;
    private readonly string? _defaultModel;
    private readonly Lock _gate = new();
    private long _calls, _input, _output, _unpriced;
    private decimal _cost;

    /// <summary>Creates a meter that prices with <paramref name="prices"/>.</summary>
    public CostMeter(PriceTable prices, string? defaultModel = null)
    {
        _prices = prices;
        _defaultModel = defaultModel;
    }

    /// <summary>Records one response's usage.</summary>
    public void Record(string? model, UsageDetails? usage)
    {
        var input = usage?.InputTokenCount ?? 0;
        var output = usage?.OutputTokenCount ?? 0;
        var price = usage is null ? null : _prices.Find(model ?? _defaultModel);
        lock (_gate)
        {
            _calls++;
            _input += input;
            _output += output;
            if (price is null)
            {
                _unpriced++;
            }
            else
            {
                _cost += price.Cost(input, output);
            }
        }
    }

    /// <summary>The totals so far, with <paramref name="judgments"/> for the per-1,000 figure (default: calls).</summary>
    public CostReport Report(long? judgments = null)
    {
        lock (_gate)
        {
            return new CostReport(_calls, _input, _output, _cost, _unpriced, judgments ?? _calls);
        }
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

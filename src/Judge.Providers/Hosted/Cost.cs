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

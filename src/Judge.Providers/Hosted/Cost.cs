using Judge.Grading;
using Microsoft.Extensions.AI;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Judge.Providers.Hosted;

/// <summary>A model's price in US dollars per million tokens.</summary>
/// <param name="InputPerMillion">Prompt tokens.</param>
/// <param name="OutputPerMillion">Completion tokens.</param>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    /// <summary>The cost of one call.</summary>
    public decimal Cost(long inputTokens, long outputTokens) =>
        ((inputTokens * InputPerMillion) + (outputTokens * OutputPerMillion)) / 1_000_000m;
}

/// <summary>
/// Prices per model. A model id matches its exact entry, else the longest entry it starts with
/// (<c>gpt-4o-2024-08-06</c> is priced as <c>gpt-4o</c>). Immutable and thread-safe.
/// </summary>
public sealed class PriceTable
{
    private readonly Dictionary<string, ModelPrice> _prices;

    /// <summary>Creates a table from explicit prices.</summary>
    public PriceTable(IReadOnlyDictionary<string, ModelPrice> prices) =>
        _prices = new Dictionary<string, ModelPrice>(prices, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A small built-in table of list prices (USD per 1M tokens, standard tier, as published in 2025).
    /// Prices change: check them, and override with <see cref="WithOverrides(string)"/> for real budgets.
    /// </summary>
    public static PriceTable BuiltIn { get; } = new(new Dictionary<string, ModelPrice>
    {
        ["gpt-4o"] = new(2.50m, 10.00m),
        ["gpt-4o-mini"] = new(0.15m, 0.60m),
        ["gpt-4.1"] = new(2.00m, 8.00m),
        ["gpt-4.1-mini"] = new(0.40m, 1.60m),
        ["gpt-4.1-nano"] = new(0.10m, 0.40m),
        ["gpt-4-turbo"] = new(10.00m, 30.00m),
        ["gpt-4"] = new(30.00m, 60.00m),
        ["gpt-3.5-turbo"] = new(0.50m, 1.50m),
        ["o1"] = new(15.00m, 60.00m),
        ["o3"] = new(2.00m, 8.00m),
        ["o3-mini"] = new(1.10m, 4.40m),
        ["o4-mini"] = new(1.10m, 4.40m),
    });

    /// <summary>The models priced.</summary>
    public IReadOnlyDictionary<string, ModelPrice> Prices => _prices;

    /// <summary>
    /// This table with entries from a YAML or JSON file added or replaced. The file maps model ids to
    /// <c>input</c> and <c>output</c> prices per million tokens:
    /// <code>
    /// gpt-4o: { input: 2.5, output: 10 }
    /// my-vllm-model: { input: 0, output: 0 }
    /// </code>
    /// </summary>
    public PriceTable WithOverrides(string path)
    {
        Dictionary<string, Dictionary<string, decimal>>? entries;
        try
        {
            var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
            entries = deserializer.Deserialize<Dictionary<string, Dictionary<string, decimal>>>(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or IOException)
        {
            throw new InputException(path, null, null, $"not a price table (model: {{ input: …, output: … }}): {ex.Message}", ex);
        }

        var merged = new Dictionary<string, ModelPrice>(_prices, StringComparer.OrdinalIgnoreCase);
        foreach (var (model, price) in entries ?? [])
        {
            if (!price.TryGetValue("input", out var input) || !price.TryGetValue("output", out var output))
            {
                throw new InputException(path, null, model, "a price needs both input and output (USD per million tokens)");
            }

            merged[model] = new ModelPrice(input, output);
        }

        return new PriceTable(merged);
    }

    /// <summary>The price of <paramref name="model"/>, or <see langword="null"/> when it is not in the table.</summary>
    public ModelPrice? Find(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return null;
        }

        if (_prices.TryGetValue(model, out var exact))
        {
            return exact;
        }

        return _prices.Where(p => model.StartsWith(p.Key, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(p => p.Key.Length)
            .Select(p => p.Value)
            .FirstOrDefault();
    }
}

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

    /// <summary>Totals over recorded judge calls (cached calls included: they were paid for once).</summary>
    public static CostReport FromCalls(IEnumerable<JudgeCall> calls, PriceTable prices, string? defaultModel = null, long? judgments = null)
    {
        long n = 0, input = 0, output = 0, unpriced = 0;
        decimal cost = 0;
        var items = new HashSet<string>(StringComparer.Ordinal);
        foreach (var call in calls)
        {
            n++;
            items.Add(call.ItemKey);
            var i = call.Usage?.InputTokens ?? 0;
            var o = call.Usage?.OutputTokens ?? 0;
            input += i;
            output += o;
            if (call.Usage is null || prices.Find(call.ModelId ?? defaultModel) is not { } price)
            {
                unpriced++;
                continue;
            }

            cost += price.Cost(i, o);
        }

        return new CostReport(n, input, output, cost, unpriced, judgments ?? items.Count);
    }
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

    /// <summary>Estimates the cost of sending <paramref name="prompts"/> to <paramref name="model"/>.</summary>
    public static CostReport Estimate(IEnumerable<IEnumerable<ChatMessage>> prompts, string model, int expectedOutputTokens, PriceTable prices)
    {
        long calls = 0, input = 0;
        foreach (var prompt in prompts)
        {
            calls++;
            input += EstimateTokens(prompt);
        }

        var output = calls * expectedOutputTokens;
        var price = prices.Find(model);
        return new CostReport(calls, input, output, price?.Cost(input, output) ?? 0m, price is null ? calls : 0, calls);
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

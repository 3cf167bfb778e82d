using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Judge.Judging;

/// <summary>A model's price in US dollars per million tokens.</summary>
/// <param name="InputPerMillion">Prompt tokens.</param>
/// <param name="OutputPerMillion">Completion tokens.</param>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    /// <summary>The cost of one call.</summary>
    public decimal Cost(long inputTokens, long outputTokens) =>
        ((inputTokens * InputPerMillion) + (outputTokens * OutputPerMillion)) / 1_000_000m;

    /// <summary>Prompt tokens answered through a provider batch. Default: half <see cref="InputPerMillion"/>, as OpenAI and Azure price batches.</summary>
    public decimal? BatchInputPerMillion { get; init; }

    /// <summary>Completion tokens answered through a provider batch. Default: half <see cref="OutputPerMillion"/>.</summary>
    public decimal? BatchOutputPerMillion { get; init; }

    /// <summary>The cost of one call answered through a batch.</summary>
    public decimal BatchCost(long inputTokens, long outputTokens) =>
        ((inputTokens * (BatchInputPerMillion ?? (InputPerMillion / 2))) + (outputTokens * (BatchOutputPerMillion ?? (OutputPerMillion / 2)))) / 1_000_000m;
}

/// <summary>
/// Prices per model. A model id matches its exact entry, else the longest entry it starts with
/// (<c>gpt-4o-2024-08-06</c> is priced as <c>gpt-4o</c>). Immutable and thread-safe.
/// </summary>
public sealed class PriceTable
{
    private readonly Dictionary<string, ModelPrice> _prices;
    private ModelPrice? _flat;

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
    /// gpt-4.1: { input: 2, output: 8, batch_input: 1, batch_output: 4 }
    /// </code>
    /// <c>batch_input</c> and <c>batch_output</c> are optional (default: half the live price).
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

            var unknown = price.Keys.FirstOrDefault(k => k is not ("input" or "output" or "batch_input" or "batch_output"));
            if (unknown is not null)
            {
                throw new InputException(path, null, $"{model}.{unknown}", "unknown price key; allowed: input, output, batch_input, batch_output");
            }

            merged[model] = new ModelPrice(input, output)
            {
                BatchInputPerMillion = price.TryGetValue("batch_input", out var bi) ? bi : null,
                BatchOutputPerMillion = price.TryGetValue("batch_output", out var bo) ? bo : null,
            };
        }

        return new PriceTable(merged);
    }

    /// <summary>A table that prices every model at <paramref name="price"/> (a run's own flat price).</summary>
    public static PriceTable WithFlatPrice(ModelPrice price) => new(new Dictionary<string, ModelPrice>()) { _flat = price };

    /// <summary>The price of <paramref name="model"/>, or <see langword="null"/> when it is not in the table.</summary>
    public ModelPrice? Find(string? model)
    {
        if (_flat is not null)
        {
            return _flat;
        }

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

    /// <summary>
    /// What one call cost in US dollars (rounded to 8 places): priced by the model that answered, else by
    /// <paramref name="pricedModel"/> (the model its spec names); <see langword="null"/> when neither has a price.
    /// </summary>
    /// <param name="answeringModel">The model id the provider reported, if any.</param>
    /// <param name="pricedModel">The model the caller asked for, if it named one.</param>
    /// <param name="inputTokens">Prompt tokens.</param>
    /// <param name="outputTokens">Completion tokens.</param>
    /// <param name="batch">Whether the call was answered through a provider batch (priced at the batch price).</param>
    public decimal? CostOf(string? answeringModel, string? pricedModel, long inputTokens, long outputTokens, bool batch = false)
    {
        var price = Find(answeringModel ?? pricedModel) ?? Find(pricedModel);
        return price is null ? null : Math.Round(batch ? price.BatchCost(inputTokens, outputTokens) : price.Cost(inputTokens, outputTokens), 8);
    }
}

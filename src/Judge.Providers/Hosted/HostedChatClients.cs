using System.Globalization;
using System.Text.Json;
using Azure.Identity;
using Judge.Judges;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using ChatResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat;

namespace Judge.Providers.Hosted;

/// <summary>
/// Builds judges served by hosted chat APIs: <c>openai:MODEL</c> (OpenAI, or any OpenAI-compatible server
/// through <c>?base_url=</c>) and <c>azure:DEPLOYMENT</c> (Azure OpenAI). Keys come only from environment
/// variables: <c>JUDGE_OPENAI_API_KEY</c> or <c>OPENAI_API_KEY</c>; <c>JUDGE_AZURE_OPENAI_API_KEY</c> or
/// <c>AZURE_OPENAI_API_KEY</c> (or <c>?auth=entra</c> for Entra ID through <see cref="DefaultAzureCredential"/>).
/// Spec options:
/// <list type="bullet">
/// <item><c>base_url</c> (openai) / <c>endpoint</c> (azure; else <c>AZURE_OPENAI_ENDPOINT</c>): one URL or several, comma separated, sharing the load;</item>
/// <item><c>api_version</c> (azure; else <c>AZURE_OPENAI_API_VERSION</c>, else the SDK's default);</item>
/// <item><c>rpm</c>, <c>tpm</c>, <c>concurrency</c>: budgets per endpoint; <c>attempts</c>, <c>timeout</c> (seconds per attempt);</item>
/// <item><c>cache</c> (a SQLite file; else <c>JUDGE_CACHE</c>), <c>cache_mode</c> = readwrite | refresh | off;</item>
/// <item><c>seed</c>, <c>max_tokens</c>, <c>temperature</c>, <c>format=json</c>, <c>schema</c> (a JSON-schema file), <c>logprobs</c> (top-N);</item>
/// <item><c>prices</c>: a YAML/JSON price table overriding <see cref="PriceTable.BuiltIn"/>.</item>
/// </list>
/// </summary>
public static class HostedChatClients
{
    private static readonly string[] SecretOptionNames = ["key", "api_key", "apikey", "api-key", "token", "password", "secret"];

    /// <summary>Creates an <c>openai:</c> judge.</summary>
    /// <param name="spec">The judge spec.</param>
    /// <param name="options">Resilience settings; spec options override them. Defaults when <see langword="null"/>.</param>
    /// <param name="environment">Reads environment variables; <see cref="Environment.GetEnvironmentVariable(string)"/> when <see langword="null"/>.</param>
    public static IChatClient CreateOpenAI(JudgeSpec spec, HostedJudgeOptions? options = null, Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        RejectSecrets(spec);
        var key = env("JUDGE_OPENAI_API_KEY") ?? env("OPENAI_API_KEY");
        var urls = Urls(spec.Option("base_url") ?? env("OPENAI_BASE_URL"));
        if (urls.Count == 0)
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new JudgeUnavailableException($"judge {spec.Text}: set OPENAI_API_KEY (or JUDGE_OPENAI_API_KEY), or give ?base_url= for an OpenAI-compatible server");
            }

            urls.Add(new Uri("https://api.openai.com/v1"));
        }

        // The same composition as a judge built in code: the spec only fills in the options.
        return HostedJudges.BuildOpenAI(FromSpec(new OpenAIJudgeOptions { Model = spec.Target, Endpoints = urls, ApiKey = key, Resilience = Settings(spec, options) }, spec));
    }

    /// <summary>Creates an <c>azure:</c> judge (the target is the deployment name).</summary>
    /// <param name="spec">The judge spec.</param>
    /// <param name="options">Resilience settings; spec options override them. Defaults when <see langword="null"/>.</param>
    /// <param name="environment">Reads environment variables; <see cref="Environment.GetEnvironmentVariable(string)"/> when <see langword="null"/>.</param>
    public static IChatClient CreateAzure(JudgeSpec spec, HostedJudgeOptions? options = null, Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        RejectSecrets(spec);
        var urls = Urls(spec.Option("endpoint") ?? env("JUDGE_AZURE_OPENAI_ENDPOINT") ?? env("AZURE_OPENAI_ENDPOINT"));
        if (urls.Count == 0)
        {
            throw new JudgeUnavailableException($"judge {spec.Text}: set AZURE_OPENAI_ENDPOINT or give ?endpoint=https://RESOURCE.openai.azure.com");
        }

        var entra = string.Equals(spec.Option("auth"), "entra", StringComparison.OrdinalIgnoreCase);
        var key = env("JUDGE_AZURE_OPENAI_API_KEY") ?? env("AZURE_OPENAI_API_KEY");
        if (!entra && string.IsNullOrEmpty(key))
        {
            throw new JudgeUnavailableException($"judge {spec.Text}: set AZURE_OPENAI_API_KEY (or JUDGE_AZURE_OPENAI_API_KEY), or add ?auth=entra to sign in with Entra ID");
        }

        var azure = new AzureJudgeOptions
        {
            Model = spec.Target,
            Endpoints = urls,
            ApiKey = entra ? null : key,
            Credential = entra ? new DefaultAzureCredential() : null,
            ApiVersion = spec.Option("api_version") ?? env("AZURE_OPENAI_API_VERSION"),
            Resilience = Settings(spec, options),
        };
        return HostedJudges.BuildAzure(FromSpec(azure, spec));
    }

    /// <summary>The spec's cache, prices and request defaults, set on options the spec path built.</summary>
    private static T FromSpec<T>(T options, JudgeSpec spec)
        where T : HostedJudgeClientOptions
    {
        var cache = CacheSettings(spec);
        options.CachePath = cache?.Path;
        options.CacheMode = cache?.Mode ?? CacheMode.Off;
        options.Prices = spec.Option("prices") is { } pricePath ? PriceTable.BuiltIn.WithOverrides(pricePath) : PriceTable.BuiltIn;
        options.ConfigureOptions = o => ApplyDefaults(spec, o);
        options.LogProbabilities = spec.Option("logprobs");
        return options;
    }

    private static (string Path, CacheMode Mode)? CacheSettings(JudgeSpec spec)
    {
        var mode = spec.Option("cache_mode")?.ToLowerInvariant() switch
        {
            null or "readwrite" or "on" => CacheMode.ReadWrite,
            "refresh" => CacheMode.Refresh,
            "off" or "none" => CacheMode.Off,
            var other => throw new InputException(null, null, "--judge", $"cache_mode '{other}' in '{spec.Text}' is not readwrite, refresh or off"),
        };
        var path = spec.Option("cache");
        return path is null || mode == CacheMode.Off ? null : (path, mode);
    }

    private static void ApplyDefaults(JudgeSpec spec, ChatOptions options)
    {
        if (spec.Option("temperature") is { } t)
        {
            options.Temperature = float.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        if (spec.Options.ContainsKey("seed"))
        {
            options.Seed ??= spec.IntOption("seed", 0);
        }

        if (spec.Options.ContainsKey("max_tokens"))
        {
            options.MaxOutputTokens = spec.IntOption("max_tokens", 1024);
        }

        if (spec.Option("schema") is { } schemaPath)
        {
            using var schema = JsonDocument.Parse(File.ReadAllText(schemaPath));
            options.ResponseFormat ??= ChatResponseFormat.ForJsonSchema(schema.RootElement.Clone(), Path.GetFileNameWithoutExtension(schemaPath));
        }
        else if (string.Equals(spec.Option("format"), "json", StringComparison.OrdinalIgnoreCase))
        {
            options.ResponseFormat ??= ChatResponseFormat.Json;
        }

        if (spec.Options.ContainsKey("logprobs"))
        {
            var top = spec.IntOption("logprobs", 5);
            options.RawRepresentationFactory ??= _ => new ChatCompletionOptions { IncludeLogProbabilities = true, TopLogProbabilityCount = top };
        }
    }

    private static HostedJudgeOptions Settings(JudgeSpec spec, HostedJudgeOptions? given)
    {
        var o = given ?? new HostedJudgeOptions();
        var copy = new HostedJudgeOptions
        {
            MaxAttempts = spec.IntOption("attempts", o.MaxAttempts),
            BaseDelay = o.BaseDelay,
            MaxDelay = o.MaxDelay,
            MaxRetryAfter = o.MaxRetryAfter,
            AttemptTimeout = spec.Option("timeout") is { } s ? TimeSpan.FromSeconds(double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)) : o.AttemptTimeout,
            RequestsPerMinute = spec.Options.ContainsKey("rpm") ? spec.IntOption("rpm", 0) : o.RequestsPerMinute,
            TokensPerMinute = spec.Options.ContainsKey("tpm") ? spec.IntOption("tpm", 0) : o.TokensPerMinute,
            MaxConcurrency = spec.IntOption("concurrency", o.MaxConcurrency),
            BudgetUtilisation = Math.Clamp(o.BudgetUtilisation, 0.01, 1.0),
            CircuitFailureRatio = o.CircuitFailureRatio,
            CircuitMinimumThroughput = o.CircuitMinimumThroughput,
            CircuitSamplingDuration = o.CircuitSamplingDuration,
            CircuitBreakDuration = o.CircuitBreakDuration,
            EnableRetries = o.EnableRetries,
            TimeProvider = o.TimeProvider,
            PrimaryHandlerFactory = o.PrimaryHandlerFactory,
        };
        if (copy.MaxAttempts < 1)
        {
            throw new InputException(null, null, "--judge", $"attempts in '{spec.Text}' must be at least 1");
        }

        return copy;
    }

    private static void RejectSecrets(JudgeSpec spec)
    {
        // The spec ends up in results and logs as the judge id, so a key must never ride in it. The value is not echoed.
        if (spec.Options.Keys.FirstOrDefault(k => SecretOptionNames.Contains(k, StringComparer.OrdinalIgnoreCase)) is { } name)
        {
            throw new InputException(null, null, "--judge", $"option '{name}' looks like a credential; keys are read only from environment variables (OPENAI_API_KEY, AZURE_OPENAI_API_KEY), never from the judge spec");
        }
    }

    private static List<Uri> Urls(string? text)
    {
        var urls = new List<Uri>();
        foreach (var part in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new InputException(null, null, "--judge", $"'{part}' is not an http(s) URL");
            }

            urls.Add(uri);
        }

        return urls;
    }
}

/// <summary>The hosted-judge middleware, composed with <see cref="ChatClientBuilder"/> (first added is outermost).</summary>
public static partial class HostedChatClientBuilderExtensions
{
    /// <summary>Serves repeated calls from <paramref name="cache"/>; see <see cref="CacheMode"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="cache">The cache file.</param>
    /// <param name="identity">What identifies the model behind this client: provider, endpoints, model, API version.</param>
    /// <param name="mode">How the cache is used.</param>
    public static ChatClientBuilder UseJudgeCache(this ChatClientBuilder builder, SqliteResponseCache cache, string identity, CacheMode mode = CacheMode.ReadWrite) =>
        builder.Use(inner => new SqliteCachingChatClient(inner, cache, identity, mode));

    /// <summary>Retries once without an option (temperature, response_format, seed, logprobs) the model rejects, recording it.</summary>
    public static ChatClientBuilder UseOptionFallback(this ChatClientBuilder builder) =>
        builder.Use(inner => new OptionFallbackChatClient(inner));

    /// <summary>Records each response's token usage and cost in <paramref name="meter"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="meter">The meter.</param>
    /// <param name="model">The model to price responses that do not name one.</param>
    public static ChatClientBuilder UseCostMeter(this ChatClientBuilder builder, CostMeter meter, string? model = null) =>
        builder.Use(inner => new CostMeteringChatClient(inner, meter, model));
}

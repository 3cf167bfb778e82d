using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Text.Json;
using Azure.AI.OpenAI;
using Azure.Identity;
using Judge.Judges;
using Microsoft.Extensions.AI;
using OpenAI;
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

        // Local OpenAI-compatible servers (vLLM, llama.cpp, Ollama) usually take no key, but the SDK insists on one.
        var credential = new ApiKeyCredential(string.IsNullOrEmpty(key) ? "no-key" : key);
        var settings = Settings(spec, options);
        return Build(spec, "openai", spec.Target, null, urls, settings, key, (url, transport) =>
            new ChatClient(spec.Target, credential, new OpenAIClientOptions
            {
                Endpoint = url,
                Transport = transport,
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                NetworkTimeout = TimeSpan.FromDays(1),
            }).AsIChatClient());
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

        var apiVersion = spec.Option("api_version") ?? env("AZURE_OPENAI_API_VERSION");
        var settings = Settings(spec, options);
        var credential = entra ? null : new ApiKeyCredential(key!);
        var tokenCredential = entra ? new DefaultAzureCredential() : null;
        return Build(spec, "azure", spec.Target, apiVersion, urls, settings, entra ? null : key, (url, transport) =>
        {
            var clientOptions = new AzureOpenAIClientOptions
            {
                Transport = transport,
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                NetworkTimeout = TimeSpan.FromDays(1),
            };
            var client = credential is not null ? new AzureOpenAIClient(url, credential, clientOptions) : new AzureOpenAIClient(url, tokenCredential!, clientOptions);
            return client.GetChatClient(spec.Target).AsIChatClient();
        });
    }

#pragma warning disable CA2000 // Ownership passes down the chain: the built client disposes the router, endpoints, HTTP clients and handlers.
    private static IChatClient Build(
        JudgeSpec spec, string provider, string model, string? apiVersion, List<Uri> urls, HostedJudgeOptions settings, string? key, Func<Uri, PipelineTransport, IChatClient> createSdkClient)
    {
        var scrubber = new SecretScrubber([key]);
        var endpoints = new List<EndpointChatClient>();
        foreach (var url in urls)
        {
            var state = new EndpointState(Display(url), new EndpointBudget(settings.RequestsPerMinute, settings.TokensPerMinute, settings.MaxConcurrency, settings.BudgetUtilisation));
            var primary = settings.PrimaryHandlerFactory?.Invoke() ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            var http = new HttpClient(new ResilienceHandler(state, settings, apiVersion, primary)) { Timeout = Timeout.InfiniteTimeSpan };
            var sdk = createSdkClient(url, new HttpClientPipelineTransport(http));
            endpoints.Add(new EndpointChatClient(sdk, state, scrubber, settings.EnableRetries ? settings.MaxAttempts : 1, http, state));
        }

        var router = new EndpointRouterChatClient(endpoints, new ChatClientMetadata(provider, urls[0], model));
        var prices = spec.Option("prices") is { } pricePath ? PriceTable.BuiltIn.WithOverrides(pricePath) : PriceTable.BuiltIn;
        var identity = string.Join('|', provider, string.Join(',', endpoints.Select(e => e.Endpoint.Name).Order(StringComparer.Ordinal)), model, apiVersion ?? "default", "logprobs=" + spec.Option("logprobs"));

        var builder = new ChatClientBuilder(router);
        builder.ConfigureOptions(o => ApplyDefaults(spec, o));
        if (CacheSettings(spec) is { } cache)
        {
            builder.UseJudgeCache(new SqliteResponseCache(cache.Path, settings.TimeProvider), identity, cache.Mode);
        }

        builder.UseOptionFallback();
        builder.UseCostMeter(new CostMeter(prices, model), model);
        return builder.Build();
    }
#pragma warning restore CA2000

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

    private static string Display(Uri url) => $"{url.Scheme}://{url.Authority}{url.AbsolutePath.TrimEnd('/')}";
}

/// <summary>The hosted-judge middleware, composed with <see cref="ChatClientBuilder"/> (first added is outermost).</summary>
public static class HostedChatClientBuilderExtensions
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

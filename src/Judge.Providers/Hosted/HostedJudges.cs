using System.ClientModel;
using System.ClientModel.Primitives;
using Azure.AI.OpenAI;
using Azure.Core;
using Judge.Judging;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace Judge.Providers.Hosted;

/// <summary>
/// What every options-built hosted judge needs: the model, its endpoints, the resilience and budget settings,
/// and the response cache and cost meter composed on top. Mutable until a client is built from it; the built
/// client keeps its own copies.
/// </summary>
public abstract class HostedJudgeClientOptions
{
    /// <summary>The model (OpenAI) or deployment (Azure) name. Required.</summary>
    public required string Model { get; set; }

    /// <summary>
    /// The endpoints serving the model; calls are spread over them and fail over between them (see
    /// <see cref="HostedChatClients"/>). OpenAI default: <c>https://api.openai.com/v1</c>. Azure: required
    /// (<c>https://RESOURCE.openai.azure.com</c>).
    /// </summary>
    public IList<Uri> Endpoints { get; set; } = [];

    /// <summary>
    /// The API key. Default none: required for api.openai.com and for Azure without <see cref="AzureJudgeOptions.Credential"/>;
    /// a local OpenAI-compatible server usually needs none. Never written to results, logs or error messages.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Retries, per-attempt timeout, circuit breaker and per-endpoint budgets (requests and tokens per minute,
    /// concurrency). Default: <see cref="HostedJudgeOptions"/>'s defaults (4 attempts, no rate budget, 16 in flight).
    /// </summary>
    public HostedJudgeOptions Resilience { get; set; } = new();

    /// <summary>A SQLite file serving repeated calls (<see cref="SqliteResponseCache"/>). Default none: no cache.</summary>
    public string? CachePath { get; set; }

    /// <summary>How the cache at <see cref="CachePath"/> is used. Default <see cref="CacheMode.ReadWrite"/>.</summary>
    public CacheMode CacheMode { get; set; } = CacheMode.ReadWrite;

    /// <summary>The prices the cost meter uses. Default <see cref="PriceTable.BuiltIn"/>.</summary>
    public PriceTable Prices { get; set; } = PriceTable.BuiltIn;

    /// <summary>
    /// The meter that adds up what the judge spends (cache hits cost nothing); pass one to share it between
    /// judges. Default: a new meter per client, reachable with <c>client.GetService&lt;CostMeter&gt;()</c>.
    /// </summary>
    public CostMeter? CostMeter { get; set; }

    /// <summary>Sets defaults on every request's <see cref="ChatOptions"/> before it is sent. Default none.</summary>
    public Action<ChatOptions>? ConfigureOptions { get; set; }

    /// <summary>The spec's <c>logprobs</c> option, which changes answers and so belongs to the cache identity.</summary>
    internal string? LogProbabilities { get; set; }
}

/// <summary>An OpenAI (or OpenAI-compatible server) judge, for <see cref="HostedJudges.CreateOpenAI"/>.</summary>
public sealed class OpenAIJudgeOptions : HostedJudgeClientOptions
{
}

/// <summary>An Azure OpenAI judge, for <see cref="HostedJudges.CreateAzure"/>.</summary>
public sealed class AzureJudgeOptions : HostedJudgeClientOptions
{
    /// <summary>The API version, e.g. <c>2024-10-21</c>. Default: the SDK's.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>An Entra ID credential (e.g. <c>DefaultAzureCredential</c>) used instead of <see cref="HostedJudgeClientOptions.ApiKey"/>. Default none.</summary>
    public TokenCredential? Credential { get; set; }
}

/// <summary>
/// Builds hosted judges from options objects. The stack is the one <c>openai:</c> and <c>azure:</c> specs get
/// (the spec path builds these options and calls the same methods): per endpoint the SDK client with its own
/// retries off over an HTTP handler with the one Polly retry layer, per-attempt timeout, circuit breaker and
/// budget; endpoints routed by load; then, outermost first, the response cache
/// (<see cref="HostedChatClientBuilderExtensions.UseJudgeCache"/>), the option fallback
/// (<see cref="HostedChatClientBuilderExtensions.UseOptionFallback"/>) and the cost meter
/// (<see cref="HostedChatClientBuilderExtensions.UseCostMeter"/>). The returned client is thread-safe and owns
/// everything below it.
/// </summary>
public static class HostedJudges
{
    /// <summary>Creates an OpenAI judge (or one on an OpenAI-compatible server).</summary>
    /// <param name="options">The judge's settings.</param>
    /// <exception cref="JudgeUnavailableException">No API key for api.openai.com.</exception>
    /// <exception cref="ArgumentException">A missing model, a non-http(s) endpoint, or resilience settings out of range.</exception>
    public static IChatClient CreateOpenAI(OpenAIJudgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        return BuildOpenAI(options);
    }

    /// <summary>Creates an Azure OpenAI judge; <see cref="HostedJudgeClientOptions.Model"/> is the deployment name.</summary>
    /// <param name="options">The judge's settings.</param>
    /// <exception cref="JudgeUnavailableException">No endpoint, or neither an API key nor a credential.</exception>
    /// <exception cref="ArgumentException">A missing deployment, a non-http(s) endpoint, or resilience settings out of range.</exception>
    public static IChatClient CreateAzure(AzureJudgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        return BuildAzure(options);
    }

    /// <summary>Builds an OpenAI judge from options already checked (by <see cref="Validate"/> or the spec parser).</summary>
    internal static IChatClient BuildOpenAI(OpenAIJudgeOptions options)
    {
        var urls = options.Endpoints.Count > 0 ? [.. options.Endpoints] : new List<Uri> { new("https://api.openai.com/v1") };
        if (options.Endpoints.Count == 0 && string.IsNullOrEmpty(options.ApiKey))
        {
            throw new JudgeUnavailableException($"judge openai:{options.Model}: an API key is needed for api.openai.com (OpenAIJudgeOptions.ApiKey), or give an OpenAI-compatible server in Endpoints");
        }

        // Local OpenAI-compatible servers (vLLM, llama.cpp, Ollama) usually take no key, but the SDK insists on one.
        var credential = new ApiKeyCredential(string.IsNullOrEmpty(options.ApiKey) ? "no-key" : options.ApiKey);
        return Compose("openai", null, urls, options, (url, transport) =>
            new ChatClient(options.Model, credential, new OpenAIClientOptions
            {
                Endpoint = url,
                Transport = transport,
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                NetworkTimeout = TimeSpan.FromDays(1),
            }).AsIChatClient());
    }

    /// <summary>Builds an Azure judge from options already checked (by <see cref="Validate"/> or the spec parser).</summary>
    internal static IChatClient BuildAzure(AzureJudgeOptions options)
    {
        if (options.Endpoints.Count == 0)
        {
            throw new JudgeUnavailableException($"judge azure:{options.Model}: AzureJudgeOptions.Endpoints is empty; give https://RESOURCE.openai.azure.com");
        }

        var tokenCredential = options.Credential;
        if (tokenCredential is null && string.IsNullOrEmpty(options.ApiKey))
        {
            throw new JudgeUnavailableException($"judge azure:{options.Model}: give AzureJudgeOptions.ApiKey or an Entra ID Credential");
        }

        var credential = tokenCredential is null ? new ApiKeyCredential(options.ApiKey!) : null;
        return Compose("azure", options.ApiVersion, [.. options.Endpoints], options, (url, transport) =>
        {
            var clientOptions = new AzureOpenAIClientOptions
            {
                Transport = transport,
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                NetworkTimeout = TimeSpan.FromDays(1),
            };
            var client = credential is not null ? new AzureOpenAIClient(url, credential, clientOptions) : new AzureOpenAIClient(url, tokenCredential!, clientOptions);
            return client.GetChatClient(options.Model).AsIChatClient();
        });
    }

    /// <summary>Checks options given in code; the spec path checks its own options where it parses them.</summary>
    private static void Validate(HostedJudgeClientOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Model))
        {
            throw new ArgumentException("Model is required: the model or deployment name", nameof(options));
        }

        foreach (var url in options.Endpoints ?? throw new ArgumentException("Endpoints must not be null", nameof(options)))
        {
            if (url is null || !url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"Endpoints: '{url}' is not an absolute http(s) URL", nameof(options));
            }
        }

        var r = options.Resilience ?? throw new ArgumentException("Resilience must not be null", nameof(options));
        if (r.MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), r.MaxAttempts, "Resilience.MaxAttempts must be at least 1");
        }

        if (r.AttemptTimeout <= TimeSpan.Zero || r.SelfHostedAttemptTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Resilience.AttemptTimeout and SelfHostedAttemptTimeout must be above zero");
        }

        if (r.MaxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), r.MaxConcurrency, "Resilience.MaxConcurrency must be at least 1");
        }

        if (r.RequestsPerMinute is < 1 || r.TokensPerMinute is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Resilience.RequestsPerMinute and TokensPerMinute must be at least 1 when set (null: no budget)");
        }

        if (r.BudgetUtilisation is <= 0 or > 1 || double.IsNaN(r.BudgetUtilisation))
        {
            throw new ArgumentOutOfRangeException(nameof(options), r.BudgetUtilisation, "Resilience.BudgetUtilisation must lie in (0, 1]");
        }

        if (options.Prices is null)
        {
            throw new ArgumentException("Prices must not be null", nameof(options));
        }
    }

#pragma warning disable CA2000 // Ownership passes down the chain: the built client disposes the router, endpoints, HTTP clients and handlers.
    /// <summary>The one composition of a hosted judge; see the class summary.</summary>
    private static IChatClient Compose(string provider, string? apiVersion, List<Uri> urls, HostedJudgeClientOptions options, Func<Uri, PipelineTransport, IChatClient> createSdkClient)
    {
        var settings = options.Resilience;
        var scrubber = new SecretScrubber([options.ApiKey, .. urls.SelectMany(UserInfoSecrets)]);
        var endpoints = new List<EndpointChatClient>();
        foreach (var url in urls)
        {
            var budget = new EndpointBudget(settings.RequestsPerMinute, settings.TokensPerMinute, settings.MaxConcurrency, settings.BudgetUtilisation, settings.AdaptiveConcurrency);
            var selfHosted = provider == "openai" && !IsProviderHost(url);
            var attemptTimeout = selfHosted ? settings.SelfHostedAttemptTimeout : settings.AttemptTimeout;
            var state = new EndpointState(Display(url), budget, soleEndpoint: urls.Count == 1, attemptTimeout);
            var primary = settings.PrimaryHandlerFactory?.Invoke() ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            var http = new HttpClient(new ResilienceHandler(state, settings, apiVersion, primary)) { Timeout = Timeout.InfiniteTimeSpan };
            var sdk = createSdkClient(url, new HttpClientPipelineTransport(http));
            if (selfHosted)
            {
                sdk = new VerbatimSchemaChatClient(sdk);
            }

            endpoints.Add(new EndpointChatClient(sdk, state, scrubber, settings.EnableRetries ? settings.MaxAttempts : 1, settings.CallDeadline, http, state));
        }

        var router = new EndpointRouterChatClient(endpoints, new ChatClientMetadata(provider, new Uri(Display(urls[0])), options.Model));
        var identity = string.Join('|', provider, string.Join(',', endpoints.Select(e => e.Endpoint.Name).Order(StringComparer.Ordinal)), options.Model, apiVersion ?? "default", "logprobs=" + options.LogProbabilities);

        var builder = new ChatClientBuilder(router);
        if (options.ConfigureOptions is { } configure)
        {
            builder.ConfigureOptions(configure);
        }

        if (options.CachePath is { } cachePath && options.CacheMode != CacheMode.Off)
        {
            builder.UseJudgeCache(OpenCache(cachePath, settings.TimeProvider), identity, options.CacheMode);
        }

        builder.UseOptionFallback();
        builder.UseCostMeter(options.CostMeter ?? new CostMeter(options.Prices, options.Model), options.Model);
        return builder.Build();
    }
#pragma warning restore CA2000

    private static SqliteResponseCache OpenCache(string path, TimeProvider clock)
    {
        if (Directory.Exists(path))
        {
            throw new InputException(path, null, "cache", $"the response cache is a directory; give a file path (e.g. {Path.Combine(path, "judge-cache.sqlite")})");
        }

        try
        {
            return new SqliteResponseCache(path, clock);
        }
        catch (CacheException ex)
        {
            throw new InputException(path, null, "cache", ex.Message, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, "cache", $"the cache file cannot be created: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Whether <paramref name="url"/> is a provider's own service (OpenAI's or Azure's hosts) rather than a self-hosted
    /// OpenAI-compatible server, which gets <see cref="HostedJudgeOptions.SelfHostedAttemptTimeout"/>.
    /// </summary>
    internal static bool IsProviderHost(Uri url)
    {
        var host = url.IdnHost;
        return host.Equals("openai.com", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".openai.com", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".azure.com", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".azure-api.net", StringComparison.OrdinalIgnoreCase);
    }

    private static string Display(Uri url) => $"{url.Scheme}://{url.Authority}{url.AbsolutePath.TrimEnd('/')}";

    /// <summary>The user information of a URL, raw and decoded, and its password alone, so messages can scrub them.</summary>
    private static IEnumerable<string?> UserInfoSecrets(Uri url)
    {
        if (string.IsNullOrEmpty(url.UserInfo))
        {
            yield break;
        }

        yield return url.UserInfo;
        yield return Uri.UnescapeDataString(url.UserInfo);
        var colon = url.UserInfo.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            yield return url.UserInfo[(colon + 1)..];
            yield return Uri.UnescapeDataString(url.UserInfo[(colon + 1)..]);
        }
    }
}

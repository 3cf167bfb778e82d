using System.Text.Json;
using Azure.Identity;
using Judge.Judging;
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
/// <item><c>rpm</c> (1-100000000), <c>tpm</c> (at least 1), <c>concurrency</c> (1-1024): budgets per endpoint;
/// <c>adaptive</c> = on | off (AIMD concurrency on 429s, default on);</item>
/// <item><c>timeout</c> (seconds per attempt, above 0, at most 86400; default 120 on OpenAI's and Azure's hosts, 600 on a
/// self-hosted server, see <see cref="HostedJudgeOptions.SelfHostedAttemptTimeout"/>), <c>deadline</c> (seconds a call may keep
/// retrying, above 0, at most 604800; default 600), <c>attempts</c> (an optional cap, 1-10000; default none);</item>
/// <item><c>cache</c> (a SQLite file; else <c>JUDGE_CACHE</c>), <c>cache_mode</c> = readwrite | refresh | off;</item>
/// <item><c>seed</c> (an integer), <c>max_tokens</c> (1-1000000), <c>temperature</c> (0-2), <c>format</c> = json | text,
/// <c>schema</c> (a JSON-schema file), <c>logprobs</c> (top-N, 0-20);</item>
/// <item><c>prices</c>: a YAML/JSON price table overriding <see cref="PriceTable.BuiltIn"/>;</item>
/// <item><c>batch</c> = on | off, <c>batch_poll</c>, <c>batch_requests</c>, <c>batch_mb</c>: the run engine sends the judge's calls
/// through the provider's batch service (see <see cref="HostedBatches"/>).</item>
/// </list>
/// Any other key is an <see cref="InputException"/> listing these. The user name and password of a URL are
/// used for the connection but never recorded: <see cref="JudgeSpec.Text"/> drops them and messages scrub them.
/// </summary>
public static class HostedChatClients
{
    /// <summary>The spec options an <c>openai:</c> judge takes.</summary>
    public static IReadOnlyList<string> OpenAIOptions { get; } =
        ["base_url", "rpm", "tpm", "concurrency", "adaptive", "attempts", "timeout", "deadline", "cache", "cache_mode", "seed", "max_tokens", "temperature", "format", "schema", "logprobs", "prices", .. HostedBatches.Options];

    /// <summary>The spec options an <c>azure:</c> judge takes.</summary>
    public static IReadOnlyList<string> AzureOptions { get; } =
        ["endpoint", "api_version", "auth", "rpm", "tpm", "concurrency", "adaptive", "attempts", "timeout", "deadline", "cache", "cache_mode", "seed", "max_tokens", "temperature", "format", "schema", "logprobs", "prices", .. HostedBatches.Options];

    /// <summary>Creates an <c>openai:</c> judge.</summary>
    /// <param name="spec">The judge spec.</param>
    /// <param name="options">Resilience settings; spec options override them. Defaults when <see langword="null"/>.</param>
    /// <param name="environment">Reads environment variables; <see cref="Environment.GetEnvironmentVariable(string)"/> when <see langword="null"/>.</param>
    public static IChatClient CreateOpenAI(JudgeSpec spec, HostedJudgeOptions? options = null, Func<string, string?>? environment = null) =>
        HostedJudges.BuildOpenAI(OpenAIOptionsOf(spec, options, environment));

    /// <summary>
    /// Checks an <c>openai:</c> spec as <see cref="CreateOpenAI"/> would (options, credentials, files it reads) without
    /// building a client, opening its cache or calling anything: a run checks its judges before it touches its output.
    /// </summary>
    /// <param name="spec">The judge spec.</param>
    /// <param name="environment">Reads environment variables; <see cref="Environment.GetEnvironmentVariable(string)"/> when <see langword="null"/>.</param>
    /// <exception cref="InputException">An option is unknown, out of range or names an unusable file.</exception>
    /// <exception cref="JudgeUnavailableException">No key or endpoint is set.</exception>
    public static void CheckOpenAI(JudgeSpec spec, Func<string, string?>? environment) => _ = OpenAIOptionsOf(spec, null, environment);

    /// <summary>Checks an <c>azure:</c> spec as <see cref="CreateAzure"/> would, building nothing (see <see cref="CheckOpenAI"/>).</summary>
    /// <param name="spec">The judge spec.</param>
    /// <param name="environment">Reads environment variables; <see cref="Environment.GetEnvironmentVariable(string)"/> when <see langword="null"/>.</param>
    /// <exception cref="InputException">An option is unknown, out of range or names an unusable file.</exception>
    /// <exception cref="JudgeUnavailableException">No key or endpoint is set.</exception>
    public static void CheckAzure(JudgeSpec spec, Func<string, string?>? environment) => _ = AzureOptionsOf(spec, null, environment, check: true);

    private static OpenAIJudgeOptions OpenAIOptionsOf(JudgeSpec spec, HostedJudgeOptions? options, Func<string, string?>? environment)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var env = environment ?? Environment.GetEnvironmentVariable;
        RejectSecrets(spec);
        spec.RequireKnownOptions(OpenAIOptions);
        HostedBatches.Check(spec);
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
        return FromSpec(new OpenAIJudgeOptions { Model = spec.Target, Endpoints = urls, ApiKey = key, Resilience = Settings(spec, options) }, spec);
    }

    /// <summary>Creates an <c>azure:</c> judge (the target is the deployment name).</summary>
    /// <param name="spec">The judge spec.</param>
    /// <param name="options">Resilience settings; spec options override them. Defaults when <see langword="null"/>.</param>
    /// <param name="environment">Reads environment variables; <see cref="Environment.GetEnvironmentVariable(string)"/> when <see langword="null"/>.</param>
    public static IChatClient CreateAzure(JudgeSpec spec, HostedJudgeOptions? options = null, Func<string, string?>? environment = null) =>
        HostedJudges.BuildAzure(AzureOptionsOf(spec, options, environment, check: false));

    private static AzureJudgeOptions AzureOptionsOf(JudgeSpec spec, HostedJudgeOptions? options, Func<string, string?>? environment, bool check)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var env = environment ?? Environment.GetEnvironmentVariable;
        RejectSecrets(spec);
        spec.RequireKnownOptions(AzureOptions);
        HostedBatches.Check(spec);
        var urls = Urls(spec.Option("endpoint") ?? env("JUDGE_AZURE_OPENAI_ENDPOINT") ?? env("AZURE_OPENAI_ENDPOINT"));
        if (urls.Count == 0)
        {
            throw new JudgeUnavailableException($"judge {spec.Text}: set AZURE_OPENAI_ENDPOINT or give ?endpoint=https://RESOURCE.openai.azure.com");
        }

        var entra = spec.ChoiceOption("auth", "key", "key", "entra") == "entra";
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
            // A check builds no credential: signing in is the run's business.
            Credential = entra && !check ? new DefaultAzureCredential() : null,
            ApiVersion = spec.Option("api_version") ?? env("AZURE_OPENAI_API_VERSION"),
            Resilience = Settings(spec, options),
        };
        return FromSpec(azure, spec);
    }

    /// <summary>The spec's cache, prices and request defaults, set on options the spec path built.</summary>
    private static T FromSpec<T>(T options, JudgeSpec spec)
        where T : HostedJudgeClientOptions
    {
        // Everything is read and checked before anything is opened, so a bad option is an input error, not a
        // failure in the middle of a run.
        var defaults = RequestDefaults(spec);
        var cache = CacheSettings(spec);
        if (cache is { } c)
        {
            CheckCachePath(spec, c.Path);
        }

        options.CachePath = cache?.Path;
        options.CacheMode = cache?.Mode ?? CacheMode.Off;
        options.Prices = spec.Option("prices") is { } pricePath ? PriceTable.BuiltIn.WithOverrides(pricePath) : PriceTable.BuiltIn;
        options.ConfigureOptions = defaults;
        options.LogProbabilities = spec.Option("logprobs");
        return options;
    }

    private static (string Path, CacheMode Mode)? CacheSettings(JudgeSpec spec)
    {
        var mode = spec.ChoiceOption("cache_mode", "readwrite", "readwrite", "on", "refresh", "off", "none")!.ToLowerInvariant() switch
        {
            "refresh" => CacheMode.Refresh,
            "off" or "none" => CacheMode.Off,
            _ => CacheMode.ReadWrite,
        };
        var path = spec.Option("cache");
        if (path is not null && string.IsNullOrWhiteSpace(path))
        {
            throw new InputException(null, null, "judge spec", $"option 'cache' in '{spec.Text}' is empty; give a file path");
        }

        return path is null || mode == CacheMode.Off ? null : (path, mode);
    }

    private static void CheckCachePath(JudgeSpec spec, string path)
    {
        if (Directory.Exists(path))
        {
            throw new InputException(path, null, "cache", $"the cache in '{spec.Text}' is a directory; give a file path (e.g. {Path.Combine(path, "judge-cache.sqlite")})");
        }
    }

    /// <summary>Reads the request options of a spec once, checked, and returns what applies them to each request.</summary>
    private static Action<ChatOptions> RequestDefaults(JudgeSpec spec)
    {
        var temperature = spec.DoubleOption("temperature", 0, 2);
        var seed = spec.IntOption("seed", int.MinValue, int.MaxValue);
        var maxTokens = spec.IntOption("max_tokens", 1, 1_000_000);
        var top = spec.IntOption("logprobs", 0, 20);
        var format = spec.ChoiceOption("format", null, "json", "text");
        ChatResponseFormat? responseFormat = null;
        if (spec.Option("schema") is { } schemaPath)
        {
            try
            {
                using var schema = JsonDocument.Parse(File.ReadAllText(schemaPath));
                responseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement.Clone(), Path.GetFileNameWithoutExtension(schemaPath));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
            {
                throw new InputException(schemaPath, null, "schema", $"the JSON schema in '{spec.Text}' cannot be read: {ex.Message}", ex);
            }
        }
        else if (format == "json")
        {
            responseFormat = ChatResponseFormat.Json;
        }

        return options =>
        {
            if (temperature is { } t)
            {
                options.Temperature = (float)t;
            }

            options.Seed ??= seed;
            if (maxTokens is { } max)
            {
                options.MaxOutputTokens = max;
            }

            options.ResponseFormat ??= responseFormat;
            if (top is { } n)
            {
                options.RawRepresentationFactory ??= _ => new ChatCompletionOptions { IncludeLogProbabilities = true, TopLogProbabilityCount = n };
            }
        };
    }

    private static HostedJudgeOptions Settings(JudgeSpec spec, HostedJudgeOptions? given)
    {
        var o = given ?? new HostedJudgeOptions();
        var timeout = spec.SecondsOption("timeout", TimeSpan.FromDays(1).TotalSeconds);
        var copy = new HostedJudgeOptions
        {
            MaxAttempts = spec.IntOption("attempts", o.MaxAttempts, 1, 10_000),
            CallDeadline = spec.SecondsOption("deadline", TimeSpan.FromDays(7).TotalSeconds) ?? o.CallDeadline,
            AdaptiveConcurrency = spec.ChoiceOption("adaptive", null, "on", "off", "true", "false") is { } adaptive ? adaptive is "on" or "true" : o.AdaptiveConcurrency,
            BaseDelay = o.BaseDelay,
            MaxDelay = o.MaxDelay,
            MaxRetryAfter = o.MaxRetryAfter,
            AttemptTimeout = timeout ?? o.AttemptTimeout,
            SelfHostedAttemptTimeout = timeout ?? o.SelfHostedAttemptTimeout,
            RequestsPerMinute = spec.IntOption("rpm", 1, 100_000_000) ?? o.RequestsPerMinute,
            TokensPerMinute = spec.IntOption("tpm", 1, int.MaxValue) ?? o.TokensPerMinute,
            MaxConcurrency = spec.IntOption("concurrency", o.MaxConcurrency, 1, 1024),
            BudgetUtilisation = Math.Clamp(o.BudgetUtilisation, 0.01, 1.0),
            CircuitFailureRatio = o.CircuitFailureRatio,
            CircuitMinimumThroughput = o.CircuitMinimumThroughput,
            CircuitSamplingDuration = o.CircuitSamplingDuration,
            CircuitBreakDuration = o.CircuitBreakDuration,
            EnableRetries = o.EnableRetries,
            TimeProvider = o.TimeProvider,
            PrimaryHandlerFactory = o.PrimaryHandlerFactory,
            UnreachableAfter = o.UnreachableAfter,
        };
        if (copy.MaxAttempts < 1 || copy.MaxConcurrency < 1 || copy.AttemptTimeout <= TimeSpan.Zero || copy.SelfHostedAttemptTimeout <= TimeSpan.Zero || copy.CallDeadline <= TimeSpan.Zero
            || copy.RequestsPerMinute is < 1 || copy.TokensPerMinute is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(given), "attempts, concurrency, budgets and timeouts must be positive");
        }

        return copy;
    }

    private static void RejectSecrets(JudgeSpec spec)
    {
        // The spec ends up in results and logs as the judge id, so a key must never ride in it. The value is not echoed.
        if (spec.Options.Keys.FirstOrDefault(JudgeSpec.IsSecretLike) is { } name)
        {
            throw new InputException(null, null, "judge spec", $"option '{name}' looks like a credential; keys are read only from environment variables (OPENAI_API_KEY, AZURE_OPENAI_API_KEY), never from the judge spec");
        }
    }

    private static List<Uri> Urls(string? text)
    {
        var urls = new List<Uri>();
        foreach (var part in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new InputException(null, null, "judge spec", $"'{JudgeSpec.Redact(part)}' is not an http(s) URL");
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

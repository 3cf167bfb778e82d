using System.Globalization;
using System.Net;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Judge.Providers.Hosted;

/// <summary>
/// The one retry layer, at the HTTP level under the SDK (whose own retries are off): each attempt draws
/// from the endpoint's budget, runs under a per-attempt timeout, and transient outcomes (408, 429, 5xx,
/// <see cref="HttpRequestException"/>, timeouts) are retried with exponential backoff and jitter, or after
/// the server's <c>Retry-After</c>. A circuit breaker per endpoint stops hammering one that keeps failing.
/// The caller's cancellation is never retried.
/// </summary>
internal sealed class ResilienceHandler : DelegatingHandler
{
    private readonly EndpointState _endpoint;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ResiliencePipeline _attemptTimeout;
    private readonly string? _apiVersion;

    public ResilienceHandler(EndpointState endpoint, HostedJudgeOptions options, string? apiVersion, HttpMessageHandler inner)
        : base(inner)
    {
        _endpoint = endpoint;
        _apiVersion = apiVersion;
        _pipeline = BuildPipeline(endpoint, options);
        _attemptTimeout = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider }
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>The server's requested wait: <c>retry-after-ms</c>, <c>Retry-After</c> seconds or HTTP date.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider clock)
    {
        if (response is null)
        {
            return null;
        }

        if (response.Headers.TryGetValues("retry-after-ms", out var ms)
            && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0)
        {
            return TimeSpan.FromMilliseconds(millis);
        }

        return response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
            { Date: { } date } => date - clock.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Buffer the body once: every attempt sends a fresh copy, and its length is the token estimate.
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var contentHeaders = request.Content?.Headers.ToList();
        var uri = _apiVersion is null ? request.RequestUri : WithApiVersion(request.RequestUri!, _apiVersion);
        var estimatedTokens = body is null ? 1 : (body.Length / 4) + 1;

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        var (self, request, body, contentHeaders, uri, tokens) = state;
                        using var lease = await self._endpoint.Budget.AcquireAsync(tokens, ctx.CancellationToken).ConfigureAwait(false);
                        Interlocked.Increment(ref self._endpoint.AttemptCount);
                        using var attempt = Clone(request, uri, body, contentHeaders);
                        var response = await self._attemptTimeout.ExecuteAsync(
                            static (s, ct) => new ValueTask<HttpResponseMessage>(s.self.SendInner(s.attempt, ct)),
                            (self, attempt),
                            ctx.CancellationToken).ConfigureAwait(false);
                        return Outcome.FromResult(response);
                    }
                    catch (Exception ex)
                    {
                        return Outcome.FromException<HttpResponseMessage>(ex);
                    }
                },
                context,
                (this, request, body, contentHeaders, uri, estimatedTokens)).ConfigureAwait(false);
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private Task<HttpResponseMessage> SendInner(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    private static ResiliencePipeline<HttpResponseMessage> BuildPipeline(EndpointState endpoint, HostedJudgeOptions options)
    {
        var clock = options.TimeProvider;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = clock };
        if (options.EnableRetries && options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(IsRetryable(args.Outcome, args.Context.CancellationToken)),
                DelayGenerator = args =>
                {
                    var wait = RetryAfter(args.Outcome.Result, clock);
                    return ValueTask.FromResult(wait is { } w ? (TimeSpan?)(w > options.MaxRetryAfter ? options.MaxRetryAfter : w) : null);
                },
                OnRetry = _ =>
                {
                    Interlocked.Increment(ref endpoint.RetryCount);
                    return ValueTask.CompletedTask;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            FailureRatio = options.CircuitFailureRatio,
            MinimumThroughput = Math.Max(2, options.CircuitMinimumThroughput),
            SamplingDuration = options.CircuitSamplingDuration,
            BreakDuration = options.CircuitBreakDuration,
            StateProvider = endpoint.Circuit,

            // A 429 says the endpoint is alive and busy; the retry honours its Retry-After instead of breaking.
            ShouldHandle = args => ValueTask.FromResult(
                IsRetryable(args.Outcome, args.Context.CancellationToken) && args.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests),
        });

        return builder.Build();
    }

    private static bool IsRetryable(Outcome<HttpResponseMessage> outcome, CancellationToken callerToken) => outcome switch
    {
        { Exception: OperationCanceledException } => false,
        { Exception: BrokenCircuitException } => false,
        { Exception: TimeoutRejectedException or HttpRequestException or IOException } => !callerToken.IsCancellationRequested,
        { Exception: not null } => false,
        { Result: { } r } => IsTransient(r.StatusCode),
        _ => false,
    };

    private static HttpRequestMessage Clone(HttpRequestMessage request, Uri? uri, byte[]? body, List<KeyValuePair<string, IEnumerable<string>>>? contentHeaders)
    {
        var copy = new HttpRequestMessage(request.Method, uri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var header in request.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            foreach (var header in contentHeaders!)
            {
                copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        foreach (var option in request.Options)
        {
            ((IDictionary<string, object?>)copy.Options)[option.Key] = option.Value;
        }

        return copy;
    }

    private static Uri WithApiVersion(Uri uri, string apiVersion)
    {
        var builder = new UriBuilder(uri);
        var parts = builder.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.StartsWith("api-version=", StringComparison.OrdinalIgnoreCase))
            .Append("api-version=" + Uri.EscapeDataString(apiVersion));
        builder.Query = string.Join('&', parts);
        return builder.Uri;
    }
}

/// <summary>One endpoint's shared state: its budget, circuit and counters. Thread-safe.</summary>
internal sealed class EndpointState : IDisposable
{
#pragma warning disable CA1051 // Counters are fields so Interlocked can update them.
    public int InFlight;
    public int AttemptCount;
    public int RetryCount;
#pragma warning restore CA1051

    public EndpointState(string name, EndpointBudget budget)
    {
        Name = name;
        Budget = budget;
    }

    /// <summary>The endpoint as shown in messages: scheme, host, port and path, never credentials.</summary>
    public string Name { get; }

    public EndpointBudget Budget { get; }

    public CircuitBreakerStateProvider Circuit { get; } = new();

    public bool IsOpen => Circuit.CircuitState is CircuitState.Open or CircuitState.Isolated;

    public void Dispose() => Budget.Dispose();
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Judge.Providers.Hosted;

/// <summary>
/// The one retry layer, at the HTTP level under the SDK (whose own retries are off): each attempt draws
/// from the endpoint's budget, runs under a per-attempt timeout, and transient outcomes (408, 429, 5xx,
/// timeouts, resets, a body cut short or not complete JSON) are retried with jittered exponential backoff,
/// or after the server's <c>Retry-After</c>, until the call's deadline (<see cref="HostedJudgeOptions.CallDeadline"/>)
/// rather than for a fixed number of attempts. 429s lower the endpoint's concurrency (AIMD). A circuit breaker
/// per endpoint stops hammering one that keeps failing; a sole endpoint's open circuit is waited out within
/// the deadline. Permanent failures (400, 401, 403, 404, …) are returned at once. The caller's cancellation
/// is never retried. What happened is written to the call's <see cref="CallTrace"/>.
/// </summary>
internal sealed class ResilienceHandler : DelegatingHandler
{
    private static readonly ResiliencePropertyKey<long> StartKey = new("judge.call-start");

    private readonly EndpointState _endpoint;
    private readonly HostedJudgeOptions _options;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ResiliencePipeline _attemptTimeout;
    private readonly string? _apiVersion;

    public ResilienceHandler(EndpointState endpoint, HostedJudgeOptions options, string? apiVersion, HttpMessageHandler inner)
        : base(inner)
    {
        _endpoint = endpoint;
        _options = options;
        _apiVersion = apiVersion;
        _pipeline = BuildPipeline(endpoint, options);
        _attemptTimeout = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider }
            .AddTimeout(endpoint.AttemptTimeout)
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
            && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0 && double.IsFinite(millis))
        {
            return TimeSpan.FromMilliseconds(Math.Min(millis, TimeSpan.FromDays(1).TotalMilliseconds));
        }

        return response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
            { Date: { } date } => date - clock.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };
    }

    /// <summary>What an outcome was, in words for a message: "HTTP 429 (TooManyRequests)", "the response body was cut short …".</summary>
    public static string Describe(Outcome<HttpResponseMessage> outcome, TimeSpan attemptTimeout) => outcome switch
    {
        { Exception: TimeoutRejectedException } => $"no answer within the attempt timeout of {Seconds(attemptTimeout)} (spec option timeout=SECONDS)",
        { Exception: TruncatedResponseException t } => t.Message,
        { Exception: BrokenCircuitException } => "the endpoint's circuit is open after repeated failures",
        { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } h } => $"the response ended before it was complete ({h.Message})",
        { Exception: { } ex } when IsReset(ex) => $"the connection was reset ({Innermost(ex).Message})",
        { Exception: HttpRequestException { HttpRequestError: var error } h } => $"the request failed ({error}: {Innermost(h).Message})",
        { Exception: { } ex } => $"{ex.GetType().Name}: {Innermost(ex).Message}",
        { Result: { } r } => $"HTTP {(int)r.StatusCode} ({r.StatusCode})",
        _ => "no outcome",
    };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Buffer the body once: every attempt sends a fresh copy, and its length is the token estimate.
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var contentHeaders = request.Content?.Headers.ToList();
        var uri = _apiVersion is null ? request.RequestUri : WithApiVersion(request.RequestUri!, _apiVersion);
        var estimatedTokens = body is null ? 1 : (body.Length / 4) + 1;
        var trace = CallTrace.Current ?? new CallTrace();
        var clock = _options.TimeProvider;

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(StartKey, clock.GetTimestamp());
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    var (self, request, body, contentHeaders, uri, tokens, trace) = state;
                    if (self._endpoint.Unreachable is { } down)
                    {
                        return Outcome.FromException<HttpResponseMessage>(down);
                    }

                    try
                    {
                        using var lease = await self._endpoint.Budget.AcquireAsync(tokens, ctx.CancellationToken).ConfigureAwait(false);
                        Interlocked.Increment(ref self._endpoint.AttemptCount);
                        Interlocked.Increment(ref trace.Attempts);
                        using var attempt = Clone(request, uri, body, contentHeaders);
                        var response = await self._attemptTimeout.ExecuteAsync(
                            static async (s, ct) =>
                            {
                                var response = await s.self.SendInner(s.attempt, ct).ConfigureAwait(false);
                                await CheckBody(response, ct).ConfigureAwait(false);
                                return response;
                            },
                            (self, attempt),
                            ctx.CancellationToken).ConfigureAwait(false);
                        self._endpoint.MarkAnswered();
                        if (response.StatusCode == HttpStatusCode.TooManyRequests)
                        {
                            lease.Throttled();
                        }
                        else if (response.IsSuccessStatusCode)
                        {
                            lease.Succeeded();
                        }

                        return Outcome.FromResult(response);
                    }
                    catch (Exception ex)
                    {
                        if (IsConnectionError(ex))
                        {
                            self._endpoint.NoteConnectionFailure(self._options.TimeProvider);
                        }

                        return Outcome.FromException<HttpResponseMessage>(ex);
                    }
                },
                context,
                (this, request, body, contentHeaders, uri, estimatedTokens, trace)).ConfigureAwait(false);
            trace.Elapsed = clock.GetElapsedTime(context.Properties.GetValue(StartKey, clock.GetTimestamp()));
            trace.LastOutcome = Describe(outcome, _endpoint.AttemptTimeout);
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// Reads a successful, non-streamed body in full inside the attempt, so a body cut short or JSON cut off
    /// is a retryable failure of this attempt instead of an unreadable completion after it.
    /// </summary>
    private static async Task CheckBody(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType is "text/event-stream")
        {
            return;
        }

        byte[] bytes;
        try
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            var declared = response.Content.Headers.ContentLength is { } n ? $" of the {n.ToString(CultureInfo.InvariantCulture)} bytes declared" : string.Empty;
            response.Dispose();
            throw new TruncatedResponseException($"the response body was cut short before all{declared} arrived ({Innermost(ex).Message})", ex);
        }

        if (response.Content.Headers.ContentType?.MediaType is { } media && media.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                using var _ = JsonDocument.Parse(bytes);
            }
            catch (JsonException ex)
            {
                response.Dispose();
                throw new TruncatedResponseException($"the response body ({bytes.Length.ToString(CultureInfo.InvariantCulture)} bytes) is not complete JSON: {ex.Message}", ex);
            }
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
            TimeSpan Remaining(ResilienceContext context) =>
                options.CallDeadline - clock.GetElapsedTime(context.Properties.GetValue(StartKey, clock.GetTimestamp()));

            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxAttempts == int.MaxValue ? int.MaxValue : options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args =>
                {
                    if (GivesUp(endpoint, options, args.Outcome))
                    {
                        return ValueTask.FromResult(false);
                    }

                    if (!IsRetryable(args.Outcome, endpoint.SoleEndpoint, args.Context.CancellationToken))
                    {
                        return ValueTask.FromResult(false);
                    }

                    // Retry until the deadline; a server that asks for a wait past it ends the call now.
                    var remaining = Remaining(args.Context);
                    var asked = RetryAfter(args.Outcome.Result, clock) is { } retryAfter ? Min(retryAfter, options.MaxRetryAfter)
                        : args.Outcome.Exception is BrokenCircuitException broken ? broken.RetryAfter ?? options.CircuitBreakDuration
                        : TimeSpan.Zero;
                    return ValueTask.FromResult(remaining > TimeSpan.Zero && asked < remaining);
                },
                DelayGenerator = args =>
                {
                    var remaining = Remaining(args.Context);
                    TimeSpan? wait = RetryAfter(args.Outcome.Result, clock) is { } w ? Min(w, options.MaxRetryAfter)
                        : args.Outcome.Exception is BrokenCircuitException { RetryAfter: { } open } ? open
                        : args.Outcome.Exception is BrokenCircuitException ? options.CircuitBreakDuration
                        : null;

                    // Polly's own jittered exponential delay, kept inside the deadline; an endpoint that never answered is
                    // tried again no later than when it is given up on, so a service that is down is named on time.
                    wait ??= Backoff(options, args.AttemptNumber);
                    if (!endpoint.Answered && endpoint.SoleEndpoint && endpoint.FailingFor(clock) is { } failing && IsConnectionError(args.Outcome.Exception))
                    {
                        wait = Min(wait.Value, options.UnreachableAfter - failing > TimeSpan.Zero ? options.UnreachableAfter - failing : TimeSpan.Zero);
                    }

                    return ValueTask.FromResult<TimeSpan?>(Min(wait.Value, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero));
                },
                OnRetry = args =>
                {
                    Interlocked.Increment(ref endpoint.RetryCount);
                    if (CallTrace.Current is { } trace)
                    {
                        trace.LastOutcome = Describe(args.Outcome, endpoint.AttemptTimeout);
                    }

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
                IsRetryable(args.Outcome, false, args.Context.CancellationToken) && args.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests),
        });

        return builder.Build();
    }

    /// <summary>
    /// Whether to stop retrying because the endpoint is down: the judge's only endpoint has never answered and has failed
    /// with connection errors for <see cref="HostedJudgeOptions.UnreachableAfter"/>; it is then marked unreachable, and
    /// every call to it fails at once with a <see cref="JudgeUnreachableException"/> naming it and the error.
    /// </summary>
    private static bool GivesUp(EndpointState endpoint, HostedJudgeOptions options, Outcome<HttpResponseMessage> outcome)
    {
        if (outcome.Exception is JudgeUnreachableException)
        {
            return true;
        }

        if (!endpoint.SoleEndpoint || endpoint.Answered || !IsConnectionError(outcome.Exception) || endpoint.FailingFor(options.TimeProvider) is not { } failing || failing < options.UnreachableAfter)
        {
            return false;
        }

        var seconds = failing.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        endpoint.MarkUnreachable(new JudgeUnreachableException(
            endpoint.Name,
            $"{endpoint.Name} never answered: {Innermost(outcome.Exception!).Message} ({ConnectionErrorName(outcome.Exception!)}) on every attempt for {seconds} s; is the server running at that address? Stopped; resume the run once it answers"));
        return true;
    }

    /// <summary>Whether a failure is the connection itself: refused, unresolvable, unreachable (no HTTP answer of any kind).</summary>
    internal static bool IsConnectionError(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError }
                || e is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.NetworkDown or SocketError.TryAgain or SocketError.NoData })
            {
                return true;
            }
        }

        return false;
    }

    private static string ConnectionErrorName(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException s)
            {
                return s.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : s.SocketErrorCode.ToString();
            }
        }

        return ex is HttpRequestException { HttpRequestError: var error } ? error.ToString() : ex.GetType().Name;
    }

    /// <summary>Exponential from <see cref="HostedJudgeOptions.BaseDelay"/>, capped, with "equal jitter" (half fixed, half random).</summary>
    private static TimeSpan Backoff(HostedJudgeOptions options, int attemptNumber)
    {
        var exponential = options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attemptNumber, 30));
        var capped = Math.Min(exponential, options.MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static bool IsRetryable(Outcome<HttpResponseMessage> outcome, bool waitOutCircuit, CancellationToken callerToken) => outcome switch
    {
        { Exception: OperationCanceledException } => false,
        { Exception: BrokenCircuitException } => waitOutCircuit && !callerToken.IsCancellationRequested,
        { Exception: TimeoutRejectedException or HttpRequestException or IOException } => !callerToken.IsCancellationRequested,
        { Exception: not null } => false,
        { Result: { } r } => IsTransient(r.StatusCode),
        _ => false,
    };

    private static bool IsReset(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown })
            {
                return true;
            }
        }

        return false;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    private static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.###} s");

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

    public EndpointState(string name, EndpointBudget budget, bool soleEndpoint = false, TimeSpan? attemptTimeout = null)
    {
        Name = name;
        Budget = budget;
        SoleEndpoint = soleEndpoint;
        AttemptTimeout = attemptTimeout ?? new HostedJudgeOptions().AttemptTimeout;
    }

    /// <summary>
    /// The timeout of one attempt here: <see cref="HostedJudgeOptions.AttemptTimeout"/> on a provider's host,
    /// <see cref="HostedJudgeOptions.SelfHostedAttemptTimeout"/> on a self-hosted server.
    /// </summary>
    public TimeSpan AttemptTimeout { get; }

    /// <summary>Whether this is the judge's only endpoint: with nowhere to fail over to, an open circuit is waited out.</summary>
    public bool SoleEndpoint { get; }

    /// <summary>The endpoint as shown in messages: scheme, host, port and path, never credentials.</summary>
    public string Name { get; }

    public EndpointBudget Budget { get; }

    public CircuitBreakerStateProvider Circuit { get; } = new();

    public bool IsOpen => Circuit.CircuitState is CircuitState.Open or CircuitState.Isolated;

    private int _answered;
    private long _firstConnectionFailure;
    private JudgeUnreachableException? _unreachable;

    /// <summary>Whether the endpoint has ever answered (with any HTTP status).</summary>
    public bool Answered => Volatile.Read(ref _answered) == 1;

    /// <summary>Set when the endpoint was given up on: it never answered, and connection errors lasted too long.</summary>
    public JudgeUnreachableException? Unreachable => Volatile.Read(ref _unreachable);

    public void MarkAnswered() => Volatile.Write(ref _answered, 1);

    /// <summary>Notes a connection error; the first one starts the clock of <see cref="FailingFor"/>.</summary>
    public void NoteConnectionFailure(TimeProvider clock) => Interlocked.CompareExchange(ref _firstConnectionFailure, clock.GetTimestamp(), 0);

    /// <summary>How long since the first connection error, or <see langword="null"/> when there was none.</summary>
    public TimeSpan? FailingFor(TimeProvider clock) => Interlocked.Read(ref _firstConnectionFailure) is var first and not 0 ? clock.GetElapsedTime(first) : null;

    public void MarkUnreachable(JudgeUnreachableException down) => Interlocked.CompareExchange(ref _unreachable, down, null);

    public void Dispose() => Budget.Dispose();
}

/// <summary>A successful answer whose body was cut short or is not complete JSON; retried like a reset.</summary>
internal sealed class TruncatedResponseException : IOException
{
    public TruncatedResponseException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// What happened to one call at the HTTP layer (attempts, time spent, the last outcome), so the error a
/// caller sees says what happened. Set by <see cref="EndpointChatClient"/> around each call and filled by
/// <see cref="ResilienceHandler"/> in the same async flow.
/// </summary>
internal sealed class CallTrace
{
    private static readonly AsyncLocal<CallTrace?> Ambient = new();

#pragma warning disable CA1051 // Interlocked updates it.
    public int Attempts;
#pragma warning restore CA1051

    public static CallTrace? Current
    {
        get => Ambient.Value;
        set => Ambient.Value = value;
    }

    public TimeSpan Elapsed { get; set; }

    public string? LastOutcome { get; set; }
}

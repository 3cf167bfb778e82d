namespace Judge.Providers.Hosted;

/// <summary>
/// Resilience and budget settings for a hosted judge. One instance configures every endpoint of a judge;
/// budgets apply to each endpoint separately. Not thread-safe to mutate once a client is built.
/// </summary>
public sealed class HostedJudgeOptions
{
    /// <summary>
    /// An optional cap on attempts per request on one endpoint, the first included (spec option <c>attempts</c>).
    /// Default <see cref="int.MaxValue"/>: no cap, retries are bounded by <see cref="CallDeadline"/> instead, because
    /// a 429 storm at the start of a big run is normal and giving up after a fixed count loses paid-for work.
    /// </summary>
    public int MaxAttempts { get; set; } = int.MaxValue;

    /// <summary>
    /// How long one call may keep retrying transient failures (408, 429, 5xx, timeouts, resets, bodies cut short)
    /// on one endpoint, measured from its first attempt (spec option <c>deadline</c>, in seconds). No new attempt
    /// starts after it, and a <c>Retry-After</c> that reaches past it ends the call at once. Default 10 minutes.
    /// </summary>
    public TimeSpan CallDeadline { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Whether the number of requests in flight per endpoint adapts to the server (spec option <c>adaptive</c>):
    /// sustained 429s (two in a row) halve it (at most once per generation of requests, never below 1), each success raises it by
    /// 1/limit (one per limit's worth of successes) back up to <see cref="MaxConcurrency"/>. Default on.
    /// </summary>
    public bool AdaptiveConcurrency { get; set; } = true;

    /// <summary>The first retry's base delay; it doubles per attempt, with jitter. Default 1 s.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest computed backoff. Default 30 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest <c>Retry-After</c> honoured; a longer one is capped to this. Default 60 s.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The timeout of one attempt (the whole request, not the rate-limit wait before it) on a provider's own host
    /// (api.openai.com, Azure OpenAI) and on every endpoint of an <c>azure:</c> judge. Default 120 s. Spec option
    /// <c>timeout</c> sets this and <see cref="SelfHostedAttemptTimeout"/> alike.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// The timeout of one attempt on a self-hosted OpenAI-compatible server (an <c>openai:</c> endpoint whose host is
    /// not OpenAI's or Azure's: llama.cpp's llama-server, vLLM, Ollama). Default 600 s. Such a server queues the
    /// requests it has no free slot for and answers a non-streamed completion only when it is finished, so the client
    /// cannot tell time queued from time generating (there is no first byte to time); 120 s counted from the send
    /// cancelled queued requests that were about to be served, and their retries started over at the back of the queue.
    /// </summary>
    public TimeSpan SelfHostedAttemptTimeout { get; set; } = TimeSpan.FromSeconds(600);

    /// <summary>Requests per minute allowed per endpoint, counted per attempt. Default none (unlimited).</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>
    /// Prompt tokens per minute allowed per endpoint, estimated before the call as request-body characters / 4.
    /// Default none (unlimited).
    /// </summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>
    /// The share of <see cref="RequestsPerMinute"/> and <see cref="TokensPerMinute"/> actually paced, so
    /// clock jitter between client and server never tips a window over the limit. Default 0.98.
    /// </summary>
    public double BudgetUtilisation { get; set; } = 0.98;

    /// <summary>The most requests in flight per endpoint (spec option <c>concurrency</c>). Default 16.</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>The failure ratio over <see cref="CircuitSamplingDuration"/> that opens an endpoint's circuit. Default 0.5.</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts needed in the sampling window before the circuit may open. Default 20.</summary>
    public int CircuitMinimumThroughput { get; set; } = 20;

    /// <summary>The window over which failures are counted. Default 30 s.</summary>
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit stays open before one trial request. Default 15 s.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Whether the Polly retry layer is used at all. Default <see langword="true"/>; off only for
    /// measurements of what the layer buys.
    /// </summary>
    public bool EnableRetries { get; set; } = true;

    /// <summary>
    /// How long a judge's only endpoint may fail with connection errors (refused, unresolvable, unreachable) before it has
    /// ever answered: past this, the call stops retrying and fails with a <see cref="JudgeUnreachableException"/> that names
    /// the endpoint and the error, and every later call fails at once, so a run against a service that is down stops
    /// within this time instead of retrying until <see cref="CallDeadline"/>. An endpoint that has answered once is
    /// retried as before. Default 30 s.
    /// </summary>
    public TimeSpan UnreachableAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock for backoff, timeouts and the circuit breaker. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// The HTTP handler at the bottom of each endpoint's stack. Default: a new <see cref="SocketsHttpHandler"/>
    /// per endpoint. Tests replace it to inject faults.
    /// </summary>
    public Func<HttpMessageHandler>? PrimaryHandlerFactory { get; set; }
}

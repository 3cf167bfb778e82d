using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Judge.Providers.Hosted;

/// <summary>
/// Wraps one endpoint's SDK client: counts calls in flight, turns every SDK failure into a
/// <see cref="ProviderException"/> with a plain cause and no secrets, and refuses answers that carry no
/// verdict (content filter, no choices, no text) instead of passing an empty string on to the parser.
/// </summary>
internal sealed class EndpointChatClient : DelegatingChatClient
{
    private readonly SecretScrubber _scrubber;
    private readonly int _maxAttempts;
    private readonly TimeSpan _deadline;
    private readonly IDisposable[] _owned;

    public EndpointChatClient(IChatClient inner, EndpointState endpoint, SecretScrubber scrubber, int maxAttempts, params IDisposable[] owned)
        : this(inner, endpoint, scrubber, maxAttempts, TimeSpan.FromMinutes(10), owned)
    {
    }

    public EndpointChatClient(IChatClient inner, EndpointState endpoint, SecretScrubber scrubber, int maxAttempts, TimeSpan deadline, params IDisposable[] owned)
        : base(inner)
    {
        Endpoint = endpoint;
        _scrubber = scrubber;
        _maxAttempts = maxAttempts;
        _deadline = deadline;
        _owned = owned;
    }

    public EndpointState Endpoint { get; }

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Endpoint.InFlight);
        var trace = new CallTrace();
        CallTrace.Current = trace;
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(ex, trace);
        }
        finally
        {
            Interlocked.Decrement(ref Endpoint.InFlight);
        }

        Validate(response);
        LogProbabilities.Copy(response);
        return response;
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var trace = new CallTrace();
        CallTrace.Current = trace;
        var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }

                    update = updates.Current;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    throw Translate(ex, trace);
                }

                yield return update;
            }
        }
        finally
        {
            await updates.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            foreach (var owned in _owned)
            {
                owned.Dispose();
            }
        }
    }

    internal Exception Translate(Exception ex, CallTrace? trace = null)
    {
        // An endpoint given up on stops the run: not an item's error, not something another endpoint could answer.
        if (ex is JudgeUnreachableException || Endpoint.Unreachable is { } down && ResilienceHandler.IsConnectionError(ex))
        {
            return ex as JudgeUnreachableException ?? Endpoint.Unreachable!;
        }

        var name = Endpoint.Name;
        var tried = Tried(trace);
        switch (ex)
        {
            case ProviderException p:
                return p;
            case BrokenCircuitException:
                return new ProviderException(ProviderFailure.CircuitOpen, name, $"{name}: circuit open after repeated failures; not calling it until the break ends{tried}");
            case TimeoutRejectedException:
                return new ProviderException(ProviderFailure.RetriesExhausted, name, $"{name}: no answer within the attempt timeout of {Endpoint.AttemptTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (spec option timeout=SECONDS){tried}");
            case ClientResultException { Status: var status } cre when status > 0:
            {
                var code = (HttpStatusCode)status;
                var transient = ResilienceHandler.IsTransient(code);
                var detail = _scrubber.Scrub(ErrorDetail(cre));
                var message = transient
                    ? $"{name}: HTTP {status} ({code}){tried}: {detail}"
                    : $"{name}: HTTP {status} ({code}), a permanent failure, not retried: {detail}";
                return new ProviderException(transient ? ProviderFailure.RetriesExhausted : ProviderFailure.HttpError, name, message, code);
            }

            case ClientResultException or HttpRequestException or IOException:
            {
                // Name what happened: a body cut short is not a connection that failed.
                var cause = Find<TruncatedResponseException>(ex) is { } t ? t.Message
                    : trace?.LastOutcome is { } last && !last.StartsWith("HTTP ", StringComparison.Ordinal) ? last
                    : $"the connection failed ({Innermost(ex).Message})";
                return new ProviderException(ProviderFailure.RetriesExhausted, name, _scrubber.Scrub($"{name}: {cause}{tried}"));
            }

            case ArgumentOutOfRangeException:
                // The SDK reads choices[0] unconditionally; an empty choices array surfaces as an index error.
                return new ProviderException(ProviderFailure.MalformedResponse, name, $"{name}: the response has no choices ({ex.GetType().Name}: {_scrubber.Scrub(ex.Message)})");
            default:
                // The SDK could not read what came back: a complete JSON body that is not a chat completion.
                return new ProviderException(ProviderFailure.MalformedResponse, name, $"{name}: the response is not a readable chat completion ({ex.GetType().Name}: {_scrubber.Scrub(ex.Message)})");
        }
    }

    /// <summary>
    /// What a provider said about an HTTP error, on one line: the JSON error body's type and message (OpenAI's
    /// <c>{"error": {"type", "message"}}</c>, or a plain <c>{"error": "…"}</c>), else the SDK's message; whitespace and
    /// line breaks collapsed, at most 400 characters.
    /// </summary>
    internal static string ErrorDetail(ClientResultException cre)
    {
        string? text = null;
        try
        {
            if (cre.GetRawResponse()?.Content is { } content && content.ToMemory().Length > 0)
            {
                using var doc = System.Text.Json.JsonDocument.Parse(content.ToMemory());
                if (doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error))
                {
                    text = error.ValueKind switch
                    {
                        System.Text.Json.JsonValueKind.String => error.GetString(),
                        System.Text.Json.JsonValueKind.Object => string.Join(": ", new[] { Text(error, "type") ?? Text(error, "code"), Text(error, "message") }.Where(t => !string.IsNullOrWhiteSpace(t))),
                        _ => null,
                    };
                }
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            // Not JSON: the SDK's message says what there is.
        }

        var line = string.Join(' ', (string.IsNullOrWhiteSpace(text) ? cre.Message : text!).Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= 400 ? line : line[..399] + "…";
    }

    private static string? Text(System.Text.Json.JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            System.Text.Json.JsonValueKind.String => value.GetString(),
            System.Text.Json.JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    private string Tried(CallTrace? trace)
    {
        if (trace is null || trace.Attempts == 0)
        {
            return string.Empty;
        }

        var seconds = trace.Elapsed.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        var bound = trace.Attempts >= _maxAttempts ? $"the attempt cap of {_maxAttempts}" : $"the call deadline of {_deadline.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";
        return trace.Attempts == 1 && _maxAttempts == 1
            ? " (1 attempt, retries off)"
            : $" after {trace.Attempts} attempt(s) over {seconds} s ({bound} reached or the server asked to wait past it)";
    }

    private static T? Find<T>(Exception ex)
        where T : Exception
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is T t)
            {
                return t;
            }
        }

        return null;
    }

    private void Validate(ChatResponse response)
    {
        var name = Endpoint.Name;
        if (response.FinishReason == ChatFinishReason.ContentFilter)
        {
            throw new ProviderException(ProviderFailure.ContentFiltered, name, $"{name}: the provider's content filter withheld the answer (finish reason content_filter)");
        }

        if (response.Messages.Count == 0 || (string.IsNullOrEmpty(response.Text) && !response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Any()))
        {
            var reason = response.FinishReason is { } r ? $" (finish reason {r.Value})" : string.Empty;
            throw new ProviderException(ProviderFailure.MalformedResponse, name, $"{name}: the response has no choices or no text{reason}");
        }
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }
}

/// <summary>Removes known secrets from text that may reach a message, a log or a result file.</summary>
internal sealed class SecretScrubber
{
    private readonly string[] _secrets;

    public SecretScrubber(IEnumerable<string?> secrets) =>
        _secrets = secrets.Where(s => !string.IsNullOrEmpty(s) && s.Length >= 4).Select(s => s!).Distinct(StringComparer.Ordinal).ToArray();

    public string Scrub(string text)
    {
        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
        }

        return text;
    }
}

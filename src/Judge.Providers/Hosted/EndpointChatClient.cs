using System.ClientModel;
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
    private readonly IDisposable[] _owned;

    public EndpointChatClient(IChatClient inner, EndpointState endpoint, SecretScrubber scrubber, int maxAttempts, params IDisposable[] owned)
        : base(inner)
    {
        Endpoint = endpoint;
        _scrubber = scrubber;
        _maxAttempts = maxAttempts;
        _owned = owned;
    }

    public EndpointState Endpoint { get; }

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Endpoint.InFlight);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(ex);
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
                    throw Translate(ex);
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

    internal ProviderException Translate(Exception ex)
    {
        var name = Endpoint.Name;
        switch (ex)
        {
            case ProviderException p:
                return p;
            case BrokenCircuitException:
                return new ProviderException(ProviderFailure.CircuitOpen, name, $"{name}: circuit open after repeated failures; not calling it until the break ends");
            case TimeoutRejectedException:
                return new ProviderException(ProviderFailure.RetriesExhausted, name, $"{name}: timed out on each of {_maxAttempts} attempt(s)");
            case ClientResultException { Status: var status } cre when status > 0:
            {
                var code = (HttpStatusCode)status;
                var transient = ResilienceHandler.IsTransient(code);
                var detail = _scrubber.Scrub(cre.Message);
                var message = transient
                    ? $"{name}: HTTP {status} ({code}) after {_maxAttempts} attempt(s): {detail}"
                    : $"{name}: HTTP {status} ({code}), not retried: {detail}";
                return new ProviderException(transient ? ProviderFailure.RetriesExhausted : ProviderFailure.HttpError, name, message, code);
            }

            case ClientResultException or HttpRequestException or IOException:
                return new ProviderException(ProviderFailure.RetriesExhausted, name, $"{name}: connection failed on each of {_maxAttempts} attempt(s): {_scrubber.Scrub(Innermost(ex).Message)}");
            case ArgumentOutOfRangeException:
                // The SDK reads choices[0] unconditionally; an empty choices array surfaces as an index error.
                return new ProviderException(ProviderFailure.MalformedResponse, name, $"{name}: the response has no choices ({ex.GetType().Name}: {_scrubber.Scrub(ex.Message)})");
            default:
                // The SDK could not read what came back: truncated or malformed JSON, a missing field.
                return new ProviderException(ProviderFailure.MalformedResponse, name, $"{name}: the response is not a readable chat completion ({ex.GetType().Name}: {_scrubber.Scrub(ex.Message)})");
        }
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

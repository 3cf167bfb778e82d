using System.Net;

namespace Judge.Providers.Hosted;

/// <summary>What kind of failure a <see cref="ProviderException"/> reports.</summary>
public enum ProviderFailure
{
    /// <summary>The endpoint answered with an HTTP error that retrying does not fix (400, 401, 403, 404, …).</summary>
    HttpError,

    /// <summary>Transient failures outlasted the retry budget (429, 5xx, timeouts, resets).</summary>
    RetriesExhausted,

    /// <summary>Every endpoint's circuit is open: they failed too often recently.</summary>
    CircuitOpen,

    /// <summary>The provider withheld the answer (finish reason <c>content_filter</c>).</summary>
    ContentFiltered,

    /// <summary>The body could not be read as a chat completion: truncated or malformed JSON, no choices, no text.</summary>
    MalformedResponse,

    /// <summary>The judge is not configured: no key, no endpoint.</summary>
    Configuration,
}

/// <summary>
/// A hosted judge call that failed for a reason other than the caller's cancellation. The message
/// names the endpoint and the cause; API keys are scrubbed from it and it never wraps an exception
/// whose message still carries one.
/// </summary>
public sealed class ProviderException : JudgeException
{
    /// <summary>Creates the exception.</summary>
    public ProviderException(ProviderFailure failure, string endpoint, string message, HttpStatusCode? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Endpoint = endpoint;
        StatusCode = statusCode;
    }

    /// <summary>The kind of failure.</summary>
    public ProviderFailure Failure { get; }

    /// <summary>The endpoint (base URL or Azure resource) that failed, without credentials.</summary>
    public string Endpoint { get; }

    /// <summary>The HTTP status, when the failure was an HTTP answer.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>Whether another endpoint serving the same model might succeed where this one failed.</summary>
    public bool CanFailOver => Failure is ProviderFailure.RetriesExhausted or ProviderFailure.CircuitOpen;
}

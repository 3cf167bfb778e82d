using Microsoft.Extensions.AI;

namespace Judge.Providers.Hosted;

/// <summary>
/// Spreads one judge's calls over several endpoints serving the same model. Each call goes to the endpoint
/// with the fewest calls in flight, then the most rate budget spare, skipping endpoints whose circuit is
/// open; a call that fails there for a reason another endpoint might not share (retries exhausted, circuit
/// open) is tried on the next one. A failure the request itself causes (400, content filter) is not.
/// Thread-safe.
/// </summary>
internal sealed class EndpointRouterChatClient : IChatClient
{
    private readonly EndpointChatClient[] _endpoints;
    private readonly ChatClientMetadata _metadata;
    private int _rotation;

    public EndpointRouterChatClient(IReadOnlyList<EndpointChatClient> endpoints, ChatClientMetadata metadata)
    {
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("at least one endpoint is needed", nameof(endpoints));
        }

        _endpoints = [.. endpoints];
        _metadata = metadata;
    }

    public IReadOnlyList<EndpointChatClient> Endpoints => _endpoints;

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (_endpoints.Length == 1)
        {
            return await _endpoints[0].GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        var list = messages as IList<ChatMessage> ?? [.. messages];
        ProviderException? last = null;
        foreach (var endpoint in Order())
        {
            try
            {
                return await endpoint.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            }
            catch (ProviderException ex) when (ex.CanFailOver)
            {
                last = ex;
            }
        }

        var names = string.Join(", ", _endpoints.Select(e => e.Endpoint.Name));
        throw new ProviderException(last?.Failure ?? ProviderFailure.CircuitOpen, names, $"every endpoint failed ({names}); last: {last?.Message}", last?.StatusCode);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Order().First().GetStreamingResponseAsync(messages, options, cancellationToken);

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : _endpoints[0].GetService(serviceType, serviceKey);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var endpoint in _endpoints)
        {
            endpoint.Dispose();
        }
    }

    /// <summary>Endpoints best first: closed circuits, fewest in flight, most budget spare; ties rotate.</summary>
    internal List<EndpointChatClient> Order()
    {
        var start = (int)((uint)Interlocked.Increment(ref _rotation) % (uint)_endpoints.Length);
        return [.. Enumerable.Range(0, _endpoints.Length)
            .Select(i => _endpoints[(start + i) % _endpoints.Length])
            .OrderBy(e => e.Endpoint.IsOpen)
            .ThenBy(e => Volatile.Read(ref e.Endpoint.InFlight) / (double)e.Endpoint.Budget.MaxConcurrency)
            .ThenByDescending(e => e.Endpoint.Budget.SpareScore)];
    }
}

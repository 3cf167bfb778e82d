using Microsoft.Extensions.AI;

namespace Judge.Tests.Support;

/// <summary>A chat client whose answer is computed by a callback from the messages it was sent. Records every request.</summary>
internal sealed class FakeChatClient(Func<IReadOnlyList<ChatMessage>, string> respond) : IChatClient
{
    private readonly List<IReadOnlyList<ChatMessage>> _requests = [];
    private readonly List<ChatOptions?> _options = [];

    /// <summary>The message lists received, in call order.</summary>
    public IReadOnlyList<IReadOnlyList<ChatMessage>> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The options received, in call order.</summary>
    public IReadOnlyList<ChatOptions?> Options
    {
        get
        {
            lock (_requests)
            {
                return [.. _options];
            }
        }
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        lock (_requests)
        {
            _requests.Add(list);
            _options.Add(options);
        }

        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, respond(list))));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    /// <summary>The user message's text: the rendered prompt.</summary>
    public static string UserText(IReadOnlyList<ChatMessage> messages) => messages.Last(m => m.Role == ChatRole.User).Text;
}

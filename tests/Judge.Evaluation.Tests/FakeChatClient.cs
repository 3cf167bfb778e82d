using Microsoft.Extensions.AI;

namespace Judge.Evaluation.Tests;

/// <summary>A judge whose answer a callback computes from the rendered user prompt. Records every prompt; thread-safe.</summary>
internal sealed class FakeChatClient(Func<string, string> respond) : IChatClient
{
    private readonly List<string> _prompts = [];

    /// <summary>The user prompts received, in call order.</summary>
    public IReadOnlyList<string> Prompts
    {
        get
        {
            lock (_prompts)
            {
                return [.. _prompts];
            }
        }
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var prompt = messages.Last(m => m.Role == ChatRole.User).Text;
        lock (_prompts)
        {
            _prompts.Add(prompt);
        }

        var text = respond(prompt);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = "fake-judge",
            Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 20 },
        });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

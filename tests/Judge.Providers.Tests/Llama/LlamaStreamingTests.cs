using Judge.Providers.Llama;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Tests.Llama;

public class LlamaStreamingTests(StoriesFixture fixture) : IClassFixture<StoriesFixture>
{
    private readonly LlamaChatClient _client = fixture.Client;

    private static ChatMessage[] Prompt(string text) => [new ChatMessage(ChatRole.User, text)];

    private static async Task<List<ChatResponseUpdate>> Collect(IAsyncEnumerable<ChatResponseUpdate> stream)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in stream)
        {
            updates.Add(update);
        }

        return updates;
    }

    [Theory]
    [InlineData("Once upon a time, there was a little girl named Lily.")]
    [InlineData("Tom had a big red ball.")]
    [InlineData("The sun was hot.")]
    public async Task GetStreamingResponse_ConcatenatedUpdates_EqualNonStreamedText(string prompt)
    {
        var options = new ChatOptions { MaxOutputTokens = 40 };
        var whole = await _client.GetResponseAsync(Prompt(prompt), options);
        var updates = await Collect(_client.GetStreamingResponseAsync(Prompt(prompt), options));

        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        // One update per token (a few tokens may share one while a character is incomplete), then the final one.
        Assert.InRange(updates.Count, 20, 41);
        Assert.All(updates.Take(updates.Count - 1), u => Assert.Null(u.FinishReason));
        var last = updates[^1];
        Assert.Equal(ChatFinishReason.Length, last.FinishReason);
        var usage = Assert.IsType<UsageContent>(Assert.Single(last.Contents));
        Assert.Equal(40, usage.Details.OutputTokenCount);
        Assert.Equal(whole.Usage!.InputTokenCount, usage.Details.InputTokenCount);

        // The updates make up the same response as the non-streamed call.
        var merged = updates.ToChatResponse();
        Assert.Equal(whole.Text, merged.Text);
        Assert.Equal(whole.FinishReason, merged.FinishReason);
        Assert.Equal(whole.Usage.OutputTokenCount, merged.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task GetStreamingResponse_StopSequence_HonouredLikeNonStreamedAndNeverPartlyEmitted()
    {
        var prompt = Prompt("Once upon a time, there was a little girl named Lily.");
        var full = (await _client.GetResponseAsync(prompt, new ChatOptions { MaxOutputTokens = 60 })).Text;

        // A two-word stop sequence whose first word already occurred earlier followed by another word:
        // the streamer must hold that earlier word back, then release it, and cut at the real stop.
        var words = full.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var stop = Enumerable.Range(1, words.Length - 2)
            .Where(i => words[i].All(char.IsLetter) && words[i + 1].All(char.IsLetter))
            .Select(i => $"{words[i]} {words[i + 1]}")
            .First(s => full.IndexOf(s.Split(' ')[0] + " ", StringComparison.Ordinal) < full.IndexOf(s, StringComparison.Ordinal));
        var expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];

        var options = new ChatOptions { MaxOutputTokens = 60, StopSequences = [stop] };
        var whole = await _client.GetResponseAsync(prompt, options);
        var updates = await Collect(_client.GetStreamingResponseAsync(prompt, options));

        Assert.Equal(expected, whole.Text);
        // Everything streamed is exactly the text before the stop: no character of the stop sequence went out.
        Assert.Equal(expected, string.Concat(updates.Select(u => u.Text)));
        Assert.True(updates.Count > 2);
        Assert.Equal(ChatFinishReason.Stop, whole.FinishReason);
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.Equal(whole.Usage!.OutputTokenCount, Assert.IsType<UsageContent>(Assert.Single(updates[^1].Contents)).Details.OutputTokenCount);
    }

    [Fact]
    public async Task GetStreamingResponse_CancelledMidStream_ThrowsAtOnceAndClientStaysUsable()
    {
        using var cts = new CancellationTokenSource();
        var received = 0;
        var finished = false;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in _client.GetStreamingResponseAsync(Prompt("Once upon a time"), new ChatOptions { MaxOutputTokens = 100_000 }, cts.Token))
            {
                finished |= update.FinishReason is not null;
                if (++received == 3)
                {
                    await cts.CancelAsync();
                }
            }
        });

        // Cancellation is seen at the next read: no further text and no final update after it.
        Assert.Equal(3, received);
        Assert.False(finished);
        var after = await _client.GetResponseAsync(Prompt("Once upon a time"), new ChatOptions { MaxOutputTokens = 5 });
        Assert.Equal(5, after.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task GetStreamingResponse_LeftEarly_StopsGeneratingAndReleasesTheContext()
    {
        var prompt = Prompt("Tom had a big red ball.");
        var first = string.Empty;
        await foreach (var update in _client.GetStreamingResponseAsync(prompt, new ChatOptions { MaxOutputTokens = 100_000 }))
        {
            first = update.Text;
            break;
        }

        Assert.NotEmpty(first);
        // The abandoned generation gave the context back: the next call runs, and from a clean cache.
        var after = await _client.GetResponseAsync(prompt, new ChatOptions { MaxOutputTokens = 10 });
        Assert.StartsWith(first, after.Text, StringComparison.Ordinal);
        Assert.Equal(10, after.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task GetStreamingResponse_CancelledBeforeStart_Throws()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Collect(_client.GetStreamingResponseAsync(Prompt("Lily"), null, cts.Token)));
    }
}

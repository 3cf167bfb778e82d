using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Llama;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Tests.Llama;

public sealed class TinyRandomFixture : IDisposable
{
    public TinyRandomFixture()
    {
        Client = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.TinyRandom, ContextSize = 4096 });
    }

    internal LlamaChatClient Client { get; }

    public void Dispose() => Client.Dispose();
}

public class TinyRandomTests(TinyRandomFixture fixture) : IClassFixture<TinyRandomFixture>
{
    private readonly LlamaChatClient _client = fixture.Client;

    [Fact]
    public void Model_HasFullLlama2Vocab()
    {
        Assert.Equal(32000, _client.Model.VocabSize);
        Assert.Equal(1, _client.Model.Bos);
        Assert.Equal(2, _client.Model.Eos);
    }

    [Fact]
    public void Tokenize_DigitsOneToTen_AreSingleDigitTokens()
    {
        // Llama-2's tokenizer splits numbers into digits: "10" is "1" then "0".
        for (var i = 1; i <= 10; i++)
        {
            var text = $"[[{i}]]";
            var tokens = _client.Model.Tokenize(text, addSpecial: false, parseSpecial: false);
            Assert.Equal(text, _client.Model.Detokenize(tokens));
            var digits = tokens.Select(t => System.Text.Encoding.UTF8.GetString(_client.Model.TokenBytes(t))).Where(p => p.All(char.IsAsciiDigit)).ToList();
            Assert.Equal(i.ToString().Select(c => c.ToString()), digits);
        }
    }

    [Fact]
    public async Task Score_TenPointScale_UsesTwoTokenLabelAndSumsToOne()
    {
        var labels = Enumerable.Range(1, 10).Select(i => i.ToString()).ToList();
        var result = await _client.ScoreAsync(new LogitVerdictRequest([new ChatMessage(ChatRole.User, "Rate this answer.")], "Rating: [[", labels));
        Assert.Equal(1.0, result.Probabilities.Values.Sum(), 9);
        Assert.Equal(labels, result.Probabilities.Keys);
    }

    [Fact]
    public async Task Score_LongPrompt_ChunksPastTheBatchSize()
    {
        // ~3,000 tokens: more than one n_batch (2048) of prompt, so it is decoded in chunks.
        var words = string.Join(' ', Enumerable.Range(0, 1000).Select(i => $"word{i % 97}"));
        var tokens = _client.Model.Tokenize(words, addSpecial: true, parseSpecial: false);
        Assert.InRange(tokens.Length, 2049, 4000);
        var result = await _client.ScoreAsync(new LogitVerdictRequest([new ChatMessage(ChatRole.User, words)], "[[", ["A", "B", "C"]));
        Assert.Equal(1.0, result.Probabilities.Values.Sum(), 9);
        Assert.True(result.PromptTokens > 2048);
    }

    [Fact]
    public async Task Score_PromptLongerThanContext_IsErrorNotCrash()
    {
        var words = string.Join(' ', Enumerable.Range(0, 5000).Select(i => $"word{i}"));
        var ex = await Assert.ThrowsAsync<JudgeException>(() => _client.ScoreAsync(new LogitVerdictRequest([new ChatMessage(ChatRole.User, words)], "[[", ["A", "B"])));
        Assert.Contains("context", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStreamingResponse_RandomWeights_ConcatenationEqualsNonStreamed()
    {
        // Random weights wander over the whole 32k vocabulary, byte-fallback tokens included, so some
        // pieces end inside a UTF-8 character and must wait for the rest before they are streamed.
        var messages = new[] { new ChatMessage(ChatRole.User, "Rate this answer.") };
        var options = new ChatOptions { MaxOutputTokens = 80 };
        var whole = await _client.GetResponseAsync(messages, options);
        var streamed = new System.Text.StringBuilder();
        var updates = 0;
        await foreach (var update in _client.GetStreamingResponseAsync(messages, options))
        {
            streamed.Append(update.Text);
            updates++;
        }

        Assert.Equal(whole.Text, streamed.ToString());
        Assert.True(updates > 2, $"{updates} updates");
    }
}

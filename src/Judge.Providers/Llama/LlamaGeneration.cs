using System.Text;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Llama;

/// <summary>
/// One text generation as a scheduler job: greedy decoding (or a grammar's sampler) one token per step after its
/// prompt, in the same batched decode as every other busy slot's tokens. Finished text goes to the emit callback as
/// soon as it is complete and cannot be the start of a stop sequence. Owned by the batching loop: the loop disposes
/// it once the job has left its slot.
/// </summary>
internal sealed class LlamaGeneration(int maxTokens, IReadOnlyList<string> stops, GrammarSampler? sampler, Action<string> emit) : IDisposable
{
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly StopSequenceFilter _filter = new(stops, emit);

    /// <summary>The most tokens to produce.</summary>
    public int MaxTokens { get; } = maxTokens;

    /// <summary>The grammar's sampler, or <see langword="null"/> for the plain argmax.</summary>
    public GrammarSampler? Sampler { get; } = sampler;

    /// <summary>Tokens produced so far.</summary>
    public int Produced { get; private set; }

    /// <summary>Produced tokens whose cells are in the cache.</summary>
    public int Decoded { get; set; }

    /// <summary>The token produced last and not yet decoded, if any.</summary>
    public int? Pending { get; set; }

    /// <summary>Whether the generation has ended (<see cref="Completion"/> then holds its result).</summary>
    public bool Done { get; private set; }

    /// <summary>The generation's outcome, for the caller.</summary>
    public TaskCompletionSource<LlamaGenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Takes the token chosen after the last decode; returns whether it is to be decoded (else the generation stopped).</summary>
    public bool Take(int token, LlamaModel model)
    {
        if (model.IsEndOfGeneration(token))
        {
            return false;
        }

        Produced++;

        // A token can end inside a UTF-8 character: the decoder holds partial bytes until the rest arrives.
        var bytes = model.TokenBytes(token);
        var chars = new char[_decoder.GetCharCount(bytes, flush: false)];
        var n = _decoder.GetChars(bytes, chars, flush: false);
        _filter.Append(new string(chars, 0, n));
        if (_filter.Stopped)
        {
            return false;
        }

        Pending = token;
        return true;
    }

    /// <summary>Ends the generation: flushes what the filter holds and completes <see cref="Completion"/>.</summary>
    public void End(ChatFinishReason reason, int promptTokens)
    {
        Done = true;
        if (!_filter.Stopped)
        {
            // Bytes of a character the generation never finished become U+FFFD, as Encoding.UTF8.GetString would make them.
            var chars = new char[_decoder.GetCharCount([], flush: true)];
            var n = _decoder.GetChars([], chars, flush: true);
            _filter.Append(new string(chars, 0, n));
            _filter.Flush();
        }

        Completion.TrySetResult(new LlamaGenerationResult(promptTokens, Produced, _filter.Stopped ? ChatFinishReason.Stop : reason, Sampler?.WholeVocabularySteps ?? 0));
    }

    /// <inheritdoc/>
    public void Dispose() => Sampler?.Dispose();
}

/// <summary>How one generation ended.</summary>
internal sealed record LlamaGenerationResult(int PromptTokens, int OutputTokens, ChatFinishReason FinishReason, long WholeVocabularySteps)
{
    public UsageDetails Usage => new() { InputTokenCount = PromptTokens, OutputTokenCount = OutputTokens, TotalTokenCount = PromptTokens + OutputTokens };
}

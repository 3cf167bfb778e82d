using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Llama;

// Text generation: greedy decoding behind GetResponseAsync and GetStreamingResponseAsync, one call at a time.
internal sealed partial class LlamaChatClient
{
    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = Request(messages, options);
        var text = new StringBuilder();
        var result = await GenerateAsync(request, piece => text.Append(piece), cancellationToken).ConfigureAwait(false);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            ModelId = ModelId,
            FinishReason = result.FinishReason,
            Usage = result.Usage,
        };
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Yields each token's text as soon as it is complete (a token can end inside a UTF-8 character) and
    /// cannot be the start of a stop sequence; the last update carries the finish reason and a
    /// <see cref="UsageContent"/>. The text is exactly what <see cref="GetResponseAsync"/> returns: both run
    /// the same generator. Cancelling, or leaving the enumeration early, stops generation at the next token
    /// (or inside the forward pass).
    /// </remarks>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = Request(messages, options);
        var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = GenerateAsync(request, piece => pieces.Writer.TryWrite(piece), stop.Token);
        _ = run.ContinueWith(static (_, writer) => ((ChannelWriter<string>)writer!).TryComplete(), pieces.Writer, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (var piece in pieces.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                // Pieces already queued are read without looking at the token: look here, so nothing follows a cancellation.
                cancellationToken.ThrowIfCancellationRequested();
                yield return new ChatResponseUpdate(ChatRole.Assistant, piece) { ModelId = ModelId };
            }

            var result = await run.ConfigureAwait(false);
            yield return new ChatResponseUpdate
            {
                Role = ChatRole.Assistant,
                ModelId = ModelId,
                FinishReason = result.FinishReason,
                Contents = [new UsageContent(result.Usage)],
            };
        }
        finally
        {
            // The caller stopped listening (or cancelled): stop generating, and keep the turn until the generator has let go of the context.
            await stop.CancelAsync().ConfigureAwait(false);
            await ((Task)run).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private GenerationRequest Request(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var (grammar, source) = options?.ResponseFormat switch
        {
            ChatResponseFormatJson { Schema: { } schema } => (JsonSchemaGrammar.FromSchema(schema), "the response format's JSON schema"),
            ChatResponseFormatJson => (JsonSchemaGrammar.AnyJsonObject, "the JSON response format"),
            _ => (_grammar, _options.GrammarFile),
        };
        return new GenerationRequest(
            Format(messages.ToList(), addAssistant: true),
            options?.MaxOutputTokens ?? _options.MaxOutputTokens,
            [.. options?.StopSequences ?? []],
            grammar,
            source);
    }

    /// <summary>
    /// Queues the generation as a job of the batching loop, which decodes its prompt from the longest prefix the cache
    /// holds and then one token per step, in the same batched decode as every other busy slot (so the feedback several
    /// verdicts write first is generated together).
    /// </summary>
    private async Task<LlamaGenerationResult> GenerateAsync(GenerationRequest request, Action<string> emit, CancellationToken cancellationToken)
    {
        var tokens = TokenizePrompt(request.Prompt);
        if (tokens.Length + 1 > _perSequence)
        {
            throw new JudgeException($"the prompt has {tokens.Length} tokens, more than the context of {_perSequence} (?ctx=)");
        }

        cancellationToken.ThrowIfCancellationRequested();
        // The generation owns the sampler, and the batching loop disposes the generation when it leaves the loop.
#pragma warning disable CA2000
        var sampler = request.Grammar is null ? null : CreateSampler(request.Grammar, request.GrammarSource);
        var generation = new LlamaGeneration(request.MaxTokens, request.Stops, sampler, emit);
#pragma warning restore CA2000
        var job = new LlamaScheduler.Job(generation, tokens, cancellationToken);
        using (cancellationToken.Register(static g => ((LlamaGeneration)g!).Completion.TrySetCanceled(), generation))
        {
            if (!_queue.Writer.TryWrite(job))
            {
                generation.Dispose();
                throw new ObjectDisposedException(nameof(LlamaChatClient));
            }

            var result = await generation.Completion.Task.ConfigureAwait(false);
            Interlocked.Add(ref _wholeVocabularySteps, result.WholeVocabularySteps);
            return result;
        }
    }

    /// <summary>What one generation asks for.</summary>
    private sealed record GenerationRequest(string Prompt, int MaxTokens, IReadOnlyList<string> Stops, string? Grammar, string? GrammarSource);
}

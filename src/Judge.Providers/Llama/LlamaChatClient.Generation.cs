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

    /// <summary>Runs <see cref="Generate"/> on the context when it is this call's turn.</summary>
    private async Task<GenerationResult> GenerateAsync(GenerationRequest request, Action<string> emit, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Generate(request, emit, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// The one generator behind both <see cref="GetResponseAsync"/> and <see cref="GetStreamingResponseAsync"/>:
    /// greedy decoding that hands each piece of finished text to <paramref name="emit"/> as it is produced.
    /// </summary>
    private GenerationResult Generate(GenerationRequest request, Action<string> emit, CancellationToken cancellationToken)
    {
        var tokens = TokenizePrompt(request.Prompt);
        if (tokens.Length + 1 > _perSequence)
        {
            throw new JudgeException($"the prompt has {tokens.Length} tokens, more than the context of {_perSequence} (?ctx=)");
        }

        using var sampler = request.Grammar is null ? null : CreateSampler(request.Grammar, request.GrammarSource);

        // Start from what the cache already holds of this prompt (a previous call's prompt, a verdict's prefix);
        // whatever happens, the scheduler learns which cells the sequence holds afterwards.
        var (seq, reused) = _scheduler.BeginGeneration(tokens);
        var fed = new List<int>(tokens.AsSpan(0, reused).ToArray());
        try
        {
            var last = DecodeSequence(tokens.AsSpan(reused), reused, seq, cancellationToken);
            fed.AddRange(tokens.AsSpan(reused).ToArray());
            var decoder = Encoding.UTF8.GetDecoder();
            var filter = new StopSequenceFilter(request.Stops, emit);
            var produced = 0;
            var finish = ChatFinishReason.Length;
            var position = tokens.Length;
            while (produced < request.MaxTokens && position < _perSequence)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Without a grammar, the plain argmax: no candidate array, no native sampler.
                var next = sampler is null ? _session.Argmax(last) : sampler.Sample(_session.Logits(last));
                if (_model.IsEndOfGeneration(next))
                {
                    finish = ChatFinishReason.Stop;
                    break;
                }

                produced++;
                // Pieces can end inside a UTF-8 character: the decoder holds partial bytes until the rest arrives.
                filter.Append(DecodeText(decoder, _model.TokenBytes(next), flush: false));
                if (filter.Stopped)
                {
                    finish = ChatFinishReason.Stop;
                    break;
                }

                last = _session.Add(next, position++, seq, true);
                _session.Decode(cancellationToken);
                fed.Add(next);
            }

            if (sampler is not null)
            {
                Interlocked.Add(ref _wholeVocabularySteps, sampler.WholeVocabularySteps);
            }

            if (!filter.Stopped)
            {
                // Bytes of a character the generation never finished become U+FFFD, as Encoding.UTF8.GetString would make them.
                filter.Append(DecodeText(decoder, [], flush: true));
                filter.Flush();
            }

            return new GenerationResult(tokens.Length, produced, filter.Stopped ? ChatFinishReason.Stop : finish);
        }
        finally
        {
            // A failed or cancelled decode may have left cells beyond what is known to be there.
            _session.Truncate(seq, fed.Count);
            _scheduler.Generated(seq, fed, fed.Count - reused);
        }
    }

    private static string DecodeText(Decoder decoder, byte[] bytes, bool flush)
    {
        var chars = new char[decoder.GetCharCount(bytes, flush)];
        var n = decoder.GetChars(bytes, chars, flush);
        return new string(chars, 0, n);
    }

    /// <summary>Decodes tokens into one sequence from <paramref name="start"/>; returns the batch index of the last token's logits.</summary>
    private int DecodeSequence(ReadOnlySpan<int> tokens, int start, int seq, CancellationToken cancellationToken)
    {
        var last = -1;
        for (var i = 0; i < tokens.Length; i++)
        {
            if (_session.Pending == _session.BatchCapacity)
            {
                _session.Decode(cancellationToken);
            }

            last = _session.Add(tokens[i], start + i, seq, i == tokens.Length - 1);
        }

        _session.Decode(cancellationToken);
        return last;
    }

    /// <summary>What one generation asks for.</summary>
    private sealed record GenerationRequest(string Prompt, int MaxTokens, IReadOnlyList<string> Stops, string? Grammar, string? GrammarSource);

    /// <summary>How one generation ended.</summary>
    private sealed record GenerationResult(int PromptTokens, int OutputTokens, ChatFinishReason FinishReason)
    {
        public UsageDetails Usage => new() { InputTokenCount = PromptTokens, OutputTokenCount = OutputTokens, TotalTokenCount = PromptTokens + OutputTokens };
    }
}

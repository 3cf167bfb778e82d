using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Judge.Grading;
using Judge.Providers.Llama.Interop;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Llama;

/// <summary>
/// A local GGUF model behind <see cref="IChatClient"/>: greedy generation that stops at
/// end-of-generation, a stop sequence or the token limit, streamed token by token if asked, held to a
/// grammar when <see cref="ChatOptions.ResponseFormat"/> asks for JSON (a schema is turned into one by
/// <see cref="JsonSchemaGrammar"/>) or <see cref="LlamaOptions.GrammarFile"/> gives one; and, through <see cref="GetService"/>, an
/// <see cref="ILogitVerdictScorer"/> that reads verdicts from one forward pass. Safe for
/// concurrent use: calls take turns on the one context; verdict requests that arrive together are
/// scored together in one batch when <see cref="LlamaOptions.BatchSize"/> is above 1. Generation is
/// always greedy (argmax): <see cref="ChatOptions.Temperature"/> and <see cref="ChatOptions.Seed"/> are
/// ignored, which is what a judge at temperature 0 asks for anyway.
/// </summary>
internal sealed class LlamaChatClient : IChatClient, ILogitVerdictScorer
{
    private readonly LlamaModel _model;
    private readonly LlamaSession _session;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly LlamaOptions _options;
    private readonly string? _template;
    private readonly string? _grammar;
    private readonly int _perSequence;
    private readonly LlamaScheduler _scheduler;
    private readonly Channel<LlamaScheduler.Job>? _queue;
    private readonly Task? _worker;
    private readonly ChatClientMetadata _metadata;
    private int _disposed;
    private long _batches;
    private long _scored;
    private long _wholeVocabularySteps;

    private LlamaChatClient(LlamaModel model, LlamaOptions options)
    {
        if (options.CacheSlots < (options.BatchSize > 1 ? 1 : 0))
        {
            throw new ArgumentException("CacheSlots must be at least 0, and at least 1 when BatchSize is above 1", nameof(options));
        }

        _model = model;
        _options = options;
        _perSequence = options.ContextSize ?? Math.Min(model.TrainContext > 0 ? model.TrainContext : 4096, 4096);
        _grammar = options.GrammarFile is { } file ? LoadGrammar(model, file) : null;
        // One sequence (its own KV stream) per verdict decoding at once, plus spare ones that keep recent prompts to reuse.
        var sequences = options.BatchSize + options.CacheSlots;
        _session = new LlamaSession(model, _perSequence * sequences, sequences, options.Threads, options.FlashAttentionType());
        _template = ResolveTemplate(model, options.Template);
        ModelId = System.IO.Path.GetFileName(model.Path);
        _metadata = new ChatClientMetadata("llama.cpp", null, ModelId);
        _scheduler = new LlamaScheduler(_session, options.BatchSize, ModelId, options.KvReuse);
        if (options.BatchSize > 1)
        {
            _queue = Channel.CreateUnbounded<LlamaScheduler.Job>(new UnboundedChannelOptions { SingleReader = true });
            _worker = Task.Run(BatchLoopAsync);
        }
    }

    /// <summary>The model's file name.</summary>
    public string ModelId { get; }

    /// <summary>Forward passes run for verdicts so far, and the verdicts scored (for tests and benchmarks).</summary>
    internal (long Batches, long Requests) BatchStats => (Interlocked.Read(ref _batches), Interlocked.Read(ref _scored));

    /// <summary>Prompt tokens decoded so far, and prompt tokens whose KV cells were reused instead (for tests and benchmarks).</summary>
    internal (long Decoded, long Reused) TokenStats => _scheduler.TokenStats;

    /// <summary>Grammar steps so far where no top-k candidate fitted and the whole vocabulary was checked (for benchmarks).</summary>
    internal long GrammarWholeVocabularySteps => Interlocked.Read(ref _wholeVocabularySteps);

    /// <summary>The loaded model.</summary>
    internal LlamaModel Model => _model;

    /// <summary>The chat template in use, or <see langword="null"/> for plain text.</summary>
    internal string? Template => _template;

    /// <summary>Loads the model and creates its context.</summary>
    public static LlamaChatClient Create(LlamaOptions options)
    {
        var model = LlamaModel.Load(options.ModelPath, LlamaNativeLibrary.ResolveDirectory(options.NativeDirectory), options.GpuLayers);
        try
        {
            return new LlamaChatClient(model, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

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

    /// <inheritdoc/>
    public async Task<LogitVerdictResult> ScoreAsync(LogitVerdictRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_queue is null)
        {
            var job = Prepare(request, completion: null, cancellationToken);
            await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await Task.Run(() => RunToCompletion([job], cancellationToken)[0], cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _turn.Release();
            }
        }

        var completion = new TaskCompletionSource<LogitVerdictResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = Prepare(request, completion, cancellationToken);
        using (cancellationToken.Register(static c => ((TaskCompletionSource<LogitVerdictResult>)c!).TrySetCanceled(), completion))
        {
            await _queue.Writer.WriteAsync(queued, cancellationToken).ConfigureAwait(false);
            return await completion.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Scores several requests together, now, on every slot (for tests and benchmarks; <see cref="ScoreAsync"/> batches on its own).</summary>
    internal async Task<IReadOnlyList<LogitVerdictResult>> ScoreManyAsync(IReadOnlyList<LogitVerdictRequest> requests, CancellationToken cancellationToken = default)
    {
        var jobs = requests.Select(r => Prepare(r, completion: null, cancellationToken)).ToList();
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => RunToCompletion(jobs, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue?.Writer.TryComplete();
        _worker?.GetAwaiter().GetResult();
        _turn.Wait();
        _session.Dispose();
        _model.Dispose();
        _turn.Dispose();
    }

    /// <summary>Renders messages with the chat template, or as plain paragraphs when there is none.</summary>
    internal string Format(IReadOnlyList<ChatMessage> messages, bool addAssistant)
    {
        if (_template is not null)
        {
            var rendered = _model.ApplyTemplate(_template, messages.Select(m => (m.Role.Value, m.Text)).ToList(), addAssistant);
            if (rendered is not null)
            {
                return rendered;
            }
        }

        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            sb.Append(m.Text.Trim()).Append("\n\n");
        }

        return sb.ToString();
    }

    private static string? ResolveTemplate(LlamaModel model, string? requested)
    {
        if (string.Equals(requested, "none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var probe = new List<(string, string)> { ("user", "x") };
        if (requested is not null)
        {
            return model.ApplyTemplate(requested, probe, true) is not null
                ? requested
                : throw new InputException(null, null, "--judge", $"llama.cpp has no built-in chat template '{requested}' (it applies only its built-in templates; use template=none for plain text)");
        }

        // The model's own template, if llama.cpp recognises it; it cannot run arbitrary Jinja.
        return model.ChatTemplate is { } own && model.ApplyTemplate(own, probe, true) is not null ? own : null;
    }

    private int[] TokenizePrompt(string text) => _model.Tokenize(text, addSpecial: true, parseSpecial: _template is not null);

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

    /// <summary>Reads a grammar file and has llama.cpp parse it once, so a bad grammar is an input error now rather than a failure per call.</summary>
    private static string LoadGrammar(LlamaModel model, string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, $"cannot read the grammar file: {ex.Message}", ex);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            throw new InputException(path, null, null, "the grammar file is empty");
        }

        LlamaNativeLibrary.ClearLog();
        using var probe = GrammarSampler.TryCreate(model, text, topK: 0);
        if (probe is null)
        {
            var why = LlamaNativeLibrary.RecentErrors();
            throw new InputException(path, null, null, $"llama.cpp rejected the GBNF grammar (start symbol 'root'){(why.Length > 0 ? $": {why}" : string.Empty)}; the parser's own message is on stderr");
        }

        return text;
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

    private GrammarSampler CreateSampler(string grammar, string? source)
    {
        LlamaNativeLibrary.ClearLog();
        return GrammarSampler.TryCreate(_model, grammar, _options.GrammarTopK)
            ?? throw new JudgeException($"llama.cpp rejected the grammar made from {source}{(LlamaNativeLibrary.RecentErrors() is { Length: > 0 } why ? $": {why}" : string.Empty)}");
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

    // ---- verdicts from logits ---------------------------------------------------------------

    /// <summary>
    /// Tokenises the prompt with each label appended and splits off the longest common token prefix:
    /// what follows is each label's token path (usually one token; "10" may be two). Tokenising the
    /// whole text keeps the tokenizer's merges across the prefix/label boundary exactly as they would be.
    /// </summary>
    private LlamaScheduler.Job Prepare(LogitVerdictRequest request, TaskCompletionSource<LogitVerdictResult>? completion, CancellationToken cancellationToken)
    {
        if (request.Labels.Count == 0 || request.Labels.Distinct(StringComparer.Ordinal).Count() != request.Labels.Count)
        {
            throw new ArgumentException("labels must be non-empty and distinct", nameof(request));
        }

        var text = Format(request.Messages, addAssistant: true) + request.VerdictPrefix;
        var full = request.Labels.Select(l => TokenizePrompt(text + l)).ToList();
        var common = full.Min(f => f.Length) - 1;
        for (var k = 1; k < full.Count; k++)
        {
            var n = 0;
            while (n < common && full[k][n] == full[0][n])
            {
                n++;
            }

            common = n;
        }

        if (common < 1)
        {
            throw new JudgeException("the verdict prompt tokenises to nothing before the labels");
        }

        var paths = full.Select(f => f[common..]).ToList();
        for (var i = 0; i < paths.Count; i++)
        {
            for (var j = i + 1; j < paths.Count; j++)
            {
                if (paths[i].AsSpan().SequenceEqual(paths[j]))
                {
                    throw new JudgeException($"labels '{request.Labels[i]}' and '{request.Labels[j]}' tokenise identically");
                }
            }
        }

        if (common + paths.Max(p => p.Length) > _perSequence)
        {
            throw new JudgeException($"the verdict prompt has {common} tokens, more than the context of {_perSequence} (?ctx=)");
        }

        return new LlamaScheduler.Job(request, full[0][..common], LabelTrie.Build(request.Labels, paths), cancellationToken) { Completion = completion };
    }

    /// <summary>
    /// Runs <paramref name="jobs"/> to the end on the scheduler's slots (the caller holds the turn):
    /// each free slot takes the waiting job that shares the most with what the cache holds.
    /// </summary>
    private List<LogitVerdictResult> RunToCompletion(IReadOnlyList<LlamaScheduler.Job> jobs, CancellationToken cancellationToken)
    {
        var waiting = jobs.ToList();
        try
        {
            while (waiting.Count > 0 || _scheduler.Busy)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Fill(waiting);
                var outcome = Step();
                if (outcome.Error is not null)
                {
                    if (!Retry(outcome, waiting))
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(outcome.Error);
                    }
                }
            }
        }
        catch
        {
            foreach (var job in jobs)
            {
                _scheduler.Drop(job);
            }

            throw;
        }

        return [.. jobs.Select(j => j.Result!)];
    }

    /// <summary>Starts waiting jobs on free slots, best-sharing first.</summary>
    private void Fill(List<LlamaScheduler.Job> waiting)
    {
        while (_scheduler.CanStart && waiting.Count > 0)
        {
            // The look-ahead compares each candidate with every slot's tokens, once per start: bounded, so that a
            // batch of hundreds does not spend a forward pass's time choosing.
            var next = _scheduler.PickNext(waiting, Math.Clamp(2 * _scheduler.Concurrency, 8, 32));
            var job = waiting[next];
            waiting.RemoveAt(next);
            _scheduler.Start(job);
        }
    }

    private LlamaScheduler.StepOutcome Step()
    {
        var outcome = _scheduler.Step();
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _scored, outcome.Done.Count);
        return outcome;
    }

    /// <summary>
    /// A pass that found no room in the KV cache (stale cells of idle slots can fragment it) starts
    /// its jobs once more on a cleared cache; anything else, or a second time, is the jobs' error.
    /// </summary>
    private bool Retry(LlamaScheduler.StepOutcome outcome, List<LlamaScheduler.Job> waiting)
    {
        if (outcome.Error is not KvCacheFullException || outcome.Failed.Any(j => j.Retried))
        {
            return false;
        }

        foreach (var job in outcome.Failed)
        {
            job.Restart();
        }

        // Busy slots' jobs lose their cells too: they start over as well.
        var interrupted = _scheduler.Reset();
        foreach (var job in interrupted)
        {
            job.Restart();
        }

        waiting.InsertRange(0, outcome.Failed.Concat(interrupted));
        return true;
    }

    private async Task BatchLoopAsync()
    {
        var reader = _queue!.Reader;
        var waiting = new List<LlamaScheduler.Job>();
        while (true)
        {
            if (waiting.Count == 0 && !_scheduler.Busy && !await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                break;
            }

            while (reader.TryRead(out var job))
            {
                waiting.Add(job);
            }

            waiting.RemoveAll(j => j.Completion!.Task.IsCompleted);
            await _turn.WaitAsync().ConfigureAwait(false);
            try
            {
                foreach (var job in _scheduler.Jobs.Where(j => j.Completion!.Task.IsCompleted).ToList())
                {
                    _scheduler.Drop(job);
                }

                Fill(waiting);
                if (!_scheduler.Busy)
                {
                    continue;
                }

                var outcome = Step();
                foreach (var job in outcome.Done)
                {
                    job.Completion!.TrySetResult(job.Result!);
                }

                if (outcome.Error is not null && !Retry(outcome, waiting))
                {
                    foreach (var job in outcome.Failed)
                    {
                        if (outcome.Error is OperationCanceledException)
                        {
                            job.Completion!.TrySetCanceled(job.Cancellation);
                        }
                        else
                        {
                            job.Completion!.TrySetException(outcome.Error);
                        }
                    }
                }
            }
            catch (Exception ex)
            {
                // Not expected: fail everything in flight rather than leave callers waiting.
                foreach (var job in _scheduler.Jobs.Concat(waiting).ToList())
                {
                    job.Completion!.TrySetException(ex);
                }

                _scheduler.Reset();
                waiting.Clear();
            }
            finally
            {
                _turn.Release();
            }
        }
    }

    /// <summary>What one generation asks for.</summary>
    private sealed record GenerationRequest(string Prompt, int MaxTokens, IReadOnlyList<string> Stops, string? Grammar, string? GrammarSource);

    /// <summary>How one generation ended.</summary>
    private sealed record GenerationResult(int PromptTokens, int OutputTokens, ChatFinishReason FinishReason)
    {
        public UsageDetails Usage => new() { InputTokenCount = PromptTokens, OutputTokenCount = OutputTokens, TotalTokenCount = PromptTokens + OutputTokens };
    }
}

using System.Threading.Channels;
using Judge.Judging;
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
internal sealed partial class LlamaChatClient : IChatClient, ILogitVerdictScorer
{
    private readonly LlamaModel _model;
    private readonly LlamaSession _session;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly LlamaOptions _options;
    private readonly string? _template;
    private readonly string? _grammar;
    private readonly int _perSequence;
    private readonly LlamaScheduler _scheduler;
    private readonly Channel<LlamaScheduler.Job> _queue;
    private readonly Task _worker;
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
        _scheduler = new LlamaScheduler(_session, options.BatchSize, ModelId, options.KvReuse, model, _perSequence);
        // Every verdict request goes through one queue, also at batch 1: the loop takes them in the order of the prompts' prefix tree.
        _queue = Channel.CreateUnbounded<LlamaScheduler.Job>(new UnboundedChannelOptions { SingleReader = true });
        _worker = Task.Run(BatchLoopAsync);
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

        _queue.Writer.TryComplete();
        _worker.GetAwaiter().GetResult();
        _turn.Wait();
        _session.Dispose();
        _model.Dispose();
        _turn.Dispose();
    }
}

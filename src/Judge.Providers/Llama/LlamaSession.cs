using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Judge.Providers.Llama.Interop;

namespace Judge.Providers.Llama;

/// <summary>
/// One llama.cpp context with its batch buffer: not thread-safe, so <see cref="LlamaChatClient"/>
/// lets one operation at a time use it. The KV cache is not unified: each sequence is its own
/// stream of <c>contextSize / sequences</c> cells, so a token's attention spans its own sequence only
/// (in a unified cache it spans every sequence's cells, masked), and a prefix moves between
/// sequences by a whole-stream copy (<c>llama_memory_seq_cp</c>) cut to length.
/// Cancellation reaches into <c>llama_decode</c> through its abort callback.
/// </summary>
internal sealed unsafe class LlamaSession : IDisposable
{
    private readonly LlamaModel _model;
    private readonly SafeLlamaContextHandle _ctx;
    private readonly llama_batch _batch;
    private readonly int* _abort;
    private int _count;
    private bool _disposed;

    public LlamaSession(LlamaModel model, int contextSize, int sequences, int threads, int flashAttention = -1)
    {
        _model = model;
        var p = NativeMethods.llama_context_default_params();
        p.n_ctx = (uint)contextSize;
        p.n_batch = (uint)Math.Min(contextSize, 2048);
        p.n_ubatch = (uint)Math.Min(contextSize, 512);
        p.n_seq_max = (uint)sequences;
        // The default thread count made generation ~40x slower on two cores: set both explicitly.
        p.n_threads = threads;
        p.n_threads_batch = threads;
        p.kv_unified = 0;
        p.flash_attn_type = flashAttention;
        p.no_perf = 1;
        _ctx = NativeMethods.llama_init_from_model(model.Handle, p);
        if (_ctx.IsInvalid)
        {
            _ctx.Dispose();
            var why = LlamaNativeLibrary.RecentErrors();
            throw new JudgeUnavailableException($"llama.cpp could not create a context (ctx={contextSize}, sequences={sequences}) for {model.Path}{(why.Length > 0 ? $": {why}" : string.Empty)}");
        }

        _ctx.KeepAlive(model.Handle);
        ContextSize = (int)NativeMethods.llama_n_ctx(_ctx);
        BatchCapacity = (int)NativeMethods.llama_n_batch(_ctx);
        Sequences = (int)NativeMethods.llama_n_seq_max(_ctx);
        _batch = NativeMethods.llama_batch_init(BatchCapacity, 0, 1);
        _abort = (int*)NativeMemory.AllocZeroed(sizeof(int));
        NativeMethods.llama_set_abort_callback(_ctx, &ShouldAbort, _abort);
    }

    /// <summary>KV cells in all (shared by every sequence).</summary>
    public int ContextSize { get; }

    /// <summary>Tokens one <see cref="Decode"/> call may hold.</summary>
    public int BatchCapacity { get; }

    /// <summary>Sequences the context holds at once.</summary>
    public int Sequences { get; }

    /// <summary>Tokens queued for the next <see cref="Decode"/>.</summary>
    public int Pending => _count;

    /// <summary>Empties the KV cache.</summary>
    public void Clear()
    {
        NativeMethods.llama_memory_clear(NativeMethods.llama_get_memory(_ctx), true);
        _count = 0;
    }

    /// <summary>
    /// Replaces sequence <paramref name="to"/>'s cells with a copy of <paramref name="from"/>'s (across
    /// streams llama.cpp copies whole streams only; the data moves at the start of the next decode).
    /// </summary>
    public void CopySequence(int from, int to) => NativeMethods.llama_memory_seq_cp(NativeMethods.llama_get_memory(_ctx), from, to, -1, -1);

    /// <summary>Removes sequence <paramref name="seq"/>'s cells at positions from <paramref name="fromPosition"/> on.</summary>
    public void Truncate(int seq, int fromPosition)
    {
        if (!NativeMethods.llama_memory_seq_rm(NativeMethods.llama_get_memory(_ctx), seq, fromPosition, -1))
        {
            throw new JudgeException($"llama.cpp could not remove positions {fromPosition}.. of sequence {seq}");
        }
    }

    /// <summary>Queues a token; returns its index in the batch (for <see cref="LogProbabilities"/> after the decode).</summary>
    public int Add(int token, int position, int seq, bool wantLogits)
    {
        if (_count >= BatchCapacity)
        {
            throw new InvalidOperationException("batch is full; decode first");
        }

        var i = _count++;
        _batch.token[i] = token;
        _batch.pos[i] = position;
        _batch.n_seq_id[i] = 1;
        _batch.seq_id[i][0] = seq;
        _batch.logits[i] = (sbyte)(wantLogits ? 1 : 0);
        return i;
    }

    /// <summary>Runs the queued tokens through the model.</summary>
    /// <exception cref="OperationCanceledException">Cancelled, also in the middle of the forward pass.</exception>
    public void Decode(CancellationToken cancellationToken)
    {
        if (_count == 0)
        {
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var batch = _batch;
        batch.n_tokens = _count;
        int rc;
        Volatile.Write(ref *_abort, 0);
        using (cancellationToken.Register(static state => Volatile.Write(ref *(int*)(IntPtr)state!, 1), (IntPtr)_abort))
        {
            rc = NativeMethods.llama_decode(_ctx, batch);
        }

        _count = 0;
        switch (rc)
        {
            case 0:
                return;
            case 1:
                throw new KvCacheFullException($"llama.cpp found no room in the KV cache (context {ContextSize} cells); use a larger ?ctx= or a smaller ?batch=");
            case 2 when cancellationToken.IsCancellationRequested:
                throw new OperationCanceledException(cancellationToken);
            default:
                throw new JudgeException($"llama_decode failed with status {rc}{(LlamaNativeLibrary.RecentErrors() is { Length: > 0 } why ? $": {why}" : string.Empty)}");
        }
    }

    /// <summary>Log-softmax of the logits for batch index <paramref name="batchIndex"/> of the last decode.</summary>
    public double[] LogProbabilities(int batchIndex)
    {
        var logits = Logits(batchIndex);
        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        var sum = 0.0;
        foreach (var l in logits)
        {
            sum += Math.Exp(l - max);
        }

        var lse = max + Math.Log(sum);
        var result = new double[logits.Length];
        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = logits[i] - lse;
        }

        return result;
    }

    /// <summary>The most likely next token after batch index <paramref name="batchIndex"/> (lowest id on a tie).</summary>
    public int Argmax(int batchIndex)
    {
        var logits = Logits(batchIndex);
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMethods.llama_batch_free(_batch);
        _ctx.Dispose();
        NativeMemory.Free(_abort);
    }

    /// <summary>The raw logits for batch index <paramref name="batchIndex"/> of the last decode; valid until the next decode.</summary>
    public ReadOnlySpan<float> Logits(int batchIndex)
    {
        var p = NativeMethods.llama_get_logits_ith(_ctx, batchIndex);
        if (p is null)
        {
            throw new JudgeException($"llama.cpp has no logits for batch index {batchIndex}");
        }

        return new ReadOnlySpan<float>(p, _model.VocabSize);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static byte ShouldAbort(void* data) => (byte)(Volatile.Read(ref *(int*)data) != 0 ? 1 : 0);
}

/// <summary><c>llama_decode</c> found no room for the batch in the KV cache (status 1): clearing the cache and trying again can succeed.</summary>
internal sealed class KvCacheFullException(string message) : JudgeException(message);

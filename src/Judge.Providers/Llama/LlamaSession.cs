using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LLama.Exceptions;
using LLama.Native;

namespace Judge.Providers.Llama;

/// <summary>
/// One llama.cpp context (LLamaSharp's <see cref="SafeLLamaContextHandle"/>) with its batch: not thread-safe, so <see cref="LlamaChatClient"/>
/// lets one operation at a time use it. The KV cache is not unified: each sequence is its own
/// stream of <c>contextSize / sequences</c> cells, so a token's attention spans its own sequence only
/// (in a unified cache it spans every sequence's cells, masked), and a prefix moves between
/// sequences by a whole-stream copy (<c>llama_memory_seq_cp</c>) cut to length.
/// Cancellation reaches into <c>llama_decode</c> through its abort callback. LLamaSharp runs every
/// decode in the process under one lock, so two clients in one process take turns on the CPU.
/// </summary>
internal sealed unsafe class LlamaSession : IDisposable
{
    private readonly LlamaModel _model;
    private readonly SafeLLamaContextHandle _ctx;
    private readonly LLamaBatch _batch = new();
    private readonly int* _abort;
    private bool _disposed;

    public LlamaSession(LlamaModel model, int contextSize, int sequences, int threads, int flashAttention = -1)
    {
        _model = model;
        var p = LLamaContextParams.Default();
        p.n_ctx = (uint)contextSize;
        p.n_batch = (uint)Math.Min(contextSize, 2048);
        p.n_ubatch = (uint)Math.Min(contextSize, 512);
        p.n_seq_max = (uint)sequences;
        // The default thread count made generation ~40x slower on two cores: set both explicitly.
        p.n_threads = threads;
        p.n_threads_batch = threads;
        // Each sequence its own stream; LLamaSharp's BatchedExecutor cannot fork such a cache (it aborts), so it is never used.
        p.kv_unified = false;
        p.llama_flash_attn_type = (LLamaFlashAttentionType)flashAttention;
        p.no_perf = true;
        LlamaNativeLibrary.ClearLog();
        try
        {
            _ctx = SafeLLamaContextHandle.Create(model.Handle, p);
        }
        catch (RuntimeError ex)
        {
            var why = LlamaNativeLibrary.RecentErrors();
            throw new JudgeUnavailableException($"llama.cpp could not create a context (ctx={contextSize}, sequences={sequences}) for {model.Path}{(why.Length > 0 ? $": {why}" : string.Empty)}", ex);
        }

        ContextSize = (int)_ctx.ContextSize;
        BatchCapacity = (int)_ctx.BatchSize;
        Sequences = (int)_ctx.MaxSeq;
        _abort = (int*)NativeMemory.AllocZeroed(sizeof(int));
        NativeApi.llama_set_abort_callback(_ctx, (IntPtr)(delegate* unmanaged[Cdecl]<void*, byte>)&ShouldAbort, (IntPtr)_abort);
    }

    /// <summary>KV cells in all (shared by every sequence).</summary>
    public int ContextSize { get; }

    /// <summary>Tokens one <see cref="Decode"/> call may hold.</summary>
    public int BatchCapacity { get; }

    /// <summary>Sequences the context holds at once.</summary>
    public int Sequences { get; }

    /// <summary>Tokens queued for the next <see cref="Decode"/>.</summary>
    public int Pending => _batch.TokenCount;

    /// <summary>Empties the KV cache.</summary>
    public void Clear()
    {
        _ctx.MemoryClear(true);
        _batch.Clear();
    }

    /// <summary>
    /// Replaces sequence <paramref name="to"/>'s cells with a copy of <paramref name="from"/>'s (across
    /// streams llama.cpp copies whole streams only; the data moves at the start of the next decode).
    /// </summary>
    public void CopySequence(int from, int to) => _ctx.MemorySequenceCopy((LLamaSeqId)from, (LLamaSeqId)to, -1, -1);

    /// <summary>Removes sequence <paramref name="seq"/>'s cells at positions from <paramref name="fromPosition"/> on.</summary>
    public void Truncate(int seq, int fromPosition) => _ctx.MemorySequenceRemove((LLamaSeqId)seq, fromPosition, -1);

    /// <summary>Queues a token; returns its index in the batch (for <see cref="LogProbabilities"/> after the decode).</summary>
    public int Add(int token, int position, int seq, bool wantLogits)
    {
        if (_batch.TokenCount >= BatchCapacity)
        {
            throw new InvalidOperationException("batch is full; decode first");
        }

        return _batch.Add(token, position, (LLamaSeqId)seq, wantLogits);
    }

    /// <summary>Runs the queued tokens through the model.</summary>
    /// <exception cref="OperationCanceledException">Cancelled, also in the middle of the forward pass.</exception>
    public void Decode(CancellationToken cancellationToken)
    {
        if (_batch.TokenCount == 0)
        {
            return;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            _batch.Clear();
            cancellationToken.ThrowIfCancellationRequested();
        }

        DecodeResult rc;
        Volatile.Write(ref *_abort, 0);
        using (cancellationToken.Register(static state => Volatile.Write(ref *(int*)(IntPtr)state!, 1), (IntPtr)_abort))
        {
            try
            {
                rc = _ctx.Decode(_batch);
            }
            finally
            {
                _batch.Clear();
            }
        }

        switch (rc)
        {
            case DecodeResult.Ok:
                return;
            case DecodeResult.NoKvSlot:
                throw new KvCacheFullException($"llama.cpp found no room in the KV cache (context {ContextSize} cells); use a larger ?ctx= or a smaller ?batch=");
            case DecodeResult.ComputeAborted when cancellationToken.IsCancellationRequested:
                throw new OperationCanceledException(cancellationToken);
            default:
                throw new JudgeException($"llama_decode failed with status {(int)rc}{(LlamaNativeLibrary.RecentErrors() is { Length: > 0 } why ? $": {why}" : string.Empty)}");
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
        _ctx.Dispose();
        NativeMemory.Free(_abort);
    }

    /// <summary>The raw logits for batch index <paramref name="batchIndex"/> of the last decode; valid until the next decode.</summary>
    public ReadOnlySpan<float> Logits(int batchIndex)
    {
        try
        {
            return _ctx.GetLogitsIth(batchIndex)[.._model.VocabSize];
        }
        catch (GetLogitsInvalidIndexException ex)
        {
            throw new JudgeException($"llama.cpp has no logits for batch index {batchIndex}", ex);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static byte ShouldAbort(void* data) => (byte)(Volatile.Read(ref *(int*)data) != 0 ? 1 : 0);
}

/// <summary><c>llama_decode</c> found no room for the batch in the KV cache (status 1): clearing the cache and trying again can succeed.</summary>
internal sealed class KvCacheFullException(string message) : JudgeException(message);

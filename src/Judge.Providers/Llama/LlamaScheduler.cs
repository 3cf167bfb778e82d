using System.Runtime.InteropServices;
using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Llama;

/// <summary>
/// Continuous batching of verdict requests and text generations over the sequences ("slots") of one
/// <see cref="LlamaSession"/>, with KV reuse. Each slot is its own KV stream and remembers the tokens it
/// holds. Waiting requests are taken in the order of their prompts' prefix tree (<see cref="TakeNext"/>);
/// a request starts from the longest prefix any slot holds — its own cells, or another slot's stream
/// copied in and cut to the shared part — so the rubric's system part, the question and the first answer
/// shown are decoded once while the requests that share them are pending; only the rest is decoded. There
/// are more slots than may decode at once (<see cref="Concurrency"/>): the spare ones keep prefixes to copy
/// from. Every <see cref="Step"/> packs the pending tokens of all busy slots — prompt tokens, the label
/// steps a multi-token label needs ("10"), and one token of each generation — into one <c>llama_decode</c>
/// of at most the batch capacity; a finished slot frees itself for the next request. Not thread-safe: the
/// owner holds its turn around every call.
/// </summary>
internal sealed class LlamaScheduler
{
    private readonly LlamaSession _session;
    private readonly LlamaModel _model;
    private readonly int _perSequence;
    private readonly string _modelId;
    private readonly Slot[] _slots;
    private readonly bool _reuse;
    private long _clock;
    private int _rotation;
    private long _decodedTokens;
    private long _reusedTokens;
    private long _copies;

    /// <param name="session">The context: one sequence per slot, not unified (each its own stream).</param>
    /// <param name="concurrency">The most verdicts decoding at once.</param>
    /// <param name="modelId">Recorded on every result.</param>
    /// <param name="reuse">Whether cells are reused across requests; without it every prompt is decoded from scratch (bit-identical repeats).</param>
    /// <param name="model">The model, for generation jobs (end-of-generation, token text).</param>
    /// <param name="perSequence">KV cells each sequence may use (generation stops there).</param>
    public LlamaScheduler(LlamaSession session, int concurrency, string modelId, bool reuse, LlamaModel model, int perSequence)
    {
        _session = session;
        _model = model;
        _perSequence = perSequence;
        _reuse = reuse;
        _modelId = modelId;
        _slots = [.. Enumerable.Range(0, session.Sequences).Select(i => new Slot(i))];
        Concurrency = concurrency;
    }

    /// <summary>The most verdicts decoding at once.</summary>
    public int Concurrency { get; }

    /// <summary>Whether a new verdict may start now.</summary>
    public bool CanStart => _slots.Count(s => s.Job is not null) < Concurrency;

    /// <summary>Whether any verdict is in flight.</summary>
    public bool Busy => _slots.Any(s => s.Job is not null);

    /// <summary>Prompt tokens decoded so far, and prompt tokens taken from the KV cache instead.</summary>
    public (long Decoded, long Reused) TokenStats => (Interlocked.Read(ref _decodedTokens), Interlocked.Read(ref _reusedTokens));

    /// <summary>Whole-stream copies made so far (a prefix taken from another slot).</summary>
    public long Copies => Interlocked.Read(ref _copies);

    /// <summary>
    /// Starts <paramref name="job"/> on a free slot, from the longest prefix the cache holds; the slot given up is one
    /// whose cells the requests still <paramref name="waiting"/> need least.
    /// </summary>
    public void Start(Job job, PrefixQueue? waiting = null)
    {
        var (slot, shared) = Acquire(job.Context, waiting);
        job.Cursor = shared;
        slot.Job = job;
    }

    /// <summary>
    /// Takes the waiting request to start next, walking the run's prompts as a prefix tree: the one that
    /// shares the longest prefix with what a slot holds (in token order that is a neighbour of the slot's
    /// tokens; ties go to the first in order), else the first in order. A request is passed over while a busy
    /// slot is still decoding a longer prefix of it than the cache holds: started now it would decode that
    /// prefix a second time; started once the prefix is in, it copies it. Returns <see langword="null"/> when
    /// every waiting request waits so (only while a slot is busy).
    /// </summary>
    public Job? TakeNext(PrefixQueue waiting)
    {
        if (waiting.Count == 0)
        {
            return null;
        }

        var best = -1;
        var bestShared = 0;
        foreach (var slot in _slots)
        {
            if (!_reuse || slot.Cached.Count == 0)
            {
                continue;
            }

            var cached = CollectionsMarshal.AsSpan(slot.Cached);
            var at = waiting.LowerBound(cached);
            for (var i = Math.Max(0, at - 1); i <= Math.Min(waiting.Count - 1, at); i++)
            {
                var shared = Math.Min(cached.CommonPrefixLength(waiting[i].Context), waiting[i].Context.Length - 1);
                if (shared > bestShared || (shared == bestShared && i < best))
                {
                    (best, bestShared) = (i, shared);
                }
            }
        }

        if (best >= 0 && !WaitsForBusy(waiting[best]))
        {
            return Take(waiting, best);
        }

        // Bounded, so that a queue of thousands does not spend a forward pass's time choosing; what is passed over
        // waits for the prefix a busy slot is decoding and is free after the next pass.
        for (var i = 0; i < Math.Min(waiting.Count, 512); i++)
        {
            if (!WaitsForBusy(waiting[i]))
            {
                return Take(waiting, i);
            }
        }

        return null;

        static Job Take(PrefixQueue waiting, int index)
        {
            var job = waiting[index];
            waiting.RemoveAt(index);
            return job;
        }
    }

    /// <summary>Whether a busy slot will soon hold more of <paramref name="job"/>'s prompt than any slot holds now.</summary>
    private bool WaitsForBusy(Job job)
    {
        if (!_reuse)
        {
            return false;
        }

        var limit = job.Context.Length - 1;
        var cached = 0;
        foreach (var slot in _slots)
        {
            cached = Math.Max(cached, Common(slot.Cached, job.Context));
        }

        cached = Math.Min(cached, limit);
        foreach (var slot in _slots)
        {
            if (slot.Job is { } busy && slot.Cached.Count < busy.Context.Length
                && Math.Min(busy.Context.AsSpan().CommonPrefixLength(job.Context), limit) > cached)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// One <c>llama_decode</c> over every busy slot's next tokens (a slot's cells are only ever read
    /// up to what it had decoded, so another slot may copy from a busy one). Returns the jobs it
    /// finished, or, when the pass failed, the jobs that were in it (removed from their slots, which
    /// keep only what was decoded before) with the error. When the batch holds one job's tokens
    /// only, <see cref="Job.Cancellation"/> can abort the pass.
    /// </summary>
    public StepOutcome Step()
    {
        var outcome = new StepOutcome();
        var fed = new List<(Slot Slot, int Count, int Row, bool Trie)>();
        var busy = _slots.Where(s => s.Job is not null).ToList();
        var start = busy.Count == 0 ? 0 : _rotation++ % busy.Count;
        for (var k = 0; k < busy.Count && _session.Pending < _session.BatchCapacity; k++)
        {
            var slot = busy[(start + k) % busy.Count];
            var job = slot.Job!;
            if (job.Cursor < job.Context.Length)
            {
                var n = Math.Min(job.Context.Length - job.Cursor, _session.BatchCapacity - _session.Pending);
                var row = -1;
                for (var i = 0; i < n; i++)
                {
                    var p = job.Cursor + i;
                    row = _session.Add(job.Context[p], p, slot.Index, p == job.Context.Length - 1);
                }

                fed.Add((slot, n, job.Cursor + n == job.Context.Length ? row : -1, false));
            }
            else if (job.Generation is { Pending: { } token } generation)
            {
                if (_session.Pending >= _session.BatchCapacity)
                {
                    continue;
                }

                fed.Add((slot, 1, _session.Add(token, job.Context.Length + generation.Decoded, slot.Index, true), false));
            }
            else if (job.Trie is not null && job.TrieStep < job.Trie.Internal.Count)
            {
                var path = job.Trie.Internal[job.TrieStep].Path;
                if (path.Length > _session.BatchCapacity - _session.Pending)
                {
                    continue;
                }

                var row = -1;
                for (var d = 0; d < path.Length; d++)
                {
                    row = _session.Add(path[d], job.Context.Length + d, slot.Index, d == path.Length - 1);
                }

                fed.Add((slot, path.Length, row, true));
            }
        }

        var owners = fed.Select(f => f.Slot.Job!).ToList();
        try
        {
            _session.Decode(owners.Count == 1 ? owners[0].Cancellation : CancellationToken.None);
        }
        catch (Exception ex) when (ex is OperationCanceledException or JudgeException)
        {
            // Whatever the failed pass left in the cache is not known: keep each slot's cells up to what had been decoded before.
            foreach (var (slot, _, _, _) in fed)
            {
                _session.Truncate(slot.Index, slot.Cached.Count);
                slot.Job = null;
            }

            outcome.Failed.AddRange(owners);
            outcome.Error = ex;
            return outcome;
        }

        foreach (var (slot, count, row, trie) in fed)
        {
            var job = slot.Job!;
            if (job.Generation is { } generation)
            {
                if (job.Cursor < job.Context.Length)
                {
                    slot.Cached.AddRange(job.Context.AsSpan(job.Cursor, count));
                    job.Cursor += count;
                    Interlocked.Add(ref _decodedTokens, count);
                }
                else
                {
                    slot.Cached.Add(generation.Pending!.Value);
                    generation.Pending = null;
                    generation.Decoded++;
                    Interlocked.Increment(ref _decodedTokens);
                }

                if (row >= 0)
                {
                    Generate(job, generation, row);
                }

                if (generation.Done)
                {
                    slot.Job = null;
                    outcome.Done.Add(job);
                }

                continue;
            }

            if (trie)
            {
                job.Trie!.Internal[job.TrieStep].Record(_session.LogProbabilities(row));
                _session.Truncate(slot.Index, job.Context.Length);
                job.TrieStep++;
            }
            else
            {
                slot.Cached.AddRange(job.Context.AsSpan(job.Cursor, count));
                job.Cursor += count;
                Interlocked.Add(ref _decodedTokens, count);
                if (row >= 0)
                {
                    job.Trie!.Root.Record(_session.LogProbabilities(row));
                    job.TrieStep = 0;
                }
            }

            if (job.Cursor == job.Context.Length && job.TrieStep >= job.Trie!.Internal.Count)
            {
                job.Result = job.Trie.Result(job.Request!.Labels, job.Context.Length + job.Trie.TokenCount, _modelId);
                slot.Job = null;
                outcome.Done.Add(job);
            }
        }

        return outcome;
    }

    /// <summary>Abandons a job that is no longer wanted (its slot keeps the cells it decoded).</summary>
    public void Drop(Job job)
    {
        foreach (var s in _slots.Where(s => s.Job == job))
        {
            s.Job = null;
        }
    }

    /// <summary>
    /// After a decode whose last row belongs to generation <paramref name="generation"/>: ends it at its token limit or the
    /// sequence's end, else takes the next token (greedy, or the grammar's choice), which the next step decodes.
    /// </summary>
    private void Generate(Job job, LlamaGeneration generation, int row)
    {
        if (generation.Produced >= generation.MaxTokens || job.Context.Length + generation.Decoded >= _perSequence)
        {
            generation.End(ChatFinishReason.Length, job.Context.Length);
            return;
        }

        var next = generation.Sampler is null ? _session.Argmax(row) : generation.Sampler.Sample(_session.Logits(row));
        if (!generation.Take(next, _model))
        {
            generation.End(ChatFinishReason.Stop, job.Context.Length);
        }
    }

    /// <summary>
    /// A free slot (other than the best donor, if another is free) holding the longest prefix of
    /// <paramref name="tokens"/> the cache has: kept in place when the slot itself has (nearly) as much,
    /// else copied from the slot that has the most (a whole-stream copy the next decode performs, then cut
    /// to the shared part). The slot given up is the one whose cells the <paramref name="waiting"/> requests
    /// share least with — so a prefix whose subtree is still pending stays alive — the least recently used
    /// among equals. The last token is always left to decode: its logits are what a verdict is read from.
    /// </summary>
    private (Slot Slot, int Shared) Acquire(int[] tokens, PrefixQueue? waiting = null)
    {
        var limit = tokens.Length - 1;
        var donor = _slots.OrderByDescending(s => Math.Min(Common(s.Cached, tokens), limit)).ThenByDescending(s => s.LastUsed).First();
        var best = Math.Min(Common(donor.Cached, tokens), limit);
        var free = _slots.Where(s => s.Job is null).OrderBy(s => waiting is null ? 0 : StillWanted(s, waiting)).ThenBy(s => s.LastUsed).ToList();
        var target = free.FirstOrDefault(s => s != donor) ?? free.FirstOrDefault()
            ?? throw new InvalidOperationException("no free slot");
        var own = Math.Min(Common(target.Cached, tokens), limit);
        int shared;
        if (donor != target && best > own)
        {
            _session.Truncate(target.Index, 0);
            _session.CopySequence(donor.Index, target.Index);
            Interlocked.Increment(ref _copies);
            _session.Truncate(target.Index, best);
            target.Cached.Clear();
            target.Cached.AddRange(donor.Cached.Take(best));
            donor.LastUsed = ++_clock;
            shared = best;
        }
        else
        {
            shared = own;
            if (target.Cached.Count > shared)
            {
                _session.Truncate(target.Index, shared);
                target.Cached.RemoveRange(shared, target.Cached.Count - shared);
            }
        }

        target.LastUsed = ++_clock;
        Interlocked.Add(ref _reusedTokens, shared);
        return (target, shared);
    }

    /// <summary>The longest prefix of a waiting request's prompt that <paramref name="slot"/> holds (its neighbours in token order have it).</summary>
    private static int StillWanted(Slot slot, PrefixQueue waiting)
    {
        var cached = CollectionsMarshal.AsSpan(slot.Cached);
        var at = waiting.LowerBound(cached);
        var most = 0;
        for (var i = Math.Max(0, at - 1); i <= Math.Min(waiting.Count - 1, at); i++)
        {
            most = Math.Max(most, cached.CommonPrefixLength(waiting[i].Context));
        }

        return most;
    }

    /// <summary>The jobs in flight.</summary>
    public IEnumerable<Job> Jobs => _slots.Where(s => s.Job is not null).Select(s => s.Job!);

    /// <summary>Clears the cache and every slot; returns the jobs that were in flight (now in none).</summary>
    public List<Job> Reset()
    {
        var interrupted = Jobs.ToList();
        _session.Clear();
        foreach (var s in _slots)
        {
            s.Cached.Clear();
            s.Job = null;
        }

        return interrupted;
    }

    private int Common(List<int> cached, int[] tokens) => _reuse ? CollectionsMarshal.AsSpan(cached).CommonPrefixLength(tokens) : 0;

    /// <summary>What one <see cref="Step"/> finished, or the jobs a failed pass took with it.</summary>
    internal sealed class StepOutcome
    {
        public List<Job> Done { get; } = [];

        public List<Job> Failed { get; } = [];

        public Exception? Error { get; set; }
    }

    /// <summary>A verdict request being scored (its prompt tokens, label trie and progress), or a text generation.</summary>
    internal sealed class Job
    {
        public Job(LogitVerdictRequest request, int[] context, LabelTrie trie, CancellationToken cancellation)
        {
            Request = request;
            Context = context;
            Trie = trie;
            Cancellation = cancellation;
        }

        public Job(LlamaGeneration generation, int[] context, CancellationToken cancellation)
        {
            Generation = generation;
            Context = context;
            Cancellation = cancellation;
        }

        /// <summary>The verdict request; <see langword="null"/> for a generation.</summary>
        public LogitVerdictRequest? Request { get; }

        public int[] Context { get; }

        /// <summary>The labels' token trie; <see langword="null"/> for a generation.</summary>
        public LabelTrie? Trie { get; }

        /// <summary>The generation; <see langword="null"/> for a verdict.</summary>
        public LlamaGeneration? Generation { get; }

        public CancellationToken Cancellation { get; }

        /// <summary>Whether the caller no longer waits for this job (its result is set, or it was cancelled).</summary>
        public bool Abandoned => (Completion?.Task.IsCompleted ?? false) || (Generation?.Completion.Task.IsCompleted ?? false);

        /// <summary>Hands the finished job's result to its caller.</summary>
        public void Finish()
        {
            if (Result is not null)
            {
                Completion?.TrySetResult(Result);
            }
        }

        /// <summary>Hands <paramref name="error"/> to the caller (a cancellation as a cancellation).</summary>
        public void Fail(Exception error)
        {
            if (error is OperationCanceledException)
            {
                Completion?.TrySetCanceled(Cancellation);
                Generation?.Completion.TrySetCanceled(Cancellation);
            }
            else
            {
                Completion?.TrySetException(error);
                Generation?.Completion.TrySetException(error);
            }
        }

        /// <summary>Prompt tokens in the KV cache so far.</summary>
        public int Cursor { get; set; }

        /// <summary>The next branching trie node to evaluate, once the prompt is in (-1 before).</summary>
        public int TrieStep { get; set; } = -1;

        public LogitVerdictResult? Result { get; set; }

        /// <summary>Whether the job already started over once on a cleared cache (a generation never does: its text is out).</summary>
        public bool Retried { get; private set; }

        /// <summary>Forgets progress, to start again from nothing.</summary>
        public void Restart()
        {
            Cursor = 0;
            TrieStep = -1;
            Retried = true;
        }

        /// <summary>Set by the batching loop for a request that arrived through the queue.</summary>
        public TaskCompletionSource<LogitVerdictResult>? Completion { get; init; }
    }

    private sealed class Slot(int index)
    {
        public int Index { get; } = index;

        /// <summary>The tokens whose cells sequence <see cref="Index"/> holds, position by position.</summary>
        public List<int> Cached { get; } = [];

        public Job? Job { get; set; }

        /// <summary>When the slot last took a request or gave its prefix to one (a logical clock).</summary>
        public long LastUsed { get; set; }
    }
}

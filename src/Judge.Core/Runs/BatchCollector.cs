using Judge.Judging;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Runs;

/// <summary>
/// Collects the exact request bodies of a batch-mode model's calls as request lines for a provider batch
/// (<see cref="CallRunner.SendAsync"/>): a call the journal already answered is left out (it was paid for), every other
/// becomes a line under the caller's custom id. Thread-safe.
/// </summary>
/// <param name="journal">The journal whose answers are not collected; <see langword="null"/>: collect every call.</param>
/// <param name="batch">The model's batch side: it writes each body as a live call would send it.</param>
/// <param name="identity">The model's recorded id, the journal's key for its answers (<see cref="JudgeSpec.Text"/>).</param>
internal sealed class BatchCollector(ResponseJournal? journal, IBatchJudge batch, string identity)
{
    /// <summary>Marks a collected call's placeholder answer: the marker, then the request body's hash.</summary>
    private const string Marker = "\u0001judge-batch:";

    private readonly Dictionary<string, byte[]> _bodies = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, BatchRequestLine> _lines = new(StringComparer.Ordinal);
    private readonly List<string> _uncollected = [];
    private readonly Lock _lock = new();

    /// <summary>The model's batch side.</summary>
    public IBatchJudge Batch => batch;

    /// <summary>The request lines collected so far, by custom id.</summary>
    public IReadOnlyDictionary<string, BatchRequestLine> Lines
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, BatchRequestLine>(_lines, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Why calls could not be written as lines (they failed before a body existed); they are called live.</summary>
    public IReadOnlyList<string> Uncollected
    {
        get
        {
            lock (_lock)
            {
                return [.. _uncollected];
            }
        }
    }

    /// <summary>Writes a request's body and returns its hash, to <see cref="Add"/> under a custom id; <see langword="null"/> when the journal answers it.</summary>
    public async Task<string?> CollectAsync(IReadOnlyList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        if (journal?.Contains(ResponseJournal.KeyOf(identity, messages, options)) == true)
        {
            return null;
        }

        var body = await batch.RequestBodyAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var hash = BatchAnswers.Hash(body);
        lock (_lock)
        {
            _bodies[hash] = body;
        }

        return hash;
    }

    /// <summary>Makes the collected body with <paramref name="hash"/> the line <paramref name="customId"/>.</summary>
    public void Add(string customId, string hash)
    {
        lock (_lock)
        {
            _lines[customId] = new BatchRequestLine(customId, _bodies[hash]);
        }
    }

    /// <summary>
    /// A client for a judge that collects each call instead of making it: the answer is a placeholder naming the request
    /// body (empty when the journal answers the call), which <see cref="AddCalls"/> turns into a line. The client under it
    /// is never called.
    /// </summary>
    public IChatClient Client(IChatClient inner) => new CollectingChatClient(inner, this);

    /// <summary>Adds the lines of one judgment's collected calls, each under its <see cref="BatchRequestLine.IdOf"/> custom id.</summary>
    public void AddCalls(IReadOnlyList<JudgeCall> calls, int? repeat)
    {
        ArgumentNullException.ThrowIfNull(calls);
        lock (_lock)
        {
            _uncollected.AddRange(calls.Where(c => c.RawOutput is null && c.Error is not null).Select(c => c.Error!));
        }

        foreach (var call in calls.Where(c => c.RawOutput?.StartsWith(Marker, StringComparison.Ordinal) == true))
        {
            Add(BatchRequestLine.IdOf(call.Item, call.Order, repeat, call.PromptHash), call.RawOutput![Marker.Length..]);
        }
    }

    /// <summary>Captures each call's request body and answers with a placeholder that names it.</summary>
    private sealed class CollectingChatClient(IChatClient inner, BatchCollector collector) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();

            // Answered before the run was stopped: the journal serves it, no batch line is needed.
            var hash = await collector.CollectAsync(list, options, cancellationToken).ConfigureAwait(false);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, hash is null ? string.Empty : Marker + hash));
        }
    }
}

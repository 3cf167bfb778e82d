using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Judge.Data;
using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Runs;

/// <summary>One judge response kept in a run's response journal.</summary>
internal sealed record JournalEntry
{
    /// <summary>The judge spec that answered.</summary>
    public required string Judge { get; init; }

    /// <summary>The request's <see cref="ResponseKey"/>: the same request, the same key.</summary>
    public required string Key { get; init; }

    /// <summary>What the judge wrote.</summary>
    public required string Text { get; init; }

    /// <summary>The model that answered.</summary>
    public string? Model { get; init; }

    /// <summary>The finish reason.</summary>
    public string? FinishReason { get; init; }

    /// <summary>Prompt tokens.</summary>
    public long? InputTokens { get; init; }

    /// <summary>Completion tokens.</summary>
    public long? OutputTokens { get; init; }
}

/// <summary>Source-generated JSON for the response journal.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JournalEntry))]
internal sealed partial class JournalJsonContext : JsonSerializerContext;

/// <summary>
/// A run's journal of judge responses (<c>responses.jsonl</c>), appended and flushed as each response
/// arrives, before its item is finished. A resumed run serves an unfinished item's calls that were
/// already answered from here, so a kill between an item's two calls does not pay for the first one
/// twice. Thread-safe.
/// </summary>
internal sealed class ResponseJournal : IDisposable
{
    private readonly Dictionary<string, JournalEntry> _entries = new(StringComparer.Ordinal);
    private readonly FileStream _stream;
    private readonly Lock _lock = new();

    private ResponseJournal(FileStream stream, int tornLines)
    {
        _stream = stream;
        TornLines = tornLines;
    }

    /// <summary>Lines cut from the end of the journal when it was opened (a torn write).</summary>
    public int TornLines { get; }

    /// <summary>Responses held.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Responses served from the journal instead of the judge in this process.</summary>
    public int Served => Volatile.Read(ref _served);

    private int _served;

    /// <summary>Opens (or creates) the journal at <paramref name="path"/>; <paramref name="resume"/> keeps and loads what is there.</summary>
    public static ResponseJournal Open(string path, bool resume)
    {
        IReadOnlyList<JournalEntry> entries = [];
        var torn = 0;
        if (resume && File.Exists(path))
        {
            // A journal is only a cache: a bad line costs one repeated call, never a wrong verdict.
            var recovered = Jsonl.Recover(path, text => JsonSerializer.Deserialize(text, JournalJsonContext.Default.JournalEntry), _ => true, badLineEndsFile: true);
            entries = recovered.Records;
            torn = recovered.DroppedLines;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var stream = new FileStream(path, resume ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read);
        var journal = new ResponseJournal(stream, torn);
        foreach (var e in entries)
        {
            journal._entries[e.Key] = e;
        }

        return journal;
    }

    /// <summary>The journal key of a request: <see cref="ResponseKey.Of"/> with the judge spec as identity.</summary>
    public static string KeyOf(string judge, IEnumerable<ChatMessage> messages, ChatOptions? options) => ResponseKey.Of(judge, messages, options);

    /// <summary>A journalled response for the key, if any; counts it as served.</summary>
    public JournalEntry? Take(string key)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var e))
            {
                _served++;
                return e;
            }

            return null;
        }
    }

    /// <summary>Whether the journal holds a response for the key (without counting it as served).</summary>
    public bool Contains(string key)
    {
        lock (_lock)
        {
            return _entries.ContainsKey(key);
        }
    }

    /// <summary>Appends a response and flushes it to disk.</summary>
    public void Add(JournalEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, JournalJsonContext.Default.JournalEntry) + "\n");
        lock (_lock)
        {
            _entries[entry.Key] = entry;
            _stream.Write(line);
            _stream.Flush();
        }
    }

    /// <summary>Wraps a judge's chat client so its responses are journalled and replayed from the journal.</summary>
    public IChatClient Wrap(string judge, IChatClient inner) => new JournalingChatClient(inner, this, judge);

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();

    /// <summary>Serves journalled responses; journals new ones as they arrive.</summary>
    private sealed class JournalingChatClient(IChatClient inner, ResponseJournal journal, string judge) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
            var key = KeyOf(judge, list, options);
            if (journal.Take(key) is { } kept)
            {
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, kept.Text))
                {
                    ModelId = kept.Model,
                    FinishReason = kept.FinishReason is { } f ? new ChatFinishReason(f) : null,
                    Usage = kept.InputTokens is null && kept.OutputTokens is null ? null : new UsageDetails { InputTokenCount = kept.InputTokens, OutputTokenCount = kept.OutputTokens },
                };
            }

            var response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            journal.Add(new JournalEntry
            {
                Judge = judge,
                Key = key,
                Text = response.Text,
                Model = response.ModelId,
                FinishReason = response.FinishReason?.Value,
                InputTokens = response.Usage?.InputTokenCount,
                OutputTokens = response.Usage?.OutputTokenCount,
            });
            return response;
        }
    }
}

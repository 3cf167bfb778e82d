using System.Text;
using System.Text.Json;
using Judge.Data;

namespace Judge.Verdicts;

/// <summary>Receives judgments as they are made.</summary>
internal interface IJudgmentSink
{
    /// <summary>Records an item's verdict and its calls.</summary>
    ValueTask WriteAsync(ItemVerdict verdict, CancellationToken cancellationToken = default);
}

/// <summary>
/// Appends judgments to a JSONL file: each item's call records, then its verdict record, flushed
/// to disk per item so a killed run keeps everything it had finished. Thread-safe.
/// </summary>
public sealed class JudgmentsWriter : IJudgmentSink, IAsyncDisposable
{
    private readonly StreamWriter _writer;
    private readonly SemaphoreSlim _lock = new(1, 1);

    private JudgmentsWriter(StreamWriter writer)
    {
        _writer = writer;
    }

    /// <summary>Opens <paramref name="path"/> for writing, creating folders; <paramref name="append"/> keeps what is there.</summary>
    public static JudgmentsWriter Open(string path, bool append = false)
    {
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            var stream = new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read);
            return new JudgmentsWriter(new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, $"cannot write the results file ({ex.Message})", ex);
        }
    }

    /// <summary>Appends an item's calls, then its verdict, as one write, flushed.</summary>
    public ValueTask WriteAsync(ItemVerdict verdict, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        return AppendAsync([.. verdict.Calls, verdict], cancellationToken);
    }

    /// <summary>Appends records as they are, as one write, flushed; the records of one item stay together.</summary>
    public ValueTask WriteRecordsAsync(IReadOnlyList<JudgmentRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        return AppendAsync([.. records], cancellationToken);
    }

    /// <summary>Serialises one record as a line.</summary>
    public static string ToLine(JudgmentRecord record) => JsonSerializer.Serialize(record, JudgmentJsonContext.Default.JudgmentRecord);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }

    private async ValueTask AppendAsync(JudgmentRecord[] records, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        foreach (var record in records)
        {
            text.Append(ToLine(record)).Append('\n');
        }

        // Not cancellable once started: a half-written item would be worse than a slightly late stop.
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _writer.WriteAsync(text, CancellationToken.None).ConfigureAwait(false);
            await _writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }
}

/// <summary>Reads judgments files written by <see cref="JudgmentsWriter"/>.</summary>
public static class JudgmentsReader
{
    /// <summary>Whether the first record of a JSONL file is one of ours (it has a <c>type</c> field).</summary>
    public static bool IsJudgmentsFile(string path)
    {
        foreach (var (line, text) in Jsonl.ReadLines(path))
        {
            using var doc = Jsonl.Parse(path, line, text);
            return doc.RootElement.TryGetProperty("type", out _);
        }

        return false;
    }

    /// <summary>
    /// Reads every record in file order, each verdict holding the calls written before it (its
    /// <see cref="ItemVerdict.Calls"/>); a malformed line is an
    /// <see cref="InputException"/> naming it.
    /// </summary>
    public static List<JudgmentRecord> Read(string path) =>
        WithCalls(Jsonl.ReadLines(path).Select(l => ParseRecord(path, l.Line, l.Text)));

    /// <summary>
    /// The records in order, each verdict given the calls that precede it since the previous verdict: how a
    /// judgments file keeps an item's calls with its verdict.
    /// </summary>
    public static List<JudgmentRecord> WithCalls(IEnumerable<JudgmentRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var list = new List<JudgmentRecord>();
        var calls = new List<JudgeCall>();
        foreach (var record in records)
        {
            switch (record)
            {
                case JudgeCall call:
                    calls.Add(call);
                    list.Add(call);
                    break;
                case ItemVerdict verdict:
                    list.Add(verdict with { Calls = calls });
                    calls = [];
                    break;
            }
        }

        return list;
    }

    /// <summary>Parses one line of a judgments file; a line that is not a record is an <see cref="InputException"/> naming it.</summary>
    public static JudgmentRecord ParseRecord(string path, int line, string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, JudgmentJsonContext.Default.JudgmentRecord)
                ?? throw new InputException(path, line, null, "empty record");
        }
        catch (JsonException ex)
        {
            throw new InputException(path, line, ex.Path is { Length: > 2 } p ? p[2..] : null, $"not a judgments record ({ex.Message.Split(". ")[0]})", ex);
        }
        catch (NotSupportedException ex)
        {
            throw new InputException(path, line, "type", "not a judgments record (type must be call, pairwise or absolute, and come first)", ex);
        }
    }

    /// <summary>
    /// The pairwise verdicts of a judgments file as labels (rater = the judge id), so they can be
    /// compared with human labels; items without a verdict are left out and counted by the caller.
    /// </summary>
    public static List<PairwiseLabel> PairwiseLabels(IEnumerable<JudgmentRecord> records) =>
        records.OfType<PairwiseVerdict>().Select(r => r.ToLabel()).OfType<PairwiseLabel>().ToList();
}

/// <summary>What <see cref="JudgmentsRecovery.Recover"/> found in a results file left by an interrupted run.</summary>
/// <param name="Records">Every complete record kept.</param>
/// <param name="TruncatedBytes">Bytes cut from the end of the file (0 when it ended cleanly).</param>
/// <param name="DroppedLines">Lines cut: a torn last line, and call records of an item whose verdict was never written.</param>
internal sealed record RecoveredJudgments(IReadOnlyList<JudgmentRecord> Records, long TruncatedBytes, int DroppedLines);

/// <summary>
/// Makes a judgments file safe to append to after a crash. An item's records are written in one
/// write ending with its verdict record, so anything after the last verdict line belongs to an
/// item that never finished: a torn last line, or calls without their verdict. Those bytes are cut;
/// every earlier line must parse, or the file is not ours to repair.
/// </summary>
internal static class JudgmentsRecovery
{
    /// <summary>Reads <paramref name="path"/>, truncates it after its last complete verdict record, and returns what is kept.</summary>
    public static RecoveredJudgments Recover(string path)
    {
        var recovered = Jsonl.Recover(path, text => JsonSerializer.Deserialize(text, JudgmentJsonContext.Default.JudgmentRecord), r => r is not JudgeCall, badLineEndsFile: false);
        return new RecoveredJudgments(JudgmentsReader.WithCalls(recovered.Records), recovered.TruncatedBytes, recovered.DroppedLines);
    }
}

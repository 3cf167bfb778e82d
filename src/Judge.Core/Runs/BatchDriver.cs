using System.Globalization;
using Judge.Judging;

namespace Judge.Runs;

/// <summary>
/// Sends request lines through a provider's batch service and collects the answers: re-attaches to the batches the
/// ledger records for the owner, submits what no batch has answered (split by the provider's limits), polls until each
/// batch ends, and resubmits retryable failures, a line being in at most <see cref="MaxRounds"/> batches. Lines still
/// unanswered are left to be called live. Every file and batch id is recorded in the ledger the moment it exists.
/// </summary>
/// <param name="time">The clock polls wait on. Default: the system clock.</param>
internal sealed class BatchDriver(TimeProvider? time = null)
{
    /// <summary>How many batches a request line may be in before it goes live.</summary>
    public const int MaxRounds = 3;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Sends <paramref name="lines"/> (by custom id) and returns the answers, added to <paramref name="answers"/> when given.</summary>
    /// <param name="owner">The judge or model spec the batches are recorded under.</param>
    /// <param name="batch">The model's batch side.</param>
    /// <param name="lines">The request lines, by custom id.</param>
    /// <param name="book">The ledger.</param>
    /// <param name="note">Status lines for the user: submissions, states with requests done and failed, elapsed time.</param>
    /// <param name="answers">Where answers go. Default: a new set.</param>
    /// <param name="cancellationToken">Stops waiting; what is recorded lets a later call re-attach.</param>
    public async Task<BatchAnswers> SendAsync(
        string owner, IBatchJudge batch, IReadOnlyDictionary<string, BatchRequestLine> lines, BatchBook book, Action<string>? note, BatchAnswers? answers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(book);
        answers ??= new BatchAnswers();
        var tries = new Dictionary<string, int>(StringComparer.Ordinal);
        var failures = new Dictionary<string, BatchResultLine>(StringComparer.Ordinal);
        foreach (var record in book.For(owner))
        {
            Count(book, record, tries);
            Apply(await SettleAsync(batch, book, record, note, null, cancellationToken).ConfigureAwait(false), lines, answers, failures);
        }

        while (true)
        {
            var pending = lines.Values
                .Where(l => !answers.Answered(l.CustomId) && tries.GetValueOrDefault(l.CustomId) < MaxRounds
                    && (!failures.TryGetValue(l.CustomId, out var f) || f.Retryable))
                .ToList();
            if (pending.Count == 0)
            {
                break;
            }

            var submitted = new List<(BatchRecord Record, BatchInfo Info)>();
            foreach (var part in Split(pending, batch))
            {
                submitted.Add(await SubmitAsync(owner, batch, book, part, cancellationToken).ConfigureAwait(false));
            }

            note?.Invoke($"{owner}: {pending.Count} requests submitted in {submitted.Count} batch{(submitted.Count == 1 ? string.Empty : "es")}: {string.Join(", ", submitted.Select(s => s.Record.BatchId))}");
            foreach (var (record, info) in submitted)
            {
                Count(book, record, tries);
                Apply(await SettleAsync(batch, book, record, note, info, cancellationToken).ConfigureAwait(false), lines, answers, failures);
            }
        }

        var live = lines.Values.Count(l => !answers.Answered(l.CustomId));
        if (live > 0)
        {
            var causes = string.Join(", ", lines.Values.Where(l => !answers.Answered(l.CustomId)).Select(l => failures.TryGetValue(l.CustomId, out var f) ? f.Error ?? "failed" : "no answer")
                .GroupBy(c => c, StringComparer.Ordinal).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key}")));
            note?.Invoke($"{owner}: {live} of {lines.Count} requests got no batch answer ({causes}); they are called live");
        }

        return answers;
    }

    private static IEnumerable<List<BatchRequestLine>> Split(List<BatchRequestLine> pending, IBatchJudge batch)
    {
        var part = new List<BatchRequestLine>();
        long bytes = 0;
        foreach (var line in pending)
        {
            var size = line.Body.Length + line.CustomId.Length + batch.Url.Length + 64;
            if (part.Count > 0 && (part.Count >= batch.Limits.MaxRequests || bytes + size > batch.Limits.MaxBytes))
            {
                yield return part;
                part = [];
                bytes = 0;
            }

            part.Add(line);
            bytes += size;
        }

        if (part.Count > 0)
        {
            yield return part;
        }
    }

    /// <summary>Writes a request file into the run folder, uploads it and creates its batch, recording each id at once.</summary>
    private static async Task<(BatchRecord Record, BatchInfo Info)> SubmitAsync(string owner, IBatchJudge batch, BatchBook book, List<BatchRequestLine> part, CancellationToken cancellationToken)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"batches/{RunManifest.HashPlan([owner])[7..19]}-{book.Records.Count + 1:D3}.requests.jsonl");
        var path = book.PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var buffer = new MemoryStream())
        {
            foreach (var line in part)
            {
                buffer.Write(line.ToJsonLine(batch.Url));
            }

            WriteAtomically(path, buffer.ToArray());
        }

        string fileId;
        try
        {
            fileId = await batch.Service.UploadAsync(Path.GetFileName(path), File.ReadAllBytes(path), cancellationToken).ConfigureAwait(false);
        }
        catch (BatchUnsupportedException) when (book.Records.Count == 0)
        {
            // No batch API and no batch recorded: leave no request file behind; the run calls this judge live.
            File.Delete(path);
            throw;
        }

        var record = new BatchRecord { Judge = owner, RequestFile = name, Requests = part.Count, InputFileId = fileId };
        book.Add(record);
        var info = await batch.Service.CreateAsync(fileId, cancellationToken).ConfigureAwait(false);
        record = record with { BatchId = info.Id, Status = info.Status };
        book.Update(record);
        return (record, info);
    }

    /// <summary>
    /// Brings a recorded batch to its end and returns its output and error lines: from the run folder when they were
    /// downloaded before; else creates the batch (when only its file was uploaded), polls it until it ends, and
    /// downloads its files.
    /// </summary>
    private async Task<IReadOnlyList<BatchResultLine>> SettleAsync(IBatchJudge batch, BatchBook book, BatchRecord record, Action<string>? note, BatchInfo? known, CancellationToken cancellationToken)
    {
        var malformed = new List<string>();
        if (record.ResultFile is { } kept && File.Exists(book.PathOf(kept)))
        {
            return BatchResultLine.Parse(File.ReadAllBytes(book.PathOf(kept)), malformed);
        }

        BatchInfo info;
        if (known is not null)
        {
            info = known;
        }
        else if (record.BatchId is null)
        {
            // Killed after the upload: the batch may exist without its id recorded (the create's answer was lost).
            info = await batch.Service.FindAsync(record.InputFileId, cancellationToken).ConfigureAwait(false)
                ?? await batch.Service.CreateAsync(record.InputFileId, cancellationToken).ConfigureAwait(false);
            record = record with { BatchId = info.Id, Status = info.Status };
            book.Update(record);
        }
        else
        {
            info = await batch.Service.GetAsync(record.BatchId, cancellationToken).ConfigureAwait(false);
        }

        var started = _time.GetTimestamp();
        var shown = string.Empty;
        while (true)
        {
            var line = string.Create(CultureInfo.InvariantCulture, $"batch {info.Id}: {info.Status}, {info.Completed}/{(info.Total > 0 ? info.Total : record.Requests)} done, {info.Failed} failed, {_time.GetElapsedTime(started):hh\\:mm\\:ss} elapsed");
            if (line[..line.LastIndexOf(',')] != shown)
            {
                shown = line[..line.LastIndexOf(',')];
                note?.Invoke(line);
            }

            if (info.Status != record.Status)
            {
                record = record with { Status = info.Status };
                book.Update(record);
            }

            if (BatchStatus.IsTerminal(info.Status))
            {
                break;
            }

            await Task.Delay(batch.PollInterval, _time, cancellationToken).ConfigureAwait(false);
            info = await batch.Service.GetAsync(info.Id, cancellationToken).ConfigureAwait(false);
        }

        using var results = new MemoryStream();
        foreach (var fileId in new[] { info.OutputFileId, info.ErrorFileId }.OfType<string>())
        {
            var content = await batch.Service.DownloadAsync(fileId, cancellationToken).ConfigureAwait(false);
            results.Write(content);
            if (content.Length > 0 && content[^1] != (byte)'\n')
            {
                results.WriteByte((byte)'\n');
            }
        }

        var name = record.RequestFile.Replace(".requests.jsonl", ".results.jsonl", StringComparison.Ordinal);
        WriteAtomically(book.PathOf(name), results.ToArray());
        book.Update(record with { ResultFile = name });
        var parsed = BatchResultLine.Parse(results.ToArray(), malformed);
        foreach (var m in malformed)
        {
            note?.Invoke($"batch {info.Id}: a malformed result line was ignored and its request stays unanswered ({m})");
        }

        return parsed;
    }

    private static void Count(BatchBook book, BatchRecord record, Dictionary<string, int> tries)
    {
        foreach (var line in BatchRequestLine.ReadFile(book.PathOf(record.RequestFile)))
        {
            tries[line.CustomId] = tries.GetValueOrDefault(line.CustomId) + 1;
        }
    }

    private static void Apply(IReadOnlyList<BatchResultLine> results, IReadOnlyDictionary<string, BatchRequestLine> lines, BatchAnswers answers, Dictionary<string, BatchResultLine> failures)
    {
        foreach (var result in results)
        {
            if (!lines.TryGetValue(result.CustomId, out var line))
            {
                // A line of a judgment recorded since, or of another stage or plan: nothing to serve now.
                continue;
            }

            if (result.Succeeded)
            {
                answers.Add(line.Hash, line.CustomId, result.Body!);
                failures.Remove(line.CustomId);
            }
            else if (!answers.Answered(line.CustomId))
            {
                failures[line.CustomId] = result;
            }
        }
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}

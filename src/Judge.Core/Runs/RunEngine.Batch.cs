using System.Globalization;
using Judge.Grading;
using Judge.Results;
using Microsoft.Extensions.AI;

namespace Judge.Runs;

// The batch path: a judge with batch=on has its calls collected, sent through the provider's batch service and
// answered there; the run then judges as usual, its calls served from the batch answers, so every result is
// recorded exactly as a live call's would be.
public sealed partial class RunEngine
{
    /// <summary>How many batches a request line may be in before it goes live.</summary>
    public const int MaxBatchRounds = 3;

    /// <summary>Marks a collected call's placeholder answer: the marker, then the request body's hash.</summary>
    private const string CollectMarker = "\u0001judge-batch:";

    /// <summary>
    /// Sends the calls of a batch judge's remaining passes through its provider's batch service: re-attaches to the
    /// batches the manifest records, submits what no batch has answered (split by the provider's limits), waits,
    /// and resubmits retryable failures up to <see cref="MaxBatchRounds"/> times; what is still unanswered goes live.
    /// </summary>
    private async Task<BatchAnswers> BatchAsync(
        RunConfig config, string judge, IBatchJudge batch, IReadOnlyList<RunPass> passes, BatchBook book, ResponseJournal journal, RunObserver observer, CancellationToken cancellationToken)
    {
        var (lines, uncollected) = await CollectAsync(config, batch, passes, journal, cancellationToken).ConfigureAwait(false);
        foreach (var problem in uncollected.Take(3))
        {
            observer.Note?.Invoke($"{judge}: a call could not be written as a batch line and is called live ({problem})");
        }

        var answers = new BatchAnswers();
        var tries = new Dictionary<string, int>(StringComparer.Ordinal);
        var failures = new Dictionary<string, BatchResultLine>(StringComparer.Ordinal);
        foreach (var record in book.For(judge))
        {
            Count(book, record, tries);
            Apply(await SettleAsync(batch, book, record, observer, null, cancellationToken).ConfigureAwait(false), lines, answers, failures, observer, record);
        }

        while (true)
        {
            var pending = lines.Values
                .Where(l => !answers.Answered(l.CustomId) && tries.GetValueOrDefault(l.CustomId) < MaxBatchRounds
                    && (!failures.TryGetValue(l.CustomId, out var f) || f.Retryable))
                .ToList();
            if (pending.Count == 0)
            {
                break;
            }

            var submitted = new List<(BatchRecord Record, BatchInfo Info)>();
            foreach (var part in Split(pending, batch))
            {
                submitted.Add(await SubmitAsync(judge, batch, book, part, cancellationToken).ConfigureAwait(false));
            }

            observer.Note?.Invoke($"{judge}: {pending.Count} requests submitted in {submitted.Count} batch{(submitted.Count == 1 ? string.Empty : "es")}: {string.Join(", ", submitted.Select(s => s.Record.BatchId))}");
            foreach (var (record, info) in submitted)
            {
                Count(book, record, tries);
                Apply(await SettleAsync(batch, book, record, observer, info, cancellationToken).ConfigureAwait(false), lines, answers, failures, observer, record);
            }
        }

        var live = lines.Values.Count(l => !answers.Answered(l.CustomId));
        if (live > 0)
        {
            var causes = string.Join(", ", lines.Values.Where(l => !answers.Answered(l.CustomId)).Select(l => failures.TryGetValue(l.CustomId, out var f) ? f.Error ?? "failed" : "no answer")
                .GroupBy(c => c, StringComparer.Ordinal).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key}")));
            observer.Note?.Invoke($"{judge}: {live} of {lines.Count} requests got no batch answer ({causes}); they are called live");
        }

        return answers;
    }

    /// <summary>
    /// Runs a batch judge's passes against a client that answers nothing: each call's exact live request body is
    /// captured, keyed by its custom id. Calls the journal already answered are not collected.
    /// </summary>
    private async Task<(Dictionary<string, BatchRequestLine> Lines, List<string> Uncollected)> CollectAsync(RunConfig config, IBatchJudge batch, IReadOnlyList<RunPass> passes, ResponseJournal journal, CancellationToken cancellationToken)
    {
        var bodies = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var lines = new SortedDictionary<string, BatchRequestLine>(StringComparer.Ordinal);
        var uncollected = new List<string>();
        foreach (var pass in passes.Where(p => p.Count > 0))
        {
            // The client under the collector is the batch-serving one (with no answers): it is never called.
            var build = BuildOptions(config, pass, journal, wrap: (judge, inner) => new CollectingChatClient(inner, batch, journal, judge, bodies), answers: new BatchAnswers());
            var sink = new CollectSink(pass.Repeat, bodies, lines, uncollected);
            var options = new GradingRunOptions { Concurrency = config.Options.Concurrency };
            if (pass.Pairs is { } pairs)
            {
                await GradingRunner.RunAsync(pairs, judges.CreatePairwise(pass.Spec, build).Judge, sink, options, null, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await GradingRunner.RunAsync(pass.Answers!, judges.CreateAbsolute(pass.Spec, build), sink, options, null, cancellationToken).ConfigureAwait(false);
            }
        }

        return (new Dictionary<string, BatchRequestLine>(lines, StringComparer.Ordinal), uncollected);
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
    private static async Task<(BatchRecord Record, BatchInfo Info)> SubmitAsync(string judge, IBatchJudge batch, BatchBook book, List<BatchRequestLine> part, CancellationToken cancellationToken)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"batches/{RunManifest.HashPlan([judge])[7..19]}-{book.Manifest.Batches.Count + 1:D3}.requests.jsonl");
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

        var fileId = await batch.Service.UploadAsync(Path.GetFileName(path), File.ReadAllBytes(path), cancellationToken).ConfigureAwait(false);
        var record = new BatchRecord { Judge = judge, RequestFile = name, Requests = part.Count, InputFileId = fileId };
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
    private async Task<IReadOnlyList<BatchResultLine>> SettleAsync(IBatchJudge batch, BatchBook book, BatchRecord record, RunObserver observer, BatchInfo? known, CancellationToken cancellationToken)
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
                observer.Note?.Invoke(line);
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
            observer.Note?.Invoke($"batch {info.Id}: a malformed result line was ignored and its request stays unanswered ({m})");
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

    private static void Apply(IReadOnlyList<BatchResultLine> results, Dictionary<string, BatchRequestLine> lines, BatchAnswers answers, Dictionary<string, BatchResultLine> failures, RunObserver observer, BatchRecord record)
    {
        var unknown = 0;
        foreach (var result in results)
        {
            if (!lines.TryGetValue(result.CustomId, out var line))
            {
                // A line of a judgment recorded since, or of another plan: nothing to serve.
                unknown++;
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

        if (unknown > 0)
        {
            observer.Note?.Invoke($"batch {record.BatchId}: {unknown} result lines belong to judgments already recorded; not used again");
        }
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Captures each call's request body and answers with a placeholder that names it.</summary>
    private sealed class CollectingChatClient(IChatClient inner, IBatchJudge batch, ResponseJournal journal, string judge, Dictionary<string, byte[]> bodies) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
            if (journal.Contains(ResponseJournal.KeyOf(judge, list, options)))
            {
                // Answered before the run was killed: the journal serves it, no batch line is needed.
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, string.Empty));
            }

            var body = await batch.RequestBodyAsync(list, options, cancellationToken).ConfigureAwait(false);
            var hash = BatchAnswers.Hash(body);
            lock (bodies)
            {
                bodies[hash] = body;
            }

            return new ChatResponse(new ChatMessage(ChatRole.Assistant, CollectMarker + hash));
        }
    }

    /// <summary>Turns the collected calls of each judgment into request lines.</summary>
    private sealed class CollectSink(int? repeat, Dictionary<string, byte[]> bodies, SortedDictionary<string, BatchRequestLine> lines, List<string> uncollected) : IJudgmentSink
    {
        public ValueTask WriteAsync(PairwiseJudgment judgment, CancellationToken cancellationToken = default) => Add(judgment.Calls);

        public ValueTask WriteAsync(AbsoluteJudgment judgment, CancellationToken cancellationToken = default) => Add(judgment.Calls);

        private ValueTask Add(IReadOnlyList<JudgeCall> calls)
        {
            lock (lines)
            {
                uncollected.AddRange(calls.Where(c => c.RawOutput is null && c.Error is not null).Select(c => c.Error!));
            }

            foreach (var call in calls.Where(c => c.RawOutput?.StartsWith(CollectMarker, StringComparison.Ordinal) == true))
            {
                var hash = call.RawOutput![CollectMarker.Length..];
                var id = BatchRequestLine.IdOf(call.ItemKey, call.Order, repeat, call.PromptHash);
                lock (lines)
                {
                    byte[] body;
                    lock (bodies)
                    {
                        body = bodies[hash];
                    }

                    lines[id] = new BatchRequestLine(id, body);
                }
            }

            return ValueTask.CompletedTask;
        }
    }
}

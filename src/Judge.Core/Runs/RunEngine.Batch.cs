using Judge.Judging;
using Judge.Rubrics;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Runs;

// The batch path: a judge with batch=on has its calls collected, sent through the provider's batch service and
// answered there; the run then judges as usual, its calls served from the batch answers, so every result is
// recorded exactly as a live call's would be.
public sealed partial class RunEngine
{
    /// <summary>Marks a collected call's placeholder answer: the marker, then the request body's hash.</summary>
    private const string CollectMarker = "\u0001judge-batch:";

    /// <summary>Collects the calls of a batch judge's remaining passes and sends them through its batch service (see <see cref="BatchDriver"/>).</summary>
    private async Task<BatchAnswers> BatchAsync(
        RunConfig config, string judge, IBatchJudge batch, IReadOnlyList<RunPass> passes, BatchBook book, ResponseJournal journal, RunObserver observer, CancellationToken cancellationToken)
    {
        var (lines, uncollected) = await CollectAsync(config, batch, passes, journal, cancellationToken).ConfigureAwait(false);
        foreach (var problem in uncollected.Take(3))
        {
            observer.Note?.Invoke($"{judge}: a call could not be written as a batch line and is called live ({problem})");
        }

        return await new BatchDriver(_time).SendAsync(judge, batch, lines, book, observer.Note, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The request lines (OpenAI batch format, JSONL) of a config's whole plan for its one batch-mode judge, for an
    /// engine that reads that format (e.g. vLLM's <c>run_batch</c>); <c>judge batch import</c> records that engine's
    /// output file. Calls nothing.
    /// </summary>
    /// <exception cref="InputException">The config has no batch-mode judge, or more than one.</exception>
    public async Task<byte[]> ExportBatchAsync(RunConfig config, RubricLibrary rubrics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var plan = Plan(config, LoadData(config), rubrics);
        var groups = plan.Passes.Where(p => p.Count > 0).GroupBy(p => p.Judge, StringComparer.Ordinal).ToList();
        var sides = groups.Select(g => (Passes: g.ToList(), Batch: judges.Batch(g.First().Spec))).ToList();
        var journalPath = Path.Combine(Path.GetTempPath(), $"judge-export-{Guid.NewGuid():N}.jsonl");
        try
        {
            var batched = sides.Where(s => s.Batch is not null).ToList();
            if (batched.Count != 1)
            {
                throw new InputException(config.SourcePath, null, "judges", batched.Count == 0
                    ? "no judge in batch mode to export: give an openai: or azure: judge with batch=on (or options.batch: on)"
                    : "more than one judge in batch mode; export one at a time (--judge)");
            }

            var (passes, batch) = batched[0];
            using var journal = ResponseJournal.Open(journalPath, resume: false);
            var (lines, uncollected) = await CollectAsync(config, batch!, passes, journal, cancellationToken).ConfigureAwait(false);
            if (uncollected.Count > 0)
            {
                throw new JudgeException($"{uncollected.Count} calls could not be written as batch lines: {uncollected[0]}");
            }

            using var buffer = new MemoryStream();
            foreach (var line in lines.Values)
            {
                buffer.Write(line.ToJsonLine(batch!.Url));
            }

            return buffer.ToArray();
        }
        finally
        {
            foreach (var (_, batch) in sides)
            {
                batch?.Dispose();
            }

            File.Delete(journalPath);
        }
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
                await GradingRunner.RunAsync(pairs, judges.CreatePairwise(pass.Spec, build).Judge, sink, options, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await GradingRunner.RunAsync(pass.Answers!, judges.CreateAbsolute(pass.Spec, build), sink, options, cancellationToken).ConfigureAwait(false);
            }
        }

        return (new Dictionary<string, BatchRequestLine>(lines, StringComparer.Ordinal), uncollected);
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
        public ValueTask WriteAsync(PairwiseVerdict judgment, CancellationToken cancellationToken = default) => Add(judgment.Calls);

        public ValueTask WriteAsync(AbsoluteVerdict judgment, CancellationToken cancellationToken = default) => Add(judgment.Calls);

        private ValueTask Add(IReadOnlyList<JudgeCall> calls)
        {
            lock (lines)
            {
                uncollected.AddRange(calls.Where(c => c.RawOutput is null && c.Error is not null).Select(c => c.Error!));
            }

            foreach (var call in calls.Where(c => c.RawOutput?.StartsWith(CollectMarker, StringComparison.Ordinal) == true))
            {
                var hash = call.RawOutput![CollectMarker.Length..];
                var id = BatchRequestLine.IdOf(call.Item, call.Order, repeat, call.PromptHash);
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

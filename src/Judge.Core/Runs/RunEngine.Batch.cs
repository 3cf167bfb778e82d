using Judge.Judging;
using Judge.Rubrics;
using Judge.Verdicts;

namespace Judge.Runs;

// The batch path: a judge with batch=on has its calls collected, sent through the provider's batch service and
// answered there; the run then judges as usual, its calls served from the batch answers, so every result is
// recorded exactly as a live call's would be.
public sealed partial class RunEngine
{
    /// <summary>
    /// Sends the calls of the remaining passes of each judge in batch mode through its batch service, the ids recorded in
    /// the manifest; returns each such judge's answers, by its recorded id.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, BatchAnswers>> BatchAsync(RunConfig config, IReadOnlyList<RunPass> remaining, CallRunner runner, RunObserver observer, CancellationToken cancellationToken)
    {
        var batchAnswers = new Dictionary<string, BatchAnswers>(StringComparer.Ordinal);
        foreach (var group in remaining.GroupBy(p => p.Judge, StringComparer.Ordinal))
        {
            using var batch = judges.Batch(group.First().Spec);
            if (batch is null)
            {
                continue;
            }

            var collected = runner.Collector(group.Key, batch);
            await CollectAsync(config, [.. group], collected, cancellationToken).ConfigureAwait(false);
            foreach (var problem in collected.Uncollected.Take(3))
            {
                observer.Note?.Invoke($"{group.Key}: a call could not be written as a batch line and is called live ({problem})");
            }

            try
            {
                batchAnswers[group.Key] = await runner.SendAsync(group.Key, collected, null, cancellationToken).ConfigureAwait(false);
            }
            catch (BatchUnsupportedException ex)
            {
                observer.Note?.Invoke($"{group.Key}: {ex.Message}; its {collected.Lines.Count} calls are made live, at the live price");
            }
        }

        return batchAnswers;
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

            // No journal: the export holds every call of the plan.
            var collected = new BatchCollector(null, batch!, passes[0].Judge);
            await CollectAsync(config, passes, collected, cancellationToken).ConfigureAwait(false);
            if (collected.Uncollected.Count > 0)
            {
                throw new JudgeException($"{collected.Uncollected.Count} calls could not be written as batch lines: {collected.Uncollected[0]}");
            }

            using var buffer = new MemoryStream();
            foreach (var line in collected.Lines.Values.OrderBy(l => l.CustomId, StringComparer.Ordinal))
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
        }
    }

    /// <summary>
    /// Runs a batch judge's passes against a client that answers nothing: each call's exact live request body is
    /// captured as a line under its custom id. Calls the journal already answered are not collected.
    /// </summary>
    private async Task CollectAsync(RunConfig config, IReadOnlyList<RunPass> passes, BatchCollector collected, CancellationToken cancellationToken)
    {
        foreach (var pass in passes.Where(p => p.Count > 0))
        {
            // The client under the collector is the batch-serving one (with no answers): it is never called.
            var build = BuildOptions(config, pass, (_, inner) => collected.Client(inner), new BatchAnswers());
            var sink = new CollectSink(collected, pass.Repeat);
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
    }

    /// <summary>Turns the collected calls of each judgment into request lines.</summary>
    private sealed class CollectSink(BatchCollector collected, int? repeat) : IJudgmentSink
    {
        public ValueTask WriteAsync(ItemVerdict verdict, CancellationToken cancellationToken = default)
        {
            collected.AddCalls(verdict.Calls, repeat);
            return ValueTask.CompletedTask;
        }
    }
}

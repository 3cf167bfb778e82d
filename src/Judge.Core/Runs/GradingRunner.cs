using Judge.Data;
using Judge.Judging;
using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>Options for a grading run.</summary>
public sealed class GradingRunOptions
{
    /// <summary>How many items are judged at once. Default 4; a swapped item makes two calls at once.</summary>
    public int Concurrency { get; set; } = 4;
}

/// <summary>How far a run has got; reported after every item.</summary>
/// <param name="Done">Items finished.</param>
/// <param name="Total">Items planned.</param>
/// <param name="Failed">Items without a verdict so far.</param>
public sealed record GradingProgress(int Done, int Total, int Failed);

/// <summary>What a run produced, counted.</summary>
public sealed record RunSummary
{
    /// <summary>Items judged.</summary>
    public int Items { get; init; }

    /// <summary>Items per final status.</summary>
    public IReadOnlyDictionary<VerdictStatus, int> ByStatus { get; init; } = new Dictionary<VerdictStatus, int>();

    /// <summary>Judge calls made (or replayed).</summary>
    public int Calls { get; init; }

    /// <summary>Calls per status: shows parse failures even when the other order rescued nothing.</summary>
    public IReadOnlyDictionary<VerdictStatus, int> CallsByStatus { get; init; } = new Dictionary<VerdictStatus, int>();

    /// <summary>Pairwise: items whose two orders disagreed.</summary>
    public int Flipped { get; init; }

    /// <summary>Pairwise: items judged in both orders with a verdict in each.</summary>
    public int BothOrdersJudged { get; init; }

    /// <summary>Pairwise: winners per outcome.</summary>
    public IReadOnlyDictionary<PairwiseWinner, int> Winners { get; init; } = new Dictionary<PairwiseWinner, int>();

    /// <summary>Pairwise: per model, wins, losses and ties (both kinds) over parsed items.</summary>
    public IReadOnlyDictionary<string, (int Wins, int Losses, int Ties)> Records { get; init; } = new Dictionary<string, (int, int, int)>();

    /// <summary>Absolute: per model, the number of parsed scores and their mean.</summary>
    public IReadOnlyDictionary<string, (int Count, double Mean)> Scores { get; init; } = new Dictionary<string, (int, double)>();

    /// <summary>Tokens reported by the judge, prompt and completion.</summary>
    public (long Input, long Output) Tokens { get; init; }

    /// <summary>Items with status <see cref="VerdictStatus.Error"/>: the judge could not be used.</summary>
    public int Errors => ByStatus.GetValueOrDefault(VerdictStatus.Error);
}

/// <summary>Runs a judge over items with bounded concurrency, recording each judgment as it completes.</summary>
public static class GradingRunner
{
    /// <summary>Judges every pairwise item; results go to <paramref name="sink"/> as they arrive.</summary>
    public static async Task<RunSummary> RunAsync(
        IReadOnlyList<PairwiseItem> items, IPairwiseJudge judge, IJudgmentSink sink, GradingRunOptions? options = null, IProgress<GradingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Summarise(await JudgeAllAsync(items, judge.JudgeAsync, sink.WriteAsync, j => j.Status, options, progress, cancellationToken).ConfigureAwait(false));

    /// <summary>Grades every absolute item; results go to <paramref name="sink"/> as they arrive.</summary>
    public static async Task<RunSummary> RunAsync(
        IReadOnlyList<AbsoluteItem> items, IAbsoluteJudge judge, IJudgmentSink sink, GradingRunOptions? options = null, IProgress<GradingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Summarise(await JudgeAllAsync(items, judge.GradeAsync, sink.WriteAsync, j => j.Status, options, progress, cancellationToken).ConfigureAwait(false));

    /// <summary>Counts pairwise judgments.</summary>
    public static RunSummary Summarise(IReadOnlyCollection<PairwiseJudgment> judgments)
    {
        var records = new Dictionary<string, (int Wins, int Losses, int Ties)>(StringComparer.Ordinal);
        foreach (var j in judgments)
        {
            var a = records.GetValueOrDefault(j.ModelA);
            var b = records.GetValueOrDefault(j.ModelB);
            switch (j.Winner)
            {
                case PairwiseWinner.ModelA:
                    a.Wins++;
                    b.Losses++;
                    break;
                case PairwiseWinner.ModelB:
                    b.Wins++;
                    a.Losses++;
                    break;
                case PairwiseWinner.Tie or PairwiseWinner.InconsistentTie:
                    a.Ties++;
                    b.Ties++;
                    break;
            }

            records[j.ModelA] = a;
            records[j.ModelB] = b;
        }

        var calls = judgments.SelectMany(j => j.Calls).ToList();
        return new RunSummary
        {
            Items = judgments.Count,
            ByStatus = judgments.GroupBy(j => j.Status).ToDictionary(g => g.Key, g => g.Count()),
            Calls = calls.Count,
            CallsByStatus = calls.GroupBy(c => c.Status).ToDictionary(g => g.Key, g => g.Count()),
            Flipped = judgments.Count(j => j.Flipped == true),
            BothOrdersJudged = judgments.Count(j => j.Flipped is not null),
            Winners = judgments.Where(j => j.Winner is not null).GroupBy(j => j.Winner!.Value).ToDictionary(g => g.Key, g => g.Count()),
            Records = records,
            Tokens = (calls.Sum(c => c.Usage?.InputTokens ?? 0), calls.Sum(c => c.Usage?.OutputTokens ?? 0)),
        };
    }

    /// <summary>Counts absolute judgments.</summary>
    public static RunSummary Summarise(IReadOnlyCollection<AbsoluteJudgment> judgments)
    {
        var calls = judgments.SelectMany(j => j.Calls).ToList();
        return new RunSummary
        {
            Items = judgments.Count,
            ByStatus = judgments.GroupBy(j => j.Status).ToDictionary(g => g.Key, g => g.Count()),
            Calls = calls.Count,
            CallsByStatus = calls.GroupBy(c => c.Status).ToDictionary(g => g.Key, g => g.Count()),
            Scores = judgments.Where(j => j.Score is not null).GroupBy(j => j.Model, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (g.Count(), g.Average(j => j.Score!.Value)), StringComparer.Ordinal),
            Tokens = (calls.Sum(c => c.Usage?.InputTokens ?? 0), calls.Sum(c => c.Usage?.OutputTokens ?? 0)),
        };
    }

    /// <summary>Judges items with bounded concurrency, writing each judgment as it completes; returns them all.</summary>
    private static async Task<List<TJudgment>> JudgeAllAsync<TItem, TJudgment>(
        IReadOnlyList<TItem> items,
        Func<TItem, CancellationToken, Task<TJudgment>> judge,
        Func<TJudgment, CancellationToken, ValueTask> write,
        Func<TJudgment, VerdictStatus> status,
        GradingRunOptions? options,
        IProgress<GradingProgress>? progress,
        CancellationToken cancellationToken)
    {
        var results = new List<TJudgment>(items.Count);
        var done = 0;
        var failed = 0;
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = Math.Max(1, options?.Concurrency ?? 4),
            CancellationToken = cancellationToken,
        };
        await Parallel.ForEachAsync(items, parallel, async (item, ct) =>
        {
            var judgment = await judge(item, ct).ConfigureAwait(false);
            await write(judgment, ct).ConfigureAwait(false);
            lock (results)
            {
                results.Add(judgment);
            }

            var f = status(judgment) != VerdictStatus.Parsed ? Interlocked.Increment(ref failed) : Volatile.Read(ref failed);
            progress?.Report(new GradingProgress(Interlocked.Increment(ref done), items.Count, f));
        }).ConfigureAwait(false);
        return results;
    }
}

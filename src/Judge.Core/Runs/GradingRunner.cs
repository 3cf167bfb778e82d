using Judge.Data;
using Judge.Judging;
using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>Options for a grading run.</summary>
internal sealed class GradingRunOptions
{
    /// <summary>How many items are judged at once. Default 4; a swapped item makes two calls at once.</summary>
    public int Concurrency { get; set; } = 4;
}

/// <summary>Runs a judge over items with bounded concurrency, recording each judgment as it completes.</summary>
internal static class GradingRunner
{
    /// <summary>Judges every pairwise item; results go to <paramref name="sink"/> as they arrive.</summary>
    public static Task RunAsync(IReadOnlyList<PairwiseItem> items, IPairwiseJudge judge, IJudgmentSink sink, GradingRunOptions? options = null, CancellationToken cancellationToken = default) =>
        JudgeAllAsync(items, judge.JudgeAsync, sink.WriteAsync, options, cancellationToken);

    /// <summary>Grades every absolute item; results go to <paramref name="sink"/> as they arrive.</summary>
    public static Task RunAsync(IReadOnlyList<AbsoluteItem> items, IAbsoluteJudge judge, IJudgmentSink sink, GradingRunOptions? options = null, CancellationToken cancellationToken = default) =>
        JudgeAllAsync(items, judge.GradeAsync, sink.WriteAsync, options, cancellationToken);

    /// <summary>Judges items with bounded concurrency, writing each judgment as it completes.</summary>
    private static Task JudgeAllAsync<TItem, TJudgment>(
        IReadOnlyList<TItem> items,
        Func<TItem, CancellationToken, Task<TJudgment>> judge,
        Func<TJudgment, CancellationToken, ValueTask> write,
        GradingRunOptions? options,
        CancellationToken cancellationToken)
    {
        return CallRunner.ForEachAsync(items, options?.Concurrency ?? 4, async (item, ct) =>
        {
            var judgment = await judge(item, ct).ConfigureAwait(false);
            await write(judgment, ct).ConfigureAwait(false);
        }, cancellationToken);
    }
}

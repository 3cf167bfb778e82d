using Judge.Judging;
using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>
/// Writes a pass's judgments, each item's calls then its verdict, with their repeat index and each call's cost
/// (<see cref="CallPricer"/>: at the batch price when its batch answered it), and counts each in the progress.
/// </summary>
internal sealed class RunSink(JudgmentsWriter writer, int? repeat, RunProgress progress, CallPricer pricer, BatchAnswers? batch) : IJudgmentSink
{
    public ValueTask WriteAsync(PairwiseVerdict judgment, CancellationToken cancellationToken = default) =>
        WriteAsync(judgment.Calls, calls => judgment with { Repeat = repeat, Calls = calls }, cancellationToken);

    public ValueTask WriteAsync(AbsoluteVerdict judgment, CancellationToken cancellationToken = default) =>
        WriteAsync(judgment.Calls, calls => judgment with { Repeat = repeat, Calls = calls }, cancellationToken);

    private async ValueTask WriteAsync(IReadOnlyList<JudgeCall> made, Func<IReadOnlyList<JudgeCall>, ItemVerdict> verdict, CancellationToken cancellationToken)
    {
        var calls = made.Select(c => c with { Repeat = repeat, CostUsd = Cost(c) }).ToList();
        var recorded = verdict(calls);
        JudgmentRecord[] records = [.. calls, recorded];
        await writer.WriteAsync(records, cancellationToken).ConfigureAwait(false);
        progress.Add(recorded.Status, calls);
    }

    private decimal? Cost(JudgeCall call) =>
        pricer.CostOf(call.Model, call.InputTokens, call.OutputTokens, batch?.Answered(BatchRequestLine.IdOf(call.Item, call.Order, repeat, call.PromptHash)) == true);
}

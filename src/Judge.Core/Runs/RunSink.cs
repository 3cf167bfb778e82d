using Judge.Judging;
using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>
/// Writes a pass's judgments, each item's calls then its verdict, with their repeat index and each call's cost
/// (<see cref="CallPricer"/>: at the batch price when its batch answered it), and counts each in the progress.
/// </summary>
/// <remarks>A cascade's calls are priced by the pricer of the stage judge that made them, where <paramref name="byJudge"/> has one.</remarks>
internal sealed class RunSink(JudgmentsWriter writer, int? repeat, RunProgress progress, CallPricer pricer, BatchAnswers? batch, IReadOnlyDictionary<string, CallPricer>? byJudge = null) : IJudgmentSink
{
    public async ValueTask WriteAsync(ItemVerdict verdict, CancellationToken cancellationToken = default)
    {
        var calls = verdict.Calls.Select(c => c with { Repeat = repeat, CostUsd = Cost(c) }).ToList();
        var recorded = verdict with { Repeat = repeat, Calls = calls };
        await writer.WriteAsync(recorded, cancellationToken).ConfigureAwait(false);
        progress.Add(recorded.Status, calls);
    }

    private decimal? Cost(JudgeCall call) =>
        (byJudge?.GetValueOrDefault(call.Judge) ?? pricer).CostOf(call.Model, call.InputTokens, call.OutputTokens, batch?.Answered(BatchRequestLine.IdOf(call.Item, call.Order, repeat, call.PromptHash)) == true);
}

using Judge.Judging;

namespace Judge.Feedback;

/// <summary>What one stage did.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="ItemsIn">Items read (seeds, rubrics, instructions, responses, judged items).</param>
/// <param name="ItemsOut">Items written to the stage's file.</param>
/// <param name="Rejected">Rejections by reason.</param>
/// <param name="ModelCalls">Calls that reached a model.</param>
/// <param name="JournalCalls">Calls answered from the journal (paid for in an earlier run).</param>
public sealed record StageSummary(FeedbackStage Stage, int ItemsIn, int ItemsOut, IReadOnlyDictionary<string, int> Rejected, int ModelCalls, int JournalCalls)
{
    /// <summary>Rejections in all.</summary>
    public int RejectedCount => Rejected.Values.Sum();

    /// <summary>The calls a model answered in this stage: their tokens, and what the priced ones cost (journalled calls were paid for before).</summary>
    public CostTotals Cost { get; init; } = CostTotals.None;
}

/// <summary>What a run did.</summary>
/// <param name="Stages">Each stage run, in order.</param>
/// <param name="Lengths">Words per score level in the export (empty when the export did not run).</param>
/// <param name="LengthsBeforeBalance">The same before balancing.</param>
public sealed record FeedbackRunResult(IReadOnlyList<StageSummary> Stages, IReadOnlyList<LevelLength> Lengths, IReadOnlyList<LevelLength> LengthsBeforeBalance);

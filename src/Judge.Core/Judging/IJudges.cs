using Judge.Data;
using Judge.Verdicts;

namespace Judge.Judging;

/// <summary>Judges pairwise items. Implementations are safe for concurrent use.</summary>
public interface IPairwiseJudge
{
    /// <summary>The judge's id, recorded with every verdict.</summary>
    string Id { get; }

    /// <summary>
    /// Judges one item. Judge failures are returned as a judgment with <see cref="VerdictStatus.Error"/>,
    /// not thrown; only cancellation and bugs throw.
    /// </summary>
    Task<PairwiseVerdict> JudgeAsync(PairwiseItem item, CancellationToken cancellationToken = default);
}

/// <summary>Grades single answers. Implementations are safe for concurrent use.</summary>
public interface IAbsoluteJudge
{
    /// <summary>The judge's id, recorded with every grade.</summary>
    string Id { get; }

    /// <summary>Grades one item; failures are returned as a judgment with <see cref="VerdictStatus.Error"/>, not thrown.</summary>
    Task<AbsoluteVerdict> GradeAsync(AbsoluteItem item, CancellationToken cancellationToken = default);
}

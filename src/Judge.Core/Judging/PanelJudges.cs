using Judge.Data;
using Judge.Verdicts;

namespace Judge.Judging;

/// <summary>
/// A panel of pairwise judges (Verga et al., "Replacing Judges with Juries"): every member judges every item, the majority
/// decides (<see cref="PanelVotes"/>), the confidence is the vote share, and every member's calls are recorded. Can be a
/// cascade stage. Thread-safe if its members are.
/// </summary>
public sealed class PanelPairwiseJudge : IPairwiseJudge
{
    private readonly IReadOnlyList<IPairwiseJudge> _members;
    private readonly IReadOnlyList<double>? _weights;

    /// <summary>Creates the panel.</summary>
    /// <param name="id">The panel's id, recorded with every verdict.</param>
    /// <param name="members">The members; at least one.</param>
    public PanelPairwiseJudge(string id, IReadOnlyList<IPairwiseJudge> members) => (Id, _members) = (id, Composite.AtLeastOne(members));

    /// <summary>Creates a panel whose members' votes count with calibrated-accuracy weights (<see cref="PanelVotes.Combine(string, IReadOnlyList{PairwiseVerdict}, IReadOnlyList{double})"/>).</summary>
    /// <param name="id">The panel's id, recorded with every verdict.</param>
    /// <param name="members">The members; at least one.</param>
    /// <param name="weights">One weight of at least 0 per member, in member order.</param>
    public PanelPairwiseJudge(string id, IReadOnlyList<IPairwiseJudge> members, IReadOnlyList<double> weights)
        : this(id, members) => _weights = PanelVotes.RequireWeights(weights, members.Count);

    /// <inheritdoc/>
    public string Id { get; }

    /// <inheritdoc/>
    public async Task<PairwiseVerdict> JudgeAsync(PairwiseItem item, CancellationToken cancellationToken = default)
    {
        var verdicts = await Task.WhenAll(_members.Select(m => m.JudgeAsync(item, cancellationToken))).ConfigureAwait(false);
        return PanelVotes.Combine(Id, verdicts, _weights);
    }
}

/// <summary>How a panel of absolute judges combines its members' scores.</summary>
public enum PanelScore
{
    /// <summary>The median of the members' scores (the mean of the middle two for an even count). The default.</summary>
    Median,

    /// <summary>The mean of the members' scores.</summary>
    Mean,
}

/// <summary>
/// A panel of absolute judges: every member grades every answer; the panel's score is the median or mean of the members'
/// scores; its confidence is the share of all members whose score equals the panel's (a member without a score counts
/// against it), which is 0 for a mean that no member gave. Thread-safe if its members are.
/// </summary>
public sealed class PanelAbsoluteJudge : IAbsoluteJudge
{
    private readonly IReadOnlyList<IAbsoluteJudge> _members;
    private readonly PanelScore _combine;

    /// <summary>Creates the panel.</summary>
    /// <param name="id">The panel's id.</param>
    /// <param name="members">The members; at least one.</param>
    /// <param name="combine">How scores combine. Default <see cref="PanelScore.Median"/>.</param>
    public PanelAbsoluteJudge(string id, IReadOnlyList<IAbsoluteJudge> members, PanelScore combine = PanelScore.Median) =>
        (Id, _members, _combine) = (id, Composite.AtLeastOne(members), combine);

    /// <inheritdoc/>
    public string Id { get; }

    /// <inheritdoc/>
    public async Task<AbsoluteVerdict> GradeAsync(AbsoluteItem item, CancellationToken cancellationToken = default)
    {
        var grades = await Task.WhenAll(_members.Select(m => m.GradeAsync(item, cancellationToken))).ConfigureAwait(false);
        var calls = grades.SelectMany(g => g.Calls).ToList();
        var scores = grades.Where(g => g.Status == VerdictStatus.Parsed && g.Score is not null).Select(g => g.Score!.Value).Order().ToList();
        var baseline = grades[0] with { Judge = Id, Calls = calls };
        if (scores.Count == 0)
        {
            var status = grades.Select(g => g.Status).Where(s => s != VerdictStatus.Parsed).DefaultIfEmpty(VerdictStatus.Error).Max();
            return baseline with { Status = status, Score = null, Error = "no panel member gave a score", Confidence = null, ConfidenceSource = null };
        }

        var score = _combine == PanelScore.Mean
            ? scores.Average()
            : scores.Count % 2 == 1 ? scores[scores.Count / 2] : (scores[(scores.Count / 2) - 1] + scores[scores.Count / 2]) / 2;
        return baseline with
        {
            Status = VerdictStatus.Parsed,
            Score = score,
            Error = null,
            Confidence = (double)scores.Count(s => s == score) / grades.Length,
            ConfidenceSource = VerdictConfidence.Panel,
        };
    }
}

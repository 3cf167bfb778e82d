using System.Globalization;
using Judge.Data;
using Judge.Verdicts;

namespace Judge.Judging;

/// <summary>What a cascade does with an item no stage was confident enough to decide.</summary>
public enum AbstainPolicy
{
    /// <summary>No verdict: the item gets <see cref="VerdictStatus.Abstained"/>, counted apart like every item without one. The default.</summary>
    Abstain,

    /// <summary>Keep the last stage's verdict, marked unguaranteed (<see cref="ItemVerdict.Guaranteed"/> false).</summary>
    LastUnguaranteed,
}

/// <summary>One stage of a cascade: a judge and the confidence threshold at which it decides.</summary>
/// <typeparam name="TJudge">The judge type.</typeparam>
/// <param name="Judge">The stage's judge.</param>
/// <param name="Threshold">The calibrated threshold; <see langword="null"/> when calibration certified none, so the stage never decides.</param>
public sealed record CascadeStage<TJudge>(TJudge Judge, double? Threshold);

/// <summary>
/// The one rule of a cascade, shared by its pairwise and absolute forms: its id, its stages and its abstain policy, checked
/// once, and the run of an item through the stages.
/// </summary>
internal sealed class Cascade<TJudge>(string id, IReadOnlyList<CascadeStage<TJudge>> stages, AbstainPolicy onAbstain)
{
    private readonly IReadOnlyList<CascadeStage<TJudge>> _stages = Composite.AtLeastOne(stages);

    public string Id { get; } = id;

    public async Task<T> RunAsync<T>(Func<TJudge, Task<T>> judge, Func<T, string?> verdictText)
        where T : ItemVerdict
    {
        var steps = new List<CascadeStep>();
        var calls = new List<JudgeCall>();
        T? last = null;
        for (var i = 0; i < _stages.Count; i++)
        {
            var stage = _stages[i];
            var verdict = await judge(stage.Judge).ConfigureAwait(false);
            calls.AddRange(verdict.Calls);
            var decided = verdict.Status == VerdictStatus.Parsed && stage.Threshold is double t && verdict.Confidence is double c && c >= t;
            steps.Add(new CascadeStep(verdict.Judge, verdict.Status, verdictText(verdict), verdict.Confidence, stage.Threshold, decided));
            last = verdict;
            if (decided)
            {
                return (T)(verdict with { Judge = Id, Calls = calls, Cascade = steps, Stage = i + 1, Guaranteed = true });
            }
        }

        if (onAbstain == AbstainPolicy.LastUnguaranteed && last!.Status == VerdictStatus.Parsed)
        {
            return (T)(last with { Judge = Id, Calls = calls, Cascade = steps, Stage = null, Guaranteed = false });
        }

        return (T)(last! with { Judge = Id, Calls = calls, Cascade = steps, Stage = null, Guaranteed = null, Status = VerdictStatus.Abstained, Confidence = null, ConfidenceSource = null });
    }
}

/// <summary>
/// A pairwise cascade (Trust or Escalate): an item goes to the first stage's judge and stops there when that judge's
/// confidence reaches the stage's calibrated threshold, else goes on to the next; an item no stage decides is abstained
/// (or, by choice, keeps the last verdict marked unguaranteed). Every stage's verdict, confidence and calls are recorded;
/// only escalated items pay for later stages. Thread-safe if its judges are.
/// </summary>
public sealed class CascadePairwiseJudge : IPairwiseJudge
{
    private readonly Cascade<IPairwiseJudge> _cascade;

    /// <summary>Creates the cascade.</summary>
    /// <param name="id">The cascade's id, recorded with every verdict.</param>
    /// <param name="stages">The stages, cheapest first, with their thresholds (from a calibration file).</param>
    /// <param name="onAbstain">What an item no stage decides becomes. Default <see cref="AbstainPolicy.Abstain"/>.</param>
    public CascadePairwiseJudge(string id, IReadOnlyList<CascadeStage<IPairwiseJudge>> stages, AbstainPolicy onAbstain = AbstainPolicy.Abstain) =>
        _cascade = new(id, stages, onAbstain);

    /// <inheritdoc/>
    public string Id => _cascade.Id;

    /// <inheritdoc/>
    public async Task<PairwiseVerdict> JudgeAsync(PairwiseItem item, CancellationToken cancellationToken = default)
    {
        var verdict = await _cascade.RunAsync(j => j.JudgeAsync(item, cancellationToken), v => v.Winner?.ToWire()).ConfigureAwait(false);
        return verdict.Status == VerdictStatus.Abstained
            ? verdict with { Winner = null, Flipped = null, PSecond = null, StrongVerdict = null, Error = AbstainReason(verdict) }
            : verdict;
    }

    internal static string AbstainReason(ItemVerdict verdict) =>
        "no stage was confident enough: " + string.Join("; ", verdict.Cascade!.Select(s => s.Status != VerdictStatus.Parsed
            ? $"{s.Judge} {s.Status.ToWords()}"
            : s.Threshold is null ? $"{s.Judge} not calibrated to decide" : string.Create(CultureInfo.InvariantCulture, $"{s.Judge} {(s.Confidence is double c ? c.ToString("0.###", CultureInfo.InvariantCulture) : "no confidence")} < {s.Threshold:0.###}")));
}

/// <summary>An absolute cascade: as <see cref="CascadePairwiseJudge"/>, for grades. Thread-safe if its judges are.</summary>
public sealed class CascadeAbsoluteJudge : IAbsoluteJudge
{
    private readonly Cascade<IAbsoluteJudge> _cascade;

    /// <summary>Creates the cascade.</summary>
    /// <param name="id">The cascade's id, recorded with every grade.</param>
    /// <param name="stages">The stages, cheapest first, with their thresholds.</param>
    /// <param name="onAbstain">What an item no stage decides becomes. Default <see cref="AbstainPolicy.Abstain"/>.</param>
    public CascadeAbsoluteJudge(string id, IReadOnlyList<CascadeStage<IAbsoluteJudge>> stages, AbstainPolicy onAbstain = AbstainPolicy.Abstain) =>
        _cascade = new(id, stages, onAbstain);

    /// <inheritdoc/>
    public string Id => _cascade.Id;

    /// <inheritdoc/>
    public async Task<AbsoluteVerdict> GradeAsync(AbsoluteItem item, CancellationToken cancellationToken = default)
    {
        var verdict = await _cascade.RunAsync(j => j.GradeAsync(item, cancellationToken), v => v.Score?.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        return verdict.Status == VerdictStatus.Abstained ? verdict with { Score = null, Error = CascadePairwiseJudge.AbstainReason(verdict) } : verdict;
    }
}

/// <summary>The checks every cascade and panel makes of its judges, said once.</summary>
internal static class Composite
{
    /// <summary>The judges, refused when missing or empty.</summary>
    public static IReadOnlyList<T> AtLeastOne<T>(IReadOnlyList<T> judges, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(judges))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(judges, name);
        ArgumentOutOfRangeException.ThrowIfZero(judges.Count, name);
        return judges;
    }
}

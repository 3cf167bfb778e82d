using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics.Bias;

/// <summary>
/// The reference a judge's self-preference is measured against (<c>judge bias report --human</c>): human votes,
/// filtered by rater, or another judge's verdicts when the file is a Judge judgments file.
/// </summary>
/// <param name="Labels">The reference labels.</param>
/// <param name="RaterPrefix">The raters whose votes count (see <see cref="HumanRaters"/>); <see langword="null"/> for another judge's verdicts or all raters.</param>
/// <param name="FromJudge">Whether the reference is another judge's verdicts (a judgments file) rather than human votes.</param>
/// <param name="Read">Labels in the file before the rater filter.</param>
public sealed record ReferenceLabels(IReadOnlyList<PairwiseLabel> Labels, string? RaterPrefix, bool FromJudge, int Read)
{
    /// <summary>Reads <paramref name="path"/> (any pairwise format, <paramref name="layout"/> for custom ones), keeping human votes by <paramref name="raterPrefix"/>.</summary>
    /// <exception cref="InputException">The file is unreadable, or no human vote is by the raters asked for.</exception>
    public static ReferenceLabels ReadFile(string path, PairwiseLayout? layout, string? raterPrefix)
    {
        var file = VerdictImport.Read(path, layout);
        if (file.IsJudgmentsFile)
        {
            var verdicts = JudgeRun.FromImport(file).Labels.ToList();
            return new ReferenceLabels(verdicts, null, FromJudge: true, verdicts.Count);
        }

        var labels = file.Labels();
        return new ReferenceLabels(HumanRaters.Select(labels, raterPrefix, path), raterPrefix, FromJudge: false, labels.Count);
    }
}

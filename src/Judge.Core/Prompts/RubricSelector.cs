using Judge.Data;
using Judge.Rubrics;

namespace Judge.Prompts;

/// <summary>Picks the rubric for each item.</summary>
public interface IRubricSelector
{
    /// <summary>The rubric for a pairwise item.</summary>
    Rubric For(PairwiseItem item);

    /// <summary>The rubric for an absolute item.</summary>
    Rubric For(AbsoluteItem item);
}

/// <summary>One rubric for every item.</summary>
/// <param name="rubric">The rubric.</param>
public sealed class FixedRubricSelector(Rubric rubric) : IRubricSelector
{
    /// <inheritdoc/>
    public Rubric For(PairwiseItem item) => rubric;

    /// <inheritdoc/>
    public Rubric For(AbsoluteItem item) => rubric;
}

/// <summary>
/// MT-Bench's choice per item: the reference-guided rubric when the question has a reference
/// answer, the multi-turn rubric from turn 2 on. The four rubric ids are configurable.
/// </summary>
public sealed class StandardRubricSelector : IRubricSelector
{
    private readonly RubricLibrary _library;

    /// <summary>Creates a selector over the shipped rubric ids.</summary>
    public StandardRubricSelector(RubricLibrary library)
    {
        _library = library;
    }

    /// <summary>Pairwise, turn 1, no reference. Default <c>pairwise-general</c>.</summary>
    public string Pairwise { get; init; } = "pairwise-general";

    /// <summary>Pairwise, turn 1, with reference. Default <c>pairwise-reference</c>.</summary>
    public string PairwiseReference { get; init; } = "pairwise-reference";

    /// <summary>Pairwise, later turns. Default <c>pairwise-multiturn</c>.</summary>
    public string PairwiseMultiTurn { get; init; } = "pairwise-multiturn";

    /// <summary>Pairwise, later turns, with reference. Default <c>pairwise-reference-multiturn</c>.</summary>
    public string PairwiseReferenceMultiTurn { get; init; } = "pairwise-reference-multiturn";

    /// <summary>Absolute, turn 1, no reference. Default <c>single-general</c>.</summary>
    public string Single { get; init; } = "single-general";

    /// <summary>Absolute, turn 1, with reference. Default <c>single-reference</c>.</summary>
    public string SingleReference { get; init; } = "single-reference";

    /// <summary>Absolute, later turns. Default <c>single-multiturn</c>.</summary>
    public string SingleMultiTurn { get; init; } = "single-multiturn";

    /// <summary>Absolute, later turns, with reference. Default <c>single-reference-multiturn</c>.</summary>
    public string SingleReferenceMultiTurn { get; init; } = "single-reference-multiturn";

    /// <inheritdoc/>
    public Rubric For(PairwiseItem item) => _library.Get((item.Turn > 1, item.Reference is not null) switch
    {
        (false, false) => Pairwise,
        (false, true) => PairwiseReference,
        (true, false) => PairwiseMultiTurn,
        (true, true) => PairwiseReferenceMultiTurn,
    });

    /// <inheritdoc/>
    public Rubric For(AbsoluteItem item) => _library.Get((item.Turn > 1, item.Reference is not null) switch
    {
        (false, false) => Single,
        (false, true) => SingleReference,
        (true, false) => SingleMultiTurn,
        (true, true) => SingleReferenceMultiTurn,
    });
}

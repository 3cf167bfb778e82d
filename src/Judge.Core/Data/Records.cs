namespace Judge.Data;

/// <summary>A question with one or more user turns (MT-Bench's <c>question.jsonl</c>).</summary>
/// <param name="Id">The question id, unique within a question set. MT-Bench uses integers; any string is accepted.</param>
/// <param name="Category">The category (writing, math, coding, …), or empty when the data has none.</param>
/// <param name="Turns">The user's turns in order; turn 1 is <c>Turns[0]</c>.</param>
public sealed record Question(string Id, string Category, IReadOnlyList<string> Turns)
{
    /// <summary>Where the question was read from, for error messages; <see langword="null"/> when built in code.</summary>
    public SourceLocation? Source { get; init; }
}

/// <summary>One model's answer to a question (MT-Bench's <c>model_answer/*.jsonl</c>).</summary>
/// <param name="QuestionId">The question answered.</param>
/// <param name="ModelId">The model that answered.</param>
/// <param name="Turns">The assistant's turns; <c>Turns[i]</c> answers the question's turn <c>i + 1</c>.</param>
public sealed record ModelAnswer(string QuestionId, string ModelId, IReadOnlyList<string> Turns)
{
    /// <summary>Where the answer was read from, for error messages; <see langword="null"/> when built in code.</summary>
    public SourceLocation? Source { get; init; }
}

/// <summary>A place in an input file.</summary>
/// <param name="Path">The file.</param>
/// <param name="Line">The 1-based line (JSONL) or row (CSV, counting the header as line 1).</param>
public sealed record SourceLocation(string Path, int Line)
{
    /// <summary>An <see cref="InputException"/> at this place.</summary>
    public InputException Error(string? field, string problem) => new(Path, Line, field, problem);
}

/// <summary>
/// A human's (or another judge's) pairwise label (MT-Bench's <c>human_judgments.jsonl</c>).
/// </summary>
/// <param name="QuestionId">The question.</param>
/// <param name="ModelA">The model shown first.</param>
/// <param name="ModelB">The model shown second.</param>
/// <param name="Winner">The label as written in the file.</param>
/// <param name="Rater">Who labelled it (MT-Bench: <c>expert_N</c> or <c>author_N</c>).</param>
/// <param name="Turn">The 1-based turn that was judged.</param>
public sealed record PairwiseLabel(string QuestionId, string ModelA, string ModelB, PairwiseWinner Winner, string Rater, int Turn)
{
    /// <summary>
    /// A soft verdict beside the hard <see cref="Winner"/>: the probability that model B wins, in [0, 1]
    /// (AlpacaEval's preference − 1); <see langword="null"/> for a hard verdict. Length control uses it as
    /// its target; agreement statistics use <see cref="Winner"/>.
    /// </summary>
    public double? PSecond { get; init; }
}

/// <summary>The outcome of a pairwise comparison, in terms of the pair's own A and B.</summary>
public enum PairwiseWinner
{
    /// <summary>Model A's answer is better.</summary>
    ModelA,

    /// <summary>Model B's answer is better.</summary>
    ModelB,

    /// <summary>The two are equally good (or equally bad).</summary>
    Tie,

    /// <summary>
    /// The judge gave different winners in the two presentation orders; counted as a tie by
    /// agreement statistics but kept distinct so position inconsistency stays visible.
    /// </summary>
    InconsistentTie,
}

/// <summary>Conversions between <see cref="PairwiseWinner"/> and the strings MT-Bench files use.</summary>
public static class PairwiseWinners
{
    /// <summary>The MT-Bench spelling: <c>model_a</c>, <c>model_b</c>, <c>tie</c>, <c>tie (inconsistent)</c>.</summary>
    public static string ToWire(this PairwiseWinner winner) => winner switch
    {
        PairwiseWinner.ModelA => "model_a",
        PairwiseWinner.ModelB => "model_b",
        PairwiseWinner.Tie => "tie",
        PairwiseWinner.InconsistentTie => "tie (inconsistent)",
        _ => throw new ArgumentOutOfRangeException(nameof(winner)),
    };

    /// <summary>
    /// Parses a verdict as published files write it, case-insensitively (the one parser; see
    /// <see cref="VerdictText.TryParse"/>): the MT-Bench spelling, <c>a</c>/<c>b</c>, <c>1</c>/<c>2</c>/<c>0</c>,
    /// five-level labels; <see langword="null"/> when it is none of them.
    /// </summary>
    public static PairwiseWinner? TryParse(string? text) => VerdictText.TryParse(text)?.Winner;

    /// <summary>The same outcome seen from the other side: A and B exchange, ties stay.</summary>
    public static PairwiseWinner Mirror(this PairwiseWinner winner) => winner switch
    {
        PairwiseWinner.ModelA => PairwiseWinner.ModelB,
        PairwiseWinner.ModelB => PairwiseWinner.ModelA,
        _ => winner,
    };

    /// <summary>Whether this outcome is a tie of either kind.</summary>
    public static bool IsTie(this PairwiseWinner winner) => winner is PairwiseWinner.Tie or PairwiseWinner.InconsistentTie;
}

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
public sealed record PairwiseLabel(string QuestionId, string ModelA, string ModelB, PairOutcome Winner, string Rater, int Turn)
{
    /// <summary>
    /// A soft verdict beside the hard <see cref="Winner"/>: the probability that model B wins, in [0, 1]
    /// (AlpacaEval's preference − 1); <see langword="null"/> for a hard verdict. Length control uses it as
    /// its target; agreement statistics use <see cref="Winner"/>.
    /// </summary>
    public double? PSecond { get; init; }
}

/// <summary>
/// The outcome of comparing an ordered pair (A, B): the one pair-outcome type. What A is depends on the pair:
/// for an item or a label, its <c>model_a</c>; for a judge call, the answer shown first; for agreement
/// statistics, the model that sorts first; for an Arena-Hard game, the game's model A.
/// </summary>
public enum PairOutcome
{
    /// <summary>A is better.</summary>
    A,

    /// <summary>B is better.</summary>
    B,

    /// <summary>The two are equally good (or equally bad).</summary>
    Tie,

    /// <summary>
    /// The judge gave different winners in the two presentation orders; counted as a tie by
    /// agreement statistics but kept distinct so position inconsistency stays visible.
    /// </summary>
    InconsistentTie,
}

/// <summary>Conversions between <see cref="PairOutcome"/> and the strings MT-Bench files use.</summary>
public static class PairOutcomes
{
    /// <summary>The MT-Bench spelling of an item's winner: <c>model_a</c>, <c>model_b</c>, <c>tie</c>, <c>tie (inconsistent)</c>.</summary>
    public static string ToWire(this PairOutcome winner) => winner switch
    {
        PairOutcome.A => "model_a",
        PairOutcome.B => "model_b",
        PairOutcome.Tie => "tie",
        PairOutcome.InconsistentTie => "tie (inconsistent)",
        _ => throw new ArgumentOutOfRangeException(nameof(winner)),
    };

    /// <summary>
    /// Parses a verdict as published files write it, case-insensitively (the one parser; see
    /// <see cref="VerdictText.TryParse"/>): the MT-Bench spelling, <c>a</c>/<c>b</c>, <c>1</c>/<c>2</c>/<c>0</c>,
    /// five-level labels; <see langword="null"/> when it is none of them.
    /// </summary>
    public static PairOutcome? TryParse(string? text) => VerdictText.TryParse(text)?.Winner;

    /// <summary>A judge call's spelling of the side it chose, by position: <c>first</c>, <c>second</c>, <c>tie</c>.</summary>
    public static string ToPosition(this PairOutcome choice) => choice switch
    {
        PairOutcome.A => "first",
        PairOutcome.B => "second",
        PairOutcome.Tie => "tie",
        _ => throw new ArgumentOutOfRangeException(nameof(choice), "a single call chooses first, second or tie"),
    };

    /// <summary>Reads <see cref="ToPosition"/>'s spelling back; <see langword="null"/> for anything else.</summary>
    public static PairOutcome? FromPosition(string? text) => text switch
    {
        "first" => PairOutcome.A,
        "second" => PairOutcome.B,
        "tie" => PairOutcome.Tie,
        _ => null,
    };

    /// <summary>The same outcome seen from the other side: A and B exchange, ties stay.</summary>
    public static PairOutcome Mirror(this PairOutcome winner) => winner switch
    {
        PairOutcome.A => PairOutcome.B,
        PairOutcome.B => PairOutcome.A,
        _ => winner,
    };

    /// <summary>
    /// How much of a win the outcome is for A: 1 when A won, 0 when B won, ½ for a tie of either kind. The one
    /// credit every win rate, length-controlled target and rating counts with.
    /// </summary>
    public static double CreditOfA(this PairOutcome outcome) => outcome switch
    {
        PairOutcome.A => 1.0,
        PairOutcome.B => 0.0,
        _ => 0.5,
    };

    /// <summary>Whether this outcome is a tie of either kind.</summary>
    public static bool IsTie(this PairOutcome winner) => winner is PairOutcome.Tie or PairOutcome.InconsistentTie;
}

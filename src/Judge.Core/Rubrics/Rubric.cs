namespace Judge.Rubrics;

/// <summary>Whether a rubric scores one answer or compares two.</summary>
public enum RubricMode
{
    /// <summary>One answer gets a score on the rubric's scale.</summary>
    Absolute,

    /// <summary>Two answers are compared; the verdict is A, B or a tie.</summary>
    Pairwise,
}

/// <summary>How much of the conversation the judge sees.</summary>
public enum TurnScope
{
    /// <summary>One question and its answer(s): used for turn 1.</summary>
    Single,

    /// <summary>The whole conversation up to the graded turn, which the prompt names.</summary>
    Multi,
}

/// <summary>
/// A grading rubric: what to judge, on what scale, with which prompt, and how the judge must write
/// its verdict. Loaded from YAML by <see cref="RubricLoader"/>, validated on load, immutable.
/// </summary>
public sealed record Rubric
{
    /// <summary>The id used on the command line (<c>--rubric ID</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The version; bump it whenever the prompt or scale changes, since it keys caches and results.</summary>
    public required int Version { get; init; }

    /// <summary>A one-line title.</summary>
    public required string Title { get; init; }

    /// <summary>What the rubric is for, and when to pick it.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>Absolute or pairwise.</summary>
    public required RubricMode Mode { get; init; }

    /// <summary>Single turn or whole conversation.</summary>
    public TurnScope Turns { get; init; } = TurnScope.Single;

    /// <summary>Whether the prompt shows a reference answer, which every graded question must then have.</summary>
    public bool UsesReference { get; init; }

    /// <summary>The score scale; absolute rubrics only.</summary>
    public RubricScale? Scale { get; init; }

    /// <summary>What the judge should weigh, substituted for <c>{criteria}</c>.</summary>
    public string Criteria { get; init; } = string.Empty;

    /// <summary>How the verdict is written and read back.</summary>
    public required VerdictFormat Output { get; init; }

    /// <summary>The system message; may be empty.</summary>
    public required PromptTemplate System { get; init; }

    /// <summary>The user message carrying the material to judge.</summary>
    public required PromptTemplate Prompt { get; init; }

    /// <summary>The file the rubric came from, for messages; <see langword="null"/> when built in code.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The id and version, e.g. <c>pairwise-general@1</c>: the identity results and caches record.</summary>
    public string Key => $"{Id}@{Version}";
}

/// <summary>A numeric scale, optionally with a description of every level (Prometheus style).</summary>
/// <param name="Min">The lowest score.</param>
/// <param name="Max">The highest score.</param>
/// <param name="Levels">Descriptions keyed by score; empty, or exactly one per integer from <paramref name="Min"/> to <paramref name="Max"/>.</param>
public sealed record RubricScale(int Min, int Max, IReadOnlyDictionary<int, string> Levels)
{
    /// <summary>Whether <paramref name="score"/> lies on the scale.</summary>
    public bool Contains(double score) => score >= Min && score <= Max;
}

/// <summary>How the judge writes its verdict.</summary>
public sealed record VerdictFormat
{
    /// <summary>
    /// The verdict marker with a <c>{verdict}</c> slot, e.g. <c>[[{verdict}]]</c> or
    /// <c>[RESULT] {verdict}</c>. The last occurrence in the judge's output counts.
    /// </summary>
    public required string Tag { get; init; }

    /// <summary>Whether the judge writes its feedback before the verdict; the text before the tag is then kept as feedback.</summary>
    public bool FeedbackFirst { get; init; }

    /// <summary>
    /// Verdict words and what they mean, compared case-insensitively. Pairwise: each maps to
    /// <c>a</c>, <c>b</c> or <c>tie</c> (default A, B, C=tie). Absolute: each maps to a score
    /// (e.g. CORRECT=1); numbers are always accepted.
    /// </summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

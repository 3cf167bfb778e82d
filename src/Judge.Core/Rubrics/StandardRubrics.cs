using System.Reflection;

namespace Judge.Rubrics;

/// <summary>
/// The rubrics that ship with Judge, embedded in this assembly from the repository's <c>rubrics/</c>
/// folder: no files are needed at run time. <see cref="Library"/> holds the top-level rubrics
/// (<c>single-general</c>, <c>pairwise-general</c>, …); the feedback pipeline's stage prompts and seed
/// rubrics (<c>feedback/…</c>) are reached through <see cref="ReadText"/>. An embedded rubric's
/// <see cref="Rubric.SourcePath"/> is <c>standard:FILE</c>, e.g. <c>standard:single-general.yaml</c>.
/// Thread-safe.
/// </summary>
public static class StandardRubrics
{
    /// <summary>The prefix of the source names of embedded files, e.g. <c>standard:single-general.yaml</c>.</summary>
    public const string SourcePrefix = "standard:";

    /// <summary>MT-Bench's single-answer grading, 1-10, turn 1, no reference.</summary>
    public const string SingleGeneral = "single-general";

    /// <summary>Single-answer grading with a reference answer.</summary>
    public const string SingleReference = "single-reference";

    /// <summary>Single-answer grading of a later turn in its conversation.</summary>
    public const string SingleMultiTurn = "single-multiturn";

    /// <summary>Single-answer grading of a later turn with a reference answer.</summary>
    public const string SingleReferenceMultiTurn = "single-reference-multiturn";

    /// <summary>MT-Bench's pairwise comparison (A, B or tie), turn 1, no reference.</summary>
    public const string PairwiseGeneral = "pairwise-general";

    /// <summary>Pairwise comparison with a reference answer.</summary>
    public const string PairwiseReference = "pairwise-reference";

    /// <summary>Pairwise comparison of a later turn in its conversation.</summary>
    public const string PairwiseMultiTurn = "pairwise-multiturn";

    /// <summary>Pairwise comparison of a later turn with a reference answer.</summary>
    public const string PairwiseReferenceMultiTurn = "pairwise-reference-multiturn";

    /// <summary>Prometheus's absolute grading on a described 1-5 scale, feedback first.</summary>
    public const string PrometheusAbsolute = "prometheus-absolute";

    /// <summary>Correct or incorrect against a reference answer.</summary>
    public const string BinaryCorrectness = "binary-correctness";

    // The build names each resource rubrics/<path inside the folder>; RecursiveDir may carry '\' on Windows.
    private const string ResourcePrefix = "rubrics/";

    private static readonly Assembly Assembly = typeof(StandardRubrics).Assembly;

    private static readonly IReadOnlyDictionary<string, string> Resources = Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
        .ToDictionary(n => n[ResourcePrefix.Length..].Replace('\\', '/'), n => n, StringComparer.Ordinal);

    /// <summary>
    /// Every embedded file, as a path inside the rubrics folder with <c>/</c> separators
    /// (<c>single-general.yaml</c>, <c>feedback/seeds/conciseness.yaml</c>), sorted ordinally.
    /// </summary>
    public static IReadOnlyList<string> Files { get; } = [.. Resources.Keys.Order(StringComparer.Ordinal)];

    private static readonly Lazy<RubricLibrary> LazyLibrary = new(
        () => new RubricLibrary(Files.Where(f => !f.Contains('/', StringComparison.Ordinal)).Select(f => RubricLoader.Parse(ReadText(f), SourcePrefix + f))),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The standard rubrics by id, parsed and validated on first use. The same instance every time; it is
    /// immutable. A rubric that failed validation would throw a <see cref="RubricException"/> here, which
    /// the build's tests rule out.
    /// </summary>
    public static RubricLibrary Library => LazyLibrary.Value;

    /// <summary>The standard rubric with this id; an unknown id is a <see cref="RubricException"/> listing the known ones.</summary>
    public static Rubric Get(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return Library.Contains(id) ? Library.Get(id) : throw new RubricException(id, $"unknown standard rubric; known: {string.Join(", ", Library.All.Select(r => r.Id))}");
    }

    /// <summary>The text of an embedded file named as in <see cref="Files"/>; an unknown name is a <see cref="RubricException"/>.</summary>
    public static string ReadText(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!Resources.TryGetValue(file.Replace('\\', '/'), out var resource))
        {
            throw new RubricException(SourcePrefix + file, "no such standard rubric file");
        }

        using var stream = Assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

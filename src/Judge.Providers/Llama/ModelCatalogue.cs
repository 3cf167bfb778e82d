using Judge.Judging;

namespace Judge.Providers.Llama;

/// <summary>
/// A GGUF model Judge knows where to download: a name for <c>judge models pull NAME</c> and
/// <c>llama:NAME</c> specs, the file's address, and what the file must be.
/// </summary>
/// <param name="Name">The short name, unique in the catalogue, compared case-insensitively (e.g. <c>prometheus-7b-v2</c>).</param>
/// <param name="Title">One line for people: the model, its quantisation and who made the GGUF.</param>
/// <param name="Url">The file's download address, pinned to a repository commit.</param>
/// <param name="FileName">The name the file gets in the model cache.</param>
/// <param name="Size">The file's size in bytes, or <see langword="null"/> when not known.</param>
/// <param name="Sha256">
/// The file's SHA-256 as 64 lower-case hex digits, or <see langword="null"/> when no checksum could be
/// verified; such an entry can only be pulled with a checksum from the user (<c>--sha256</c>).
/// </param>
/// <param name="ChecksumSource">Where <paramref name="Sha256"/> and <paramref name="Size"/> were read, so they can be checked again.</param>
/// <param name="License">The model's licence as its repository states it.</param>
public sealed record CatalogueModel(string Name, string Title, Uri Url, string FileName, long? Size, string? Sha256, string ChecksumSource, string License);

/// <summary>
/// The built-in catalogue of open judge models (<c>judge models list</c>). Every entry is pinned to a
/// repository commit, with the size and SHA-256 of Hugging Face's Git LFS pointer at that commit.
/// </summary>
public static class ModelCatalogue
{
    /// <summary>The alias that names the recommended judge model: <c>llama:recommended</c>, <c>judge models pull recommended</c>.</summary>
    public const string RecommendedAlias = "recommended";

    /// <summary>The recommended judge: Prometheus 2 7B, trained to grade on a rubric and to compare two answers.</summary>
    public static CatalogueModel Recommended { get; } = new(
        "prometheus-7b-v2",
        "Prometheus 2 7B (prometheus-eval/prometheus-7b-v2.0, an evaluator LM: absolute 1-5 grading and pairwise), Q4_K_M GGUF by RichardErkhov",
        new Uri("https://huggingface.co/RichardErkhov/prometheus-eval_-_prometheus-7b-v2.0-gguf/resolve/fa8a4f3044adf3306a6c57b39ce0cc587bfeeedb/prometheus-7b-v2.0.Q4_K_M.gguf"),
        "prometheus-7b-v2.0.Q4_K_M.gguf",
        4_368_439_520,
        "da2de41c6e41e9fd3c440afe117c0f82da4abbf0b58eb013929fd2ab4013be2f",
        "Git LFS pointer of prometheus-7b-v2.0.Q4_K_M.gguf added in commit fa8a4f3044adf3306a6c57b39ce0cc587bfeeedb of huggingface.co/RichardErkhov/prometheus-eval_-_prometheus-7b-v2.0-gguf",
        "apache-2.0");

    /// <summary>Every catalogue entry, the recommended one first.</summary>
    public static IReadOnlyList<CatalogueModel> Models { get; } =
    [
        Recommended,
        new(
            "qwen2.5-0.5b-instruct",
            "Qwen2.5 0.5B Instruct, Q4_K_M GGUF by bartowski: a small general chat model, quick on a CPU, a weak judge (for trying the pipeline)",
            new Uri("https://huggingface.co/bartowski/Qwen2.5-0.5B-Instruct-GGUF/resolve/21ef23001f314d0895bd8439b08157c2d4cd9bb7/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"),
            "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf",
            397_808_192,
            "6eb923e7d26e9cea28811e1a8e852009b21242fb157b26149d3b188f3a8c8653",
            "Git LFS pointer of Qwen2.5-0.5B-Instruct-Q4_K_M.gguf in commit 21ef23001f314d0895bd8439b08157c2d4cd9bb7 of huggingface.co/bartowski/Qwen2.5-0.5B-Instruct-GGUF",
            "apache-2.0"),
    ];

    /// <summary>
    /// The entry a name means in <paramref name="catalogue"/> (default: <see cref="Models"/>):
    /// <c>recommended</c> is its first entry; otherwise names compare case-insensitively. Null when none.
    /// </summary>
    public static CatalogueModel? Find(string name, IReadOnlyList<CatalogueModel>? catalogue = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        catalogue ??= Models;
        return string.Equals(name, RecommendedAlias, StringComparison.OrdinalIgnoreCase)
            ? (catalogue.Count > 0 ? catalogue[0] : null)
            : catalogue.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Whether a <c>llama:</c> target looks like a model name rather than a file: no folder separator and
    /// no <c>.gguf</c> ending. Such a target is looked up in the catalogue; an existing file of that name still wins.
    /// </summary>
    public static bool LooksLikeName(string target) => JudgeSpec.LooksLikeModelName(target);
}

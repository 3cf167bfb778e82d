using System.Reflection;

namespace Judge.Runs;

/// <summary>
/// What <c>judge init</c> writes: a starter <c>judge.yaml</c> that runs as it is (the sample data with its recorded
/// verdicts replayed, gated on a win rate), the sample data under <c>data/</c>, and CI snippets under <c>ci/</c>
/// for GitHub Actions, GitLab CI and Azure Pipelines. Embedded in the library, so nothing is fetched. Thread-safe.
/// </summary>
public static class StarterProject
{
    // The build names each resource starter/<path>; RecursiveDir may carry '\' on Windows.
    private const string ResourcePrefix = "starter/";

    private static readonly Assembly Assembly = typeof(StarterProject).Assembly;

    private static readonly IReadOnlyDictionary<string, string> Resources = Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
        .ToDictionary(n => n[ResourcePrefix.Length..].Replace('\\', '/'), n => n, StringComparer.Ordinal);

    /// <summary>The config file, relative to the folder written into.</summary>
    public const string ConfigFile = "judge.yaml";

    /// <summary>Every file written, relative to the folder, with <c>/</c> separators, sorted ordinally.</summary>
    public static IReadOnlyList<string> Files { get; } = [.. Resources.Keys.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Writes the starter project into <paramref name="folder"/> (created when missing) and returns the full paths
    /// written. When any of its files is already there and <paramref name="overwrite"/> is not set, nothing is
    /// written: the refusal names those files.
    /// </summary>
    /// <exception cref="InputException">A file is already there (without <paramref name="overwrite"/>), or the folder is a file.</exception>
    public static IReadOnlyList<string> Write(string folder, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var root = Path.GetFullPath(folder);
        if (File.Exists(root))
        {
            throw new InputException(root, null, null, "is a file; give a folder to write the starter project into");
        }

        var present = Existing(root);
        if (present.Count > 0 && !overwrite)
        {
            throw new InputException(root, null, null, $"already holds {Describe(present)}; nothing was written (give another folder, or --overwrite to replace them)");
        }

        foreach (var (file, path) in Targets(root))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var source = Assembly.GetManifestResourceStream(Resources[file])!;
            using var target = new FileStream(path, FileMode.Create, FileAccess.Write);
            source.CopyTo(target);
        }

        return [.. Targets(root).Select(t => t.Path)];
    }

    /// <summary>The starter's files already in <paramref name="folder"/> (relative, as in <see cref="Files"/>); empty when none is.</summary>
    public static IReadOnlyList<string> Existing(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return [.. Targets(Path.GetFullPath(folder)).Where(t => File.Exists(t.Path) || Directory.Exists(t.Path)).Select(t => t.File)];
    }

    /// <summary>Up to five names, and how many there are in all.</summary>
    public static string Describe(IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return string.Join(", ", files.Take(5)) + (files.Count > 5 ? $", … ({files.Count} in all)" : string.Empty);
    }

    private static IEnumerable<(string File, string Path)> Targets(string root) =>
        Files.Select(f => (f, Path.Combine(root, f.Replace('/', Path.DirectorySeparatorChar))));
}

namespace Judge.Runs;

/// <summary>
/// The one check of where a command may write, made before it creates or truncates anything: no output may be (or
/// resolve through a link to) a file the command reads, nor name an existing folder where a file goes. Every command
/// that writes files asks it — <c>compare</c>, <c>grade</c>, <c>run</c>, <c>batch</c>, <c>feedback generate</c>, and the reports of
/// <c>--report</c> and <c>run</c> — so a
/// typo such as <c>--out questions.jsonl</c> is refused with the inputs untouched.
/// </summary>
public static class OutputPaths
{
    private static readonly StringComparison PathComparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
        ? StringComparison.OrdinalIgnoreCase
        : StringComparison.Ordinal;

    /// <summary>Refuses outputs that are inputs, or files whose path is an existing folder.</summary>
    /// <param name="outputs">The files the command will write, each with the option or key that named it.</param>
    /// <param name="inputs">The files the command reads.</param>
    /// <exception cref="InputException">An output is an input or a folder; it names the output, the input and the key.</exception>
    public static void Check(IEnumerable<(string Path, string Key)> outputs, IEnumerable<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        var read = inputs.Where(i => !string.IsNullOrEmpty(i)).Select(i => (Given: i, Real: Real(i))).ToList();
        foreach (var (path, key) in outputs)
        {
            if (Directory.Exists(path))
            {
                throw new InputException(path, null, key, "is a folder; give a file path");
            }

            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder && File.Exists(folder))
            {
                throw new InputException(path, null, key, $"cannot be written: {folder} is a file, not a folder");
            }

            var real = Real(path);
            if (read.FirstOrDefault(i => string.Equals(i.Real, real, PathComparison)) is { Given: { } input })
            {
                throw new InputException(path, null, key, string.Equals(Path.GetFullPath(input), Path.GetFullPath(path), PathComparison)
                    ? "is an input of this command; writing there would destroy it: give another output path"
                    : $"resolves to the input {input}; writing there would destroy it: give another output path");
            }
        }
    }

    /// <summary>
    /// Refuses an output folder that is a file (naming the input when it is one) or that is, or resolves through a link to,
    /// a folder the command reads from; the files written inside it are checked with <see cref="Check"/>.
    /// </summary>
    /// <param name="folder">The folder the command will write into.</param>
    /// <param name="key">The option or key that named it.</param>
    /// <param name="inputs">The files the command reads.</param>
    /// <param name="inputFolders">The folders the command reads, each with the option or key that named it.</param>
    /// <exception cref="InputException">The folder is a file, an input or an input folder; it names the folder and the key.</exception>
    public static void CheckFolder(string folder, string key, IEnumerable<string> inputs, IEnumerable<(string Folder, string Key)> inputFolders)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(inputFolders);
        if (File.Exists(folder))
        {
            Check([(folder, key)], inputs);
            throw new InputException(folder, null, key, "is a file; give a folder");
        }

        var real = Real(folder);
        foreach (var (input, inputKey) in inputFolders.Where(f => !string.IsNullOrEmpty(f.Folder) && Directory.Exists(f.Folder)))
        {
            if (string.Equals(Real(input), real, PathComparison))
            {
                throw new InputException(folder, null, key, $"is the {inputKey} folder this command reads ({input}); give another folder for what it writes");
            }
        }
    }

    /// <summary>A run's outputs: its judgments, journal and manifest, named by <paramref name="key"/>.</summary>
    public static IEnumerable<(string Path, string Key)> Of(RunFiles files, string key)
    {
        ArgumentNullException.ThrowIfNull(files);
        return [(files.Judgments, key), (files.Journal, key), (files.Manifest, key)];
    }

    /// <summary>The path a file is reached by: absolute, its folder and the file itself resolved through links.</summary>
    private static string Real(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        try
        {
            if (Directory.Exists(full))
            {
                return RealFolder(full);
            }

            var folder = Path.GetDirectoryName(full);
            if (folder is not null && Directory.Exists(folder))
            {
                full = Path.Combine(RealFolder(folder), Path.GetFileName(full));
            }

            return File.Exists(full) && File.ResolveLinkTarget(full, returnFinalTarget: true) is { } target ? Path.GetFullPath(target.FullName) : full;
        }
        catch (IOException)
        {
            return full;
        }
    }

    /// <summary>A folder with every link among its ancestors resolved.</summary>
    private static string RealFolder(string folder)
    {
        var parent = Path.GetDirectoryName(folder);
        if (parent is null)
        {
            return folder;
        }

        var real = Path.Combine(RealFolder(parent), Path.GetFileName(folder));
        return Directory.ResolveLinkTarget(real, returnFinalTarget: true)?.FullName ?? real;
    }
}

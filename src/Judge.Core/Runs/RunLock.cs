namespace Judge.Runs;

/// <summary>
/// Keeps a second process off a run while one writes it: an exclusive lock on <c>MANIFEST.lock</c> beside the manifest,
/// held from the moment the run's files are touched until it ends, and the file removed then. Two processes writing one
/// results file interleave their lines (a run that did so was left unreadable); the second is refused instead. The
/// lock is advisory (<c>flock</c> through .NET's <see cref="FileShare.None"/>) and dies with its process, so a killed
/// run leaves no lock that blocks its <c>--resume</c>.
/// </summary>
internal sealed class RunLock : IDisposable
{
    private readonly FileStream _stream;
    private readonly string _path;

    private RunLock(FileStream stream, string path)
    {
        _stream = stream;
        _path = path;
    }

    /// <summary>Takes the run's lock.</summary>
    /// <exception cref="InputException">Another process holds it.</exception>
    public static RunLock Take(RunFiles files)
    {
        var path = Path.GetFullPath(files.Manifest) + ".lock";
        try
        {
            return new RunLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None), path);
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw new InputException(files.Judgments, null, null, $"another judge process is writing this run (it holds {path}); wait for it to finish or stop it, then --resume", ex);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stream.Dispose();
        File.Delete(_path);
    }
}

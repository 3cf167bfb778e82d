namespace Judge.Providers.Llama;

/// <summary>Options for a <see cref="ModelStore"/>.</summary>
public sealed class ModelStoreOptions
{
    /// <summary>
    /// The cache folder. Default: <c>$JUDGE_MODELS</c>, else <c>$XDG_CACHE_HOME/judge/models</c>, else
    /// <c>~/.cache/judge/models</c> (<see cref="ModelStore.DefaultCacheDirectory"/>).
    /// </summary>
    public string? CacheDirectory { get; set; }

    /// <summary>The catalogue that model names are looked up in. Default: <see cref="ModelCatalogue.Models"/>.</summary>
    public IReadOnlyList<CatalogueModel> Catalogue { get; set; } = ModelCatalogue.Models;

    /// <summary>The longest wait for the server's response headers. Default 30 seconds.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait for the next bytes of the file once it is flowing. Default 60 seconds.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The clock the timeouts run on. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The HTTP handler downloads go through (not disposed by the store). Default: a new <see cref="SocketsHttpHandler"/> per pull.</summary>
    public HttpMessageHandler? Handler { get; set; }
}

/// <summary>What the cache holds for a file, found without hashing it.</summary>
public enum CachedModelState
{
    /// <summary>Nothing.</summary>
    Absent,

    /// <summary>An interrupted download (<c>FILE.partial</c>) that the next pull resumes.</summary>
    Partial,

    /// <summary>The file, not yet verified against a checksum (copied in by hand, or changed since it was verified).</summary>
    Present,

    /// <summary>The file, with a checksum record newer than the file: it was verified and is used without rehashing.</summary>
    Verified,
}

/// <summary>A file in the cache and what is known about it.</summary>
/// <param name="Path">Where it is (or would be).</param>
/// <param name="State">What is there.</param>
/// <param name="Bytes">The size of the file or of the partial download; 0 when absent.</param>
/// <param name="Sha256">
/// The checksum recorded for the file, if any: for <see cref="CachedModelState.Verified"/> the expected one; a
/// <see cref="CachedModelState.Present"/> file with a recorded checksum was hashed and found to be another file.
/// </param>
public sealed record CachedModel(string Path, CachedModelState State, long Bytes, string? Sha256);

/// <summary>
/// The local cache of GGUF judge models, and the downloader that fills it. A pull streams the file to
/// <c>FILE.partial</c> (resuming with an HTTP range request when a partial is there), hashes it with
/// SHA-256 as it arrives, and renames it into place only when the checksum matches; a mismatch deletes the
/// partial. A file already in the cache is verified once and then trusted through a <c>FILE.sha256</c>
/// record (in <c>sha256sum</c> format) that is newer than the file, so later runs do not rehash gigabytes
/// and make no request at all. Safe for concurrent use; two processes pulling the same file do not share a partial.
/// </summary>
public sealed partial class ModelStore
{
    /// <summary>The suffix of an interrupted download.</summary>
    public const string PartialSuffix = ".partial";

    /// <summary>The suffix of a file's checksum record.</summary>
    public const string ChecksumSuffix = ".sha256";

    private const int BufferSize = 1 << 16;
    private readonly ModelStoreOptions _options;

    /// <summary>Creates a store over a cache folder (created on the first pull).</summary>
    public ModelStore(ModelStoreOptions? options = null)
    {
        _options = options ?? new ModelStoreOptions();
        CacheDirectory = Path.GetFullPath(_options.CacheDirectory ?? DefaultCacheDirectory());
    }

    /// <summary>The cache folder.</summary>
    public string CacheDirectory { get; }

    /// <summary>The catalogue names are looked up in.</summary>
    public IReadOnlyList<CatalogueModel> Catalogue => _options.Catalogue;

    /// <summary>
    /// The cache folder from the environment: <c>$JUDGE_MODELS</c>, else <c>$XDG_CACHE_HOME/judge/models</c>,
    /// else <c>~/.cache/judge/models</c>.
    /// </summary>
    public static string DefaultCacheDirectory() =>
        ResolveCacheDirectory(Environment.GetEnvironmentVariable, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>The cache folder rule over a given environment and home folder (testable without touching the process's environment).</summary>
    internal static string ResolveCacheDirectory(Func<string, string?> environment, string home)
    {
        if (environment("JUDGE_MODELS") is { Length: > 0 } models)
        {
            return models;
        }

        var cache = environment("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(home, ".cache");
        return Path.Combine(cache, "judge", "models");
    }

    /// <summary>Where a file of this name lives in the cache.</summary>
    public string PathFor(string fileName) => Path.Combine(CacheDirectory, fileName);

    /// <summary>What the cache holds for a file, without hashing or network; a recorded checksum must equal <paramref name="sha256"/> (when given) to count as verified.</summary>
    public CachedModel Inspect(string fileName, string? sha256 = null)
    {
        var path = PathFor(fileName);
        var file = new FileInfo(path);
        if (file.Exists)
        {
            var recorded = ReadRecord(file);
            return recorded is not null && (sha256 is null || recorded == sha256)
                ? new CachedModel(path, CachedModelState.Verified, file.Length, recorded)
                : new CachedModel(path, CachedModelState.Present, file.Length, recorded);
        }

        var partial = new FileInfo(path + PartialSuffix);
        return partial.Exists ? new CachedModel(path, CachedModelState.Partial, partial.Length, null) : new CachedModel(path, CachedModelState.Absent, 0, null);
    }

    /// <summary>
    /// The path of the file in the cache once verified (hashing it once if it has no current checksum
    /// record), or <see langword="null"/> when the cache does not hold it. No network.
    /// </summary>
    /// <exception cref="ModelDownloadException">The cached file has another size or checksum (<see cref="ModelDownloadFailure.CachedFileMismatch"/>); it is left alone.</exception>
    public string? FindVerified(ModelRequest request, IProgress<ModelPullProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = PathFor(request.FileName);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return null;
        }

        if (request.Size is long size && file.Length != size)
        {
            throw new ModelDownloadException(
                ModelDownloadFailure.CachedFileMismatch, request.Url, path,
                $"{path} is in the model cache but is {file.Length:N0} bytes, not the expected {size:N0} (of {request.Url}); delete it to download it again, or use it as it is with llama:{path}");
        }

        var actual = ReadRecord(file);
        if (actual is null)
        {
            using var stream = OpenRead(request, path);
            actual = Hash(stream, file.Length, request.FileName, progress, cancellationToken);
            WriteRecord(path, actual);
        }

        return actual == request.Sha256
            ? path
            : throw new ModelDownloadException(
                ModelDownloadFailure.CachedFileMismatch, request.Url, path,
                $"{path} is in the model cache but its SHA-256 is {actual}, not the expected {request.Sha256} (of {request.Url}); delete it to download it again, or use it as it is with llama:{path}");
    }

    /// <summary>
    /// The verified cached file for a <c>llama:</c> target that names a catalogue model (<c>recommended</c>,
    /// <c>prometheus-7b-v2</c>, …); any other target (a path, or an existing file) comes back unchanged.
    /// Never downloads: an absent model is an error that says how to pull it.
    /// </summary>
    /// <exception cref="InputException">The target is a bare name that is neither a file nor in the catalogue.</exception>
    /// <exception cref="JudgeUnavailableException">The model is not in the cache.</exception>
    /// <exception cref="ModelDownloadException">The cached file has another size or checksum.</exception>
    public string ResolveModelPath(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!ModelCatalogue.LooksLikeName(target) || File.Exists(target))
        {
            return target;
        }

        var model = ModelCatalogue.Find(target, Catalogue)
            ?? throw new InputException(null, null, "judge spec", $"'{target}' is neither a GGUF file nor a model in the catalogue ({string.Join(", ", Catalogue.Select(m => m.Name).Prepend(ModelCatalogue.RecommendedAlias))}); give llama:PATH.gguf, or see judge models list");
        string? path;
        if (model.Sha256 is null)
        {
            // No catalogue checksum: the file counts once a pull with the user's --sha256 verified and recorded it.
            var cached = Inspect(model.FileName);
            path = cached.State == CachedModelState.Verified ? cached.Path : null;
        }
        else
        {
            path = FindVerified(ModelRequest.ForCatalogue(model));
        }

        return path ?? throw new JudgeUnavailableException(
            $"the model '{target}' ({model.FileName}{(model.Size is long s ? $", {ByteSize.Format(s)}" : string.Empty)}) is not in the model cache {CacheDirectory}; " +
            $"run 'judge models pull {model.Name}' to download it once from {model.Url.Host}, copy {model.FileName} into {CacheDirectory}, or give a local file as llama:PATH.gguf");
    }

    /// <summary>The checksum recorded for a file, if the record is at least as new as the file (so the file has not changed since).</summary>
    private static string? ReadRecord(FileInfo file)
    {
        var record = new FileInfo(file.FullName + ChecksumSuffix);
        if (!record.Exists || record.LastWriteTimeUtc < file.LastWriteTimeUtc)
        {
            return null;
        }

        try
        {
            var text = File.ReadAllText(record.FullName);
            var hex = text.Split([' ', '\t', '\n', '\r'], 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? string.Empty;
            return hex.Length == 64 && hex.All(char.IsAsciiHexDigit) ? hex.ToLowerInvariant() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Records a verified checksum beside the file, in <c>sha256sum</c> format; written after the file, so it is the newer of the two.</summary>
    private static void WriteRecord(string path, string sha256)
    {
        var record = path + ChecksumSuffix;
        var temp = record + ".tmp";
        try
        {
            File.WriteAllText(temp, $"{sha256}  {Path.GetFileName(path)}\n");
            File.Move(temp, record, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The file is verified either way; without a record the next run only hashes it again.
        }
    }
}

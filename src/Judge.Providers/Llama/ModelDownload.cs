using System.Globalization;

namespace Judge.Providers.Llama;

/// <summary>One file to fetch into the model cache: where it comes from, what it is called there, and what it must be.</summary>
/// <param name="Url">The http(s) address of the file.</param>
/// <param name="FileName">The name in the cache: a plain file name, no folders.</param>
/// <param name="Sha256">The expected SHA-256, 64 lower-case hex digits.</param>
/// <param name="Size">The expected size in bytes, when known.</param>
public sealed record ModelRequest(Uri Url, string FileName, string Sha256, long? Size)
{
    /// <summary>
    /// The request for a catalogue entry. <paramref name="sha256"/> is the user's checksum: required when the
    /// catalogue has none for the entry, and when both exist they must agree.
    /// </summary>
    /// <exception cref="InputException">No checksum is known, or the given one is malformed or differs from the catalogue's.</exception>
    public static ModelRequest ForCatalogue(CatalogueModel model, string? sha256 = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var given = sha256 is null ? null : NormaliseSha256(sha256);
        if (model.Sha256 is null && given is null)
        {
            throw new InputException(null, null, "sha256", $"the catalogue has no verified checksum for '{model.Name}' ({model.FileName}); give --sha256 HEX from the SHA256 line of the file's page on Hugging Face ({model.Url})");
        }

        if (model.Sha256 is not null && given is not null && !string.Equals(model.Sha256, given, StringComparison.Ordinal))
        {
            throw new InputException(null, null, "sha256", $"{given} differs from the catalogue's checksum of '{model.Name}' ({model.Sha256})");
        }

        return new ModelRequest(model.Url, model.FileName, given ?? model.Sha256!, model.Size);
    }

    /// <summary>The request for a file at a URL; the file name defaults to the URL's last path segment.</summary>
    /// <exception cref="InputException">The URL is not http(s), the checksum is missing or malformed, or no usable file name follows from the URL.</exception>
    public static ModelRequest ForUrl(Uri url, string? sha256, string? fileName = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new InputException(null, null, "model", $"'{url}' is not an http(s) URL");
        }

        if (sha256 is null)
        {
            throw new InputException(null, null, "sha256", $"a model pulled by URL needs --sha256 HEX, the file's SHA-256 (Hugging Face shows it as SHA256 on the file's page), so the download can be verified");
        }

        var name = fileName ?? Uri.UnescapeDataString(url.Segments.LastOrDefault() ?? string.Empty);
        return new ModelRequest(url, ValidFileName(name, fileName is null ? "the URL names no file; give --file NAME" : null), NormaliseSha256(sha256), null);
    }

    /// <summary>A SHA-256 as 64 lower-case hex digits; anything else is an <see cref="InputException"/>.</summary>
    public static string NormaliseSha256(string sha256)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        var hex = sha256.Trim();
        if (hex.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            hex = hex["sha256:".Length..];
        }

        return hex.Length == 64 && hex.All(char.IsAsciiHexDigit)
            ? hex.ToLowerInvariant()
            : throw new InputException(null, null, "sha256", $"'{sha256}' is not a SHA-256 (64 hex digits)");
    }

    private static string ValidFileName(string name, string? hint)
    {
        if (name.Length == 0 || name is "." or ".." || name.IndexOfAny(['/', '\\']) >= 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0
            || name.EndsWith(ModelStore.PartialSuffix, StringComparison.Ordinal) || name.EndsWith(ModelStore.ChecksumSuffix, StringComparison.Ordinal))
        {
            throw new InputException(null, null, "file", hint ?? $"'{name}' is not a plain file name for the model cache");
        }

        return name;
    }
}

/// <summary>What a model pull is doing when it reports progress.</summary>
public enum ModelPullStage
{
    /// <summary>Hashing a file already on disk: a cached file never verified, or the part of an interrupted download.</summary>
    Checking,

    /// <summary>Receiving the file.</summary>
    Downloading,
}

/// <summary>Progress of a model pull.</summary>
/// <param name="FileName">The file in the cache.</param>
/// <param name="Stage">What is happening.</param>
/// <param name="Bytes">Bytes done so far (for a resumed download, including the part that was already there).</param>
/// <param name="TotalBytes">The file's size when known.</param>
/// <param name="ResumedFrom">For a resumed download, the bytes that were already on disk; 0 otherwise.</param>
public sealed record ModelPullProgress(string FileName, ModelPullStage Stage, long Bytes, long? TotalBytes, long ResumedFrom = 0);

/// <summary>Why a model could not be pulled or used from the cache.</summary>
public enum ModelDownloadFailure
{
    /// <summary>The server could not be reached: name resolution, refused or broken connection, TLS.</summary>
    Network,

    /// <summary>The server answered with an HTTP error status.</summary>
    Http,

    /// <summary>The server did not answer, or stopped sending, within the time allowed.</summary>
    Timeout,

    /// <summary>The downloaded bytes do not have the expected SHA-256 or size; the download was deleted.</summary>
    Checksum,

    /// <summary>A file already in the cache does not have the expected SHA-256 or size; it was left alone.</summary>
    CachedFileMismatch,

    /// <summary>The cache folder or a file in it could not be written.</summary>
    LocalFile,
}

/// <summary>A model could not be downloaded into, or verified in, the model cache. The message says what, from where, why, and how to go on offline.</summary>
public sealed class ModelDownloadException : JudgeException
{
    /// <summary>Creates the exception.</summary>
    public ModelDownloadException(ModelDownloadFailure failure, Uri url, string path, string message, int? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Url = url;
        Path = path;
        StatusCode = statusCode;
    }

    /// <summary>What went wrong.</summary>
    public ModelDownloadFailure Failure { get; }

    /// <summary>The address the file was (to be) fetched from.</summary>
    public Uri Url { get; }

    /// <summary>The file's path in the cache.</summary>
    public string Path { get; }

    /// <summary>The HTTP status, when the server answered with an error.</summary>
    public int? StatusCode { get; }
}

/// <summary>Byte counts for people: decimal units, as Hugging Face shows file sizes.</summary>
public static class ByteSize
{
    /// <summary>E.g. <c>4.37 GB</c>, <c>398 MB</c>, <c>12.0 kB</c>, <c>512 bytes</c>.</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:0.00} GB"),
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0} MB"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e3:0.0} kB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Judge.Providers.Llama;

// Pulling a model: the download (resumed from a partial), its verification, timeouts and the failures it names.
public sealed partial class ModelStore
{
    /// <summary>
    /// Makes sure the file is in the cache and returns its path: a verified cached file is returned
    /// without any request; otherwise the file is downloaded (resuming a partial), verified, and moved into place.
    /// </summary>
    /// <exception cref="ModelDownloadException">The download failed or the checksum did not match; the message names the URL, the cause and the offline alternatives.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled; a partial download is kept for the next pull.</exception>
    public async Task<string> PullAsync(ModelRequest request, IProgress<ModelPullProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (FindVerified(request, progress, cancellationToken) is { } cached)
        {
            return cached;
        }

        var path = PathFor(request.FileName);
        var partial = path + PartialSuffix;
        try
        {
            Directory.CreateDirectory(CacheDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw LocalFailure(request, path, $"cannot create the model cache folder {CacheDirectory}: {ex.Message}", ex);
        }

        string actual;
        try
        {
            var stream = OpenPartial(request, partial);
            await using (stream.ConfigureAwait(false))
            {
                actual = await DownloadAsync(request, stream, partial, progress, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is ModelDownloadException { Failure: not ModelDownloadFailure.LocalFile } or OperationCanceledException)
        {
            // A partial worth resuming stays; an empty one, or one that is known to be wrong, goes.
            if (ex is ModelDownloadException { Failure: ModelDownloadFailure.Checksum } || new FileInfo(partial) is { Exists: true, Length: 0 })
            {
                File.Delete(partial);
            }

            throw;
        }

        if (actual != request.Sha256)
        {
            File.Delete(partial);
            throw new ModelDownloadException(
                ModelDownloadFailure.Checksum, request.Url, path,
                $"downloaded {request.FileName} from {request.Url}, but its SHA-256 is {actual}, not the expected {request.Sha256}; the download was deleted. " +
                "The file on the server is not the one expected (or arrived corrupted): check the checksum on the file's page and pull again.");
        }

        try
        {
            File.Move(partial, path, overwrite: true);
            WriteRecord(path, actual);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw LocalFailure(request, path, $"downloaded and verified {request.FileName} but could not move it into place: {ex.Message}", ex);
        }

        return path;
    }

    private async Task<string> DownloadAsync(ModelRequest request, FileStream file, string partial, IProgress<ModelPullProgress>? progress, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var have = file.Length;
        if (request.Size is long expected && have > expected)
        {
            file.SetLength(0);
            have = 0;
        }

        if (have > 0)
        {
            // The bytes already on disk go into the hash first, so the whole file is verified, not only the new part.
            AppendFile(hash, file, have, request.FileName, progress, cancellationToken);
        }

        if (request.Size is long size && have == size)
        {
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        using var ownHandler = _options.Handler is null ? new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, ConnectTimeout = _options.ResponseTimeout } : null;
        using var http = new HttpClient(_options.Handler ?? ownHandler!, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("judge", typeof(ModelStore).Assembly.GetName().Version?.ToString(3) ?? "0"));

        using var response = await SendAsync(http, request, have, partial, cancellationToken).ConfigureAwait(false);
        if (have > 0 && response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From is long from && from != have)
        {
            throw NetworkFailure(request, partial, have, ModelDownloadFailure.Http, $"asked for the bytes from {have:N0}, the server sent them from {from:N0}", null, (int)response.StatusCode);
        }

        if (have > 0 && response.StatusCode != HttpStatusCode.PartialContent)
        {
            // The server ignored the range (or the partial is stale): start again from the first byte.
            file.SetLength(0);
            hash.GetHashAndReset();
            have = 0;
        }

        var total = response.Content.Headers.ContentLength is long length ? have + length : request.Size;
        if (request.Size is long want && total is long offered && offered != want)
        {
            throw new ModelDownloadException(
                ModelDownloadFailure.Checksum, request.Url, PathFor(request.FileName),
                $"{request.Url} offers {offered:N0} bytes, but {request.FileName} must be {want:N0}; nothing was kept. The file on the server is not the one expected: check the model's page.");
        }

        file.Seek(have, SeekOrigin.Begin);
        await CopyAsync(request, response, file, partial, hash, have, total, progress, cancellationToken).ConfigureAwait(false);
        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Appends the response body to the partial file and the hash, reporting progress about every 0.1 %; a body that ends short is a network failure.</summary>
    private async Task CopyAsync(ModelRequest request, HttpResponseMessage response, FileStream file, string partial, IncrementalHash hash, long have, long? total, IProgress<ModelPullProgress>? progress, CancellationToken cancellationToken)
    {
        var body = await WithTimeoutAsync(request, partial, have, _options.ReadTimeout, "no data", ct => response.Content.ReadAsStreamAsync(ct), cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            var buffer = new byte[BufferSize];
            var done = have;
            var step = total is long t ? Math.Max(BufferSize, t / 1000) : 1 << 20;
            var reported = done;
            var resumedFrom = have;
            progress?.Report(new ModelPullProgress(request.FileName, ModelPullStage.Downloading, done, total, resumedFrom));
            while (true)
            {
                var read = await WithTimeoutAsync(request, partial, done, _options.ReadTimeout, "no data", ct => body.ReadAsync(buffer, ct).AsTask(), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                hash.AppendData(buffer, 0, read);
                try
                {
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    throw LocalFailure(request, PathFor(request.FileName), $"cannot write {partial}: {ex.Message}", ex);
                }

                done += read;
                if (done - reported >= step)
                {
                    reported = done;
                    progress?.Report(new ModelPullProgress(request.FileName, ModelPullStage.Downloading, done, total, resumedFrom));
                }
            }

            if (reported != done)
            {
                progress?.Report(new ModelPullProgress(request.FileName, ModelPullStage.Downloading, done, total, resumedFrom));
            }

            if (total is long end && done < end)
            {
                throw NetworkFailure(request, partial, done, ModelDownloadFailure.Network, $"the connection closed after {done:N0} of {end:N0} bytes", null);
            }
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpClient http, ModelRequest request, long have, string partial, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, request.Url);
        if (have > 0)
        {
            message.Headers.Range = new RangeHeaderValue(have, null);
        }

        var response = await WithTimeoutAsync(request, partial, have, _options.ResponseTimeout, "no answer", ct => http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct), cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        var status = (int)response.StatusCode;
        response.Dispose();
        if (status == 416 && have > 0)
        {
            // Range not satisfiable: the partial does not fit the file on the server; fetch it whole.
            return await SendAsync(http, request, 0, partial, cancellationToken).ConfigureAwait(false);
        }

        var why = status switch
        {
            401 or 403 => $"HTTP {status} {response.ReasonPhrase} (the repository may be gated or private, or the address wrong)",
            404 => $"HTTP {status} {response.ReasonPhrase} (no such file at this address)",
            >= 500 => $"HTTP {status} {response.ReasonPhrase} (the server failed; it may work again later)",
            _ => $"HTTP {status} {response.ReasonPhrase}",
        };
        throw NetworkFailure(request, partial, have, ModelDownloadFailure.Http, why, null, status);
    }

    /// <summary>Runs one network step under a time limit, turning its failures into one clear exception.</summary>
    private async Task<T> WithTimeoutAsync<T>(ModelRequest request, string partial, long done, TimeSpan limit, string what, Func<CancellationToken, Task<T>> step, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(limit, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await step(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw NetworkFailure(request, partial, done, ModelDownloadFailure.Timeout, string.Create(CultureInfo.InvariantCulture, $"{what} within {limit.TotalSeconds:0.#} s (timed out)"), ex);
        }
        catch (HttpRequestException ex)
        {
            throw NetworkFailure(request, partial, done, ModelDownloadFailure.Network, Describe(ex), ex);
        }
        catch (IOException ex)
        {
            throw NetworkFailure(request, partial, done, ModelDownloadFailure.Network, $"the connection broke after {done:N0} bytes ({ex.InnerException?.Message ?? ex.Message})", ex);
        }
    }

    private static string Describe(HttpRequestException ex)
    {
        var socket = FindInner<SocketException>(ex);
        return ex.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => $"the host name could not be resolved (no DNS or no network here?): {socket?.Message ?? ex.Message}",
            HttpRequestError.ConnectionError when socket?.SocketErrorCode == SocketError.ConnectionRefused => "connection refused (nothing is listening there, or a firewall said no)",
            HttpRequestError.ConnectionError when socket?.SocketErrorCode is SocketError.NetworkUnreachable or SocketError.HostUnreachable => $"the network is unreachable: {socket.Message}",
            HttpRequestError.ConnectionError => $"could not connect: {socket?.Message ?? ex.Message}",
            HttpRequestError.SecureConnectionError => $"the TLS connection failed: {ex.InnerException?.Message ?? ex.Message}",
            HttpRequestError.ResponseEnded => "the server closed the connection",
            _ => ex.Message,
        };
    }

    private static T? FindInner<T>(Exception ex)
        where T : Exception
    {
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    private ModelDownloadException NetworkFailure(ModelRequest request, string partial, long done, ModelDownloadFailure failure, string why, Exception? inner, int? status = null)
    {
        if (failure is ModelDownloadFailure.Network or ModelDownloadFailure.Timeout && _options.Handler is null
            && HttpClient.DefaultProxy.GetProxy(request.Url) is { } proxy && proxy != request.Url)
        {
            why += $", through the proxy {proxy.GetLeftPart(UriPartial.Authority)} (from HTTPS_PROXY/HTTP_PROXY)";
        }

        var kept = done > 0 && File.Exists(partial)
            ? $" The {ByteSize.Format(done)} downloaded so far are kept in {partial}; the next pull resumes there."
            : string.Empty;
        var message = $"could not download {request.FileName} from {request.Url}: {why}.{kept} " +
            $"To go on without the network: give a local GGUF file (--judge llama:PATH.gguf, or JUDGE_MODEL=PATH.gguf for scripts/demo.sh), " +
            $"or copy {request.FileName} (SHA-256 {request.Sha256}) from a machine that has it into {CacheDirectory}.";
        return new ModelDownloadException(failure, request.Url, PathFor(request.FileName), message, status, inner);
    }

    private ModelDownloadException LocalFailure(ModelRequest request, string path, string why, Exception inner) =>
        new(ModelDownloadFailure.LocalFile, request.Url, path, $"{why} (model cache {CacheDirectory}; JUDGE_MODELS=DIR or --cache DIR picks another)", null, inner);

    private FileStream OpenPartial(ModelRequest request, string partial)
    {
        try
        {
            // FileShare.None: a second process pulling the same file fails here instead of interleaving writes.
            return new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, BufferSize, useAsync: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw LocalFailure(request, PathFor(request.FileName), $"cannot open {partial} (is another judge process downloading it?): {ex.Message}", ex);
        }
    }

    private FileStream OpenRead(ModelRequest request, string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw LocalFailure(request, path, $"cannot read {path}: {ex.Message}", ex);
        }
    }

    /// <summary>Hashes a file's first <paramref name="length"/> bytes from its start, reporting progress every 1%.</summary>
    private static void AppendFile(IncrementalHash hash, FileStream file, long length, string fileName, IProgress<ModelPullProgress>? progress, CancellationToken cancellationToken)
    {
        file.Seek(0, SeekOrigin.Begin);
        var buffer = new byte[BufferSize];
        long done = 0;
        var step = Math.Max(BufferSize, length / 100);
        var reported = 0L;
        progress?.Report(new ModelPullProgress(fileName, ModelPullStage.Checking, 0, length));
        while (done < length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, length - done));
            if (read == 0)
            {
                break;
            }

            hash.AppendData(buffer, 0, read);
            done += read;
            if (done - reported >= step)
            {
                reported = done;
                progress?.Report(new ModelPullProgress(fileName, ModelPullStage.Checking, done, length));
            }
        }

        if (reported != done)
        {
            progress?.Report(new ModelPullProgress(fileName, ModelPullStage.Checking, done, length));
        }
    }

    private static string Hash(FileStream stream, long length, string fileName, IProgress<ModelPullProgress>? progress, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendFile(hash, stream, length, fileName, progress, cancellationToken);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Judge.Judging;
using Judge.Providers.Llama;
using Judge.Providers.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace Judge.Providers.Tests.Llama;

/// <summary>The model cache and downloader, against a loopback file server; nothing leaves the machine.</summary>
public sealed class ModelStoreTests : IDisposable
{
    private const string FileName = "judge-test.gguf";
    private static readonly byte[] Content = LoopbackFileServer.Bytes(300_000);
    private readonly string _cache = Path.Combine(Path.GetTempPath(), $"judge-models-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    [Fact]
    public async Task PullAsync_FreshDownload_VerifiesChecksumAndMovesIntoCache()
    {
        using var server = LoopbackFileServer.Start(Content);

        var path = await Store().PullAsync(Request(server));

        Assert.Equal(Path.Combine(_cache, FileName), path);
        Assert.Equal(Content, File.ReadAllBytes(path));
        Assert.False(File.Exists(path + ModelStore.PartialSuffix));
        Assert.Equal($"{Sha(Content)}  {FileName}\n", File.ReadAllText(path + ModelStore.ChecksumSuffix));
        var request = Assert.Single(server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Null(request.Range);
    }

    [Fact]
    public async Task PullAsync_ChecksumMismatch_DeletesDownloadAndNamesBothHashes()
    {
        using var server = LoopbackFileServer.Start(Content);
        var expected = Sha(LoopbackFileServer.Bytes(300_000, seed: 7));

        var ex = await Assert.ThrowsAsync<ModelDownloadException>(() => Store().PullAsync(new ModelRequest(server.Url, FileName, expected, null)));

        Assert.Equal(ModelDownloadFailure.Checksum, ex.Failure);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains(Sha(Content), ex.Message, StringComparison.Ordinal);
        Assert.Contains("deleted", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_cache));
    }

    [Fact]
    public async Task PullAsync_ServerOffersAnotherSize_FailsBeforeDownloadingAndKeepsNothing()
    {
        using var server = LoopbackFileServer.Start(Content);

        var ex = await Assert.ThrowsAsync<ModelDownloadException>(() => Store().PullAsync(Request(server) with { Size = Content.Length + 1 }));

        Assert.Equal(ModelDownloadFailure.Checksum, ex.Failure);
        Assert.Contains("offers 300,000 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_cache));
    }

    [Fact]
    public async Task PullAsync_PartialOnDisk_ResumesWithRangeAndVerifiesTheWholeFile()
    {
        using var server = LoopbackFileServer.Start(Content);
        Directory.CreateDirectory(_cache);
        File.WriteAllBytes(Path.Combine(_cache, FileName + ModelStore.PartialSuffix), Content[..100_000]);
        var progress = new ListProgress<ModelPullProgress>();

        var path = await Store().PullAsync(Request(server) with { Size = Content.Length }, progress);

        Assert.Equal(Content, File.ReadAllBytes(path));
        Assert.Equal("bytes=100000-", Assert.Single(server.Requests).Range);
        var first = progress.Items.First(p => p.Stage == ModelPullStage.Downloading);
        Assert.Equal(100_000, first.ResumedFrom);
        Assert.Equal(100_000, first.Bytes);
        Assert.Equal(Content.Length, first.TotalBytes);
    }

    [Fact]
    public async Task PullAsync_ConnectionCutMidway_KeepsPartialAndTheNextPullResumes()
    {
        using var server = LoopbackFileServer.Start(Content);
        server.CutNextAfter = 120_000;
        var partial = Path.Combine(_cache, FileName + ModelStore.PartialSuffix);

        var ex = await Assert.ThrowsAsync<ModelDownloadException>(() => Store().PullAsync(Request(server)));

        Assert.Equal(ModelDownloadFailure.Network, ex.Failure);
        Assert.Contains(partial, ex.Message, StringComparison.Ordinal);
        Assert.Contains("the next pull resumes there", ex.Message, StringComparison.Ordinal);
        Assert.Equal(120_000, new FileInfo(partial).Length);

        var path = await Store().PullAsync(Request(server));

        Assert.Equal(Content, File.ReadAllBytes(path));
        Assert.Equal(new string?[] { null, "bytes=120000-" }, server.Requests.Select(r => r.Range));
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public async Task PullAsync_ServerIgnoresRange_StartsOverAndStillVerifies()
    {
        using var server = LoopbackFileServer.Start(Content);
        server.IgnoreRange = true;
        Directory.CreateDirectory(_cache);
        // A partial whose bytes are wrong: kept only if the server honoured the range, which it does not.
        File.WriteAllBytes(Path.Combine(_cache, FileName + ModelStore.PartialSuffix), LoopbackFileServer.Bytes(100_000, seed: 99));

        var path = await Store().PullAsync(Request(server));

        Assert.Equal(Content, File.ReadAllBytes(path));
        Assert.Equal("bytes=100000-", Assert.Single(server.Requests).Range);
    }

    [Fact]
    public async Task PullAsync_PartialLongerThanTheFile_RangeNotSatisfiable_FetchesTheWholeFile()
    {
        using var server = LoopbackFileServer.Start(Content);
        Directory.CreateDirectory(_cache);
        File.WriteAllBytes(Path.Combine(_cache, FileName + ModelStore.PartialSuffix), LoopbackFileServer.Bytes(400_000, seed: 3));

        var path = await Store().PullAsync(Request(server));

        Assert.Equal(Content, File.ReadAllBytes(path));
        Assert.Equal(new string?[] { "bytes=400000-", null }, server.Requests.Select(r => r.Range));
    }

    [Theory]
    [InlineData(503, "the server failed")]
    [InlineData(404, "no such file")]
    [InlineData(403, "gated or private")]
    public async Task PullAsync_HttpError_ClearMessageWithOfflineHintAndNothingInCache(int status, string why)
    {
        using var server = LoopbackFileServer.Start(Content);
        server.Status = status;

        var ex = await Assert.ThrowsAsync<ModelDownloadException>(() => Store().PullAsync(Request(server)));

        Assert.Equal(ModelDownloadFailure.Http, ex.Failure);
        Assert.Equal(status, ex.StatusCode);
        Assert.StartsWith($"could not download {FileName} from {server.Url}: HTTP {status}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(why, ex.Message, StringComparison.Ordinal);
        AssertOfflineHint(ex.Message);
        Assert.Empty(Directory.GetFiles(_cache));
    }

    [Fact]
    public async Task PullAsync_ConnectionRefused_ClearMessageWithOfflineHint()
    {
        var url = new Uri($"http://127.0.0.1:{LoopbackFileServer.UnusedPort()}/models/{FileName}");

        var ex = await Assert.ThrowsAsync<ModelDownloadException>(() => Store().PullAsync(new ModelRequest(url, FileName, Sha(Content), null)));

        Assert.Equal(ModelDownloadFailure.Network, ex.Failure);
        Assert.StartsWith($"could not download {FileName} from {url}: connection refused", ex.Message, StringComparison.Ordinal);
        AssertOfflineHint(ex.Message);
        Assert.Empty(Directory.GetFiles(_cache));
    }

    [Fact]
    public async Task PullAsync_ServerNeverAnswers_TimesOutOnTheGivenClock()
    {
        using var server = LoopbackFileServer.Start(Content);
        server.Hang = true;
        var time = new FakeTimeProvider();
        var store = new ModelStore(new ModelStoreOptions { CacheDirectory = _cache, TimeProvider = time, ResponseTimeout = TimeSpan.FromSeconds(30) });

        var pull = store.PullAsync(Request(server));
        await server.FirstRequest.Task.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(31));
        var ex = await Assert.ThrowsAsync<ModelDownloadException>(() => pull);

        Assert.Equal(ModelDownloadFailure.Timeout, ex.Failure);
        Assert.Contains("no answer within 30 s (timed out)", ex.Message, StringComparison.Ordinal);
        AssertOfflineHint(ex.Message);
    }

    [Fact]
    public async Task PullAsync_FileAlreadyInCache_VerifiedOnceThenReusedWithoutRequestsOrRehashing()
    {
        using var server = LoopbackFileServer.Start(Content);
        Directory.CreateDirectory(_cache);
        var cached = Path.Combine(_cache, FileName);
        File.WriteAllBytes(cached, Content);
        var first = new ListProgress<ModelPullProgress>();
        var second = new ListProgress<ModelPullProgress>();

        Assert.Equal(cached, await Store().PullAsync(Request(server) with { Size = Content.Length }, first));
        Assert.Equal(cached, await Store().PullAsync(Request(server) with { Size = Content.Length }, second));

        Assert.Equal(0, server.RequestCount);
        Assert.Contains(first.Items, p => p.Stage == ModelPullStage.Checking && p.Bytes == Content.Length);
        Assert.Empty(second.Items);
        Assert.Equal(CachedModelState.Verified, Store().Inspect(FileName, Sha(Content)).State);
    }

    [Fact]
    public async Task PullAsync_CachedFileChangedAfterItsRecord_IsHashedAgainAndRejectedWithoutTouchingIt()
    {
        using var server = LoopbackFileServer.Start(Content);
        var cached = await Store().PullAsync(Request(server));
        var other = LoopbackFileServer.Bytes(Content.Length, seed: 5);
        File.WriteAllBytes(cached, other);
        File.SetLastWriteTimeUtc(cached + ModelStore.ChecksumSuffix, File.GetLastWriteTimeUtc(cached).AddSeconds(-1));

        var ex = await Assert.ThrowsAsync<ModelDownloadException>(() => Store().PullAsync(Request(server)));

        Assert.Equal(ModelDownloadFailure.CachedFileMismatch, ex.Failure);
        Assert.Contains(Sha(other), ex.Message, StringComparison.Ordinal);
        Assert.Contains(Sha(Content), ex.Message, StringComparison.Ordinal);
        Assert.Contains("delete it to download it again", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.RequestCount);
        Assert.Equal(other, File.ReadAllBytes(cached));
        Assert.Equal(new CachedModel(cached, CachedModelState.Present, Content.Length, Sha(other)), Store().Inspect(FileName, Sha(Content)));
    }

    [Fact]
    public async Task PullAsync_ReportsDownloadProgressUpToTheTotal()
    {
        using var server = LoopbackFileServer.Start(Content);
        var progress = new ListProgress<ModelPullProgress>();

        await Store().PullAsync(Request(server), progress);

        var downloading = progress.Items.Where(p => p.Stage == ModelPullStage.Downloading).ToList();
        Assert.True(downloading.Count >= 3, $"{downloading.Count} progress reports");
        Assert.Equal(0, downloading[0].Bytes);
        Assert.All(downloading, p => Assert.Equal(Content.Length, p.TotalBytes));
        Assert.Equal(downloading.Select(p => p.Bytes).Order(), downloading.Select(p => p.Bytes));
        Assert.Equal(Content.Length, downloading[^1].Bytes);
        Assert.All(downloading, p => Assert.Equal(FileName, p.FileName));
    }

    [Fact]
    public void ResolveCacheDirectory_JudgeModelsThenXdgCacheThenHome()
    {
        Dictionary<string, string> env = new() { ["JUDGE_MODELS"] = "/m", ["XDG_CACHE_HOME"] = "/x" };
        Assert.Equal("/m", ModelStore.ResolveCacheDirectory(k => env.GetValueOrDefault(k), "/home/u"));
        env.Remove("JUDGE_MODELS");
        Assert.Equal("/x/judge/models", ModelStore.ResolveCacheDirectory(k => env.GetValueOrDefault(k), "/home/u"));
        env["XDG_CACHE_HOME"] = string.Empty;
        Assert.Equal("/home/u/.cache/judge/models", ModelStore.ResolveCacheDirectory(k => env.GetValueOrDefault(k), "/home/u"));
    }

    [Fact]
    public void ModelRequest_ForUrl_NeedsAChecksumAndAFileName()
    {
        var url = new Uri("https://huggingface.co/org/repo/resolve/main/Model%20X.Q4_K_M.gguf");
        var sha = Sha(Content);

        Assert.Contains("--sha256", Assert.Throws<InputException>(() => ModelRequest.ForUrl(url, null)).Message, StringComparison.Ordinal);
        Assert.Contains("not a SHA-256", Assert.Throws<InputException>(() => ModelRequest.ForUrl(url, "abc123")).Message, StringComparison.Ordinal);
        Assert.Contains("--file", Assert.Throws<InputException>(() => ModelRequest.ForUrl(new Uri("https://example.org/"), sha)).Message, StringComparison.Ordinal);
        Assert.Contains("not an http(s) URL", Assert.Throws<InputException>(() => ModelRequest.ForUrl(new Uri("file:///tmp/m.gguf"), sha)).Message, StringComparison.Ordinal);
        Assert.Throws<InputException>(() => ModelRequest.ForUrl(url, sha, "../escape.gguf"));

        var request = ModelRequest.ForUrl(url, "sha256:" + sha.ToUpperInvariant());
        Assert.Equal("Model X.Q4_K_M.gguf", request.FileName);
        Assert.Equal(sha, request.Sha256);
        Assert.Equal("mine.gguf", ModelRequest.ForUrl(url, sha, "mine.gguf").FileName);
    }

    [Fact]
    public void ModelRequest_ForCatalogue_UnknownChecksumNeedsOneAndAGivenOneMustAgree()
    {
        var unverified = Tiny with { Sha256 = null };
        Assert.Contains("no verified checksum", Assert.Throws<InputException>(() => ModelRequest.ForCatalogue(unverified)).Message, StringComparison.Ordinal);
        Assert.Equal(Sha(Content), ModelRequest.ForCatalogue(unverified, Sha(Content)).Sha256);
        Assert.Contains("differs", Assert.Throws<InputException>(() => ModelRequest.ForCatalogue(Tiny, new string('0', 64))).Message, StringComparison.Ordinal);
        Assert.Equal(new ModelRequest(Tiny.Url, Tiny.FileName, Tiny.Sha256!, Tiny.Size), ModelRequest.ForCatalogue(Tiny));
    }

    [Fact]
    public void Catalogue_EveryEntryPinnedToAHuggingFaceCommitWithSizeAndChecksum()
    {
        Assert.Same(ModelCatalogue.Recommended, ModelCatalogue.Models[0]);
        Assert.Same(ModelCatalogue.Recommended, ModelCatalogue.Find("recommended"));
        Assert.Same(ModelCatalogue.Recommended, ModelCatalogue.Find("PROMETHEUS-7B-V2"));
        Assert.Null(ModelCatalogue.Find("no-such-model"));
        Assert.Equal(ModelCatalogue.Models.Count, ModelCatalogue.Models.Select(m => m.Name.ToLowerInvariant()).Distinct().Count());
        Assert.All(ModelCatalogue.Models, m =>
        {
            Assert.Equal("https", m.Url.Scheme);
            Assert.Equal("huggingface.co", m.Url.Host);
            Assert.Matches(new Regex("^/[^/]+/[^/]+/resolve/[0-9a-f]{40}/" + Regex.Escape(m.FileName) + "$"), m.Url.AbsolutePath);
            Assert.Matches(new Regex("^[0-9a-f]{64}$"), m.Sha256);
            Assert.True(m.Size > 100_000_000, m.Name);
            Assert.True(ModelCatalogue.LooksLikeName(m.Name), m.Name);
            Assert.EndsWith(".gguf", m.FileName, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void ResolveModelPath_CatalogueNameInCache_GivesTheVerifiedFile()
    {
        var store = Store([Tiny]);
        Directory.CreateDirectory(_cache);
        File.WriteAllBytes(Path.Combine(_cache, Tiny.FileName), Content);

        Assert.Equal(Path.Combine(_cache, Tiny.FileName), store.ResolveModelPath("tiny"));
        Assert.Equal(Path.Combine(_cache, Tiny.FileName), store.ResolveModelPath("recommended"));
        Assert.Equal(Path.Combine(_cache, Tiny.FileName), LlamaOptions.FromSpec(JudgeSpec.Parse("llama:tiny?ctx=64"), store).ModelPath);
        Assert.Equal("models/x.gguf", store.ResolveModelPath("models/x.gguf"));
    }

    [Fact]
    public void ResolveModelPath_CatalogueNameNotInCache_SaysHowToPullIt()
    {
        var ex = Assert.Throws<JudgeUnavailableException>(() => Store([Tiny]).ResolveModelPath("tiny"));

        Assert.Contains("judge models pull tiny", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_cache, ex.Message, StringComparison.Ordinal);
        Assert.Contains("llama:PATH.gguf", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveModelPath_UnknownBareName_IsAnInputErrorListingTheCatalogue()
    {
        var ex = Assert.Throws<InputException>(() => LlamaOptions.FromSpec(JudgeSpec.Parse("llama:no-such-model"), Store([Tiny])));

        Assert.Contains("neither a GGUF file nor a model in the catalogue (recommended, tiny)", ex.Message, StringComparison.Ordinal);
    }

    private static CatalogueModel Tiny => new(
        "tiny", "a test model", new Uri("https://huggingface.co/org/repo/resolve/0123456789abcdef0123456789abcdef01234567/tiny.gguf"),
        "tiny.gguf", Content.Length, Sha(Content), "the test", "none");

    private ModelStore Store(IReadOnlyList<CatalogueModel>? catalogue = null) =>
        new(new ModelStoreOptions { CacheDirectory = _cache, Catalogue = catalogue ?? ModelCatalogue.Models });

    private static ModelRequest Request(LoopbackFileServer server) => new(server.Url, FileName, Sha(server.Content), null);

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private void AssertOfflineHint(string message)
    {
        Assert.Contains("To go on without the network", message, StringComparison.Ordinal);
        Assert.Contains("--judge llama:PATH.gguf", message, StringComparison.Ordinal);
        Assert.Contains("JUDGE_MODEL=PATH.gguf", message, StringComparison.Ordinal);
        Assert.Contains($"copy {FileName}", message, StringComparison.Ordinal);
        Assert.Contains(_cache, message, StringComparison.Ordinal);
    }

    /// <summary>Keeps every report in order, on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
    private sealed class ListProgress<T> : IProgress<T>
    {
        public List<T> Items { get; } = [];

        public void Report(T value)
        {
            lock (Items)
            {
                Items.Add(value);
            }
        }
    }
}

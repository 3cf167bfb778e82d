using Judge.Providers.Tests.Fakes;

namespace Judge.Cli.Tests;

public class ModelsCommandTests
{
    [Fact]
    public async Task ModelsInfo_Stories260K_ShowsArchitectureVocabAndContext()
    {
        var (exit, output) = await CliRunner.RunAsync("models", "info", Path.Combine(Paths.Shared, "models", "stories260K.gguf"));
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("GGUF v3", output, StringComparison.Ordinal);
        Assert.Contains("llama", output, StringComparison.Ordinal);
        Assert.Contains("512 (llama)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsInfo_GgufV1_ExitsTwoWithClearError()
    {
        var (exit, output) = await CliRunner.RunAsync("models", "info", Path.Combine(Paths.Shared, "models", "tinyllamas-stories-260k-ggufv1.gguf"));
        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("GGUF version 1", output, StringComparison.Ordinal);
    }
}

/// <summary><c>judge models pull</c> and <c>judge models list</c> against a loopback file server and a temporary cache.</summary>
public sealed class ModelsPullCommandTests : IDisposable
{
    private const string FileName = "judge-test.Q4_K_M.gguf";
    private static readonly byte[] Content = LoopbackFileServer.Bytes(250_000);
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "judge-cli-tests", $"models-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    [Fact]
    public async Task ModelsPull_UrlWithChecksum_DownloadsVerifiesAndPrintsThePathLast()
    {
        using var server = LoopbackFileServer.Start(Content);

        var (exit, output) = await CliRunner.RunAsync("models", "pull", server.Url.ToString(), "--sha256", Sha(Content), "--cache", _cache);

        Assert.Equal(ExitCodes.Ok, exit);
        var path = Path.Combine(_cache, FileName);
        Assert.Equal(path, LastLine(output));
        Assert.Equal(Content, File.ReadAllBytes(path));
        Assert.Contains($"downloading {FileName} (250.0 kB)", output, StringComparison.Ordinal);
        Assert.Contains("100% (250.0 kB of 250.0 kB)", output, StringComparison.Ordinal);
        Assert.Contains($"verified SHA-256 {Sha(Content)}", output, StringComparison.Ordinal);

        var (again, second) = await CliRunner.RunAsync("models", "pull", server.Url.ToString(), "--sha256", Sha(Content), "--cache", _cache);

        Assert.Equal(ExitCodes.Ok, again);
        Assert.Equal(path, LastLine(second));
        Assert.Contains("already in the cache", second, StringComparison.Ordinal);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task ModelsPull_NothingListening_ExitsThreeWithTheOfflineHint()
    {
        var url = $"http://127.0.0.1:{LoopbackFileServer.UnusedPort()}/models/{FileName}";

        var (exit, output) = await CliRunner.RunAsync("models", "pull", url, "--sha256", Sha(Content), "--cache", _cache);

        Assert.Equal(ExitCodes.JudgeError, exit);
        var text = Flat(output);
        Assert.Contains($"could not download {FileName} from {url}: connection refused", text, StringComparison.Ordinal);
        Assert.Contains("--judge llama:PATH.gguf, or JUDGE_MODEL=PATH.gguf", text, StringComparison.Ordinal);
        Assert.Contains($"into {_cache}", text, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_cache, FileName)));
    }

    [Theory]
    [InlineData(503)]
    [InlineData(404)]
    public async Task ModelsPull_ServerAnswersWithAnError_ExitsThreeNamingTheStatus(int status)
    {
        using var server = LoopbackFileServer.Start(Content);
        server.Status = status;

        var (exit, output) = await CliRunner.RunAsync("models", "pull", server.Url.ToString(), "--sha256", Sha(Content), "--cache", _cache);

        Assert.Equal(ExitCodes.JudgeError, exit);
        Assert.Contains($"HTTP {status}", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_cache));
    }

    [Fact]
    public async Task ModelsPull_ChecksumMismatch_ExitsThreeAndLeavesNothingInTheCache()
    {
        using var server = LoopbackFileServer.Start(Content);
        var wrong = new string('a', 64);

        var (exit, output) = await CliRunner.RunAsync("models", "pull", server.Url.ToString(), "--sha256", wrong, "--cache", _cache);

        Assert.Equal(ExitCodes.JudgeError, exit);
        var text = Flat(output);
        Assert.Contains($"its SHA-256 is {Sha(Content)}, not the expected {wrong}", text, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_cache));
    }

    [Theory]
    [InlineData("--sha256", "url-without-checksum")]
    [InlineData("not a SHA-256", "url", "--sha256", "1234")]
    [InlineData("neither a catalogue model", "no-such-model")]
    [InlineData("applies to a URL", "recommended", "--file", "x.gguf")]
    [InlineData("differs from the catalogue's checksum", null, "--sha256", "0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task ModelsPull_BadArguments_ExitTwoWithoutTouchingTheNetwork(string expected, string? model, params string[] rest)
    {
        using var server = LoopbackFileServer.Start(Content);
        var target = model switch
        {
            "url-without-checksum" or "url" => server.Url.ToString(),
            _ => model,
        };
        string[] args = ["models", "pull", .. target is null ? Array.Empty<string>() : [target], .. rest, "--cache", _cache];

        var (exit, output) = await CliRunner.RunAsync(args);

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains(expected, Flat(output), StringComparison.Ordinal);
        Assert.Equal(0, server.RequestCount);
    }

    [Fact]
    public async Task ModelsList_ShowsTheCatalogueAndWhatTheCacheHolds()
    {
        using var server = LoopbackFileServer.Start(Content);
        Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync("models", "pull", server.Url.ToString(), "--sha256", Sha(Content), "--cache", _cache)).Exit);

        var (exit, output) = await CliRunner.RunAsync("models", "list", "--cache", _cache);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("prometheus-7b-v2 (recommended)", output, StringComparison.Ordinal);
        Assert.Contains("prometheus-7b-v2.0.Q4_K_M.gguf", output, StringComparison.Ordinal);
        Assert.Contains("4.37 GB", output, StringComparison.Ordinal);
        Assert.Contains("qwen2.5-0.5b-instruct", output, StringComparison.Ordinal);
        Assert.Contains($"also in the cache: {FileName} (250.0 kB, verified)", output, StringComparison.Ordinal);
        Assert.Contains($"model cache: {_cache}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_LlamaUnknownModelName_ExitsTwoListingTheCatalogue()
    {
        var (exit, output) = await CliRunner.RunAsync(
            "compare", "-q", Path.Combine(Paths.Sample, "question.jsonl"), "-a", Path.Combine(Paths.Sample, "model_answer", "assistant-tiny.jsonl"), Path.Combine(Paths.Sample, "model_answer", "assistant-small.jsonl"),
            "--judge", "llama:no-such-model", "--out", Paths.Temp("unknown-model.jsonl"));

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("'no-such-model' is neither a GGUF file nor a model in the catalogue (recommended, prometheus-7b-v2, qwen2.5-0.5b-instruct)", Flat(output), StringComparison.Ordinal);
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    private static string LastLine(string output) => output.TrimEnd('\n', '\r').Split('\n')[^1].TrimEnd('\r');

    /// <summary>The output with Spectre's line wrapping undone, for messages longer than the console is wide.</summary>
    private static string Flat(string output) => string.Join(' ', output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}

using Judge.Judging;
using Judge.Providers.Llama;

namespace Judge.Providers.Tests.Llama;

/// <summary>
/// Where <see cref="LlamaNativeLibrary"/> looks for llama.cpp, on a fake layout: an application folder
/// with LLamaSharp.Backend.Cpu's <c>runtimes/linux-x64/native/{avx level}</c> folders. The files are
/// empty stand-ins; resolving only looks for them, loading is tested elsewhere.
/// </summary>
public sealed class LlamaNativeResolverTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("judge-native-resolver").FullName;

    public LlamaNativeResolverTests() => Directory.CreateDirectory(App);

    private string App => Path.Combine(_root, "app", "bin");

    private string Level(string level) => Path.Combine(App, "runtimes", "linux-x64", "native", level);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ResolveDirectory_SpecOption_WinsOverEnvironmentAndBundled()
    {
        PutLibraries(Level("avx2"));
        var spec = Path.Combine(_root, "cuda");

        Assert.Equal(spec, LlamaNativeLibrary.ResolveDirectory(spec, Path.Combine(_root, "env"), App, cpuLevel: 2));
    }

    [Fact]
    public void ResolveDirectory_Environment_WinsOverBundled()
    {
        PutLibraries(Level("avx2"));
        var env = Path.Combine(_root, "env");

        Assert.Equal(env, LlamaNativeLibrary.ResolveDirectory(null, env, App, cpuLevel: 2));
        Assert.Equal(env, LlamaNativeLibrary.ResolveDirectory("  ", env, App, cpuLevel: 2));
    }

    [Fact]
    public void ResolveDirectory_BestLevelTheCpuRuns_Wins()
    {
        foreach (var level in new[] { "noavx", "avx", "avx2", "avx512" })
        {
            PutLibraries(Level(level));
        }

        Assert.Equal(Level("avx512"), LlamaNativeLibrary.ResolveDirectory(null, null, App + Path.DirectorySeparatorChar, cpuLevel: 3));
        Assert.Equal(Level("avx2"), LlamaNativeLibrary.ResolveDirectory(null, null, App, cpuLevel: 2));
        Assert.Equal(Level("noavx"), LlamaNativeLibrary.ResolveDirectory(null, null, App, cpuLevel: 0));
    }

    [Fact]
    public void ResolveDirectory_LevelFolderWithoutLibllama_IsSkipped()
    {
        Directory.CreateDirectory(Level("avx2"));
        File.WriteAllText(Path.Combine(Level("avx2"), "libggml-base.so"), string.Empty);
        PutLibraries(Level("avx"));

        Assert.Equal(Level("avx"), LlamaNativeLibrary.ResolveDirectory(null, null, App, cpuLevel: 2));
    }

    [Fact]
    public void ResolveDirectory_NothingAnywhere_NamesTheBestFolderForTheCpu() =>
        Assert.Equal(Level("avx2"), LlamaNativeLibrary.ResolveDirectory(null, null, App, cpuLevel: 2));

    [Fact]
    public void SearchedDirectories_NeverHoldALevelAboveTheCpus() =>
        Assert.Equal([Level("avx"), Level("noavx")], LlamaNativeLibrary.SearchedDirectories(App, cpuLevel: 1));

    [Fact]
    public void ResolveDirectory_Default_IsTheShippedBuildBesideTheTests()
    {
        var dir = LlamaNativeLibrary.ResolveDirectory(null, null, AppContext.BaseDirectory, LlamaNativeLibrary.CpuLevel());

        Assert.True(File.Exists(Path.Combine(dir, "libllama.so")), dir);
        Assert.StartsWith(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"), dir, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureLoaded_ShippedBuild_ReportsTheCommitLLamaSharpBinds()
    {
        LlamaNativeLibrary.EnsureLoaded(LlamaNativeLibrary.ResolveDirectory(null));

        Assert.StartsWith(LlamaNativeLibrary.ExpectedCommit, LlamaNativeLibrary.Commit(), StringComparison.Ordinal);
        Assert.Contains("CPU", LlamaNativeLibrary.SystemInfo(), StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureLoaded_MissingFolder_NamesItAndTheFixWithoutRepositoryScripts()
    {
        var missing = Path.Combine(_root, "nowhere");

        var ex = Assert.Throws<JudgeUnavailableException>(() => LlamaNativeLibrary.EnsureLoaded(missing));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("the directory does not exist", ex.Message, StringComparison.Ordinal);
        Assert.Contains(LlamaNativeLibrary.EnvironmentVariable, ex.Message, StringComparison.Ordinal);
        Assert.Contains(LlamaNativeLibrary.ExpectedCommit, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("scripts/", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureLoaded_AnotherLlamaCppCommit_IsRefusedBeforeAnythingIsLoaded()
    {
        // A folder whose libggml-base.so names another commit: refused from its bytes, never dlopen'ed
        // (a loaded libggml-base.so would be the one every later libllama.so links to).
        var other = Path.Combine(_root, "other-build");
        Directory.CreateDirectory(other);
        foreach (var name in LlamaNativeLibrary.RequiredFiles)
        {
            File.WriteAllText(Path.Combine(other, name), "ggml commit 0123abcd\0");
        }

        var ex = Assert.Throws<JudgeUnavailableException>(() => LlamaNativeLibrary.EnsureLoaded(other));

        Assert.Contains(Path.Combine(other, "libggml-base.so"), ex.Message, StringComparison.Ordinal);
        Assert.Contains($"not llama.cpp commit {LlamaNativeLibrary.ExpectedCommit}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(LlamaNativeLibrary.EnvironmentVariable, ex.Message, StringComparison.Ordinal);
    }

    private static void PutLibraries(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var name in LlamaNativeLibrary.RequiredFiles)
        {
            File.WriteAllText(Path.Combine(directory, name), string.Empty);
        }
    }
}

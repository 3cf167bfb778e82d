using Judge.Judges;
using Judge.Providers.Llama.Interop;

namespace Judge.Providers.Tests.Llama;

/// <summary>
/// Where <see cref="LlamaNativeLibrary"/> looks for llama.cpp, on a fake layout: a checkout (a folder
/// with Judge.sln and .native/llama) holding an app folder, as an installed tool or a build output is.
/// The files are empty stand-ins; resolving only looks for them, loading is tested elsewhere.
/// </summary>
public sealed class LlamaNativeResolverTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("judge-native-resolver").FullName;

    public LlamaNativeResolverTests()
    {
        File.WriteAllText(Path.Combine(_root, "Judge.sln"), string.Empty);
        Directory.CreateDirectory(App);
    }

    private string App => Path.Combine(_root, "src", "app", "bin");

    private string Bundled => Path.Combine(App, "runtimes", "linux-x64", "native");

    private string Checkout => Path.Combine(_root, ".native", "llama");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ResolveDirectory_SpecOption_WinsOverEnvironmentAndBundled()
    {
        PutLibraries(Bundled);
        var spec = Path.Combine(_root, "cuda");

        Assert.Equal(spec, LlamaNativeLibrary.ResolveDirectory(spec, Path.Combine(_root, "env"), App));
    }

    [Fact]
    public void ResolveDirectory_Environment_WinsOverBundled()
    {
        PutLibraries(Bundled);
        var env = Path.Combine(_root, "env");

        Assert.Equal(env, LlamaNativeLibrary.ResolveDirectory(null, env, App));
        Assert.Equal(env, LlamaNativeLibrary.ResolveDirectory("  ", env, App));
    }

    [Fact]
    public void ResolveDirectory_BundledBesideAssembly_WinsOverAssemblyFolderAndCheckout()
    {
        PutLibraries(Bundled);
        PutLibraries(App);
        PutLibraries(Checkout);

        Assert.Equal(Bundled, LlamaNativeLibrary.ResolveDirectory(null, null, App + Path.DirectorySeparatorChar));
    }

    [Fact]
    public void ResolveDirectory_FlattenedInAssemblyFolder_WinsOverCheckout()
    {
        PutLibraries(App);
        PutLibraries(Checkout);

        Assert.Equal(App, LlamaNativeLibrary.ResolveDirectory(null, null, App));
    }

    [Fact]
    public void ResolveDirectory_NothingBundled_FallsBackToCheckout()
    {
        PutLibraries(Checkout);

        Assert.Equal(Checkout, LlamaNativeLibrary.ResolveDirectory(null, null, App));
    }

    [Fact]
    public void ResolveDirectory_BundledFolderWithoutLibllama_IsSkipped()
    {
        Directory.CreateDirectory(Bundled);
        File.WriteAllText(Path.Combine(Bundled, "libggml-base.so"), string.Empty);
        PutLibraries(Checkout);

        Assert.Equal(Checkout, LlamaNativeLibrary.ResolveDirectory(null, null, App));
    }

    [Fact]
    public void ResolveDirectory_NothingAnywhere_NamesTheBundledFolder()
    {
        Assert.Equal(Bundled, LlamaNativeLibrary.ResolveDirectory(null, null, App));
    }

    [Fact]
    public void SearchedDirectories_OutsideACheckout_AreTheBundledAndAssemblyFoldersOnly()
    {
        var installed = Directory.CreateTempSubdirectory("judge-tool-store").FullName;
        try
        {
            Assert.Equal(
                [Path.Combine(installed, "runtimes", "linux-x64", "native"), installed],
                LlamaNativeLibrary.SearchedDirectories(installed));
        }
        finally
        {
            Directory.Delete(installed);
        }
    }

    [Fact]
    public void SearchedDirectories_InACheckout_EndWithItsNativeFolder() =>
        Assert.Equal([Bundled, App, Checkout], LlamaNativeLibrary.SearchedDirectories(App));

    [Fact]
    public void EnsureLoaded_MissingFolder_NamesItAndTheFixWithoutRepositoryScripts()
    {
        var missing = Path.Combine(_root, "nowhere");

        var ex = Assert.Throws<JudgeUnavailableException>(() => LlamaNativeLibrary.EnsureLoaded(missing));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("the directory does not exist", ex.Message, StringComparison.Ordinal);
        Assert.Contains(LlamaNativeLibrary.EnvironmentVariable, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("scripts/", ex.Message, StringComparison.Ordinal);
    }

    private static void PutLibraries(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var name in new[] { "libllama.v0.5.0.so", "libggml.v0.5.0.so", "libggml-base.so", "libggml-cpu-x64.so" })
        {
            File.WriteAllText(Path.Combine(directory, name), string.Empty);
        }
    }
}

namespace Judge.Providers.Tests.Llama;

/// <summary>Finds ../shared beside the checkout (walking up from the test binaries to Judge.sln).</summary>
internal static class SharedFiles
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Stories => Model("stories260K.gguf");

    public static string TinyRandom => Model("llama-2-tiny-random.gguf");

    public static string GgufV1 => Model("tinyllamas-stories-260k-ggufv1.gguf");

    public static string Model(string name)
    {
        var path = Path.Combine(Shared, "models", name);
        Assert.True(File.Exists(path), $"{path} is missing: ../shared must sit beside the checkout");
        return path;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Judge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Judge.sln above {AppContext.BaseDirectory}");
    }
}

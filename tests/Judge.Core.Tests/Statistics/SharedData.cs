namespace Judge.Core.Tests.Statistics;

/// <summary>Finds the read-only ../shared folder beside the repository (the folder holding Judge.sln).</summary>
internal static class SharedData
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Judge.sln")))
        {
            dir = dir.Parent;
        }

        if (dir?.Parent is null)
        {
            throw new InvalidOperationException($"no Judge.sln above {AppContext.BaseDirectory}");
        }

        var shared = Path.Combine(dir.Parent.FullName, "shared");
        return Directory.Exists(shared)
            ? shared
            : throw new InvalidOperationException($"the shared data folder {shared} is missing; it must sit beside the checkout");
    });

    public static string Dataset(params string[] parts) => Path.Combine([Root.Value, "datasets", .. parts]);
}

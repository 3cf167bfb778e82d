namespace Judge.Tests.Support;

/// <summary>Finds the repository and the shared data folder from the test's output directory.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Judge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Judge.sln above {AppContext.BaseDirectory}");
    });

    /// <summary>The folder holding Judge.sln.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The shipped rubrics.</summary>
    public static string Rubrics => Path.Combine(RepoRoot, "rubrics");

    /// <summary>The sample dataset written for this project.</summary>
    public static string Sample => Path.Combine(RepoRoot, "datasets", "sample");

    /// <summary>The read-only shared data, next to the repository.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>The real MT-Bench files.</summary>
    public static string MtBench => Path.Combine(Shared, "datasets", "mt-bench");

    /// <summary>A shipped rubric by id.</summary>
    public static Judge.Rubrics.Rubric Rubric(string id) => Judge.Rubrics.RubricLoader.LoadFile(Path.Combine(Rubrics, id + ".yaml"));
}

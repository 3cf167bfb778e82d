using Spectre.Console;

namespace Judge.Cli.Tests;

/// <summary>Runs the real command line in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public static Task<(int Exit, string Output)> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    public static Task<(int Exit, string Output)> RunAsync(CancellationToken cancellationToken, params string[] args) => Run(200, args, cancellationToken);

    /// <summary>Runs as into a pipe or a file: plain text, whole lines.</summary>
    public static Task<(int Exit, string Output)> RunPipedAsync(params string[] args) => Run(null, args, CancellationToken.None);

    /// <summary>Runs on a terminal <paramref name="columns"/> wide.</summary>
    public static Task<(int Exit, string Output)> RunAtWidthAsync(int columns, params string[] args) => Run(columns, args, CancellationToken.None);

    private static async Task<(int Exit, string Output)> Run(int? columns, string[] args, CancellationToken cancellationToken)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = columns ?? 80;
        JudgeCli.Configure(console, redirected: columns is null);
        var exit = await JudgeCli.RunAsync(args, console, cancellationToken);
        return (exit, writer.ToString());
    }
}

/// <summary>Locations of the repository, its rubrics and the shared real data.</summary>
internal static class Paths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string MtBench => Path.Combine(Shared, "datasets", "mt-bench");

    public static string Sample => Path.Combine(RepoRoot, "datasets", "sample");

    public static string Rubrics => Path.Combine(RepoRoot, "rubrics");

    public static string Temp(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "judge-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
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

        throw new InvalidOperationException("Judge.sln not found above " + AppContext.BaseDirectory);
    }
}

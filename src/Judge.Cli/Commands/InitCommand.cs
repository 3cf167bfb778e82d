using System.CommandLine;
using Judge.Runs;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge init [FOLDER]</c>: a starter config, sample data and CI snippets, judged with one command.</summary>
internal static class InitCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var folder = new Argument<string>("folder") { Description = "Where to write the starter project.", DefaultValueFactory = _ => "." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the starter's files where they exist (without it, any of them there refuses the command and nothing is written)." };
        var command = new Command("init", "Write a starter judge.yaml that runs as it is (sample data, recorded verdicts replayed, a win-rate gate), its data, and CI snippets for GitHub Actions, GitLab CI and Azure Pipelines.")
        {
            folder, overwrite,
        };
        command.SetAction(parse =>
        {
            var target = parse.GetValue(folder)!;
            if (!parse.GetValue(overwrite) && StarterProject.Existing(target) is { Count: > 0 } present)
            {
                throw new InputException(Path.GetFullPath(target), null, "--overwrite", $"already holds {StarterProject.Describe(present)}; nothing was written: give another folder, or --overwrite to replace them");
            }

            var written = StarterProject.Write(target, parse.GetValue(overwrite));
            var config = written.First(p => Path.GetFileName(p) == StarterProject.ConfigFile);
            console.MarkupLineInterpolated($"wrote {written.Count} files into {Path.GetDirectoryName(config)}: {StarterProject.ConfigFile}, data/, ci/");
            console.MarkupLineInterpolated($"next: judge run {Path.GetRelativePath(Environment.CurrentDirectory, config)}   (then edit judges: and data: in it for your own)");
            return ExitCodes.Ok;
        });
        return command;
    }
}

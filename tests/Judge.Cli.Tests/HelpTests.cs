using System.CommandLine;
using Spectre.Console;

namespace Judge.Cli.Tests;

public sealed class HelpTests
{
    private static RootCommand Root() => JudgeCli.CreateRoot(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) }), TimeProvider.System);

    private static IEnumerable<Command> All(Command command) => command.Subcommands.SelectMany(All).Prepend(command);

    [Fact]
    public void EveryCommand_HasAnExampleInItsHelp()
    {
        var leaves = All(Root()).Where(c => c.Subcommands.Count == 0).Select(Help.PathOf).ToList();

        Assert.NotEmpty(leaves);
        Assert.All(leaves, path => Assert.Contains(path, Help.CommandsWithExamples));
        Assert.All(Help.CommandsWithExamples.Where(path => path != "judge"), path => Assert.Contains(path, leaves));
    }

    [Fact]
    public void CompareHelp_GroupsItsOptions_ShowsExamples_AndFits80Columns()
    {
        var compare = Root().Subcommands.Single(c => c.Name == "compare");

        var help = Help.Render(compare, 80);

        var sections = help.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(' ') && l.EndsWith(':')).ToList();
        Assert.Equal(["Examples:", "Input:", "Judge:", "What to judge:", "Output:", "Run control:", "Other:"], sections);
        Assert.Contains("  judge compare -q question.jsonl", help, StringComparison.Ordinal);
        Assert.Contains("(required)", help, StringComparison.Ordinal);
        Assert.All(help.Split('\n'), line => Assert.True(line.Length <= 80, $"{line.Length} columns: {line}"));
        // Every option the command takes is in the help, once.
        foreach (var option in compare.Options)
        {
            var first = option.Aliases.Where(a => a.Length == 2 && a[0] == '-').Order(StringComparer.Ordinal).Append(option.Name).First();
            Assert.Single(help.Split('\n'), l => l.TrimStart().StartsWith(first + ",", StringComparison.Ordinal) || l.TrimStart().StartsWith(first + " ", StringComparison.Ordinal) || l.Trim() == first);
        }
    }

    [Fact]
    public async Task HelpFlag_OnACommandMissingRequiredOptions_ShowsHelpNotErrors()
    {
        var (exit, output) = await CliRunner.RunAsync("grade", "--help");

        Assert.Equal(0, exit);
        Assert.StartsWith("Grade each answer", output, StringComparison.Ordinal);
        Assert.DoesNotContain("error:", output, StringComparison.Ordinal);
    }
}

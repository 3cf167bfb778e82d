using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Judge.Cli.Tests;

/// <summary>
/// The docs cannot drift: every example marked <c>&lt;!-- docs-test --&gt;</c> in README.md and docs/*.md is run, and
/// the output block shown under it must appear in what it prints — every line, in order, figures and table rows
/// included (runs of spaces are folded; a line of <c>...</c> skips any number of lines). A page whose figure is
/// edited by hand, or a command whose output changes, fails here until the page is updated.
/// </summary>
public sealed partial class DocsTests
{
    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var example in DocExample.All())
        {
            data.Add(example.Name);
        }

        return data;
    }

    [Fact]
    public void Pages_HaveExamplesToCheck() => Assert.True(DocExample.All().Count >= 4, "the docs test found too few marked examples");

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Example_PrintsWhatThePageShows(string name)
    {
        var example = DocExample.All().Single(e => e.Name == name);

        var (exit, output) = await RunAsync(example);

        Assert.True(exit == 0, $"{name} exited {exit}:\n{output}");
        var missing = DocExample.FirstMissing(example.Expected, output);
        Assert.True(missing is null, $"{name}: the page shows a line the command no longer prints:\n  {missing}\n--- printed ---\n{output}");
    }

    /// <summary>
    /// A code sample on a page is a compiled, tested file: every block marked <c>&lt;!-- snippet: PATH --&gt;</c> must
    /// show that file exactly (the README's .NET example is examples/Judge.Examples.Tests/ReadmeSample.cs).
    /// </summary>
    [Fact]
    public void Snippets_ShowTheirCompiledFileUnchanged()
    {
        var checkedAny = false;
        foreach (var page in DocExample.Pages())
        {
            var lines = File.ReadAllLines(page);
            for (var i = 0; i < lines.Length; i++)
            {
                if (SnippetMarker().Match(lines[i]) is not { Success: true } marker)
                {
                    continue;
                }

                var file = Path.Combine(Paths.RepoRoot, marker.Groups["path"].Value);
                Assert.True(File.Exists(file), $"{Path.GetFileName(page)}:{i + 1}: the snippet's file {file} does not exist");
                var open = i + 1;
                var close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
                Assert.True(lines[open].StartsWith("```", StringComparison.Ordinal) && close > open, $"{Path.GetFileName(page)}:{i + 1}: a snippet marker must be followed by a fenced block");
                var shown = string.Join('\n', lines[(open + 1)..close]);
                var source = File.ReadAllText(file).ReplaceLineEndings("\n").TrimEnd();
                Assert.True(shown == source, $"{Path.GetFileName(page)}:{i + 1}: the block differs from {marker.Groups["path"].Value}; copy the file into the page");
                checkedAny = true;
            }
        }

        Assert.True(checkedAny, "no snippet marker found: the README's .NET example is no longer checked");
    }

    /// <summary>Every relative link on a page points at a file that exists and, with <c>#anchor</c>, at a heading it has.</summary>
    [Fact]
    public void Links_PointAtFilesAndHeadingsThatExist()
    {
        var broken = new List<string>();
        foreach (var page in DocExample.Pages())
        {
            var lines = File.ReadAllLines(page);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match link in Link().Matches(lines[i]))
                {
                    var target = link.Groups["file"].Value;
                    if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var file = target.Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, target));
                    if (!File.Exists(file) && !Directory.Exists(file))
                    {
                        broken.Add($"{Path.GetFileName(page)}:{i + 1}: {target} does not exist");
                    }
                    else if (link.Groups["anchor"].Success && !Anchors(file).Contains(link.Groups["anchor"].Value))
                    {
                        broken.Add($"{Path.GetFileName(page)}:{i + 1}: {Path.GetFileName(file)} has no heading #{link.Groups["anchor"].Value}");
                    }
                }
            }
        }

        Assert.True(broken.Count == 0, string.Join('\n', broken));
    }

    /// <summary>The anchors GitHub gives a Markdown file's headings (outside code fences).</summary>
    private static HashSet<string> Anchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var fenced = false;
        foreach (var line in File.ReadLines(file))
        {
            fenced ^= line.StartsWith("```", StringComparison.Ordinal);
            if (!fenced && Heading().Match(line) is { Success: true } heading)
            {
                var text = heading.Groups["text"].Value.Trim().ToLowerInvariant();
                anchors.Add(AnchorDrop().Replace(text, string.Empty).Replace(' ', '-'));
            }
        }

        return anchors;
    }

    [Fact]
    public void FirstMissing_AChangedFigure_IsFound()
    {
        // The comparison the docs test stands on: folded spaces, lines in order, "..." skipping; a figure edited by hand fails.
        const string printed = "header\n│ gpt-4    │ 293 │ 83.3 % │\nmiddle\nresult: passed (exit 0)\n";

        Assert.Null(DocExample.FirstMissing(["│ gpt-4 │ 293 │ 83.3 % │", "...", "result: passed (exit 0)"], printed));
        Assert.Equal("│ gpt-4 │ 293 │ 83.4 % │", DocExample.FirstMissing(["│ gpt-4 │ 293 │ 83.4 % │"], printed));
        Assert.Equal("header", DocExample.FirstMissing(["result: passed (exit 0)", "header"], printed));
    }

    /// <summary>
    /// Runs an example's shell lines with <c>judge</c> as the built tool, on an 80-column terminal (a pseudo-terminal
    /// from util-linux's <c>script</c>, so output looks as the page shows it; colours and cursor moves stripped), in a
    /// scratch folder laid out like the repository (its folders linked, <c>../shared</c> beside it), so what the example
    /// writes lands there.
    /// </summary>
    private static async Task<(int Exit, string Output)> RunAsync(DocExample example)
    {
        var scratch = Path.Combine(Path.GetTempPath(), "judge-docs-tests", Guid.NewGuid().ToString("N"));
        var repo = Path.Combine(scratch, "repo");
        Directory.CreateDirectory(repo);
        foreach (var folder in new[] { "datasets", "examples", "rubrics", "templates" })
        {
            Directory.CreateSymbolicLink(Path.Combine(repo, folder), Path.Combine(Paths.RepoRoot, folder));
        }

        Directory.CreateSymbolicLink(Path.Combine(scratch, "shared"), Paths.Shared);
        var script = Path.Combine(scratch, "example.sh");
        File.WriteAllText(script, $"set -e\nstty cols 80 rows 50\njudge() {{ dotnet '{JudgeProcess.Dll}' \"$@\"; }}\n{example.Variables}\n{example.Commands}\n");
        var info = new ProcessStartInfo("script") { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--quiet", "--return", "--command", $"bash '{script}'", "/dev/null" })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment.Remove("JUDGE_RUBRICS");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        // Cursor moves, erasures and carriage returns end a frame of live progress: each becomes a line break, so
        // the lines printed between frames stand on lines of their own, as a reader sees them.
        var output = Terminal().Replace(Colours().Replace(await stdout + await stderr, string.Empty), "\n")
            .Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        try
        {
            Directory.Delete(scratch, recursive: true);
        }
        catch (IOException)
        {
            // A scratch folder left behind costs nothing.
        }

        return (process.ExitCode, output);
    }

    [GeneratedRegex(@"(\x1b(\[[0-9;?]*[A-Za-z]|[=>]|\][^\x07]*\x07))+")]
    private static partial Regex Terminal();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Colours();

    /// <summary>One marked example: the shell block after the marker and the output block after that.</summary>
    private sealed partial record DocExample(string Name, string Variables, string Commands, IReadOnlyList<string> Expected)
    {
        private static readonly Lazy<IReadOnlyList<DocExample>> Examples = new(Read);

        public static IReadOnlyList<DocExample> All() => Examples.Value;

        /// <summary>The first expected line not found in order in <paramref name="output"/>; <see langword="null"/> when all are.</summary>
        public static string? FirstMissing(IReadOnlyList<string> expected, string output)
        {
            var lines = output.Split('\n').Select(Fold).ToList();
            var at = 0;
            var skipping = false;
            foreach (var line in expected)
            {
                var want = Fold(line);
                if (want is "..." or "…")
                {
                    skipping = true;
                    continue;
                }

                var found = skipping ? lines.FindIndex(at, l => l == want) : (at < lines.Count && lines[at] == want ? at : lines.FindIndex(at, l => l == want));
                if (found < 0)
                {
                    return line;
                }

                at = found + 1;
                skipping = false;
            }

            return null;
        }

        private static string Fold(string line) => Spaces().Replace(line.Trim(), " ");

        /// <summary>README.md and every page under docs/.</summary>
        public static IEnumerable<string> Pages() =>
            new[] { Path.Combine(Paths.RepoRoot, "README.md") }
                .Concat(Directory.Exists(Path.Combine(Paths.RepoRoot, "docs")) ? Directory.GetFiles(Path.Combine(Paths.RepoRoot, "docs"), "*.md") : [])
                .Order(StringComparer.Ordinal);

        private static List<DocExample> Read()
        {
            var pages = Pages();
            var examples = new List<DocExample>();
            foreach (var page in pages)
            {
                var lines = File.ReadAllLines(page);
                for (var i = 0; i < lines.Length; i++)
                {
                    if (Marker().Match(lines[i]) is not { Success: true } marker)
                    {
                        continue;
                    }

                    var (commands, next) = Block(lines, i + 1, page);
                    var (expected, _) = Block(lines, next, page);
                    var variables = string.Join('\n', marker.Groups["vars"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    examples.Add(new DocExample($"{Path.GetFileName(page)}:{i + 1}", variables, commands, expected.Split('\n')));
                }
            }

            return examples;
        }

        /// <summary>The fenced block starting at <paramref name="start"/> (blank lines before it skipped) and the line after it.</summary>
        private static (string Text, int Next) Block(string[] lines, int start, string page)
        {
            var open = start;
            while (open < lines.Length && lines[open].Trim().Length == 0)
            {
                open++;
            }

            if (open >= lines.Length || !lines[open].StartsWith("```", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{page}:{start}: a docs-test marker must be followed by a fenced command block and a fenced output block");
            }

            var close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
            return (string.Join('\n', lines[(open + 1)..close]), close + 1);
        }

        [GeneratedRegex(@"^<!-- docs-test(?::(?<vars>[^>]*))? -->$")]
        private static partial Regex Marker();

        [GeneratedRegex(@"\s+")]
        private static partial Regex Spaces();
    }

    [GeneratedRegex(@"\]\((?<file>[^)#\s]*)(?:#(?<anchor>[^)\s]+))?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6} (?<text>.+)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{N} _-]")]
    private static partial Regex AnchorDrop();

    [GeneratedRegex(@"^<!-- snippet: (?<path>[^ ]+) -->$")]
    private static partial Regex SnippetMarker();
}

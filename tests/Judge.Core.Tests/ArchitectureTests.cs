using System.Text.RegularExpressions;
using Judge.Tests.Support;

namespace Judge.Tests;

/// <summary>
/// The folders of Judge.Core follow the flow, and nothing lower refers upward: read from the source's
/// <c>using</c> directives and qualified names, the way docs/architecture.md draws it.
/// </summary>
public sealed partial class ArchitectureTests
{
    /// <summary>Judge.Core's namespaces, lowest first: each may refer only to the ones before it.</summary>
    private static readonly string[] Layers =
    [
        "Judge",
        "Judge.Data",
        "Judge.Rubrics",
        "Judge.Prompts",
        "Judge.Verdicts",
        "Judge.Judging",
        "Judge.Statistics",
        "Judge.Statistics.Bias",
        "Judge.Runs",
        "Judge.Feedback",
    ];

    private static string CoreSource => Path.Combine(TestPaths.RepoRoot, "src", "Judge.Core");

    private static IEnumerable<string> SourceFiles(string root) =>
        Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Fact]
    public void CoreNamespaces_FollowTheirFolders()
    {
        var wrong = new List<string>();
        foreach (var file in SourceFiles(CoreSource))
        {
            var folder = Path.GetRelativePath(CoreSource, Path.GetDirectoryName(file)!);
            var expected = folder == "." ? "Judge" : "Judge." + folder.Replace(Path.DirectorySeparatorChar, '.');
            var declared = Namespace().Match(File.ReadAllText(file)).Groups["ns"].Value;
            if (declared != expected)
            {
                wrong.Add($"{Path.GetRelativePath(CoreSource, file)}: namespace {declared}, folder says {expected}");
            }
        }

        Assert.Empty(wrong);
    }

    [Fact]
    public void CoreNamespaces_NeverReferToALaterLayer()
    {
        var rank = Layers.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.Ordinal);
        var upward = new List<string>();
        foreach (var file in SourceFiles(CoreSource))
        {
            var text = File.ReadAllText(file);
            var own = Namespace().Match(text).Groups["ns"].Value;
            Assert.True(rank.ContainsKey(own), $"{file}: namespace {own} is not a layer; add it to Layers and to docs/architecture.md");
            foreach (var target in References(text))
            {
                if (rank.TryGetValue(target, out var r) && r > rank[own])
                {
                    upward.Add($"{Path.GetRelativePath(CoreSource, file)} ({own}) refers to {target}");
                }
            }
        }

        Assert.Empty(upward);
    }

    [Fact]
    public void References_FindsUsingsAndQualifiedNames()
    {
        // The reader this architecture check stands on: a using directive, a qualified name in code, a
        // qualified name in a doc comment's cref, but not a member access that only looks like one.
        const string text = """
            using Judge.Runs;
            namespace Judge.Data;
            /// <see cref="Verdicts.VerdictImport"/>
            class C { object x = Statistics.Bias.LengthControl.Compute; int n = item.Data.Count; }
            """;

        Assert.Equal(["Judge.Runs", "Judge.Statistics.Bias", "Judge.Verdicts"], References(text).Order(StringComparer.Ordinal));
    }

    /// <summary>The Judge namespaces a source file names: in using directives, and in qualified names anywhere.</summary>
    private static HashSet<string> References(string text)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Using().Matches(text))
        {
            found.Add(m.Groups["ns"].Value);
        }

        var body = Using().Replace(text, string.Empty);
        foreach (Match m in Qualified().Matches(body))
        {
            var name = m.Groups["name"].Value;
            found.Add(name == "Bias" || m.Groups["bias"].Success ? "Judge.Statistics.Bias" : "Judge." + name);
        }

        return found;
    }

    [GeneratedRegex(@"^namespace (?<ns>[\w.]+);", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"^using (?:static )?(?<ns>Judge(?:\.\w+)*);", RegexOptions.Multiline)]
    private static partial Regex Using();

    // A namespace name at the start of a qualified name (not after a '.' or a word character, so `item.Data.X` is
    // a member access), followed by a capitalised type name.
    [GeneratedRegex(@"(?<![\w.])(?:Judge\.)?(?<name>Data|Rubrics|Prompts|Verdicts|Judging|Statistics|Bias|Runs|Feedback)(?<bias>\.Bias)?\.[A-Z]\w*")]
    private static partial Regex Qualified();
}

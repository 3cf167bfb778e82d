namespace Judge.Cli.Tests;

/// <summary>
/// Output outside a wide terminal: piped, plain text with no box drawing and no padding to a huge width; on a
/// 60-column terminal, every line fits and no model name, rate or interval is split across lines.
/// </summary>
public sealed class NarrowOutputTests
{
    private const int Narrow = 60;
    private static readonly string Questions = Path.Combine(Paths.MtBench, "question.jsonl");
    private static readonly string Gpt4 = Path.Combine(Paths.MtBench, "gpt4_pair_judgments.jsonl");
    private static readonly string Human = Path.Combine(Paths.MtBench, "human_judgments.jsonl");
    private static readonly string[] AnswerFiles = Directory.GetFiles(Path.Combine(Paths.MtBench, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal).ToArray();
    private static readonly string[] Models = ["gpt-4", "claude-v1", "gpt-3.5-turbo", "vicuna-13b-v1.2", "alpaca-13b", "llama-13b"];

    [Fact]
    public async Task RubricsShow_Piped_IsSmallPlainText()
    {
        var (exit, output) = await CliRunner.RunPipedAsync("rubrics", "show", "pairwise-general");

        Assert.True(exit == 0, output);
        AssertPlain(output);
        Assert.Contains("pairwise-general", output, StringComparison.Ordinal);
        Assert.Contains("{question}", output, StringComparison.Ordinal);
        Assert.True(output.Length < 5_000, $"piped rubrics show printed {output.Length} characters");
    }

    [Fact]
    public async Task RubricsList_PipedAndNarrow_KeepsEveryColumn()
    {
        var (exit, piped) = await CliRunner.RunPipedAsync("rubrics", "list");
        Assert.True(exit == 0, piped);
        AssertPlain(piped);
        Assert.Matches(@"(?m)^pairwise-general +1 +pairwise +single +A/B/tie", piped);

        var (_, narrow) = await CliRunner.RunAtWidthAsync(Narrow, "rubrics", "list");
        AssertFits(narrow);
        // Every rubric keeps its version: no column is dropped to zero width.
        foreach (var id in new[] { "pairwise-general", "single-reference-multiturn", "prometheus-absolute" })
        {
            Assert.Contains(id, narrow, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("…", narrow, StringComparison.Ordinal);
        Assert.Equal(10, CountOf(narrow, "ver"));
    }

    [Fact]
    public async Task Compare_AtSixtyColumnsAndPiped_KeepsModelNamesAndRatesWhole()
    {
        string[] args = ["compare", "-q", Questions, "-a", .. AnswerFiles, "--judge", "replay:" + Gpt4, "--turn", "1", "--out", Paths.Temp("narrow.jsonl")];

        var (exit, narrow) = await CliRunner.RunAtWidthAsync(Narrow, args);
        Assert.True(exit == 0, narrow);
        AssertFits(narrow);
        AssertWhole(narrow, [.. Models, "83.3 %", "68.6 %", "13.9 %"]);

        var (_, piped) = await CliRunner.RunPipedAsync([.. args[..^1], Paths.Temp("piped.jsonl")]);
        AssertPlain(piped);
        Assert.Matches(@"(?m)^gpt-4 +293 +27 +80 +0 +83\.3 %$", piped);
    }

    [Fact]
    public async Task Agreement_AtSixtyColumns_Fits()
    {
        var judgments = Paths.Temp("agreement.jsonl");
        await CliRunner.RunPipedAsync(["compare", "-q", Questions, "-a", .. AnswerFiles, "--judge", "replay:" + Gpt4, "--turn", "1", "--out", judgments, "--quiet"]);

        var (exit, narrow) = await CliRunner.RunAtWidthAsync(Narrow, "agreement", "--judgments", judgments, "--human", Human, "--turn", "1");

        Assert.True(exit == 0, narrow);
        AssertFits(narrow);
        AssertWhole(narrow, ["886/1343 = 66.0 %", "727/859 = 84.6 %", "[61.9 %, 69.5 %]"]);
    }

    [Fact]
    public async Task BiasReport_AtSixtyColumns_FitsAndKeepsModelNamesWhole()
    {
        var (exit, narrow) = await CliRunner.RunAtWidthAsync(Narrow,
            ["bias", "report", "--judgments", Gpt4, "--questions", Questions, "--answers", .. AnswerFiles, "--baseline", "gpt-3.5-turbo", "--turn", "1", "--resamples", "20"]);

        Assert.True(exit == 0, narrow);
        AssertFits(narrow);
        AssertWhole(narrow, Models);
    }

    /// <summary>No line is wider than the terminal (a single word longer than it may stand alone on its line).</summary>
    private static void AssertFits(string output)
    {
        foreach (var line in output.Split('\n'))
        {
            var text = line.TrimEnd('\r');
            Assert.True(text.Length <= Narrow || !text.Trim().Contains(' ', StringComparison.Ordinal), $"a line is {text.Length} wide on a {Narrow}-column terminal:\n{text}\n---\n{output}");
        }
    }

    /// <summary>Each value appears unbroken on one line.</summary>
    private static void AssertWhole(string output, IEnumerable<string> values)
    {
        var lines = output.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Replace(l, " +", " ")).ToList();
        foreach (var value in values)
        {
            Assert.True(lines.Any(l => l.Contains(value, StringComparison.Ordinal)), $"'{value}' is not printed whole on one line:\n{output}");
        }
    }

    private static void AssertPlain(string output)
    {
        Assert.DoesNotContain(output, c => c is '┌' or '│' or '─' or '└' or '╭' or '╰' or '═');
        Assert.DoesNotContain(output.Split('\n'), l => l.TrimEnd('\r').EndsWith(' '));
    }

    private static int CountOf(string output, string word) =>
        output.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"^\s*{word}\b|\b{word}:?\s+1\b"));
}

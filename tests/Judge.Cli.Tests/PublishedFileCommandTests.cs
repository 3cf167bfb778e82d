using System.Globalization;
using System.Text;

namespace Judge.Cli.Tests;

/// <summary>Commands over published-format files: answer texts carried by a layout, judges named per file, one-sided ratings.</summary>
public class PublishedFileCommandTests
{
    /// <summary>An AlpacaEval annotations.json: m1 and m2 against "base" on 40 instructions, the longer answer usually preferred.</summary>
    private static string AlpacaAnnotations()
    {
        var random = new Random(11);
        var records = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            foreach (var model in new[] { "m1", "m2" })
            {
                var baseText = new string('b', 100 + random.Next(400));
                var modelText = new string('m', 100 + random.Next(400));
                var preference = modelText.Length > baseText.Length ? (random.Next(4) == 0 ? 1.0 : 2.0) : (random.Next(4) == 0 ? 2.0 : 1.0);
                records.Add(string.Create(CultureInfo.InvariantCulture, $$"""{"instruction": "instruction {{i}}", "generator_1": "base", "generator_2": "{{model}}", "output_1": "{{baseText}}", "output_2": "{{modelText}}", "annotator": "judge", "preference": {{preference}}}"""));
            }
        }

        var path = Paths.Temp("annotations.json");
        File.WriteAllText(path, "[\n" + string.Join(",\n", records) + "\n]\n");
        return path;
    }

    [Fact]
    public async Task BiasDifficulty_AlpacaEvalLayout_UsesTheAnswerTextsTheFileCarries()
    {
        var annotations = AlpacaAnnotations();
        var output = Paths.Temp("difficulty.jsonl");

        var (exit, text) = await CliRunner.RunAsync(["bias", "difficulty", "--judgments", annotations, "--layout", "alpaca-eval", "--baseline", "base", "--out", output]);

        // Before, --answers was required and the layout's output_1/output_2 were ignored.
        Assert.True(exit == 0, text);
        Assert.Contains("difficulty of 40 instructions from 80 comparisons of 2 model(s) with base", text, StringComparison.Ordinal);
        Assert.Equal(40, File.ReadAllLines(output).Length);
    }

    [Fact]
    public async Task BiasDifficulty_NoAnswersAnywhere_IsAnInputErrorNamingAnswersAndWritesNothing()
    {
        var output = Paths.Temp("difficulty.jsonl");

        var (exit, text) = await CliRunner.RunAsync(["bias", "difficulty", "--judgments", Path.Combine(Paths.MtBench, "gpt4_pair_judgments.jsonl"), "--baseline", "gpt-3.5-turbo", "--out", output]);

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("--answers", text, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task BiasReport_ModelThatWinsEveryGame_UnboundedWithAWarning()
    {
        var lines = new StringBuilder();
        var q = 0;
        foreach (var (a, b, w) in new[] { ("x", "y", "model_a"), ("x", "y", "model_b"), ("y", "z", "model_a"), ("y", "z", "model_b"), ("z", "x", "model_a"), ("z", "x", "model_b"), ("top", "x", "model_a"), ("y", "top", "model_b"), ("top", "z", "model_a") })
        {
            lines.Append(CultureInfo.InvariantCulture, $$"""{"question_id": {{q++}}, "model_a": "{{a}}", "model_b": "{{b}}", "winner": "{{w}}", "judge": "j", "turn": 1}""").Append('\n');
        }

        var path = Paths.Temp("one-sided.jsonl");
        await File.WriteAllTextAsync(path, lines.ToString());

        var (exit, text) = await CliRunner.RunAsync(["bias", "report", "--judgments", path, "--resamples", "20"]);

        // Before: top printed a finite rating set by the iteration cap (2147) and no warning.
        Assert.True(exit == 0, text);
        Assert.Contains("unbounded above", text, StringComparison.Ordinal);
        Assert.Contains("Bradley-Terry: top earned every point against the rest", System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " "), StringComparison.Ordinal);
    }
}

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

/// <summary><c>judge judges</c> over several files read through one layout.</summary>
public class JudgesPerFileTests
{
    [Fact]
    public async Task Judges_TwoFilesThroughALayoutWithoutJudge_EachNamedByItsFileAndCompared()
    {
        // PandaLM's GPT-3.5 results as published, and a second judge that always answers "1", both through the pandalm
        // layout against the three annotators of testset-v1.json. Before, both were "pandalm-judge" and the judge-by-judge
        // table was empty.
        var published = Path.Combine(Paths.Shared, "datasets", "pandalm", "gpt-3.5-turbo-testset-v1.json");
        var constant = Paths.Temp("always-first.json");
        await File.WriteAllTextAsync(constant, "[" + string.Join(",", Enumerable.Range(0, 999).Select(i => string.Create(CultureInfo.InvariantCulture, $$"""{"idx": {{i}}, "gpt_result": "1"}"""))) + "]");

        var (exit, text) = await CliRunner.RunAsync(
            ["judges", "--judgments", published, "--judgments", constant, "--layout", "pandalm", "--human", Path.Combine(Paths.Shared, "datasets", "pandalm", "testset-v1.json"), "--human-layout", "pandalm-human", "--human-raters", "all", "--resamples", "0", "--format", "json"]);

        Assert.True(exit == 0, text);
        using var doc = System.Text.Json.JsonDocument.Parse(text);
        Assert.Equal(["gpt-3.5-turbo-testset-v1", "always-first"], doc.RootElement.GetProperty("judges").EnumerateArray().Select(j => j.GetProperty("judge").GetString()));
        var matrix = doc.RootElement.GetProperty("matrix");
        Assert.Equal(2, matrix.GetArrayLength());

        // Both judged the same 999 items; GPT-3.5 answered "1" on some of its 974 parsed ones, so they agree on fewer than all.
        var agreement = matrix[0].GetProperty("agreement");
        Assert.Equal(974, agreement.GetProperty("total").GetInt32());
        Assert.InRange(agreement.GetProperty("agree").GetInt32(), 1, 973);
    }
}

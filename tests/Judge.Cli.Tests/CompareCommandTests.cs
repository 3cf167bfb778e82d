using System.Text.Json;

namespace Judge.Cli.Tests;

public class CompareCommandTests
{
    private static string[] AnswerFiles => Directory.GetFiles(Path.Combine(Paths.MtBench, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Compare_ReplayOfGpt4PairJudgments_ReproducesEveryVerdictOfTheTurn(int turn)
    {
        var recordedPath = Path.Combine(Paths.MtBench, "gpt4_pair_judgments.jsonl");
        var outPath = Paths.Temp("compare.jsonl");
        var (exit, output) = await CliRunner.RunAsync(
            ["compare", "--questions", Path.Combine(Paths.MtBench, "question.jsonl"), "--answers", .. AnswerFiles,
             "--judge", $"replay:{recordedPath}", "--turn", turn.ToString(), "--out", outPath, "--rubrics-dir", Paths.Rubrics]);

        Assert.True(exit == 0, output);

        // The file's verdicts, keyed by unordered pair, as (model_a, winner) so orientation can be compared.
        var expected = new Dictionary<(string, string, string), (string A, string Winner)>();
        foreach (var line in File.ReadLines(recordedPath))
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            if (r.GetProperty("turn").GetInt32() != turn)
            {
                continue;
            }

            var a = r.GetProperty("model_a").GetString()!;
            var b = r.GetProperty("model_b").GetString()!;
            expected[Key(r.GetProperty("question_id").GetInt32().ToString(), a, b)] = (a, r.GetProperty("winner").GetString()!);
        }

        var actual = File.ReadLines(outPath).Select(l => JsonDocument.Parse(l).RootElement).Where(r => r.GetProperty("type").GetString() == "pairwise").ToList();
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(1200, actual.Count);
        var seen = new HashSet<(string, string, string)>();
        foreach (var r in actual)
        {
            var a = r.GetProperty("model_a").GetString()!;
            var b = r.GetProperty("model_b").GetString()!;
            var key = Key(r.GetProperty("question_id").GetString()!, a, b);
            Assert.True(seen.Add(key), $"duplicate verdict for {key}");
            var (fileA, fileWinner) = expected[key];
            var winner = r.GetProperty("winner").GetString()!;

            // Same orientation: identical strings. Opposite: model_a and model_b exchange, both tie kinds stay.
            var mirrored = fileWinner switch { "model_a" => "model_b", "model_b" => "model_a", _ => fileWinner };
            Assert.Equal(fileA == a ? fileWinner : mirrored, winner);
            Assert.Equal(winner == "tie (inconsistent)", r.GetProperty("flipped").GetBoolean());
        }

        // Ties and inconsistent ties stay distinct: both kinds occur in the output.
        Assert.Contains(actual, r => r.GetProperty("winner").GetString() == "tie");
        Assert.Contains(actual, r => r.GetProperty("winner").GetString() == "tie (inconsistent)");
        Assert.Contains("tie (inconsistent)", output);
    }

    [Fact]
    public async Task Compare_MalformedAnswersLine_ExitsTwoNamingFileAndLine()
    {
        var questions = Paths.Temp("q.jsonl");
        File.WriteAllLines(questions, ["{\"question_id\": 1, \"category\": \"x\", \"turns\": [\"Hi?\"]}"]);
        var answers = Path.Combine(Path.GetDirectoryName(questions)!, "a.jsonl");
        File.WriteAllLines(answers, ["{\"question_id\": 1, \"model_id\": \"m\", \"choices\": [{\"turns\": [\"Hello\"]}]}", "{\"question_id\": 1, \"model_id\": "]);

        var (exit, output) = await CliRunner.RunAsync("compare", "-q", questions, "-a", answers, "--judge", "replay:x.jsonl", "--rubrics-dir", Paths.Rubrics);

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains($"{answers}:2", output);
        Assert.Contains("malformed JSON", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task Compare_AnswerForUnknownQuestion_ExitsTwoNamingField()
    {
        var questions = Paths.Temp("q.jsonl");
        File.WriteAllLines(questions, ["{\"question_id\": 1, \"turns\": [\"Hi?\"]}"]);
        var answers = Path.Combine(Path.GetDirectoryName(questions)!, "a.jsonl");
        File.WriteAllLines(answers, ["{\"question_id\": 7, \"model_id\": \"m\", \"choices\": [{\"turns\": [\"Hello\"]}]}"]);

        var (exit, output) = await CliRunner.RunAsync("compare", "-q", questions, "-a", answers, "--judge", "replay:x.jsonl", "--rubrics-dir", Paths.Rubrics);

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains($"{answers}:1: field 'question_id': answer for unknown question '7'", output);
    }

    [Fact]
    public async Task Compare_TurnThatDoesNotExist_ExitsTwo()
    {
        var (exit, output) = await CliRunner.RunAsync(
            ["compare", "--questions", Path.Combine(Paths.MtBench, "question.jsonl"), "--answers", .. AnswerFiles,
             "--judge", $"replay:{Path.Combine(Paths.MtBench, "gpt4_pair_judgments.jsonl")}", "--turn", "3", "--rubrics-dir", Paths.Rubrics]);

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("has no turn 3", output);
    }

    [Fact]
    public async Task Compare_UnknownJudgeScheme_ExitsThreeListingSchemes()
    {
        var (exit, output) = await CliRunner.RunAsync(
            ["compare", "--questions", Path.Combine(Paths.MtBench, "question.jsonl"), "--answers", .. AnswerFiles,
             "--judge", "telepathy:gpt-9", "--rubrics-dir", Paths.Rubrics, "--out", Paths.Temp("x.jsonl")]);

        Assert.Equal(ExitCodes.JudgeError, exit);
        Assert.Contains("unknown judge scheme 'telepathy'", output);
        Assert.Contains("replay", output);
    }

    [Fact]
    public async Task Compare_MissingRequiredOption_ExitsTwo()
    {
        var (exit, output) = await CliRunner.RunAsync("compare", "--questions", "q.jsonl");

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("--judge", output);
    }

    [Fact]
    public async Task Compare_UnknownRubric_ExitsTwoListingKnownRubrics()
    {
        var (exit, output) = await CliRunner.RunAsync(
            ["compare", "--questions", Path.Combine(Paths.MtBench, "question.jsonl"), "--answers", .. AnswerFiles,
             "--judge", $"replay:{Path.Combine(Paths.MtBench, "gpt4_pair_judgments.jsonl")}", "--rubric", "no-such-rubric", "--rubrics-dir", Paths.Rubrics]);

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("no-such-rubric", output);
        Assert.Contains("unknown rubric", output);
    }

    private static (string, string, string) Key(string q, string a, string b) =>
        string.CompareOrdinal(a, b) <= 0 ? (q, a, b) : (q, b, a);
}

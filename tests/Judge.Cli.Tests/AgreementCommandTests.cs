using System.Text.Json;

namespace Judge.Cli.Tests;

public class AgreementCommandTests
{
    private static string Gpt4 => Path.Combine(Paths.MtBench, "gpt4_pair_judgments.jsonl");

    private static string Human => Path.Combine(Paths.MtBench, "human_judgments.jsonl");

    // The published table (Zheng et al. 2023, expert votes): GPT-4 vs human and human vs human.
    [Theory]
    [InlineData(1, 886, 1343, 727, 859, 454, 721, 388, 479)]
    [InlineData(2, 871, 1325, 731, 864, 471, 707, 388, 474)]
    public async Task Agreement_Gpt4VersusHumanJson_ReproducesPublishedTable(
        int turn, int agree, int total, int agreeNoTies, int totalNoTies, int hAgree, int hTotal, int hAgreeNoTies, int hTotalNoTies)
    {
        var (exit, output) = await CliRunner.RunAsync("agreement", "--judgments", Gpt4, "--human", Human, "--turn", turn.ToString(), "--format", "json");

        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;
        AssertFigure(r.GetProperty("with_ties"), agree, total);
        AssertFigure(r.GetProperty("without_ties"), agreeNoTies, totalNoTies);
        AssertFigure(r.GetProperty("human_vs_human").GetProperty("with_ties"), hAgree, hTotal);
        AssertFigure(r.GetProperty("human_vs_human").GetProperty("without_ties"), hAgreeNoTies, hTotalNoTies);
        var kappa = r.GetProperty("cohen_kappa").GetDouble();
        Assert.InRange(kappa, 0.3, 0.7);
        var ci = r.GetProperty("ci");
        Assert.InRange((double)agree / total, ci.GetProperty("lower").GetDouble(), ci.GetProperty("upper").GetDouble());
        Assert.Equal(0.95, ci.GetProperty("level").GetDouble());
    }

    [Fact]
    public async Task Agreement_OnOwnJudgmentsFileFromReplay_GivesTheSameFiguresAsTheSourceFile()
    {
        var outPath = Paths.Temp("compare.jsonl");
        var answers = Directory.GetFiles(Path.Combine(Paths.MtBench, "model_answer"), "*.jsonl");
        var (compareExit, compareOutput) = await CliRunner.RunAsync(
            ["compare", "-q", Path.Combine(Paths.MtBench, "question.jsonl"), "-a", .. answers, "--judge", $"replay:{Gpt4}", "--turn", "1", "--out", outPath, "--rubrics-dir", Paths.Rubrics]);
        Assert.True(compareExit == 0, compareOutput);

        var (exit, output) = await CliRunner.RunAsync("agreement", "--judgments", outPath, "--human", Human, "--turn", "1", "--format", "csv", "--resamples", "0");

        Assert.True(exit == 0, output);
        var lines = output.Trim().Split('\n');
        Assert.Equal("comparison,ties,agree,total,rate", lines[0]);
        Assert.StartsWith("judge_vs_human,with,886,1343,", lines[1]);
        Assert.StartsWith("judge_vs_human,without,727,859,", lines[2]);
    }

    [Fact]
    public async Task Agreement_Table_ShowsBothBlocksAndTheConfusionMatrix()
    {
        var (exit, output) = await CliRunner.RunAsync("agreement", "--judgments", Gpt4, "--human", Human, "--turn", "1");

        Assert.True(exit == 0, output);
        Assert.Contains("886/1343 = 66.0 %", output);
        Assert.Contains("727/859 = 84.6 %", output);
        Assert.Contains("454/721 = 63.0 %", output);
        Assert.Contains("confusion", output);
        Assert.Contains("inconsistent ties among matched votes: 209", output);
    }

    [Fact]
    public async Task Agreement_HumanFileWithBadWinner_ExitsTwoNamingLineAndField()
    {
        var human = Paths.Temp("human.jsonl");
        File.WriteAllLines(human,
        [
            """{"question_id": 81, "model_a": "gpt-4", "model_b": "claude-v1", "winner": "model_a", "judge": "expert_1", "turn": 1}""",
            """{"question_id": 81, "model_a": "gpt-4", "model_b": "claude-v1", "winner": "gpt-4", "judge": "expert_2", "turn": 1}""",
        ]);

        var (exit, output) = await CliRunner.RunAsync("agreement", "--judgments", Gpt4, "--human", human);

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains($"{human}:2: field 'winner'", output);
    }

    private static void AssertFigure(JsonElement figure, int agree, int total)
    {
        Assert.Equal(agree, figure.GetProperty("agree").GetInt32());
        Assert.Equal(total, figure.GetProperty("total").GetInt32());
        Assert.Equal((double)agree / total, figure.GetProperty("rate").GetDouble(), 12);
    }
}

public class PandaLmCommandTests
{
    [Fact]
    public async Task AgreementPandaLm_Gpt35Results_ReportsBothTotalsAndTheUnparsable()
    {
        var dir = Path.Combine(Paths.Shared, "datasets", "pandalm");

        var (exit, output) = await CliRunner.RunAsync("agreement-pandalm", "--testset", Path.Combine(dir, "testset-v1.json"), "--verdicts", Path.Combine(dir, "gpt-3.5-turbo-testset-v1.json"));

        Assert.True(exit == 0, output);
        Assert.Contains("697/999", output);
        Assert.Contains("697/974", output);
        Assert.Contains("25 verdicts unparsable", output);
        Assert.Contains("Fleiss' kappa 0.864", output);
    }
}

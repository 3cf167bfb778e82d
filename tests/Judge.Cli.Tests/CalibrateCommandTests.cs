using System.Text.Json;

namespace Judge.Cli.Tests;

/// <summary><c>judge calibrate</c> end to end, and the worked example of docs/trust.md on the MT-Bench human judgments.</summary>
public class CalibrateCommandTests
{
    private static string Gpt4 => Path.Combine(Paths.MtBench, "gpt4_pair_judgments.jsonl");

    private static string Human => Path.Combine(Paths.MtBench, "human_judgments.jsonl");

    /// <summary>The figures docs/trust.md shows: every line here is printed by the command it documents.</summary>
    [Fact]
    public async Task Calibrate_Gpt4SwapConsistencyAndAuthorsCascade_PrintsTheDocumentedFigures()
    {
        var outPath = Paths.Temp("calibration.json");

        var (exit, output) = await CliRunner.RunAsync("calibrate", "--judgments", Gpt4, "--judgments", Human + "#author", "--confidence", "orders,recorded", "--human", Human, "--target", "0.7", "--out", outPath);

        Assert.True(exit == 0, output);
        foreach (var line in new[]
        {
            "pairwise calibration: 1451 labelled items (949 judge items without a human label left out), target 70.0% at 1 - delta = 90.0%",
            "stage 1: gpt4_pair",
            "  threshold          1",
            "  guaranteed         70.0% agreement, with probability 95.0%",
            "  coverage           85.5% (1241 of 1451 decided)",
            "  empirical          76.3% (947 of 1241 agree)",
            "  test at 1: 1241 decided, 294 disagree, p < 0.0001 passed",
            "  test at 0: 1451 decided, 426 disagree, p = 0.3081 failed (stop)",
            "stage 2: author",
            "  items reaching it  210 (152 without a confidence)",
            "  test at 1: 56 decided, 17 disagree, p = 0.5881 failed (stop)",
            "cascade: coverage 85.5%, empirical agreement 76.3%, each stage guaranteed 70.0% with probability 90.0% together",
        })
        {
            Assert.Contains(line, output, StringComparison.Ordinal);
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(outPath));
        var stage = doc.RootElement.GetProperty("stages")[0];
        Assert.Equal(1, stage.GetProperty("threshold").GetDouble());
        Assert.Equal(0.7, stage.GetProperty("guaranteed_agreement").GetDouble());
        Assert.Equal(1241.0 / 1451, stage.GetProperty("coverage").GetDouble(), 12);
        Assert.Equal(947.0 / 1241, stage.GetProperty("empirical_agreement").GetDouble(), 12);
        Assert.False(doc.RootElement.GetProperty("stages")[1].TryGetProperty("threshold", out _));
    }

    [Fact]
    public async Task Judges_ConfidenceOrders_ShowsAgreementByDecileAndEce()
    {
        // 1241 consistent verdicts (confidence 1) agree on 947 = 76.3 %; 210 inconsistent ones (0) on 78 = 37.1 %.
        // ECE = 1241/1451 · (1 - 0.7631) + 210/1451 · 0.3714 = 0.2026 + 0.0538 = 0.256.
        var (exit, output) = await CliRunner.RunAsync("judges", "--judgments", Gpt4, "--human", Human, "--confidence", "orders", "--resamples", "0");

        Assert.True(exit == 0, output);
        Assert.Contains("0.256 over 1451", output, StringComparison.Ordinal);
        Assert.Contains("76.3 % of 1241 (conf 1.00)", output, StringComparison.Ordinal);
        Assert.Contains("37.1 % of 210 (conf 0.00)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calibrate_NoThresholdMeetsTheTarget_RefusesWithTheReasonAndWritesNothing()
    {
        var outPath = Paths.Temp("refused.json");

        var (exit, output) = await CliRunner.RunAsync("calibrate", "--judgments", Gpt4, "--confidence", "orders", "--human", Human, "--target", "0.75", "--out", outPath);

        Assert.Equal(1, exit);
        Assert.Contains("at the highest threshold (1) agreement is 0.763 on 1241 items (p = 0.1508 > δ = 0.1): the judge cannot be certified at 0.75", output, StringComparison.Ordinal);
        Assert.Contains("not written", output, StringComparison.Ordinal);
        Assert.False(File.Exists(outPath));
    }

    [Theory]
    [InlineData("--target", "1.5", "'--target': must lie strictly between 0 and 1, found 1.5")]
    [InlineData("--delta", "0", "'--delta': must lie strictly between 0 and 1, found 0")]
    [InlineData("--confidence", "guess", "'--confidence': must be recorded or orders, not 'guess'")]
    public async Task Calibrate_BadOption_Exit2NamingItAndWritesNothing(string option, string value, string message)
    {
        var outPath = Paths.Temp("bad.json");

        var (exit, output) = await CliRunner.RunAsync("calibrate", "--judgments", Gpt4, "--human", Human, option, value, "--out", outPath);

        Assert.Equal(2, exit);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public async Task Calibrate_OwnJudgmentsFileFromReplay_RecordedConfidenceGivesTheSameThresholdAsTheSourceFile()
    {
        // judge compare through the replay judge records each verdict's swap consistency as its confidence.
        var judged = Paths.Temp("compare.jsonl");
        var answers = Directory.GetFiles(Path.Combine(Paths.MtBench, "model_answer"), "*.jsonl");
        var (compareExit, compareOutput) = await CliRunner.RunAsync(
            ["compare", "-q", Path.Combine(Paths.MtBench, "question.jsonl"), "-a", .. answers, "--judge", $"replay:{Gpt4}", "--turn", "1", "--out", judged, "--rubrics-dir", Paths.Rubrics]);
        Assert.True(compareExit == 0, compareOutput);

        var (own, ownOutput) = await CliRunner.RunAsync("calibrate", "--judgments", judged, "--human", Human, "--turn", "1", "--target", "0.7", "--format", "json", "--out", Paths.Temp("own.json"));
        var (source, sourceOutput) = await CliRunner.RunAsync("calibrate", "--judgments", Gpt4, "--confidence", "orders", "--human", Human, "--turn", "1", "--target", "0.7", "--format", "json", "--out", Paths.Temp("source.json"));

        Assert.True(own == 0, ownOutput);
        Assert.True(source == 0, sourceOutput);
        using var a = JsonDocument.Parse(ownOutput);
        using var b = JsonDocument.Parse(sourceOutput);
        foreach (var field in new[] { "threshold", "decided", "agreeing", "items" })
        {
            Assert.Equal(b.RootElement.GetProperty("stages")[0].GetProperty(field).GetDouble(), a.RootElement.GetProperty("stages")[0].GetProperty(field).GetDouble());
        }
    }

    [Fact]
    public async Task Calibrate_AbsoluteGradesWithinTolerance_CertifiesTheConfidentGrades()
    {
        // 60 answers: the judge is sure (0.9) and within 1 point of the reference on the first 40, unsure (0.3) and 3 off on the rest.
        var judge = Paths.Temp("grades.jsonl");
        var reference = Paths.Temp("reference.jsonl");
        File.WriteAllLines(judge, Enumerable.Range(0, 60).Select(i =>
            $$"""{"type":"absolute","item":"q{{i}}|1|m","judge":"small","rubric":"r@1","question_id":"q{{i}}","turn":1,"model":"m","score":{{(i < 40 ? 6 : 8)}},"status":"parsed","confidence":{{(i < 40 ? "0.9" : "0.3")}},"confidence_source":"logits"}"""));
        File.WriteAllLines(reference, Enumerable.Range(0, 60).Select(i =>
            $$"""{"type":"absolute","item":"q{{i}}|1|m","judge":"human","rubric":"r@1","question_id":"q{{i}}","turn":1,"model":"m","score":5,"status":"parsed"}"""));

        var (exit, output) = await CliRunner.RunAsync("calibrate", "--judgments", judge, "--human", reference, "--tolerance", "1", "--target", "0.9", "--format", "json", "--out", Paths.Temp("abs.json"));

        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("absolute", doc.RootElement.GetProperty("mode").GetString());
        var stage = doc.RootElement.GetProperty("stages")[0];
        Assert.Equal(0.9, stage.GetProperty("threshold").GetDouble());
        Assert.Equal(40, stage.GetProperty("decided").GetInt32());
        Assert.Equal(40, stage.GetProperty("agreeing").GetInt32());
    }
}

/// <summary>A cascade run from the command line: replayed verdicts first (swap consistency as confidence), a mock judge second.</summary>
public class CascadeRunCommandTests
{
    [Fact]
    public async Task Run_CascadeConfig_DecidesConsistentPairs_AbstainsTheRest_ReportsAndGatesTheGuarantee()
    {
        var config = RunConfigs.Write("compare", RunConfigs.Replay, string.Empty, humanLabels: true);
        var folder = Path.GetDirectoryName(config)!;
        var calibration = Path.Combine(folder, "calibration.json");
        // A calibration as judge calibrate writes it: the replayed judge decides at confidence 1, the mock judge never.
        File.WriteAllText(calibration, """
            {"target":0.7,"delta":0.1,"mode":"pairwise","confidence":"orders,recorded","items":500,"unlabelled":0,
             "stages":[{"judge":"replay","items":500,"without_confidence":0,"delta":0.05,"threshold":1,"guaranteed_agreement":0.7,"decided":400,"agreeing":320,"minimum_decided":9,"tests":[]},
                       {"judge":"mock","items":100,"without_confidence":100,"delta":0.05,"decided":0,"agreeing":0,"minimum_decided":9,"tests":[],"refusal":"no item reaching this stage has a confidence"}]}
            """);
        File.WriteAllText(config, File.ReadAllText(config)
            .Replace($"judges: [\"{RunConfigs.Replay}\"]", $"judges: [\"{RunConfigs.Replay}\", \"mock:1\"]\ncalibration: calibration.json", StringComparison.Ordinal)
            + "\nthresholds:\n  min_guaranteed_agreement: 0.7\n  min_coverage: 0.5\n");

        var (exit, output) = await CliRunner.RunAsync("run", config, "--json");

        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        var cascade = doc.RootElement.GetProperty("cascade");
        var verdicts = RunConfigs.Verdicts(config);
        // The sample's recorded file has one inconsistent tie among its 18 pairs of turn 1 (question 5, small vs tiny): it
        // goes on to the mock judge, which has no confidence, and is abstained; the other 17 are decided by the replay.
        var abstained = verdicts.Where(v => v.GetProperty("status").GetString() == "abstained").ToList();
        Assert.Equal("5", Assert.Single(abstained).GetProperty("question_id").GetString());
        Assert.Equal(18, cascade.GetProperty("items").GetInt32());
        Assert.Equal(17, cascade.GetProperty("decided").GetInt32());
        Assert.Equal(1, cascade.GetProperty("abstained").GetInt32());
        Assert.Equal(1, doc.RootElement.GetProperty("by_status").GetProperty("abstained").GetInt32());
        Assert.Equal(0.7, cascade.GetProperty("guaranteed_agreement").GetDouble());
        Assert.Equal(1, cascade.GetProperty("stages")[1].GetProperty("reached").GetInt32());
        Assert.All(doc.RootElement.GetProperty("gates").EnumerateArray(), g => Assert.True(g.GetProperty("passed").GetBoolean()));
        Assert.All(verdicts.Where(v => v.GetProperty("status").GetString() == "parsed"), v => Assert.Equal(1, v.GetProperty("stage").GetInt32()));
    }
}

/// <summary>A panel run from the command line: the recorded judge and two mock judges vote on every pair.</summary>
public class PanelRunCommandTests
{
    [Fact]
    public async Task Run_PanelConfig_EveryPairGetsTheMajorityWithItsVoteShare_AndEveryMembersCalls()
    {
        var config = RunConfigs.Write("compare", RunConfigs.Replay, string.Empty);
        File.WriteAllText(config, File.ReadAllText(config)
            .Replace($"judges: [\"{RunConfigs.Replay}\"]", $"judges: [\"{RunConfigs.Replay}\", \"mock:1\", \"mock:2\"]\npanel: majority", StringComparison.Ordinal));

        var (exit, output) = await CliRunner.RunAsync("run", config);

        Assert.True(exit == 0, output);
        var verdicts = RunConfigs.Verdicts(config);
        Assert.Equal(18, verdicts.Count);
        var id = $"panel:{RunConfigs.Replay} + mock:1 + mock:2";
        Assert.All(verdicts, v => Assert.Equal(id, v.GetProperty("judge").GetString()));
        Assert.All(verdicts, v => Assert.Equal("panel", v.GetProperty("confidence_source").GetString()));
        // Three members: the winner's vote share is 1/3, 2/3 or 1; a three-way split (A, B, tie) is an inconsistent tie
        // that no member voted for, share 0.
        Assert.All(verdicts, v => Assert.Contains(Math.Round(v.GetProperty("confidence").GetDouble() * 3), new[] { 0.0, 1.0, 2.0, 3.0 }));
        Assert.All(verdicts.Where(v => v.GetProperty("confidence").GetDouble() == 0), v => Assert.Equal("tie (inconsistent)", v.GetProperty("winner").GetString()));
        // The replayed judge makes no calls; each mock judges both orders of every pair: 18 × 2 × 2 calls.
        var calls = File.ReadLines(Path.Combine(RunConfigs.Out(config), "judgments.jsonl")).Count(l => l.Contains("\"type\":\"call\"", StringComparison.Ordinal));
        Assert.Equal(72, calls);
    }
}

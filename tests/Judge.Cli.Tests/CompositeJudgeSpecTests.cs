using System.Text.Json;

namespace Judge.Cli.Tests;

/// <summary>
/// <c>cascade(…)?calibration=FILE</c> and <c>panel(…)</c> judge specs on the command line: the same cascade and panel a run
/// config builds with <c>calibration:</c> and <c>panel:</c>, end to end on the sample's recorded judge and mock judges.
/// </summary>
public class CompositeJudgeSpecTests
{
    // A calibration as judge calibrate writes it: the replayed judge decides at confidence 1, the second stage never.
    private const string Calibration = """
        {"target":0.7,"delta":0.1,"mode":"pairwise","confidence":"orders,recorded","items":500,"unlabelled":0,
         "stages":[{"judge":"replay","items":500,"without_confidence":0,"delta":0.05,"threshold":1,"guaranteed_agreement":0.7,"decided":400,"agreeing":320,"minimum_decided":9,"tests":[]},
                   {"judge":"mock","items":100,"without_confidence":100,"delta":0.05,"decided":0,"agreeing":0,"minimum_decided":9,"tests":[],"refusal":"no item reaching this stage has a confidence"}]}
        """;

    private static string[] Compare(string judge, string outPath, params string[] more) =>
    [
        "compare", "--questions", Path.Combine(Paths.Sample, "question.jsonl"),
        "--answers", Path.Combine(Paths.Sample, "model_answer", "assistant-large.jsonl"), Path.Combine(Paths.Sample, "model_answer", "assistant-small.jsonl"), Path.Combine(Paths.Sample, "model_answer", "assistant-tiny.jsonl"),
        "--judge", judge, "--rubrics-dir", Paths.Rubrics, "--out", outPath, .. more,
    ];

    private static List<JsonElement> Records(string path, string type) =>
        [.. File.ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).Where(r => r.GetProperty("type").GetString() == type)];

    [Fact]
    public async Task Compare_CascadeSpec_DecidesConsistentPairs_AbstainsTheInconsistentOne()
    {
        var outPath = Paths.Temp("cascade.jsonl");
        var calibration = Path.Combine(Path.GetDirectoryName(outPath)!, "calibration.json");
        File.WriteAllText(calibration, Calibration);

        var (exit, output) = await CliRunner.RunAsync(Compare($"cascade({RunConfigs.Replay}, mock:1)?calibration={calibration}", outPath));

        Assert.True(exit == 0, output);
        var verdicts = Records(outPath, "pairwise");
        // As the config's cascade on the same data (CascadeRunCommandTests): the one inconsistent pair of turn 1 (question 5)
        // goes on to the mock judge, which has no confidence, and is abstained; the replay decides the other 17 at stage 1.
        Assert.Equal(18, verdicts.Count);
        Assert.All(verdicts, v => Assert.Equal($"cascade:{RunConfigs.Replay} > mock:1", v.GetProperty("judge").GetString()));
        var abstained = Assert.Single(verdicts, v => v.GetProperty("status").GetString() == "abstained");
        Assert.Equal("5", abstained.GetProperty("question_id").GetString());
        Assert.All(verdicts.Where(v => v.GetProperty("status").GetString() == "parsed"), v => Assert.Equal(1, v.GetProperty("stage").GetInt32()));
        Assert.Contains("abstained", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_CascadeSpecWithOnAbstainLast_KeepsTheLastVerdictUnguaranteed()
    {
        var outPath = Paths.Temp("cascade-last.jsonl");
        var calibration = Path.Combine(Path.GetDirectoryName(outPath)!, "calibration.json");
        File.WriteAllText(calibration, Calibration);

        var (exit, output) = await CliRunner.RunAsync(Compare($"cascade({RunConfigs.Replay}, mock:1)?calibration={calibration}&on_abstain=last", outPath));

        Assert.True(exit == 0, output);
        var verdicts = Records(outPath, "pairwise");
        Assert.DoesNotContain(verdicts, v => v.GetProperty("status").GetString() == "abstained");
        var kept = Assert.Single(verdicts, v => v.TryGetProperty("guaranteed", out var g) && g.ValueKind == JsonValueKind.False);
        Assert.Equal("5", kept.GetProperty("question_id").GetString());
    }

    [Fact]
    public async Task Compare_PanelSpec_EveryPairGetsTheMajority_AndEveryMembersCalls()
    {
        var outPath = Paths.Temp("panel.jsonl");

        var (exit, output) = await CliRunner.RunAsync(Compare($"panel({RunConfigs.Replay}, mock:1, mock:2)", outPath));

        Assert.True(exit == 0, output);
        var verdicts = Records(outPath, "pairwise");
        Assert.Equal(18, verdicts.Count);
        Assert.All(verdicts, v => Assert.Equal($"panel:{RunConfigs.Replay} + mock:1 + mock:2", v.GetProperty("judge").GetString()));
        Assert.All(verdicts, v => Assert.Equal("panel", v.GetProperty("confidence_source").GetString()));
        // The replayed judge makes no calls; each mock judges both orders of every pair: 18 × 2 × 2 calls.
        Assert.Equal(72, Records(outPath, "call").Count);
    }

    [Fact]
    public async Task Compare_WeightedPanel_AMemberAtChanceHasNoSay_TheCalibratedMemberDecides()
    {
        var outPath = Paths.Temp("weighted.jsonl");
        var weights = Path.Combine(Path.GetDirectoryName(outPath)!, "weights.json");
        // One stage per member: the replay agreed 89 of 98 times (weight ln 9), each mock 49 of 98 (p = 0.5, weight 0).
        File.WriteAllText(weights, """
            {"target":0.7,"delta":0.1,"mode":"pairwise","confidence":"recorded","items":98,"unlabelled":0,"stages":[
              {"judge":"replay","items":98,"without_confidence":0,"delta":0.1,"threshold":0,"decided":98,"agreeing":89,"minimum_decided":7,"tests":[]},
              {"judge":"mock1","items":98,"without_confidence":0,"delta":0.1,"threshold":0,"decided":98,"agreeing":49,"minimum_decided":7,"tests":[]},
              {"judge":"mock2","items":98,"without_confidence":0,"delta":0.1,"threshold":0,"decided":98,"agreeing":49,"minimum_decided":7,"tests":[]}]}
            """);
        var alone = Paths.Temp("alone.jsonl");
        var (aloneExit, aloneOutput) = await CliRunner.RunAsync(Compare(RunConfigs.Replay, alone));
        Assert.True(aloneExit == 0, aloneOutput);

        var (exit, output) = await CliRunner.RunAsync(Compare($"panel({RunConfigs.Replay}, mock:1, mock:2)?vote=weighted&weights={weights}", outPath));

        Assert.True(exit == 0, output);
        // The mocks weigh nothing, so every panel verdict is the replay's own (its inconsistent tie a tie vote), with all the weight.
        var replayed = Records(alone, "pairwise").ToDictionary(v => v.GetProperty("item").GetString()!, v => v.GetProperty("winner").GetString()!.Replace(" (inconsistent)", string.Empty, StringComparison.Ordinal));
        var verdicts = Records(outPath, "pairwise");
        Assert.Equal(replayed.Count, verdicts.Count);
        Assert.All(verdicts, v => Assert.Equal(replayed[v.GetProperty("item").GetString()!], v.GetProperty("winner").GetString()));
        Assert.All(verdicts, v => Assert.Equal(1.0, v.GetProperty("confidence").GetDouble(), 12));
    }

    [Fact]
    public async Task Grade_PanelSpecWithMean_ScoresAreTheMembersMean()
    {
        var outPath = Paths.Temp("panel-grade.jsonl");
        var args = Compare("panel(mock:1, mock:2)?vote=mean", outPath);
        args[0] = "grade";

        var (exit, output) = await CliRunner.RunAsync(args);

        Assert.True(exit == 0, output);
        var grades = Records(outPath, "absolute");
        var calls = Records(outPath, "call");
        Assert.NotEmpty(grades);
        Assert.All(grades, g => Assert.Equal("panel:mock:1 + mock:2", g.GetProperty("judge").GetString()));
        // Each grade is the mean of its two members' scores, read from the members' own calls of that answer.
        foreach (var g in grades.Where(g => g.GetProperty("status").GetString() == "parsed"))
        {
            var members = calls.Where(c => c.GetProperty("item").GetString() == g.GetProperty("item").GetString() && c.GetProperty("status").GetString() == "parsed").Select(c => c.GetProperty("score").GetDouble()).ToList();
            Assert.Equal(2, members.Count);
            Assert.Equal(members.Average(), g.GetProperty("score").GetDouble(), 9);
        }
    }

    [Fact]
    public async Task Compare_PanelAsCascadeStage_OnlyTheEscalatedPairPaysForTheMembers()
    {
        var outPath = Paths.Temp("cascade-panel.jsonl");
        var calibration = Path.Combine(Path.GetDirectoryName(outPath)!, "calibration.json");
        File.WriteAllText(calibration, Calibration.Replace("\"refusal\":\"no item reaching this stage has a confidence\"", "\"threshold\":0.5", StringComparison.Ordinal));

        var (exit, output) = await CliRunner.RunAsync(Compare($"cascade({RunConfigs.Replay}, panel(mock:1, mock:2))?calibration={calibration}", outPath));

        Assert.True(exit == 0, output);
        var verdicts = Records(outPath, "pairwise");
        Assert.Equal(18, verdicts.Count);
        Assert.All(verdicts, v => Assert.Equal($"cascade:{RunConfigs.Replay} > panel(mock:1, mock:2)", v.GetProperty("judge").GetString()));
        // Only question 5's inconsistent pair reaches the panel: its two members judge both orders, 4 calls in the whole file.
        var escalated = Assert.Single(verdicts, v => v.GetProperty("cascade").GetArrayLength() == 2);
        Assert.Equal("5", escalated.GetProperty("question_id").GetString());
        var step = escalated.GetProperty("cascade")[1];
        Assert.Equal("panel:mock:1 + mock:2", step.GetProperty("judge").GetString());
        Assert.Equal(["mock:1", "mock:1", "mock:2", "mock:2"], Records(outPath, "call").Select(c => c.GetProperty("judge").GetString()).Order());
        // The panel decides at vote share 0.5 or more (both members agreeing gives 1; a split is an inconsistent tie, share 0).
        var share = step.GetProperty("confidence").GetDouble();
        Assert.Equal(share >= 0.5, step.GetProperty("decided").GetBoolean());
        Assert.Equal(share >= 0.5 ? "parsed" : "abstained", escalated.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Run_PanelStageInConfigJudges_WithCalibration_IsACascadeStage()
    {
        var config = RunConfigs.Write("compare", RunConfigs.Replay, string.Empty);
        var calibration = Path.Combine(Path.GetDirectoryName(config)!, "calibration.json");
        File.WriteAllText(calibration, Calibration);
        File.WriteAllText(config, File.ReadAllText(config)
            .Replace($"judges: [\"{RunConfigs.Replay}\"]", $"judges: [\"{RunConfigs.Replay}\", \"panel(mock:1, mock:2)\"]\ncalibration: calibration.json", StringComparison.Ordinal));

        var (exit, output) = await CliRunner.RunAsync("run", config, "--json");

        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        var stages = doc.RootElement.GetProperty("cascade").GetProperty("stages");
        Assert.Equal("panel(mock:1, mock:2)", stages[1].GetProperty("judge").GetString());
        Assert.Equal(1, stages[1].GetProperty("reached").GetInt32());
        Assert.Equal(18, RunConfigs.Verdicts(config).Count);
        // Only the one escalated pair pays for the panel: two members, both orders.
        Assert.Equal(4, File.ReadLines(Path.Combine(RunConfigs.Out(config), "judgments.jsonl")).Count(l => l.Contains("\"type\":\"call\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Run_CascadeSpecOverridesTheConfigsJudges()
    {
        var config = RunConfigs.Write("compare", "mock:3", string.Empty);
        var calibration = Path.Combine(Path.GetDirectoryName(config)!, "calibration.json");
        File.WriteAllText(calibration, Calibration);

        var (exit, output) = await CliRunner.RunAsync("run", config, "--judge", $"cascade({RunConfigs.Replay}, mock:1)?calibration={calibration}", "--json");

        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        var cascade = doc.RootElement.GetProperty("cascade");
        Assert.Equal(17, cascade.GetProperty("decided").GetInt32());
        Assert.Equal(1, cascade.GetProperty("abstained").GetInt32());
    }

    [Theory]
    [InlineData("cascade(mock:1, mock:2)", "names no calibration")]
    [InlineData("cascade(mock:1, mock:2)?calibration=missing.json", "missing.json")]
    [InlineData("cascade(mock:1)?calibration=CAL", "calibrates 2 stage(s), but the cascade has 1 judge(s)")]
    [InlineData("cascade(mock:1, mock:2)?calibration=CAL&on_abstain=maybe", "on_abstain must be one of abstain, last")]
    [InlineData("panel(mock:1, mock:2)?vote=mean", "vote must be one of majority")]
    [InlineData("panel(mock:1, mock:2)?votes=majority", "unknown option 'votes'")]
    [InlineData("panel(mock:1, mock:2)?vote=weighted", "vote=weighted needs weights=FILE")]
    [InlineData("panel(mock:1, mock:2, mock:3)?vote=weighted&weights=CAL", "one stage per member")]
    [InlineData("panel(mock:1, mock:2)?weights=CAL", "weights= applies only with vote=weighted")]
    [InlineData("panel(mock:1, mock:2", "has no closing ')'")]
    [InlineData("panel(mock:1, , mock:2)", "has an empty member")]
    [InlineData("panel(mock:1, mock:2) extra", "after its ')'")]
    [InlineData("panel(mock:1, cascade(mock:2, mock:3))", "cannot be a member")]
    [InlineData("cascade(mock:1, panel(mock:2, mock:3)?vote=mean)?calibration=CAL", "vote must be one of majority")]
    [InlineData("panel(mock:1, nothing)", "is not a judge spec")]
    public async Task Compare_BadCompositeSpec_IsExit2NamingTheProblem_AndWritesNothing(string judge, string expected)
    {
        var outPath = Paths.Temp("bad.jsonl");
        var calibration = Path.Combine(Path.GetDirectoryName(outPath)!, "calibration.json");
        File.WriteAllText(calibration, Calibration);

        var (exit, output) = await CliRunner.RunAsync(Compare(judge.Replace("CAL", calibration, StringComparison.Ordinal), outPath));

        Assert.True(exit == 2, output);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public async Task Run_CompositeSpecBesideAnotherJudge_IsExit2()
    {
        var config = RunConfigs.Write("compare", "mock:3", string.Empty);

        var (exit, output) = await CliRunner.RunAsync("run", config, "--judge", "mock:1", "--judge", "panel(mock:1, mock:2)");

        Assert.True(exit == 2, output);
        Assert.Contains("must be the only judge", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(RunConfigs.Out(config), "manifest.json")));
    }
}

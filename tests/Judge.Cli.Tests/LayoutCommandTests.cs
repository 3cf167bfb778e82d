using System.Text.Json;
using Judge.Verdicts;

namespace Judge.Cli.Tests;

public class LayoutCommandTests
{
    // FastChat's raw pair file: g1 shows model_1 first, g2 model_2 first; both winners name models.
    // q1: x in both games. q2: the first shown wins each game (x, then y). q3: game 1 failed.
    private static string FastChatPair()
    {
        var path = Paths.Temp("gpt-4_pair.jsonl");
        File.WriteAllLines(path,
        [
            """{"question_id": 1, "model_1": "x", "model_2": "y", "g1_winner": "model_1", "g2_winner": "model_1", "judge": ["gpt-4", "pair-v2"], "turn": 1}""",
            """{"question_id": 2, "model_1": "x", "model_2": "y", "g1_winner": "model_1", "g2_winner": "model_2", "judge": ["gpt-4", "pair-v2"], "turn": 1}""",
            """{"question_id": 3, "model_1": "x", "model_2": "y", "g1_winner": "error", "g2_winner": "model_1", "judge": ["gpt-4", "pair-v2"], "turn": 1}""",
        ]);
        return path;
    }

    // Human votes as one JSON array with a byte-order mark and other field names: q1 x, q2 y, q3 x.
    private static string HumanArray()
    {
        var path = Paths.Temp("human.json");
        File.WriteAllText(path, """
            [
              {"qid": 1, "left": "x", "right": "y", "label": "1", "rater": "expert_0"},
              {"qid": 2, "left": "x", "right": "y", "label": "2", "rater": "expert_0"},
              {"qid": 3, "left": "x", "right": "y", "label": "1", "rater": "expert_0"}
            ]
            """, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        return path;
    }

    private const string HumanMap = "question_id=qid,model_a=left,model_b=right,winner=label,judge=rater";

    [Fact]
    public async Task Agreement_FastChatPairAgainstMappedHumanArray_PerOrderFiguresAndMissingCounted()
    {
        var (exit, output) = await CliRunner.RunAsync("agreement", "--judgments", FastChatPair(), "--layout", "fastchat-pair", "--human", HumanArray(), "--human-map", HumanMap, "--resamples", "0", "--format", "json");

        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;

        // Combined: q1 x (right), q2 inconsistent tie (wrong), q3 no verdict (not compared, counted).
        Assert.Equal(1, r.GetProperty("with_ties").GetProperty("agree").GetInt32());
        Assert.Equal(2, r.GetProperty("with_ties").GetProperty("total").GetInt32());
        Assert.Equal(1, r.GetProperty("judge_items_without_verdict").GetInt32());

        // Per order against x, y, x: AB says x, x, (none): 1/3; BA says x, y, x: 3/3; correct in both orders: q1 only, 1/3.
        var o = r.GetProperty("orders");
        Assert.Equal(3, o.GetProperty("items").GetInt32());
        Assert.Equal(1, o.GetProperty("without_verdict_ab").GetInt32());
        Assert.Equal(1, o.GetProperty("with_ties").GetProperty("ab").GetProperty("agree").GetInt32());
        Assert.Equal(3, o.GetProperty("with_ties").GetProperty("ab").GetProperty("total").GetInt32());
        Assert.Equal(3, o.GetProperty("with_ties").GetProperty("ba").GetProperty("agree").GetInt32());
        Assert.Equal((1.0 / 3 + 1) / 2, o.GetProperty("with_ties").GetProperty("mean").GetDouble(), 12);
        Assert.Equal(1, o.GetProperty("with_ties").GetProperty("both_orders").GetProperty("agree").GetInt32());
        Assert.Equal(1, o.GetProperty("positional_consistency").GetProperty("agree").GetInt32());
        Assert.Equal(2, o.GetProperty("positional_consistency").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Agreement_Table_ShowsThePerOrderBlock()
    {
        var (exit, output) = await CliRunner.RunAsync("agreement", "--judgments", FastChatPair(), "--layout", "fastchat-pair", "--human", HumanArray(), "--human-map", HumanMap, "--resamples", "0");

        Assert.True(exit == 0, output);
        Assert.Contains("per presentation order (3 items judged in both orders)", output);
        Assert.Contains("correct in both orders", output);
        Assert.Contains("orders without a verdict (counted as wrong): AB 1, BA 0", output);
    }

    [Fact]
    public async Task Agreement_MapWithUnknownField_ExitsTwoNamingItAndTheAllowedFields()
    {
        var (exit, output) = await CliRunner.RunAsync("agreement", "--judgments", FastChatPair(), "--map", "question=qid", "--human", HumanArray());

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("unknown field 'question'", output);
        Assert.Contains("question_id, model_a, model_b", output);
    }

    [Fact]
    public async Task Agreement_UnknownLayout_ExitsTwoListingTheLayouts()
    {
        var (exit, output) = await CliRunner.RunAsync("agreement", "--judgments", FastChatPair(), "--layout", "fastchat", "--human", HumanArray());

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("unknown layout 'fastchat'", output);
        Assert.Contains("fastchat-pair", output);
    }

    [Fact]
    public async Task Judges_PerOrderFile_ShowsCorrectInBothOrdersAndConsistency()
    {
        var (exit, output) = await CliRunner.RunAsync("judges", "--judgments", FastChatPair(), "--layout", "fastchat-pair", "--human", HumanArray(), "--human-map", HumanMap, "--resamples", "0");

        Assert.True(exit == 0, output);
        Assert.Matches(@"without a verdict \(not compared\)\s*│ 1\s", output);
        Assert.Contains("correct in both orders", output);
        Assert.Contains("1/3 = 33.3 %", output);
        Assert.Contains("positional consistency", output);
    }

    [Fact]
    public async Task BiasArena_ArenaHardLayout_EachGameABattleAndStrongVerdictsWeighted()
    {
        var path = Paths.Temp("arena.jsonl");
        File.WriteAllLines(path,
        [
            """{"question_id": "q1", "model": "m", "judge": "gpt-4-1106-preview", "games": [{"score": "B>>A"}, {"score": "A>B"}]}""",
            """{"question_id": "q2", "model": "m", "judge": "gpt-4-1106-preview", "games": [{"score": "A>B"}, {"score": "B>A"}]}""",
            """{"question_id": "q3", "model": "m", "judge": "gpt-4-1106-preview", "games": [{"score": "B>A"}, {"score": null}]}""",
        ]);

        var (exit, output) = await CliRunner.RunAsync("bias", "arena", "--judgments", path, "--layout", "arena-hard", "--baseline", "gpt-4-0314", "--rounds", "0", "--format", "json");

        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(1, doc.RootElement.GetProperty("strong_games").GetInt32());
        var m = doc.RootElement.GetProperty("models").EnumerateArray().Single(e => e.GetProperty("model").GetString() == "m");

        // Game 1 shows the baseline first, game 2 the model. q1: B>>A and A>B are both m's (one strong);
        // q2: A>B and B>A are both the baseline's; q3: B>A is m's, game 2 has no verdict. Five games,
        // m 3 + 2 (its strong game counts three times) = 5 weighted wins to the baseline's 2: with two
        // models the anchored Bradley-Terry fit gives m's win rate exactly 5/7.
        Assert.Equal(5, m.GetProperty("games").GetInt32());
        Assert.Equal(5.0 / 7, m.GetProperty("score").GetDouble(), 6);
    }

    [Fact]
    public async Task BiasReport_AlpacaEvalLayout_SoftPreferencesAndTheFilesAnswersDriveLengthControl()
    {
        // 30 instructions; the model (output_2) is longer on half of them; its soft preference
        // cycles through 0.9, 0.6, 0.3, so its raw win rate is their mean, 0.6, whatever the fit.
        var rows = new List<string>();
        double[] prefs = [1.9, 1.6, 1.3];
        for (var i = 0; i < 30; i++)
        {
            var model = new string('m', i % 2 == 0 ? 40 + i : 10 + i);
            rows.Add($$"""{"instruction": "q{{i}}", "generator_1": "base", "generator_2": "m", "output_1": "{{new string('b', 25)}}", "output_2": "{{model}}", "annotator": "a", "preference": {{prefs[i % 3].ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""");
        }

        var path = Paths.Temp("annotations.json");
        File.WriteAllText(path, "[\n" + string.Join(",\n", rows) + "\n]");

        var (exit, output) = await CliRunner.RunAsync("bias", "report", "--judgments", path, "--layout", "alpaca-eval", "--baseline", "base", "--resamples", "0", "--format", "json");

        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output);
        var m = doc.RootElement.GetProperty("length_controlled").GetProperty("models").EnumerateArray().Single();
        Assert.Equal("m", m.GetProperty("model").GetString());
        Assert.Equal(30, m.GetProperty("rows").GetInt32());
        Assert.Equal(0.6, m.GetProperty("raw_win_rate").GetDouble(), 12);
    }

    [Fact]
    public async Task Agreement_DuplicatedJudgeRecords_DroppedAndReported()
    {
        var judge = Paths.Temp("dup.jsonl");
        var row = """{"question_id": 1, "model_a": "x", "model_b": "y", "winner": "model_a", "judge": "j"}""";
        File.WriteAllLines(judge, [row, row, row.Replace("\"question_id\": 1", "\"question_id\": 2", StringComparison.Ordinal)]);
        var human = Paths.Temp("h.jsonl");
        File.WriteAllLines(human, [row.Replace("\"j\"", "\"expert_1\"", StringComparison.Ordinal)]);

        var (exit, output) = await CliRunner.RunAsync("agreement", "--judgments", judge, "--human", human, "--resamples", "0", "--format", "json");
        var (tableExit, table) = await CliRunner.RunAsync("agreement", "--judgments", judge, "--human", human, "--resamples", "0");

        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(1, doc.RootElement.GetProperty("judge_duplicates_dropped").GetInt32());
        Assert.Equal(0, doc.RootElement.GetProperty("human_duplicates_dropped").GetInt32());
        Assert.Equal(2, doc.RootElement.GetProperty("judge_verdicts").GetInt32());
        Assert.True(tableExit == 0, table);
        Assert.Contains("exact duplicate records dropped: judge 1, human 0", table);
    }
}

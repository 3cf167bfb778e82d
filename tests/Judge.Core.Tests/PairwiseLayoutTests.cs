using Judge.Core.Tests.Statistics;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Runs;
using Judge.Statistics;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests;

public class PairwiseLayoutTests
{
    [Fact]
    public void Parse_UnknownField_NamesItAndTheAllowedFields()
    {
        var error = Assert.Throws<InputException>(() => PairwiseLayout.Parse(null, "winner=label,verdict=x"));

        Assert.Contains("'verdict'", error.Message, StringComparison.Ordinal);
        Assert.Contains("question_id, model_a", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownLayoutOrOrientation_NamesTheKnownOnes()
    {
        var layout = Assert.Throws<InputException>(() => PairwiseLayout.Parse("mtbench", null));
        var orient = Assert.Throws<InputException>(() => PairwiseLayout.Parse(null, "orient=sideways"));

        Assert.Contains("arena-hard", layout.Message, StringComparison.Ordinal);
        Assert.Contains("model, position", orient.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MapOverLayout_ReplacesItsVerdictSourcesAndKeepsTheRest()
    {
        var layout = PairwiseLayout.Parse("alpaca-eval", "winner=human_label");

        Assert.Equal("human_label", layout.Source("winner"));
        Assert.Null(layout.Source("preference"));
        Assert.Equal("generator_1", layout.Source("model_a"));
        Assert.Equal("alpaca-eval+map", layout.Name);
    }

    [Fact]
    public void MtBenchLayout_OnPublishedJudgments_ReadsWhatTheDefaultReads()
    {
        var path = SharedData.Dataset("mt-bench", "gpt4_pair_judgments.jsonl");

        var named = VerdictImport.Read(path, PairwiseLayout.Named("mt-bench"));
        Assert.Equal(2400, named.Items.Count);
        Assert.Equal(0, named.WithoutVerdict);
        Assert.Equal(0, named.DuplicatesDropped);

        // The file's first line: {"judge":"gpt4_pair","model_a":"alpaca-13b","model_b":"claude-v1","question_id":81,"turn":1,"winner":"model_b"}
        Assert.Equal(new PairwiseLabel("81", "alpaca-13b", "claude-v1", PairOutcome.B, "gpt4_pair", 1), named.Labels()[0]);
    }

    [Fact]
    public void PandaLmLayout_OnPublishedJudgeFile_KeepsGarbageAsUnparsedAndAgreesWithThePandaLmReader()
    {
        var path = SharedData.Dataset("pandalm", "gpt-3.5-turbo-testset-v1.json");

        var imported = VerdictImport.Read(path, PairwiseLayout.Named("pandalm"));
        var reference = PandaLm.ReadVerdicts(path);

        Assert.Equal(reference.Count, imported.Items.Count);
        Assert.Equal(reference.Count(v => v.Label is null), imported.WithoutVerdict);
        Assert.All(imported.Items.Where(i => i.Status != VerdictStatus.Parsed), i => Assert.Equal(VerdictStatus.Unparsed, i.Status));
        var byIndex = reference.ToDictionary(v => v.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var item in imported.Items.Where(i => i.Winner is not null))
        {
            var expected = byIndex[item.QuestionId].Label switch { 1 => "model_a", 2 => "model_b", _ => "tie" };
            Assert.Equal(expected, item.Winner?.ToWire());
        }
    }

    [Fact]
    public void PandaLmHumanLayout_OnPublishedTestSet_OneVotePerAnnotator()
    {
        var path = SharedData.Dataset("pandalm", "testset-v1.json");

        var labels = VerdictImport.ReadLabels(path, PairwiseLayout.Named("pandalm-human"));
        var items = PandaLm.ReadTestSet(path);

        Assert.Equal(items.Count * 3, labels.Count);
        Assert.Equal(["annotator1", "annotator2", "annotator3"], labels.Select(l => l.Rater).Distinct().Order());
        var first = labels.Where(l => l.QuestionId == items[0].Index.ToString(System.Globalization.CultureInfo.InvariantCulture)).Select(l => l.Winner).ToArray();
        Assert.Equal(items[0].Annotators.Select(a => a switch { 1 => PairOutcome.A, 2 => PairOutcome.B, _ => PairOutcome.Tie }), first);
    }

    [Fact]
    public void LlmBarLayout_JsonArrayWithoutIds_UsesPositionsAsIdsAndLabelsAsWinners()
    {
        using var dir = new TempDir();
        var path = dir.Write("dataset.json", """
            [
              {"input": "Say hi", "output_1": "hi", "output_2": "bye", "label": 1},
              {"input": "Say bye", "output_1": "hi", "output_2": "bye", "label": 2}
            ]
            """);

        var labels = VerdictImport.ReadLabels(path, PairwiseLayout.Named("llmbar"));

        Assert.Equal(["0", "1"], labels.Select(l => l.QuestionId));
        Assert.Equal([PairOutcome.A, PairOutcome.B], labels.Select(l => l.Winner));
        Assert.All(labels, l => Assert.Equal(("output_1", "output_2"), (l.ModelA, l.ModelB)));
    }

    [Fact]
    public void AlpacaEvalLayout_SoftPreferences_CarriedAsPSecondWithTheirHardWinner()
    {
        using var dir = new TempDir();
        var path = dir.Write("annotations.json", """
            [
              {"instruction": "q1", "generator_1": "gpt4_turbo", "generator_2": "m", "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": 1.0},
              {"instruction": "q2", "generator_1": "gpt4_turbo", "generator_2": "m", "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": 1.8},
              {"instruction": "q3", "generator_1": "gpt4_turbo", "generator_2": "m", "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": 1.5},
              {"instruction": "q4", "generator_1": "gpt4_turbo", "generator_2": "m", "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": null},
              {"instruction": "q5", "generator_1": "gpt4_turbo", "generator_2": "m", "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": 2.5}
            ]
            """);

        var imported = VerdictImport.Read(path, PairwiseLayout.Named("alpaca-eval"));

        Assert.Equal(["model_a", "model_b", "tie", null, null], imported.Items.Select(i => i.Winner?.ToWire()));
        Assert.Equal(0.0, imported.Items[0].PSecond);
        Assert.Equal(0.8, imported.Items[1].PSecond!.Value, 12);
        Assert.Equal(0.5, imported.Items[2].PSecond);
        Assert.Equal([VerdictStatus.Parsed, VerdictStatus.Parsed, VerdictStatus.Parsed, VerdictStatus.Unparsed, VerdictStatus.OutOfRange], imported.Items.Select(i => i.Status));
    }

    [Fact]
    public void FastChatPairLayout_BothGamesInOneRecord_CombinedByThePositionSwapRule()
    {
        using var dir = new TempDir();
        var path = dir.Write("gpt-4_pair.jsonl",
            """{"question_id": 81, "model_1": "x", "model_2": "y", "g1_winner": "model_1", "g2_winner": "model_1", "judge": ["gpt-4", "pair-v2"], "turn": 1}""",
            """{"question_id": 82, "model_1": "x", "model_2": "y", "g1_winner": "model_1", "g2_winner": "model_2", "judge": ["gpt-4", "pair-v2"], "turn": 1}""",
            """{"question_id": 83, "model_1": "x", "model_2": "y", "g1_winner": "error", "g2_winner": "tie", "judge": ["gpt-4", "pair-v2"], "turn": 1}""");

        var imported = VerdictImport.Read(path, PairwiseLayout.Named("fastchat-pair"));

        Assert.Equal(["model_a", "tie (inconsistent)", null], imported.Items.Select(i => i.Winner?.ToWire()));
        Assert.Equal([false, true, null], imported.Items.Select(i => i.Flipped));
        Assert.Equal(VerdictStatus.Error, imported.Items[2].Status);
        Assert.Equal("gpt-4/pair-v2", imported.Items[0].Judge);
        Assert.Equal(6, imported.Calls.Count);

        // Game 2 shows model_2 first, so model_1 winning it is the second answer shown.
        Assert.Equal(["first", "second"], imported.Calls.Take(2).Select(c => c.Choice?.ToPosition()));
        Assert.Equal(["AB", "BA"], imported.Calls.Take(2).Select(c => c.Order));
    }

    [Fact]
    public void ArenaHardLayout_GamesByPosition_StrongVerdictsOnTheCallsAndTheBaselineAsModelA()
    {
        using var dir = new TempDir();
        var path = dir.Write("m.jsonl",
            """{"question_id": "q1", "model": "m", "judge": "gpt-4-1106-preview", "games": [{"score": "A>>B"}, {"score": "B>A"}]}""",
            """{"question_id": "q2", "model": "m", "judge": "gpt-4-1106-preview", "games": [{"score": "B>>A"}, {"score": null}]}""");

        var imported = VerdictImport.Read(path, PairwiseLayout.Parse("arena-hard", "model_a='gpt-4-0314'"));

        // q1: game 1 baseline first and A>>B: baseline; game 2 model first and B>A: baseline again.
        Assert.Equal("gpt-4-0314", imported.Items[0].ModelA);
        Assert.Equal("model_a", imported.Items[0].Winner?.ToWire());
        Assert.Equal(["A>>B", null], imported.Calls.Take(2).Select(c => c.StrongVerdict));
        Assert.Equal(["first", "second"], imported.Calls.Take(2).Select(c => c.Choice?.ToPosition()));
        Assert.Null(imported.Items[1].Winner);
        Assert.Equal(VerdictStatus.Unparsed, imported.Items[1].Status);
        Assert.Equal(VerdictStatus.Unparsed, imported.Calls[3].Status);
    }

    [Fact]
    public void OrderField_OneRecordPerOrder_CombinedAndSingleOrdersKept()
    {
        using var dir = new TempDir();
        var path = dir.Write("orders.jsonl",
            """{"question_id": 1, "model_a": "x", "model_b": "y", "order": "AB", "winner": "model_a"}""",
            """{"question_id": 1, "model_a": "x", "model_b": "y", "order": "BA", "winner": "model_a"}""",
            """{"question_id": 2, "model_a": "x", "model_b": "y", "order": "AB", "winner": "model_b"}""",
            """{"question_id": 2, "model_a": "x", "model_b": "y", "order": "BA", "winner": "model_a"}""",
            """{"question_id": 3, "model_a": "x", "model_b": "y", "order": "BA", "winner": "tie"}""",
            """{"question_id": 3, "model_a": "x", "model_b": "y", "order": "BA", "winner": "tie"}""");

        var imported = VerdictImport.Read(path, PairwiseLayout.Parse(null, "order=order,winner=winner"));

        Assert.Equal(["model_a", "tie (inconsistent)", "tie"], imported.Items.Select(i => i.Winner?.ToWire()));
        Assert.Equal([false, true, null], imported.Items.Select(i => i.Flipped));
        Assert.Equal(1, imported.DuplicatesDropped);
        Assert.Equal(5, imported.Calls.Count);
        Assert.True(imported.HasOrders);
    }

    [Fact]
    public void OrderField_ConflictingOrderRecords_IsAnErrorNamingBothLines()
    {
        using var dir = new TempDir();
        var path = dir.Write("orders.jsonl",
            """{"question_id": 1, "model_a": "x", "model_b": "y", "order": "AB", "winner": "model_a"}""",
            """{"question_id": 1, "model_a": "x", "model_b": "y", "order": "AB", "winner": "model_b"}""");

        var error = Assert.Throws<InputException>(() => VerdictImport.Read(path, PairwiseLayout.Parse(null, "order=order,winner=winner")));

        Assert.Equal(2, error.Line);
        Assert.Contains("line 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("order AB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingMappedField_NamesTheSourceAndTheField()
    {
        using var dir = new TempDir();
        var path = dir.Write("v.jsonl", """{"idx": 1, "a": "x", "winner": "1"}""");

        var error = Assert.Throws<InputException>(() => VerdictImport.Read(path, PairwiseLayout.Parse(null, "question_id=idx,model_a=a,model_b=b")));

        Assert.Equal(1, error.Line);
        Assert.Equal("b (model_b)", error.Field);
    }

    [Fact]
    public void ArenaHardLayout_GamesFromCalls_EachOrderItsOwnGameWithStrongVerdicts()
    {
        using var dir = new TempDir();
        var path = dir.Write("m.jsonl",
            """{"question_id": "q1", "model": "m", "judge": "j", "games": [{"score": "A>>B"}, {"score": "B>A"}]}""",
            """{"question_id": "q2", "model": "m", "judge": "j", "games": [{"score": "[[B>>A]]"}, {"score": "A>>B"}]}""",
            """{"question_id": "q3", "model": "m", "judge": "j", "games": [{"score": "A=B"}, {"score": "no verdict here"}]}""");
        var imported = VerdictImport.Read(path, PairwiseLayout.Named("arena-hard"));

        var games = ArenaHard.GamesFromCalls(imported.Items, imported.Calls, null, out var withoutVerdict);

        // Model A is the baseline (shown first in game 1). q1: baseline >> m, then m (first) < baseline (second).
        // q2: m >> baseline in game 1 (B>>A) and in game 2 (A>>B, m shown first). q3: a tie, and one unparsed game.
        Assert.Equal([(PairOutcome.A, true), (PairOutcome.A, false), (PairOutcome.B, true), (PairOutcome.B, true), (PairOutcome.Tie, false)], games.Select(g => (g.Outcome, g.Strong)));
        Assert.All(games, g => Assert.Equal(("gpt-4-0314", "m"), (g.ModelA, g.ModelB)));
        Assert.Equal(1, withoutVerdict);
    }
}

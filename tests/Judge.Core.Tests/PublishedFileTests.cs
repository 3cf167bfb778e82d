using Judge.Core.Tests.Statistics;
using Judge.Data;
using Judge.Statistics;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests;

/// <summary>Published files read exactly as published: last elements, sources that resolve nowhere, recoded values, judges per file, Arena-Hard's two shapes.</summary>
public class PublishedFileTests
{
    private static readonly string[] Rounds =
    [
        """{"id": 1, "a": "x", "b": "y", "results": [{"winner": "model_a"}, {"winner": "model_b"}]}""",
        """{"id": 2, "a": "x", "b": "y", "results": [{"winner": "tie"}, {"winner": "model_b"}, {"winner": "model_a"}]}""",
    ];

    [Theory]
    [InlineData("results[-1].winner", "model_b,model_a")]
    [InlineData("results[last].winner", "model_b,model_a")]
    [InlineData("results[-2].winner", "model_a,model_b")]
    [InlineData("results[0].winner", "model_a,tie")]
    public void Read_IndexFromTheEnd_ReadsThatRoundOfEachRecord(string source, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("rounds.jsonl", Rounds);

        var imported = VerdictImport.Read(path, PairwiseLayout.Parse(null, $"question_id=id,model_a=a,model_b=b,winner={source}"));

        Assert.Equal(expected.Split(','), imported.Items.Select(i => i.Winner?.ToWire()));
        Assert.Equal(0, imported.WithoutVerdict);
    }

    [Fact]
    public void Read_VerdictSourceResolvingInNoRecord_IsAnErrorNamingTheFieldAndTheFirstRecord()
    {
        // Before: every verdict read as missing ("2 judged items had no verdict") and the command exited 0.
        using var dir = new TempDir();
        var path = dir.Write("rounds.jsonl", Rounds);

        var error = Assert.Throws<InputException>(() => VerdictImport.Read(path, PairwiseLayout.Parse(null, "question_id=id,model_a=a,model_b=b,winner=result[-1].winner")));

        Assert.Equal(1, error.Line);
        Assert.Equal("result[-1].winner (winner)", error.Field);
        Assert.Contains("resolves in no record", error.Message, StringComparison.Ordinal);
        Assert.Contains("id, a, b, results", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadIndexOrRecoding_NamesTheField()
    {
        var index = Assert.Throws<InputException>(() => PairwiseLayout.Parse(null, "winner=results[first].winner"));
        var recode = Assert.Throws<InputException>(() => PairwiseLayout.Parse(null, "winner=output{0:A,1}"));

        Assert.Equal("winner", index.Field);
        Assert.Contains("[first]", index.Message, StringComparison.Ordinal);
        Assert.Contains("'1'", recode.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RecodedValues_ReadAsTheRecodingSaysAndOthersStayUnparsed()
    {
        // A set writing 0 = first, 1 = second, 2 = tie per order. Without recoding, 0 would read as a tie and 1, 2 as A, B.
        using var dir = new TempDir();
        var path = dir.Write("orders.jsonl",
            """{"id": 1, "order": "AB", "output": 0}""",
            """{"id": 1, "order": "BA", "output": 1}""",
            """{"id": 2, "order": "AB", "output": 2}""",
            """{"id": 2, "order": "BA", "output": 3}""");
        var layout = PairwiseLayout.Parse(null, "question_id=id,model_a='x',model_b='y',order=order,winner=output{0:A,1:B,2:tie},orient=position");

        var imported = VerdictImport.Read(path, layout);

        // Item 1: AB says first (x), BA says second (x again): x both times.
        Assert.Equal("model_a", imported.Items[0].Winner?.ToWire());
        Assert.Equal(["first", "second", "tie", null], imported.Calls.Select(c => c.Choice?.ToPosition()));
        Assert.Equal(VerdictStatus.Unparsed, imported.Calls[3].Status);
        Assert.Equal("3", imported.Calls[3].Verdict);
    }

    [Fact]
    public void ArenaHardLayout_CurrentShape_UidBaselineAndMirroredTokens()
    {
        // Arena-Hard-Auto v2 (src/arenahard/gen_judgment.py): uid, category, judge, model, baseline, games[2]; game 1 shows the
        // baseline as A, game 2 the model; show_result.py's label_to_score also takes A<B, A<<B, B<A, B<<A and B=A.
        using var dir = new TempDir();
        var path = dir.Write("m.jsonl",
            """{"uid": "u1", "category": "hard_prompt", "judge": "gpt-4.1", "model": "m", "baseline": "o3-mini-2025-01-31", "games": [{"score": "A<<B"}, {"score": "B<A"}]}""",
            """{"uid": "u2", "category": "hard_prompt", "judge": "gpt-4.1", "model": "m", "baseline": "o3-mini-2025-01-31", "games": [{"score": "B<<A"}, {"score": "B=A"}]}""",
            """{"uid": "u3", "category": "hard_prompt", "judge": "gpt-4.1", "model": "m", "baseline": "o3-mini-2025-01-31", "games": [{"score": "A<B"}, null]}""");

        var imported = VerdictImport.Read(path, PairwiseLayout.Named("arena-hard"));
        var games = ArenaHard.GamesFromCalls(imported.Items, imported.Calls, null, out var withoutVerdict);

        Assert.Equal(["u1", "u2", "u3"], imported.Items.Select(i => i.QuestionId));
        Assert.All(imported.Items, i => Assert.Equal(("o3-mini-2025-01-31", "m"), (i.ModelA, i.ModelB)));

        // u1: A<<B in game 1 is the model (B) strongly; B<A in game 2 is the first shown (the model) winning.
        // u2: B<<A in game 1 is the baseline (A) strongly; B=A a tie. u3: A<B is the model; game 2 is null.
        Assert.Equal([(PairOutcome.B, true), (PairOutcome.B, false), (PairOutcome.A, true), (PairOutcome.Tie, false), (PairOutcome.B, false)], games.Select(g => (g.Outcome, g.Strong)));
        Assert.Equal(1, withoutVerdict);
    }

    [Theory]
    [InlineData("A>B", PairOutcome.A, false)]
    [InlineData("B<A", PairOutcome.A, false)]
    [InlineData("A>>B", PairOutcome.A, true)]
    [InlineData("B<<A", PairOutcome.A, true)]
    [InlineData("B>A", PairOutcome.B, false)]
    [InlineData("A<B", PairOutcome.B, false)]
    [InlineData("B>>A", PairOutcome.B, true)]
    [InlineData("A<<B", PairOutcome.B, true)]
    [InlineData("A=B", PairOutcome.Tie, false)]
    [InlineData("B=A", PairOutcome.Tie, false)]
    public void VerdictText_EveryArenaHardToken_ReadsAsShowResultScoresIt(string token, PairOutcome winner, bool strong)
    {
        Assert.Equal(new VerdictText(winner, strong), VerdictText.TryParse(token));
    }

    [Fact]
    public void ArenaHardLayout_OldShape_StillReadWithTheFixedBaseline()
    {
        using var dir = new TempDir();
        var path = dir.Write("m.jsonl", """{"question_id": "q1", "model": "m", "judge": "gpt-4-1106-preview", "games": [{"score": "A>B"}, {"score": "A>B"}]}""");

        var imported = VerdictImport.Read(path, PairwiseLayout.Named("arena-hard"));

        Assert.Equal(("q1", "gpt-4-0314", "m"), (imported.Items[0].QuestionId, imported.Items[0].ModelA, imported.Items[0].ModelB));
        Assert.Equal("tie (inconsistent)", imported.Items[0].Winner?.ToWire());
    }

    [Fact]
    public void Read_LayoutWithoutJudge_NamesEachFileByItsName()
    {
        // Two judges' PandaLM-format result files read through one layout: before, both were "pandalm-judge".
        using var dir = new TempDir();
        var first = dir.Write("judge-one.json", """[{"idx": 0, "gpt_result": "1"}, {"idx": 1, "gpt_result": "2"}]""");
        var second = dir.Write("judge-two.json", """[{"idx": 0, "gpt_result": "1"}, {"idx": 1, "gpt_result": "Tie"}]""");

        var one = VerdictImport.Read(first, PairwiseLayout.Named("pandalm"));
        var two = VerdictImport.Read(second, PairwiseLayout.Named("pandalm"));

        Assert.All(one.Items, i => Assert.Equal("judge-one", i.Judge));
        Assert.All(two.Items, i => Assert.Equal("judge-two", i.Judge));
    }

    [Fact]
    public void PandaLmLayout_PublishedJudgeFile_NamedByItsFile()
    {
        var imported = VerdictImport.Read(SharedData.Dataset("pandalm", "gpt-3.5-turbo-testset-v1.json"), PairwiseLayout.Named("pandalm"));

        Assert.All(imported.Items, i => Assert.Equal("gpt-3.5-turbo-testset-v1", i.Judge));
    }
}

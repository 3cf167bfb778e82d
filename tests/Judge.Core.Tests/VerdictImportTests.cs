using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Runs;
using Judge.Statistics;
using Judge.Statistics.Bias;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests;

public class VerdictImportTests
{
    private const string Row1 = """{"question_id": 1, "model_a": "x", "model_b": "y", "winner": "model_a", "judge": "j"}""";
    private const string Row2 = """{"question_id": 2, "model_a": "x", "model_b": "y", "winner": "tie", "judge": "j"}""";

    [Fact]
    public void Read_JsonArrayWithByteOrderMark_ReadsEveryElement()
    {
        using var dir = new TempDir();
        var path = System.IO.Path.Combine(dir.Path, "verdicts.json");
        File.WriteAllText(path, "[\n" + Row1 + ",\n" + Row2 + "\n]", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        var imported = VerdictImport.Read(path);

        Assert.Equal(["model_a", "tie"], imported.Items.Select(i => i.Winner?.ToWire()));
        Assert.Equal(2, imported.Labels().Count);
    }

    [Fact]
    public void Read_JsonlWithByteOrderMark_ReadsEveryLine()
    {
        using var dir = new TempDir();
        var path = System.IO.Path.Combine(dir.Path, "verdicts.jsonl");
        File.WriteAllText(path, Row1 + "\n" + Row2 + "\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        Assert.Equal(2, VerdictImport.Read(path).Items.Count);
    }

    [Fact]
    public void Read_NullWinnerErrorFieldAndGarbage_KeptWithTheirStatusAndCounted()
    {
        using var dir = new TempDir();
        var path = dir.Write("v.jsonl",
            Row1,
            """{"question_id": 2, "model_a": "x", "model_b": "y", "winner": null, "judge": "j"}""",
            """{"question_id": 3, "model_a": "x", "model_b": "y", "winner": "model_b", "error": "rate limited", "judge": "j"}""",
            """{"question_id": 4, "model_a": "x", "model_b": "y", "winner": "garbage", "judge": "j"}""",
            """{"question_id": 5, "model_a": "x", "model_b": "y", "judge": "j"}""");

        var imported = VerdictImport.Read(path);
        var run = JudgeRun.FromImport(imported);

        Assert.Equal(5, imported.Items.Count);
        Assert.Equal([VerdictStatus.Parsed, VerdictStatus.Unparsed, VerdictStatus.Error, VerdictStatus.Unparsed, VerdictStatus.Unparsed], imported.Items.Select(i => i.Status));
        Assert.Equal(4, imported.WithoutVerdict);
        Assert.Equal("rate limited", imported.Items[2].Error);
        Assert.Null(imported.Items[2].Winner);
        Assert.Single(run.Labels);
        Assert.Equal(4, run.WithoutVerdict);
    }

    [Fact]
    public void Read_ExactDuplicate_DroppedAndCounted()
    {
        using var dir = new TempDir();
        var path = dir.Write("v.jsonl", Row1, Row2, Row1, Row1);

        var imported = VerdictImport.Read(path);

        Assert.Equal(2, imported.Items.Count);
        Assert.Equal(2, imported.DuplicatesDropped);
    }

    [Fact]
    public void Read_ConflictingDuplicate_IsAnErrorNamingBothLines()
    {
        using var dir = new TempDir();
        var path = dir.Write("v.jsonl", Row1, Row2, Row1.Replace("model_a\", \"judge", "model_b\", \"judge", StringComparison.Ordinal));

        var error = Assert.Throws<InputException>(() => VerdictImport.Read(path));

        Assert.Equal(3, error.Line);
        Assert.Contains("line 1", error.Message, StringComparison.Ordinal);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void Read_SameItemByTwoRaters_IsNoDuplicate()
    {
        using var dir = new TempDir();
        var path = dir.Write("v.jsonl", Row1, Row1.Replace("\"j\"", "\"k\"", StringComparison.Ordinal));

        var imported = VerdictImport.Read(path);

        Assert.Equal(2, imported.Items.Count);
        Assert.Equal(0, imported.DuplicatesDropped);
    }

    [Fact]
    public void ReadLabels_BadHumanLabel_IsAnErrorAtItsLine()
    {
        using var dir = new TempDir();
        var path = dir.Write("h.jsonl", Row1, Row2);
        var bad = dir.Write("h2.jsonl", Row1, """{"question_id": 2, "model_a": "x", "model_b": "y", "winner": "gpt-4", "judge": "j"}""");

        var error = Assert.Throws<InputException>(() => VerdictImport.ReadLabels(bad));

        Assert.Equal(2, error.Line);
        Assert.Equal("winner", error.Field);
        Assert.Equal(2, VerdictImport.ReadLabels(path).Count);
    }

    [Fact]
    public void Read_JudgmentsFile_ExactDuplicateItemDroppedConflictingOneNamed()
    {
        using var dir = new TempDir();
        var item = """{"type":"pairwise","item":"q1/t1/x|y","judge":"mock:1","rubric":"r@1","question_id":"1","turn":1,"model_a":"x","model_b":"y","winner":"model_a","status":"parsed"}""";
        var path = dir.Write("judgments.jsonl", item, item);
        var conflicting = dir.Write("judgments2.jsonl", item, item.Replace("\"winner\":\"model_a\"", "\"winner\":\"tie\"", StringComparison.Ordinal));

        var imported = VerdictImport.Read(path);
        var error = Assert.Throws<InputException>(() => VerdictImport.Read(conflicting));

        Assert.True(imported.IsJudgmentsFile);
        Assert.Single(imported.Items);
        Assert.Equal(1, imported.DuplicatesDropped);
        Assert.Equal(2, error.Line);
        Assert.Contains("line 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SoftPreference_WrittenAndReadBack_KeepsPSecondOnTheRecordAndTheLabel()
    {
        using var dir = new TempDir();
        var record = new PairwiseVerdict
        {
            Item = "q1/t1/x|y",
            Judge = "j",
            Rubric = "r@1",
            QuestionId = "1",
            Turn = 1,
            ModelA = "x",
            ModelB = "y",
            Winner = PairOutcome.A,
            Status = VerdictStatus.Parsed,
            PSecond = 0.25,
        };
        var line = JudgmentsWriter.ToLine(record);
        var path = dir.Write("judgments.jsonl", line);

        var imported = VerdictImport.Read(path);

        Assert.Contains("\"p_second\":0.25", line, StringComparison.Ordinal);
        Assert.Equal(0.25, imported.Items[0].PSecond);
        Assert.Equal(0.25, imported.Labels()[0].PSecond);
    }

    [Fact]
    public void SoftPreference_AlpacaEvalFile_BecomesTheLengthControlTargetOfTheModel()
    {
        using var dir = new TempDir();
        var path = dir.Write("annotations.json", """
            [
              {"instruction": "q1", "generator_1": "base", "generator_2": "m", "output_1": "12345", "output_2": "1234567890", "annotator": "a", "preference": 1.8},
              {"instruction": "q2", "generator_1": "m", "generator_2": "base", "output_1": "12", "output_2": "1234", "annotator": "a", "preference": 1.3},
              {"instruction": "q3", "generator_1": "base", "generator_2": "m", "output_1": "1", "output_2": "1", "annotator": "a", "preference": null}
            ]
            """);

        var imported = VerdictImport.Read(path, PairwiseLayout.Named("alpaca-eval"));
        var rows = LengthControl.RowsFromVerdicts(imported.Labels(), new AnswerTexts(imported.Answers), "base", TieHandling.Half, out var skipped, out _);

        // q1: the model is output_2, so its probability is p_second = 0.8; q2: it is output_1, so 1 − 0.3.
        // q3 has no verdict: no row (it is counted as an item without a verdict).
        Assert.Equal(0, skipped);
        Assert.Equal(2, rows.Count);
        Assert.Equal(0.8, rows[0].Preference, 12);
        Assert.Equal((5.0, 10.0), (rows[0].BaselineLength, rows[0].ModelLength));
        Assert.Equal(0.7, rows[1].Preference, 12);
        Assert.Equal((4.0, 2.0), (rows[1].BaselineLength, rows[1].ModelLength));
        Assert.Equal(1, imported.WithoutVerdict);
    }
}

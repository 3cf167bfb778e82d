using Judge.Data;
using Judge.Judging;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests;

/// <summary>Invalid UTF-8 and YAML mistakes are errors in plain words naming the file, the line and the key; all of them at once.</summary>
public sealed class InputHardeningTests
{
    [Fact]
    public void ReadQuestions_InvalidUtf8_NamesFileAndLine()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "questions.jsonl");
        var good = "{\"question_id\": 1, \"category\": \"x\", \"turns\": [\"fine\"]}\n"u8.ToArray();
        var bad = "{\"question_id\": 2, \"category\": \"x\", \"turns\": [\"caf"u8.ToArray().Concat(new byte[] { 0xE9, 0x22, 0x5D, 0x7D, 0x0A }).ToArray();
        File.WriteAllBytes(path, [.. good, .. good, .. bad]);

        var ex = Assert.Throws<InputException>(() => DataFiles.ReadQuestions(path));

        Assert.Equal(path, ex.Path);
        Assert.Equal(3, ex.Line);
        Assert.Contains("not valid UTF-8", ex.Message, StringComparison.Ordinal);
        Assert.Contains("E9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadQuestions_CsvWithInvalidUtf8_NamesFileAndLine()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "questions.csv");
        File.WriteAllBytes(path, [.. "question_id,question\n1,fine\n2,caf"u8.ToArray(), 0xC3, 0x28, .. "\n"u8.ToArray()]);

        var ex = Assert.Throws<InputException>(() => DataFiles.ReadQuestions(path));

        Assert.Equal(3, ex.Line);
        Assert.Contains("not valid UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadQuestions_PathIsADirectory_SaysSo()
    {
        using var dir = new TempDir();

        var ex = Assert.Throws<InputException>(() => DataFiles.ReadQuestions(dir.Path));

        Assert.Contains("is a directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rubric_SeveralMistakes_AllReportedInPlainWords()
    {
        const string yaml = """
            id: test
            version: two
            mode: absolute
            critera: be strict
            scale:
              min: 1
              maxx: 10
            output:
              tag: "[[{verdict}]]"
              feedback_first: sometimes
            prompt: "{answer}"
            """;

        var ex = Assert.Throws<RubricException>(() => RubricLoader.Parse(yaml, "test.yaml"));

        Assert.Contains("4 mistakes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 2: 'version' must be a whole number, found 'two'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 4: unknown key 'critera' (did you mean 'criteria'?)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unknown key 'scale.maxx' (did you mean 'max'?)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the keys allowed in 'scale' are min, max, levels", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'output.feedback_first' must be true or false, found 'sometimes'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("RubricDocument", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rubric_InvalidUtf8_IsAnErrorNamingTheLine()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "r.yaml");
        File.WriteAllBytes(path, [.. "id: test\ntitle: caf"u8.ToArray(), 0xE9, .. "\n"u8.ToArray()]);

        var ex = Assert.Throws<InputException>(() => RubricLoader.LoadFile(path));

        Assert.Equal(2, ex.Line);
    }

    [Fact]
    public void Config_SeveralMistakes_AllReportedWithLinesAndKeys()
    {
        const string yaml = """
            mode: grade
            data:
              questions: q.jsonl
              answers: a.jsonl
              answer: b.jsonl
            judges: [mock:1]
            options:
              concurrency: 0
              sead: 3
            thresholds:
              confidence: 2
            """;

        var ex = Assert.Throws<InputException>(() => RunConfigLoader.Parse(yaml, "/tmp/judge.yaml"));

        Assert.Contains("4 mistakes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 5, 'data.answer': unknown key 'answer' in 'data'; known keys: questions, answers", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 8, 'options.concurrency': must be a positive integer, found 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 9, 'options.sead': unknown key 'sead'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 11, 'thresholds.confidence'", ex.Message, StringComparison.Ordinal);
    }
}

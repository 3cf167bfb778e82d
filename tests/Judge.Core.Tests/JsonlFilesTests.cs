using Judge.Data;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests;

public class JsonlFilesTests
{
    [Fact]
    public void ReadLines_JsonArrayFile_YieldsEachElementWithTheLineItStartsOn()
    {
        using var dir = new TempDir();
        var path = dir.Write("questions.json", "[", "  {\"question_id\": 1, \"category\": \"math\", \"turns\": [\"1+1?\"]},", "", "  {\"question_id\": 2,", "   \"category\": \"writing\", \"turns\": [\"A poem.\"]}", "]");

        var lines = Jsonl.ReadLines(path).ToList();
        var questions = MtBenchFiles.ReadQuestions(path);

        Assert.Equal([2, 4], lines.Select(l => l.Line));
        Assert.Equal(["1", "2"], questions.Select(q => q.Id));
        Assert.Equal("A poem.", questions[1].Turns[0]);
    }

    [Fact]
    public void ReadLines_MalformedJsonArray_NamesTheFileAndLine()
    {
        using var dir = new TempDir();
        var path = dir.Write("bad.json", "[", "  {\"question_id\": 1},", "  {\"question_id\": 2,,}", "]");

        var error = Assert.Throws<InputException>(() => Jsonl.ReadLines(path).ToList());

        Assert.Equal(3, error.Line);
        Assert.Contains("malformed JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recover_BadLineBeforeTheLast_IsNotATornWriteUnlessTheFileIsACache()
    {
        using var dir = new TempDir();
        var verdict = """{"type":"absolute","item":"q1/t1/m","judge":"mock:1","rubric":"r@1","question_id":"1","turn":1,"model":"m","score":7,"status":"parsed"}""";
        var strict = dir.Write("judgments.jsonl", verdict, "{not json", verdict);
        var cache = dir.Write("cache.jsonl", verdict, "{not json", verdict);

        var error = Assert.Throws<InputException>(() => JudgmentsRecovery.Recover(strict));
        var kept = Jsonl.Recover(cache, text => System.Text.Json.JsonSerializer.Deserialize(text, JudgmentJsonContext.Default.JudgmentRecord), _ => true, badLineEndsFile: true);

        Assert.Equal(2, error.Line);
        Assert.Single(kept.Records);
        Assert.Equal(verdict.Length + 1, new FileInfo(cache).Length);
    }
}

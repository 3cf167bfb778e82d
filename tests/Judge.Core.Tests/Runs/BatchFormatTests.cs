using System.Text;
using System.Text.Json;
using Judge.Judging;
using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests.Runs;

/// <summary>The batch file format: request lines, result lines, the ledger, batch prices.</summary>
public class BatchFormatTests
{
    [Fact]
    public void ToJsonLine_IndentedBody_OneLineWithEveryTokenKept()
    {
        // Whitespace inside strings (the space, the escaped newline, the escaped quote) must survive; between tokens it goes.
        var body = Encoding.UTF8.GetBytes("{\n  \"model\": \"gpt-4o\",\n  \"messages\": [ { \"content\": \"a b\\n\\\"c\\\" \u00e9\" } ],\n  \"n\": 1\n}");
        var line = new BatchRequestLine("q1|AB|1|sha256:00", body);

        var text = Encoding.UTF8.GetString(line.ToJsonLine("/v1/chat/completions"));

        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("\"body\":{\"model\":\"gpt-4o\",\"messages\":[{\"content\":\"a b\\n\\\"c\\\" \u00e9\"}],\"n\":1}", text, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal("a b\n\"c\" \u00e9", doc.RootElement.GetProperty("body").GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal(BatchAnswers.Hash(body), line.Hash);
    }

    [Fact]
    public void Parse_OutputAndErrorLines_StatusesCausesAndMalformedLinesNamed()
    {
        var content = Encoding.UTF8.GetBytes(string.Join('\n',
            """{"custom_id":"a","response":{"status_code":200,"body":{"choices":[]}},"error":null}""",
            """{"custom_id":"b","response":{"status_code":500,"body":{"error":{"message":"x"}}},"error":null}""",
            """{"custom_id":"c","response":{"status_code":400,"body":{"error":{"message":"bad"}}},"error":null}""",
            """{"custom_id":"d","response":null,"error":{"code":"batch_expired","message":"late"}}""",
            """{"custom_id":"e","response":{"status_code":200,"bo""",
            """{"response":{"status_code":200,"body":{}}}""",
            string.Empty));
        var malformed = new List<string>();

        var lines = BatchResultLine.Parse(content, malformed);

        Assert.Equal(["a", "b", "c", "d"], lines.Select(l => l.CustomId));
        Assert.Equal([true, false, false, false], lines.Select(l => l.Succeeded));
        Assert.Equal([false, true, false, true], lines.Select(l => l.Retryable));
        Assert.Equal(["HTTP 500", "HTTP 400", "batch_expired"], lines.Skip(1).Select(l => l.Error));
        Assert.Equal(2, malformed.Count);
        Assert.StartsWith("line 5:", malformed[0], StringComparison.Ordinal);
        Assert.StartsWith("line 6:", malformed[1], StringComparison.Ordinal);
    }

    [Fact]
    public void BatchBook_InFile_EveryChangePersistedAndReadBack()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "batches.json");
        var book = BatchBook.InFile(path);

        book.Add(new BatchRecord { Judge = "openai:m", RequestFile = "batches/x-001.requests.jsonl", Requests = 3, InputFileId = "file-1" });
        book.Update(new BatchRecord { Judge = "openai:m", RequestFile = "batches/x-001.requests.jsonl", Requests = 3, InputFileId = "file-1", BatchId = "batch_1", Status = "in_progress" });

        var again = BatchBook.InFile(path);
        var record = Assert.Single(again.For("openai:m"));
        Assert.Equal("batch_1", record.BatchId);
        Assert.Equal("in_progress", record.Status);
        Assert.Empty(again.For("openai:other"));
    }

    [Fact]
    public void PriceTable_BatchPrices_FromTheFileElseHalfTheLivePrice()
    {
        using var dir = new TempDir();
        var file = dir.Write("prices.yaml", "m-own: { input: 2, output: 8, batch_input: 1.5, batch_output: 3 }", "m-half: { input: 2, output: 8 }");
        var table = PriceTable.BuiltIn.WithOverrides(file);

        // 1M in, 1M out: live 2 + 8 = 10; own batch 1.5 + 3 = 4.5; half 1 + 4 = 5.
        Assert.Equal(10m, table.CostOf(null, "m-own", 1_000_000, 1_000_000));
        Assert.Equal(4.5m, table.CostOf(null, "m-own", 1_000_000, 1_000_000, batch: true));
        Assert.Equal(5m, table.CostOf(null, "m-half", 1_000_000, 1_000_000, batch: true));
    }

    [Fact]
    public void PriceTable_UnknownPriceKey_IsAnInputErrorListingTheAllowedKeys()
    {
        using var dir = new TempDir();
        var file = dir.Write("prices.yaml", "m: { input: 2, output: 8, batch_in: 1 }");

        var ex = Assert.Throws<InputException>(() => PriceTable.BuiltIn.WithOverrides(file));

        Assert.Equal("m.batch_in", ex.Field);
        Assert.Contains("input, output, batch_input, batch_output", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InShard_EveryItemInExactlyOneShard_AndTheSplitIsNotEmpty()
    {
        var items = Enumerable.Range(1, 200).Select(i => $"q{i}/t1/a|b").ToList();

        var counts = Enumerable.Range(1, 4).Select(k => items.Count(i => RunEngine.InShard(i, (k, 4)))).ToList();

        Assert.Equal(200, counts.Sum());
        Assert.All(items, i => Assert.Equal(1, Enumerable.Range(1, 4).Count(k => RunEngine.InShard(i, (k, 4)))));
        Assert.All(counts, c => Assert.InRange(c, 30, 70));
        Assert.All(items, i => Assert.True(RunEngine.InShard(i, null)));
    }
}

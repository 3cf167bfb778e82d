using System.Text.Json;
using Judge.Verdicts;

namespace Judge.Cli.Tests;

/// <summary><c>judge compare --judge llama:…</c> on the real MT-Bench files with the real tiny model, on CPU.</summary>
public class LlamaCompareTests
{
    [Fact]
    public async Task Compare_LocalModelOnMtBench_GivesVerdictsWithProbabilitiesInBothOrders()
    {
        var model = Path.Combine(Paths.Shared, "models", "stories260K.gguf");
        var outPath = Paths.Temp("llama.jsonl");

        // MT-Bench prompts run to ~3.5k tokens in this model's 512-token vocabulary: ctx 8192.
        var (exit, output) = await CliRunner.RunAsync(
        [
            "compare", "-q", Path.Combine(Paths.MtBench, "question.jsonl"),
            "-a", .. Directory.GetFiles(Path.Combine(Paths.MtBench, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal),
            "--judge", $"llama:{model}?ctx=8192", "--limit", "3", "--concurrency", "1", "--max-tokens", "16", "--out", outPath, "--rubrics-dir", Paths.Rubrics,
        ]);

        Assert.True(exit == 0, output);
        var records = File.ReadLines(outPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var verdicts = records.Where(r => r.GetProperty("type").GetString() == "pairwise").ToList();
        var calls = records.Where(r => r.GetProperty("type").GetString() == "call").ToList();
        Assert.Equal(3, verdicts.Count);
        Assert.All(verdicts, v => Assert.Equal("parsed", v.GetProperty("status").GetString()));
        Assert.Equal(6, calls.Count);
        Assert.Equal(3, calls.Count(c => c.GetProperty("order").GetString() == "AB"));
        Assert.Equal(3, calls.Count(c => c.GetProperty("order").GetString() == "BA"));
        foreach (var call in calls)
        {
            Assert.Equal("logits", call.GetProperty("method").GetString());

            // pairwise-general asks for feedback first: the model wrote some (at most 16 tokens), then the verdict was read after it.
            Assert.False(string.IsNullOrWhiteSpace(call.GetProperty("feedback").GetString()));
            Assert.InRange(call.GetProperty("output_tokens").GetInt64(), 1, 16);
            var probabilities = call.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            Assert.Equal(["A", "B", "C"], probabilities.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(1.0, probabilities.Values.Sum(), 6);

            // The recorded verdict is the most probable label.
            Assert.Equal(probabilities.MaxBy(p => p.Value).Key, call.GetProperty("verdict").GetString());
        }

        // Each item's verdict follows from its two calls: agreement gives the winner, disagreement an inconsistent tie.
        foreach (var v in verdicts)
        {
            var item = v.GetProperty("item").GetString();
            var choices = calls.Where(c => c.GetProperty("item").GetString() == item).ToDictionary(c => c.GetProperty("order").GetString()!, c => c.GetProperty("verdict").GetString()!);
            var ab = choices["AB"] switch { "A" => "model_a", "B" => "model_b", _ => "tie" };
            var ba = choices["BA"] switch { "A" => "model_b", "B" => "model_a", _ => "tie" };
            Assert.Equal(ab == ba ? ab : "tie (inconsistent)", v.GetProperty("winner").GetString());
        }

        // The local run sits beside GPT-4's published verdicts in the judge-choosing table.
        var (judgesExit, table) = await CliRunner.RunAsync(
            "judges", "--judgments", Path.Combine(Paths.MtBench, "gpt4_pair_judgments.jsonl"), "--judgments", outPath,
            "--human", Path.Combine(Paths.MtBench, "human_judgments.jsonl"), "--turn", "1");
        Assert.True(judgesExit == 0, table);
        Assert.Contains("886/1343 = 66.0 %", table);
        Assert.Contains("0/6 = 0.0 %", table); // the local run's parse failures: none, from 6 calls
        Assert.Contains("judge-by-judge", table);
    }
}

/// <summary><c>--verdict</c>: logits (auto), free text, or JSON under a schema's grammar, with the real tiny model.</summary>
public class LlamaVerdictModeTests
{
    private static async Task<(int Exit, string Output, List<JsonElement> Calls)> CompareAsync(string verdict, string name, int maxTokens = 48)
    {
        var model = Path.Combine(Paths.Shared, "models", "stories260K.gguf");
        var outPath = Paths.Temp(name);
        var (exit, output) = await CliRunner.RunAsync(
        [
            "compare", "-q", Path.Combine(Paths.Sample, "question.jsonl"),
            "-a", .. Directory.GetFiles(Path.Combine(Paths.Sample, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal),
            "--judge", $"llama:{model}?ctx=4096", "--limit", "2", "--concurrency", "1", "--max-tokens", maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture), "--verdict", verdict,
            "--out", outPath, "--rubrics-dir", Paths.Rubrics,
        ]);
        var calls = exit is 0 or 3 && File.Exists(outPath)
            ? File.ReadLines(outPath).Select(l => JsonDocument.Parse(l).RootElement).Where(r => r.GetProperty("type").GetString() == "call").ToList()
            : [];
        return (exit, output, calls);
    }

    [Fact]
    public async Task Compare_VerdictJson_EveryCallWritesASchemaShapedVerdictThatParses()
    {
        // 48 tokens, less than the feedback this model writes unbounded (45-61 tokens): the schema caps the feedback's
        // length from the budget (VerdictSchema.ReservedTokens), so the verdict still fits and closes the document.
        var (exit, output, calls) = await CompareAsync("json", "llama-json.jsonl", 48);
        Assert.True(exit == 0, output);
        Assert.Equal(4, calls.Count);
        foreach (var call in calls)
        {
            // A model that writes children's stories, held to the verdict schema's grammar: every verdict parses, as JSON.
            Assert.Equal("parsed", call.GetProperty("status").GetString());
            Assert.Equal("json", call.GetProperty("method").GetString());
            using var doc = JsonDocument.Parse(call.GetProperty("raw_output").GetString()!);
            Assert.Contains(doc.RootElement.GetProperty("verdict").GetString(), new[] { "A", "B", "C" });
            Assert.False(call.TryGetProperty("probabilities", out var p) && p.ValueKind == JsonValueKind.Object);
        }
    }

    [Fact]
    public async Task Compare_VerdictText_WritesFreeTextAndRecordsWhatDoesNotParse()
    {
        var (exit, output, calls) = await CompareAsync("text", "llama-text.jsonl");
        Assert.True(exit == 0, output);
        Assert.Equal(4, calls.Count);
        Assert.All(calls, c => Assert.NotEqual("logits", c.TryGetProperty("method", out var m) ? m.GetString() : null));
        // Free text from this model is stories, not verdicts: recorded as unparsed, never given a default.
        Assert.Contains(calls, c => c.GetProperty("status").GetString() == "unparsed");
        Assert.Matches(@"unparsable [1-9]", output);
    }

    [Fact]
    public async Task Compare_VerdictLogits_ReadsTheVerdictStraightAfterThePromptWithNoFeedback()
    {
        var (exit, output, calls) = await CompareAsync("logits", "llama-logits.jsonl");
        Assert.True(exit == 0, output);
        Assert.Equal(4, calls.Count);
        foreach (var call in calls)
        {
            // pairwise-general asks for feedback first; logits mode writes none: one forward pass, zero tokens out.
            Assert.Equal("logits", call.GetProperty("method").GetString());
            Assert.Equal(0, call.GetProperty("output_tokens").GetInt64());
            Assert.False(call.TryGetProperty("feedback", out var f) && f.ValueKind == JsonValueKind.String);
            var probabilities = call.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            Assert.Equal(["A", "B", "C"], probabilities.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(1.0, probabilities.Values.Sum(), 6);
            Assert.Equal(probabilities.MaxBy(p => p.Value).Key, call.GetProperty("verdict").GetString());
            Assert.Equal($"[[{call.GetProperty("verdict").GetString()}]]", call.GetProperty("raw_output").GetString());
        }
    }

    [Fact]
    public async Task Compare_VerdictUnknown_IsUsageError()
    {
        var (exit, output, _) = await CompareAsync("maybe", "llama-maybe.jsonl");
        Assert.Equal(2, exit);
        Assert.Contains("--verdict", output, StringComparison.Ordinal);
    }
}

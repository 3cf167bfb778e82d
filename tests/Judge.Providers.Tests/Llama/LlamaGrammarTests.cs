using System.Text.Json;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Llama;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;
using Xunit.Abstractions;

namespace Judge.Providers.Tests.Llama;

public class LlamaGrammarTests(StoriesFixture fixture, ITestOutputHelper output) : IClassFixture<StoriesFixture>
{
    internal const string VerdictSchema = """
        {"type": "object",
         "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5},
                        "feedback": {"type": "string", "maxLength": 60}},
         "required": ["score", "feedback"]}
        """;

    private static readonly string[] PromptTexts =
    [
        "Once upon a time, there was a little girl named Lily.",
        "Tom had a big red ball.",
        "Rate this story from 1 to 5: The cat sat on the mat. Answer in JSON.",
        "The sun was hot and the dog was sad.",
    ];

    public static TheoryData<string> Prompts { get; } = new(PromptTexts);

    private readonly LlamaChatClient _client = fixture.Client;

    private static ChatMessage[] Prompt(string text) => [new ChatMessage(ChatRole.User, text)];

    private static ChatOptions Json(string schema, int maxTokens = 120) => new()
    {
        MaxOutputTokens = maxTokens,
        ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(schema).RootElement, "verdict"),
    };

    private static string TempFile(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"judge-grammar-{Guid.NewGuid():N}.gbnf");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public async Task GetResponse_JsonSchema_ParsesAndSatisfiesTheSchemaWhereFreeTextDoesNot(string prompt)
    {
        var free = await _client.GetResponseAsync(Prompt(prompt), new ChatOptions { MaxOutputTokens = 120 });
        var constrained = await _client.GetResponseAsync(Prompt(prompt), Json(VerdictSchema));
        output.WriteLine($"free: {free.Text}");
        output.WriteLine($"constrained ({constrained.Usage!.OutputTokenCount} tokens): {constrained.Text}");

        // The model writes children's stories: left alone, its output is no JSON at all.
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(free.Text));

        // Under the schema's grammar it is a complete document, ended by the model itself.
        Assert.Equal(ChatFinishReason.Stop, constrained.FinishReason);
        using var doc = JsonDocument.Parse(constrained.Text);
        var root = doc.RootElement;
        Assert.Equal(["score", "feedback"], root.EnumerateObject().Select(p => p.Name));
        Assert.InRange(root.GetProperty("score").GetInt32(), 1, 5);
        Assert.Equal(JsonValueKind.String, root.GetProperty("feedback").ValueKind);
        Assert.InRange(root.GetProperty("feedback").GetString()!.Length, 0, 60);
    }

    [Fact]
    public async Task GetResponse_JsonSchema_TopKBeforeTheGrammarGivesTheSameTextAsTheWholeVocabulary()
    {
        using var whole = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, GrammarTopK = 0 });
        foreach (var prompt in PromptTexts)
        {
            var topK = await _client.GetResponseAsync(Prompt(prompt), Json(VerdictSchema));
            var all = await whole.GetResponseAsync(Prompt(prompt), Json(VerdictSchema));
            Assert.Equal(all.Text, topK.Text);
        }
    }

    [Fact]
    public async Task GetStreamingResponse_JsonSchema_StreamsTheSameDocument()
    {
        var prompt = Prompt("Tom had a big red ball.");
        var whole = await _client.GetResponseAsync(prompt, Json(VerdictSchema));
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _client.GetStreamingResponseAsync(prompt, Json(VerdictSchema)))
        {
            updates.Add(update);
        }

        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.True(updates.Count > 5);
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
    }

    [Fact]
    public async Task GetResponse_JsonWithoutSchema_WritesAJsonObject()
    {
        var response = await _client.GetResponseAsync(Prompt("Once upon a time"), new ChatOptions { MaxOutputTokens = 80, ResponseFormat = ChatResponseFormat.Json });
        output.WriteLine($"{response.FinishReason}: {response.Text}");
        Assert.StartsWith("{", response.Text, StringComparison.Ordinal);
        if (response.FinishReason == ChatFinishReason.Stop)
        {
            using var doc = JsonDocument.Parse(response.Text);
            Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        }
    }

    [Fact]
    public async Task GetResponse_UnsupportedSchema_IsInputError()
    {
        var ex = await Assert.ThrowsAsync<InputException>(() => _client.GetResponseAsync(Prompt("Lily"), Json("""{"type": "string", "pattern": "^a+$"}""")));
        Assert.Contains("'pattern'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponse_SchemaWhoseGrammarLlamaCppRefuses_IsErrorNotCrash()
    {
        // Within JsonSchemaGrammar's per-count limit, but 1999 repetitions of a group holding nested groups, which
        // llama.cpp's parser refuses. Without the check before sampling LLamaSharp would sample with a NULL grammar and crash.
        const string Schema = """{"type": "array", "maxItems": 1999, "items": {"type": "array", "maxItems": 3, "items": {"type": "array", "maxItems": 2, "items": {"type": "boolean"}}}}""";
        var ex = await Assert.ThrowsAsync<JudgeException>(() => _client.GetResponseAsync(Prompt("Lily"), Json(Schema)));
        output.WriteLine(ex.Message);
        Assert.Contains("llama.cpp rejected the grammar made from the response format's JSON schema", ex.Message, StringComparison.Ordinal);
        Assert.Contains("failed to parse grammar", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponse_GrammarFile_HoldsEveryAnswerToIt()
    {
        var path = TempFile("""
            # a yes/no answer, then a short reason
            root ::= ("Yes" | "No") ", because " [a-z ]{1,30} "."
            """);
        try
        {
            using var client = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, GrammarFile = path });
            foreach (var prompt in PromptTexts)
            {
                var response = await client.GetResponseAsync(Prompt(prompt), new ChatOptions { MaxOutputTokens = 60 });
                output.WriteLine(response.Text);
                Assert.Matches("^(Yes|No), because [a-z ]{1,30}\\.$", response.Text);
                Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
            }

            // A JSON response format brings its own grammar, in place of the file's.
            var json = await client.GetResponseAsync(Prompt("Tom had a big red ball."), Json(VerdictSchema));
            using var doc = JsonDocument.Parse(json.Text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("root ::= (\"yes\" | \"no\"", "unbalanced parenthesis")]
    [InlineData("answer ::= \"yes\"", "no root rule")]
    [InlineData("root ::= answer", "undefined rule")]
    [InlineData("root ::= root \"x\" | \"x\"", "left recursion")]
    public void Create_GrammarLlamaCppRejects_IsInputErrorNamingTheFile(string grammar, string why)
    {
        var path = TempFile(grammar);
        try
        {
            var ex = Assert.Throws<InputException>(() => LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, GrammarFile = path }));
            output.WriteLine($"{why}: {ex.Message}");
            Assert.Equal(path, ex.Path);
            Assert.StartsWith(path, ex.Message, StringComparison.Ordinal);
            Assert.Contains("llama.cpp rejected the GBNF grammar", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Create_GrammarFileMissingOrEmpty_IsInputError()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"judge-no-grammar-{Guid.NewGuid():N}.gbnf");
        var ex = Assert.Throws<InputException>(() => LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, GrammarFile = missing }));
        Assert.Equal(missing, ex.Path);
        var empty = TempFile("  \n");
        try
        {
            Assert.Contains("empty", Assert.Throws<InputException>(() => LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, GrammarFile = empty })).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(empty);
        }
    }

    [Fact]
    public void Spec_GrammarOptions_AreRead()
    {
        var options = LlamaOptions.FromSpec(JudgeSpec.Parse("llama:m.gguf?grammar=verdict.gbnf&grammar_top_k=8"));
        Assert.Equal("verdict.gbnf", options.GrammarFile);
        Assert.Equal(8, options.GrammarTopK);
        Assert.Equal(40, LlamaOptions.FromSpec(JudgeSpec.Parse("llama:m.gguf")).GrammarTopK);
        Assert.Throws<InputException>(() => LlamaOptions.FromSpec(JudgeSpec.Parse("llama:m.gguf?grammar_top_k=-1")));
    }

    [Fact]
    public void Sample_NoTopKCandidateFits_ChecksTheWholeVocabularyThenEndsWhenTheGrammarIsDone()
    {
        var model = _client.Model;
        using var sampler = GrammarSampler.TryCreate(model, "root ::= \"Lily\"", topK: 40)!;
        Assert.Equal(3, sampler.ChainLength);
        var lily = model.Tokenize("Lily", addSpecial: false, parseSpecial: false);

        // Every token equally likely except the ones that spell "Lily", which are made the least likely of all.
        var logits = new float[model.VocabSize];
        var text = new System.Text.StringBuilder();
        for (var step = 0; step < 10; step++)
        {
            Array.Fill(logits, 1f);
            foreach (var t in lily)
            {
                logits[t] = -10f;
            }

            var token = sampler.Sample(logits);
            if (model.IsEndOfGeneration(token))
            {
                break;
            }

            text.Append(System.Text.Encoding.UTF8.GetString(model.TokenBytes(token)));
        }

        Assert.Equal("Lily", text.ToString().TrimStart());
        Assert.True(sampler.WholeVocabularySteps >= 2, $"{sampler.WholeVocabularySteps}");
    }

    [Theory]
    [InlineData(VerdictSchema)]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "boolean"}, "c": {"type": "boolean"}}, "required": ["b"]}""")]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "null"}, "b": {"type": "null"}}}""")]
    [InlineData("""{"type": "object", "properties": {"tags": {"type": "array", "items": {"enum": ["x", "y"]}, "minItems": 1, "maxItems": 3}, "inner": {"type": "object", "properties": {"ok": {"type": ["integer", "null"]}}}}}""")]
    [InlineData("""{"type": "object", "properties": {"v": {"enum": ["A", "tie \"C\"", 2, true, null]}, "s": {"type": "string", "minLength": 2}, "t": {"type": "string", "minLength": 1, "maxLength": 1}}}""")]
    [InlineData("""{"type": "array", "maxItems": 0}""")]
    [InlineData("""{"type": "integer", "minimum": 0}""")]
    [InlineData("""{"type": "integer", "minimum": -500, "maximum": 499}""")]
    [InlineData("""{"type": "string", "maxLength": 1999}""")]
    [InlineData("{}")]
    public void FromSchema_EveryGrammarItWrites_ParsesInLlamaCpp(string schema)
    {
        var grammar = JsonSchemaGrammar.FromSchema(JsonDocument.Parse(schema).RootElement);
        using var sampler = GrammarSampler.TryCreate(_client.Model, grammar, topK: 40);
        Assert.True(sampler is not null, grammar);
        using var any = GrammarSampler.TryCreate(_client.Model, JsonSchemaGrammar.AnyJsonObject, topK: 40);
        Assert.NotNull(any);
    }

    [Fact]
    public void TryCreate_WithoutTopK_ChainIsGrammarThenGreedy_AndABadGrammarIsNull()
    {
        using var sampler = GrammarSampler.TryCreate(_client.Model, "root ::= \"a\"", topK: 0)!;
        Assert.Equal(2, sampler.ChainLength);
        Assert.Null(GrammarSampler.TryCreate(_client.Model, "root ::= (", topK: 40));
    }

    [Fact]
    public async Task GetResponse_GrammarNoTokenCanSpell_IsJudgeErrorNotCrash()
    {
        // A NUL character: llama.cpp's grammar never lets a token whose text starts with one through.
        var path = TempFile("root ::= \"\\x00\"");
        try
        {
            using var client = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, GrammarFile = path });
            var ex = await Assert.ThrowsAsync<JudgeException>(() => client.GetResponseAsync(Prompt("Lily"), new ChatOptions { MaxOutputTokens = 5 }));
            Assert.Contains("grammar allows no token", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task AbsoluteJudge_TextVerdictConstrained_ParsesWhereFreeTextDoesNot()
    {
        var rubrics = new FixedRubricSelector(LlamaChatClientTests.Absolute);
        var free = await new ChatAbsoluteJudge("llama:stories", _client, rubrics, new ChatJudgeOptions { UseLogitVerdicts = false, MaxOutputTokens = 120 })
            .GradeAsync(LlamaChatClientTests.AbsItem());
        var constrained = await new ChatAbsoluteJudge("llama:stories", _client, rubrics, new ChatJudgeOptions { UseLogitVerdicts = false, MaxOutputTokens = 120, ConstrainVerdict = true })
            .GradeAsync(LlamaChatClientTests.AbsItem());
        output.WriteLine($"free: {free.Calls[0].RawOutput}");
        output.WriteLine($"constrained: {constrained.Calls[0].RawOutput}");

        Assert.Equal(VerdictStatus.Unparsed, free.Status);
        Assert.Equal(VerdictStatus.Parsed, constrained.Status);
        Assert.Equal("json", constrained.Calls[0].Method);
        Assert.InRange(constrained.Score!.Value, 1, 10);
        Assert.NotNull(constrained.Calls[0].Feedback);
    }

    [Fact]
    public async Task PairwiseJudge_TextVerdictConstrained_BothOrdersParse()
    {
        var judge = new PositionSwapJudge(new ChatPairwiseJudge(
            "llama:stories", _client, new FixedRubricSelector(LlamaChatClientTests.Pairwise), new ChatJudgeOptions { UseLogitVerdicts = false, MaxOutputTokens = 120, ConstrainVerdict = true }));
        var judgment = await judge.JudgeAsync(LlamaChatClientTests.PairItem());
        Assert.Equal(2, judgment.Calls.Count);
        Assert.All(judgment.Calls, c => Assert.Equal((VerdictStatus.Parsed, "json"), (c.Status, c.Method)));
        Assert.Equal(VerdictStatus.Parsed, judgment.Status);
    }
}

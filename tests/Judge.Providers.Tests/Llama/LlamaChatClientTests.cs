using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Llama;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Tests.Llama;

/// <summary>One stories260K client for the whole class: loading is cheap, but the native context is not free.</summary>
public sealed class StoriesFixture : IDisposable
{
    public StoriesFixture()
    {
        Client = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, });
    }

    internal LlamaChatClient Client { get; }

    public void Dispose() => Client.Dispose();
}

public class LlamaChatClientTests(StoriesFixture fixture) : IClassFixture<StoriesFixture>
{
    internal const string PairwiseYaml = """
        id: tiny-pairwise
        version: 1
        title: Tiny pairwise
        mode: pairwise
        output:
          tag: "[[{verdict}]]"
        prompt: |
          Question: {question}
          First story: {answer_a}
          Second story: {answer_b}
          Which story is better? Answer [[A]], [[B]] or [[C]] for a tie.
        """;

    internal const string AbsoluteYaml = """
        id: tiny-absolute
        version: 1
        title: Tiny absolute
        mode: absolute
        scale:
          min: 1
          max: 10
        output:
          tag: "[RESULT] {verdict}"
          feedback_first: true
        prompt: |
          Question: {question}
          Story: {answer}
          Rate the story from 1 to 10.
        """;

    private readonly LlamaChatClient _client = fixture.Client;

    internal static Rubric Pairwise { get; } = RubricLoader.Parse(PairwiseYaml, "inline");

    internal static Rubric Absolute { get; } = RubricLoader.Parse(AbsoluteYaml, "inline");

    internal static PairwiseItem PairItem(int n = 1)
    {
        var question = new Question($"q{n}", "writing", ["Tell me a story about a cat."]);
        var a = new ModelAnswer(question.Id, "model-x", [$"Once upon a time, there was a little cat named Tom {n}. Tom liked to play in the park."]);
        var b = new ModelAnswer(question.Id, "model-y", ["cat cat cat the the the"]);
        return new PairwiseItem(question, a, b, 1);
    }

    internal static AbsoluteItem AbsItem()
    {
        var question = new Question("q1", "writing", ["Tell me a story about a girl."]);
        return new AbsoluteItem(question, new ModelAnswer(question.Id, "model-x", ["Once upon a time, there was a little girl named Lily. She was happy."]), 1);
    }

    [Fact]
    public void Model_Metadata_IsReadFromTheFile()
    {
        Assert.Equal(512, _client.Model.VocabSize);
        Assert.True(_client.Model.TrainContext > 0);
        Assert.Equal("stories260K.gguf", _client.ModelId);
        Assert.IsType<ChatClientMetadata>(_client.GetService(typeof(ChatClientMetadata)));
        Assert.Same(_client, _client.GetService(typeof(ILogitVerdictScorer)));
    }

    [Theory]
    [InlineData("Once upon a time, there was a little girl named Lily.")]
    [InlineData("She said: \"Hello!\" and went home.")]
    public void Tokenize_Detokenize_RoundTrips(string text)
    {
        var tokens = _client.Model.Tokenize(text, addSpecial: false, parseSpecial: false);
        Assert.NotEmpty(tokens);
        Assert.All(tokens, t => Assert.InRange(t, 0, 511));
        Assert.Equal(text, _client.Model.Detokenize(tokens));
    }

    [Fact]
    public void Tokenize_WithSpecial_AddsBos()
    {
        var tokens = _client.Model.Tokenize("Lily", addSpecial: true, parseSpecial: false);
        Assert.Equal(_client.Model.Bos, tokens[0]);
    }

    [Fact]
    public async Task GetResponse_Greedy_IsEnglishAndDeterministic()
    {
        var messages = new[] { new ChatMessage(ChatRole.User, "Once upon a time, there was a little girl named Lily.") };
        var first = await _client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 40 });
        var second = await _client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 40 });
        Assert.Equal(first.Text, second.Text);
        Assert.True(first.Text.Length > 40, first.Text);
        // A story model's continuation: mostly letters and spaces, with common English words.
        Assert.Matches(@"\b(the|a|was|she|he|to|and)\b", first.Text);
        Assert.True(first.Text.Count(c => char.IsLetter(c) || c == ' ') > first.Text.Length * 0.8, first.Text);
        Assert.Equal(40, first.Usage!.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, first.FinishReason);
    }

    [Fact]
    public async Task GetResponse_StopSequence_CutsTheAnswer()
    {
        var messages = new[] { new ChatMessage(ChatRole.User, "Once upon a time, there was a little girl named Lily.") };
        var full = await _client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 40 });
        var stop = full.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
        var cut = await _client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 40, StopSequences = [stop] });
        Assert.Equal(full.Text[..full.Text.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
    }

    [Fact]
    public async Task GetResponse_CancelledMidRun_ThrowsAndClientStaysUsable()
    {
        using var cts = new CancellationTokenSource();
        var messages = new[] { new ChatMessage(ChatRole.User, "Once upon a time") };
        var run = _client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 100_000 }, cts.Token);
        cts.CancelAfter(150);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var after = await _client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 5 });
        Assert.Equal(5, after.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Score_CancelledDuringForwardPass_AbortsThroughCallbackAndClientStaysUsable()
    {
        // ~1,900 tokens in one llama_decode. With flash attention on, ggml's CPU kernel for this model's
        // 8-wide heads makes that pass about two seconds, so a cancellation 100 ms in lands inside the
        // native call and can only stop it through the abort callback. (With the default, flash attention
        // off, the pass can finish before the timer fires, which would test nothing.)
        using var slow = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, FlashAttention = "on" });
        var words = string.Join(' ', Enumerable.Repeat("Lily and Tom went to the park to play with a big red ball.", 70));
        var request = new LogitVerdictRequest([new ChatMessage(ChatRole.User, words)], "[[", ["A", "B"]);
        using var cts = new CancellationTokenSource();
        cts.CancelAfter(100);
        var run = Task.Run(() => slow.ScoreAsync(request, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var after = await slow.ScoreAsync(LogitVerdicts.RequestFor(Pairwise, PromptRenderer.Render(Pairwise, PairItem())));
        Assert.Equal(1.0, after.Probabilities.Values.Sum(), 9);
    }

    [Fact]
    public async Task Score_Cancelled_Throws()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var request = LogitVerdicts.RequestFor(Pairwise, PromptRenderer.Render(Pairwise, PairItem()));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.ScoreAsync(request, cts.Token));
    }

    [Fact]
    public async Task PairwiseJudge_LogitVerdicts_DistributionSumsToOneAndBothOrdersAreJudged()
    {
        var judge = new PositionSwapJudge(new ChatPairwiseJudge("llama:stories", _client, new FixedRubricSelector(Pairwise)));
        var judgment = await judge.JudgeAsync(PairItem());
        Assert.Equal(VerdictStatus.Parsed, judgment.Status);
        Assert.NotNull(judgment.Winner);
        Assert.Equal(2, judgment.Calls.Count);
        Assert.Equal(new[] { "AB", "BA" }, judgment.Calls.Select(c => c.Order).Order(StringComparer.Ordinal));
        foreach (var call in judgment.Calls)
        {
            Assert.Equal("logits", call.Method);
            Assert.Equal(VerdictStatus.Parsed, call.Status);
            Assert.Equal(new[] { "A", "B", "C" }, call.Probabilities!.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(1.0, call.Probabilities.Values.Sum(), 9);
            Assert.Equal(call.Probabilities.MaxBy(p => p.Value).Key, call.Verdict);
            Assert.InRange(call.LabelMass!.Value, 0.0, 1.0);
            Assert.Equal($"[[{call.Verdict}]]", call.RawOutput);
        }

        // The swapped call saw the answers the other way round: a different prompt, so a different distribution.
        Assert.NotEqual(judgment.Calls[0].PromptHash, judgment.Calls[1].PromptHash);
    }

    [Fact]
    public async Task AbsoluteJudge_LogitVerdicts_GiveScoreExpectedScoreAndTenLabels()
    {
        var judge = new ChatAbsoluteJudge("llama:stories", _client, new FixedRubricSelector(Absolute));
        var judgment = await judge.GradeAsync(AbsItem());
        Assert.Equal(VerdictStatus.Parsed, judgment.Status);
        var call = Assert.Single(judgment.Calls);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i.ToString()), call.Probabilities!.Keys);
        Assert.Equal(1.0, call.Probabilities.Values.Sum(), 9);
        Assert.InRange(judgment.Score!.Value, 1, 10);
        Assert.Equal(double.Parse(call.Verdict!), judgment.Score);
        // Σ p·score, recomputed by hand from the recorded distribution.
        Assert.Equal(call.Probabilities.Sum(p => p.Value * double.Parse(p.Key)), call.ExpectedScore!.Value, 9);
    }

    [Fact]
    public async Task Score_SameInputTwice_IdenticalWithoutReuseAndWithinRoundingWithIt()
    {
        var request = LogitVerdicts.RequestFor(Absolute, PromptRenderer.Render(Absolute, AbsItem()));
        using var strict = (LlamaChatClient)LlamaJudge.CreateChatClient(LlamaOptions.FromSpec(JudgeSpec.Parse($"llama:{SharedFiles.Stories}?reuse=off")));
        var first = await strict.ScoreAsync(request);
        var second = await strict.ScoreAsync(request);
        Assert.Equal(0L, strict.TokenStats.Reused);
        Assert.Equal(first.Verdict, second.Verdict);
        foreach (var (label, p) in first.Probabilities)
        {
            Assert.Equal(p, second.Probabilities[label]);
        }

        // With reuse (the default) the repeat decodes only its last token: other batch shapes, same values up to rounding.
        var reused = await _client.ScoreAsync(request);
        var repeat = await _client.ScoreAsync(request);
        Assert.Equal(first.Verdict, repeat.Verdict);
        Assert.All(first.Probabilities, kv => Assert.Equal(kv.Value, reused.Probabilities[kv.Key], 1e-6));
        Assert.All(first.Probabilities, kv => Assert.Equal(kv.Value, repeat.Probabilities[kv.Key], 1e-6));
    }

    [Fact]
    public async Task Score_MultiTokenLabels_SplitPrefixMassExactly()
    {
        // "1" and "10" share their first token: "1" keeps only the mass of stopping after it.
        var request = new LogitVerdictRequest([new ChatMessage(ChatRole.User, "Lily was")], " ", ["1", "10", "100", "2"]);
        var result = await _client.ScoreAsync(request);
        Assert.Equal(1.0, result.Probabilities.Values.Sum(), 9);
        Assert.All(result.Probabilities.Values, p => Assert.InRange(p, 0.0, 1.0));
        Assert.True(result.PromptTokens > 0);
    }

    [Fact]
    public async Task ScoreMany_Batched_MatchesOneAtATime()
    {
        using var batched = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, BatchSize = 4 });
        var requests = new List<LogitVerdictRequest>();
        for (var n = 1; n <= 3; n++)
        {
            requests.Add(LogitVerdicts.RequestFor(Pairwise, PromptRenderer.Render(Pairwise, PairItem(n))));
            requests.Add(LogitVerdicts.RequestFor(Pairwise, PromptRenderer.Render(Pairwise, PairItem(n).Swapped())));
        }

        requests.Add(LogitVerdicts.RequestFor(Absolute, PromptRenderer.Render(Absolute, AbsItem())));
        var together = await batched.ScoreManyAsync(requests);
        // 7 requests on 4 slots: at least two forward passes, and far fewer than one per request.
        Assert.Equal(7L, batched.BatchStats.Requests);
        Assert.InRange(batched.BatchStats.Batches, 2L, 5L);
        var concurrent = await Task.WhenAll(requests.Select(r => batched.ScoreAsync(r)));
        // Concurrent callers were coalesced too: fewer passes than requests.
        Assert.Equal(14L, batched.BatchStats.Requests);
        Assert.InRange(batched.BatchStats.Batches, 4L, 12L);
        var worst = 0.0;
        for (var i = 0; i < requests.Count; i++)
        {
            var alone = await _client.ScoreAsync(requests[i]);
            foreach (var (label, p) in alone.Probabilities)
            {
                worst = Math.Max(worst, Math.Abs(p - together[i].Probabilities[label]));
                worst = Math.Max(worst, Math.Abs(p - concurrent[i].Probabilities[label]));
            }

            Assert.Equal(alone.Verdict, together[i].Verdict);
            Assert.Equal(alone.PromptTokens, together[i].PromptTokens);
        }

        // Not bit-identical: a shared prefix and other batch shapes change float summation order (measured worst ~4e-5).
        Assert.InRange(worst, 0.0, 1e-3);
    }

    [Fact]
    public async Task Score_SwappedOrderAfterFirst_ReusesTheSharedPrefixAndMatchesAFreshContext()
    {
        using var reusing = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories });
        var ab = LogitVerdicts.RequestFor(Pairwise, PromptRenderer.Render(Pairwise, PairItem(7)));
        var ba = LogitVerdicts.RequestFor(Pairwise, PromptRenderer.Render(Pairwise, PairItem(7).Swapped()));
        var first = await reusing.ScoreAsync(ab);
        Assert.Equal(0L, reusing.TokenStats.Reused);
        var second = await reusing.ScoreAsync(ba);
        var (decoded, reused) = reusing.TokenStats;
        // "Question: ... First story: " is the same in both orders; only the rest is decoded again.
        Assert.InRange(reused, 10L, second.PromptTokens - 1);
        Assert.Equal(first.PromptTokens + second.PromptTokens, decoded + reused);

        // The same prompt again: everything but the last token comes from the cache.
        var again = await reusing.ScoreAsync(ba);
        Assert.Equal(reused + again.PromptTokens - 1, reusing.TokenStats.Reused);

        foreach (var (request, result) in new[] { (ab, first), (ba, second), (ba, again) })
        {
            using var fresh = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories });
            var expected = await fresh.ScoreAsync(request);
            Assert.Equal(expected.Verdict, result.Verdict);
            Assert.All(expected.Probabilities, kv => Assert.Equal(kv.Value, result.Probabilities[kv.Key], 1e-3));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task Score_PairsAgainstOneBaseline_ReuseItsAnswerFromASpareSlot(int cache)
    {
        using var client = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, CacheSlots = cache });
        var question = new Question("q9", "writing", ["Tell me a story about a dog."]);
        var baseline = new ModelAnswer(question.Id, "base", ["Once upon a time there was a big dog named Max. Max loved to run in the garden with his red ball every day."]);
        PairwiseItem Against(int m) => new(question, baseline, new ModelAnswer(question.Id, $"m{m}", [$"The dog {m} ran and ran."]), 1);
        LogitVerdictRequest Request(PairwiseItem item) => LogitVerdicts.RequestFor(Pairwise, PromptRenderer.Render(Pairwise, item));
        int[] Tokens(LogitVerdictRequest r) => client.Model.Tokenize(client.Format(r.Messages, addAssistant: true) + r.VerdictPrefix, addSpecial: true, parseSpecial: false);
        static int Common(int[] a, int[] b) => a.Zip(b).TakeWhile(p => p.First == p.Second).Count();

        var ab1 = Request(Against(1));
        var ba1 = Request(Against(1).Swapped());
        var ab2 = Request(Against(2));
        await client.ScoreAsync(ab1);
        await client.ScoreAsync(ba1);
        var before = client.TokenStats.Reused;
        await client.ScoreAsync(ab2);
        var reused = client.TokenStats.Reused - before;

        // With a spare slot, AB1 is still cached after BA1: AB2 starts from the question and the baseline's answer.
        // Without one, only what BA1 shares with AB2 (the question) is there.
        var expected = cache > 0 ? Common(Tokens(ab1), Tokens(ab2)) : Common(Tokens(ba1), Tokens(ab2));
        Assert.Equal(expected, reused);
        Assert.True(Common(Tokens(ab1), Tokens(ab2)) > Common(Tokens(ba1), Tokens(ab2)) + 16);
    }

    [Fact]
    public async Task Score_AfterGeneratingFeedback_ReusesThePromptAndTheFeedback()
    {
        using var client = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories });
        var messages = PromptRenderer.Render(Absolute, AbsItem()).Messages.ToList();
        var feedback = await client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 24 });
        var prompt = client.Format(messages, addAssistant: true);
        var before = client.TokenStats;
        var result = await client.ScoreAsync(new LogitVerdictRequest(messages, feedback.Text + " [RESULT] ", [.. Enumerable.Range(1, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]));
        var reused = client.TokenStats.Reused - before.Reused;
        // At least the whole prompt was already in the cache from the generation.
        Assert.InRange(reused, client.Model.Tokenize(prompt, addSpecial: true, parseSpecial: false).Length - 1, result.PromptTokens - 1);
    }

    [Fact]
    public async Task Batched_ManyCallersWithCancellationsAndGenerationInterleaved_AllOthersGetTheirOwnResults()
    {
        using var batched = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, BatchSize = 3, CacheSlots = 1 });
        var requests = new List<LogitVerdictRequest>();
        for (var n = 1; n <= 6; n++)
        {
            requests.Add(LogitVerdicts.RequestFor(Pairwise, PromptRenderer.Render(Pairwise, PairItem(n))));
            requests.Add(LogitVerdicts.RequestFor(Pairwise, PromptRenderer.Render(Pairwise, PairItem(n).Swapped())));
        }

        using var cancelled = new CancellationTokenSource();
        var scoring = requests.Select((r, i) => batched.ScoreAsync(r, i % 4 == 3 ? cancelled.Token : CancellationToken.None)).ToList();
        cancelled.Cancel();
        var generating = Enumerable.Range(0, 2).Select(_ => batched.GetResponseAsync([new ChatMessage(ChatRole.User, "Once upon a time")], new ChatOptions { MaxOutputTokens = 12 })).ToList();
        var texts = await Task.WhenAll(generating);
        Assert.All(texts, t => Assert.Equal(texts[0].Text, t.Text));

        for (var i = 0; i < requests.Count; i++)
        {
            if (i % 4 == 3)
            {
                // Cancelled before or while queued: it may still have finished first, but never with another request's result.
                try
                {
                    var late = await scoring[i];
                    Assert.Equal((await _client.ScoreAsync(requests[i])).Verdict, late.Verdict);
                }
                catch (OperationCanceledException)
                {
                }

                continue;
            }

            var result = await scoring[i];
            var alone = await _client.ScoreAsync(requests[i]);
            Assert.Equal(alone.Verdict, result.Verdict);
            Assert.Equal(alone.PromptTokens, result.PromptTokens);
            Assert.All(alone.Probabilities, kv => Assert.Equal(kv.Value, result.Probabilities[kv.Key], 1e-3));
        }

        // The client is still usable afterwards.
        Assert.NotNull(await batched.ScoreAsync(requests[0]));
    }

    [Fact]
    public void Registry_Default_CreatesLlamaFromSpec()
    {
        var registry = ChatClientRegistry.CreateDefault();
        Assert.Contains(registry.Schemes, s => s.Scheme == "llama");
        using var client = registry.Create(JudgeSpec.Parse($"llama:{SharedFiles.Stories}?ctx=256&threads=1&batch=2&template=none&flash_attn=off"));
        Assert.NotNull(client.GetService(typeof(ILogitVerdictScorer)));
    }

    [Fact]
    public void Spec_BadFlashAttention_IsInputError() =>
        Assert.Contains("flash_attn=maybe", Assert.Throws<InputException>(() => LlamaOptions.FromSpec(JudgeSpec.Parse("llama:m.gguf?flash_attn=maybe"))).Message, StringComparison.Ordinal);

    [Fact]
    public void Spec_UnknownOption_IsInputError()
    {
        var ex = Assert.Throws<InputException>(() => LlamaOptions.FromSpec(JudgeSpec.Parse("llama:m.gguf?temprature=0")));
        Assert.Contains("temprature", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_GgufV1_IsClearErrorAndProcessSurvives()
    {
        var ex = Assert.Throws<InputException>(() => LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.GgufV1 }));
        Assert.Contains("GGUF version 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_TruncatedAndNonGguf_AreClearErrors()
    {
        var truncated = GgufReaderTests.TruncatedCopy(SharedFiles.Stories, -1);
        var text = Path.Combine(Path.GetTempPath(), $"judge-text-{Guid.NewGuid():N}.gguf");
        File.WriteAllText(text, "not a model");
        try
        {
            Assert.Contains("truncated", Assert.Throws<InputException>(() => LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = truncated })).Message, StringComparison.Ordinal);
            Assert.Contains("not a GGUF", Assert.Throws<InputException>(() => LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = text })).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(truncated);
            File.Delete(text);
        }
    }

    [Fact]
    public void Create_ModelLlamaCppRefuses_IsClearErrorWithItsLoggedReason()
    {
        // A readable GGUF (the managed check passes) naming an architecture llama.cpp does not know: LLamaSharp
        // says only that loading failed; the reason is in llama.cpp's log, and the error carries it.
        var bytes = File.ReadAllBytes(SharedFiles.Stories);
        var at = bytes.AsSpan().IndexOf("general.architecture"u8);
        var value = bytes.AsSpan(at).IndexOf("llama"u8) + at;
        "llamz"u8.CopyTo(bytes.AsSpan(value));
        var path = Path.Combine(Path.GetTempPath(), $"judge-unknown-arch-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, bytes);
        try
        {
            var ex = Assert.Throws<JudgeUnavailableException>(() => LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = path }));
            Assert.Contains($"llama.cpp could not load {path}: ", ex.Message, StringComparison.Ordinal);
            Assert.Contains("unknown model architecture: 'llamz'", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Create_MissingNativeDirectory_SaysWhatWasLookedForWhere()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"judge-no-natives-{Guid.NewGuid():N}");
        var ex = Assert.Throws<JudgeUnavailableException>(() => LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, NativeDirectory = dir }));
        Assert.Contains(dir, ex.Message, StringComparison.Ordinal);
        Assert.Contains("libllama.so", ex.Message, StringComparison.Ordinal);
        Assert.Contains("JUDGE_LLAMA_NATIVE", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NativeDirectoryWithoutLibraries_ListsMissingFiles()
    {
        var dir = Directory.CreateTempSubdirectory("judge-empty-natives").FullName;
        try
        {
            var ex = Assert.Throws<JudgeUnavailableException>(() => LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, NativeDirectory = dir }));
            Assert.Contains("missing libllama.so, libggml.so, libggml-base.so", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void Create_NativeDirectoryWithBogusLibraries_IsClearErrorNotCrash()
    {
        // Files with the right names but no ELF inside: refused (or, once llama.cpp is loaded in this process, a second folder is refused).
        var dir = Directory.CreateTempSubdirectory("judge-bogus-natives").FullName;
        foreach (var name in LlamaNativeLibrary.RequiredFiles)
        {
            File.WriteAllText(Path.Combine(dir, name), $"not a library, though it names commit {LlamaNativeLibrary.ExpectedCommit}");
        }

        try
        {
            var ex = Assert.Throws<JudgeUnavailableException>(() => LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = SharedFiles.Stories, NativeDirectory = dir }));
            Assert.Contains(dir, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

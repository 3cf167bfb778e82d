using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Verdicts;

namespace Judge.Providers.Tests;

public class JudgeFactoryTests
{
    private const string RubricYaml = """
        id: test-pairwise
        version: 1
        title: Test pairwise
        mode: pairwise
        output:
          tag: "[[{verdict}]]"
        prompt: |
          Question: {question}
          First: {answer_a}
          Second: {answer_b}
          Answer [[A]], [[B]] or [[C]].
        """;

    private static readonly Rubric Rubric = RubricLoader.Parse(RubricYaml, "inline");

    private static List<PairwiseItem> Items()
    {
        var items = new List<PairwiseItem>();
        for (var q = 1; q <= 6; q++)
        {
            var question = new Question(q.ToString(), "writing", [$"Question {q}?"]);
            var shortAnswer = new ModelAnswer(question.Id, "short", [$"Answer {q}."]);
            var longAnswer = new ModelAnswer(question.Id, "long", [$"A much longer answer to question {q}, with detail {new string('x', q * 10)}."]);
            items.Add(new PairwiseItem(question, q % 2 == 0 ? shortAnswer : longAnswer, q % 2 == 0 ? longAnswer : shortAnswer, 1));
        }

        return items;
    }

    // Prefers whichever answer is longer, except on question 3 where it always prefers the first shown.
    private static string PreferLonger(IReadOnlyList<Microsoft.Extensions.AI.ChatMessage> messages)
    {
        var text = messages[^1].Text;
        var first = text[(text.IndexOf("First:", StringComparison.Ordinal) + 6)..text.IndexOf("Second:", StringComparison.Ordinal)];
        var second = text[(text.IndexOf("Second:", StringComparison.Ordinal) + 7)..text.IndexOf("Answer [[A]]", StringComparison.Ordinal)];
        if (text.Contains("Question 3?", StringComparison.Ordinal))
        {
            return "Position matters to me. [[A]]";
        }

        return first.Length >= second.Length ? "The first is more thorough. [[A]]" : "The second is more thorough. [[B]]";
    }

    [Fact]
    public async Task CreatePairwise_ReplayOfOwnJudgmentsFile_ReproducesEveryVerdictWithoutCallingAModel()
    {
        var path = Path.Combine(Path.GetTempPath(), $"judge-replay-{Guid.NewGuid():N}.jsonl");
        var model = new FakeChatClient(PreferLonger);
        var live = new PositionSwapJudge(new ChatPairwiseJudge("fake", model, new FixedRubricSelector(Rubric)));
        await using (var writer = JudgmentsWriter.Open(path))
        {
            await GradingRunner.RunAsync(Items(), live, writer);
        }

        Assert.Equal(12, model.Calls);

        var replay = new JudgeFactory().CreatePairwise(JudgeSpec.Parse($"replay:{path}"), new JudgeBuildOptions { Rubrics = new FixedRubricSelector(Rubric) });
        var replayed = new List<PairwiseVerdict>();
        foreach (var item in Items())
        {
            replayed.Add(await replay.Judge.JudgeAsync(item));
        }

        var recorded = JudgmentsReader.Read(path).OfType<PairwiseVerdict>().ToDictionary(r => r.Item);
        Assert.Equal(6, recorded.Count);
        foreach (var j in replayed)
        {
            Assert.Equal(VerdictStatus.Parsed, j.Status);
            Assert.Equal(recorded[j.Item].Winner, j.Winner);
            Assert.Equal(recorded[j.Item].Flipped, j.Flipped);
        }

        // The position-biased question is an inconsistent tie; the others go to the longer answer.
        Assert.Equal(PairOutcome.InconsistentTie, replayed[2].Winner);
        Assert.All(replayed.Where((_, i) => i != 2), j => Assert.Equal("long", j.Winner == PairOutcome.A ? j.ModelA : j.ModelB));
    }

    [Fact]
    public async Task CreatePairwise_ReplayWithAnotherRubricVersion_RecordsErrorsNotVerdicts()
    {
        var path = Path.Combine(Path.GetTempPath(), $"judge-replay-{Guid.NewGuid():N}.jsonl");
        var live = new PositionSwapJudge(new ChatPairwiseJudge("fake", new FakeChatClient(PreferLonger), new FixedRubricSelector(Rubric)));
        await using (var writer = JudgmentsWriter.Open(path))
        {
            await GradingRunner.RunAsync(Items(), live, writer);
        }

        var changed = RubricLoader.Parse(RubricYaml.Replace("version: 1", "version: 2").Replace("Question: {question}", "Q: {question}"), "inline");
        var replay = new JudgeFactory().CreatePairwise(JudgeSpec.Parse($"replay:{path}"), new JudgeBuildOptions { Rubrics = new FixedRubricSelector(changed) });

        var j = await replay.Judge.JudgeAsync(Items()[0]);

        Assert.Equal(VerdictStatus.Error, j.Status);
        Assert.Null(j.Winner);
        Assert.Contains("no recorded output", j.Error);
    }

    [Fact]
    public async Task MockJudge_CreatedDirectly_JudgesAsItsSpecDoes()
    {
        // The same seed through the library entry point and through a spec: the same made-up verdicts, read by the rubric.
        var direct = new ChatPairwiseJudge("mock:7", MockJudge.CreateChatClient(7), new FixedRubricSelector(StandardRubrics.Get("pairwise-general")));
        var bySpec = new ChatPairwiseJudge("mock:7", ChatClientRegistry.CreateDefault().Create(JudgeSpec.Parse("mock:7")), new FixedRubricSelector(StandardRubrics.Get("pairwise-general")));

        foreach (var item in Items())
        {
            var a = await direct.JudgeAsync(item);
            var b = await bySpec.JudgeAsync(item);
            Assert.Equal(VerdictStatus.Parsed, a.Status);
            Assert.Equal(b.Winner, a.Winner);
        }

        Assert.Throws<InputException>(() => MockJudge.CreateChatClient(JudgeSpec.Parse("mock:1?min=5&max=5")));
    }

    [Fact]
    public void CreatePairwise_UnknownScheme_ThrowsListingAvailableSchemes()
    {
        var ex = Assert.Throws<JudgeUnavailableException>(() =>
            new JudgeFactory().CreatePairwise(JudgeSpec.Parse("nosuch:model"), new JudgeBuildOptions { Rubrics = new FixedRubricSelector(Rubric) }));

        Assert.Contains("'nosuch'", ex.Message);
        Assert.Contains("replay", ex.Message);
    }

    [Fact]
    public void CreatePairwise_RecordedFileWithSeveralJudges_AsksToPickOne()
    {
        var path = Path.Combine(Path.GetTempPath(), $"judge-recorded-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path,
        [
            """{"question_id": 1, "model_a": "x", "model_b": "y", "winner": "model_a", "judge": "j1", "turn": 1}""",
            """{"question_id": 1, "model_a": "x", "model_b": "y", "winner": "tie", "judge": "j2", "turn": 1}""",
        ]);
        var options = new JudgeBuildOptions { Rubrics = new FixedRubricSelector(Rubric) };

        var ex = Assert.Throws<InputException>(() => new JudgeFactory().CreatePairwise(JudgeSpec.Parse($"replay:{path}"), options));
        Assert.Contains("?judge=NAME", ex.Message);

        var picked = new JudgeFactory().CreatePairwise(JudgeSpec.Parse($"replay:{path}?judge=j2"), options);
        Assert.Equal(1, picked.Recorded!.Count);
    }

    [Theory]
    [InlineData("replay:a.jsonl", "replay", "a.jsonl")]
    [InlineData("llama:models/judge.gguf?ctx=4096", "llama", "models/judge.gguf")]
    [InlineData("OpenAI:gpt-4o", "openai", "gpt-4o")]
    [InlineData("azure:my-deployment?endpoint=https%3A%2F%2Fx.openai.azure.com", "azure", "my-deployment")]
    public void Parse_WellFormedSpec_SplitsSchemeTargetAndOptions(string text, string scheme, string target)
    {
        var spec = JudgeSpec.Parse(text);

        Assert.Equal(scheme, spec.Scheme);
        Assert.Equal(target, spec.Target);
        if (text.Contains("ctx", StringComparison.Ordinal))
        {
            Assert.Equal(4096, spec.IntOption("ctx", 0));
        }

        if (text.Contains("endpoint", StringComparison.Ordinal))
        {
            Assert.Equal("https://x.openai.azure.com", spec.Option("endpoint"));
        }
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("openai:")]
    [InlineData(":model")]
    [InlineData("llama:m.gguf?ctx")]
    public void Parse_MalformedSpec_ThrowsInputException(string text)
    {
        Assert.Throws<InputException>(() => JudgeSpec.Parse(text));
    }
}

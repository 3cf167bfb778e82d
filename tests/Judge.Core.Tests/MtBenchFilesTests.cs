using Judge.Data;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests;

public sealed class MtBenchFilesTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ReadQuestions_WellFormed_ReadsIdsCategoriesTurnsAndLines()
    {
        var path = _dir.Write(
            "question.jsonl",
            """{"question_id": 1, "category": "writing", "turns": ["Write a haiku.", "Now another."]}""",
            string.Empty,
            """{"question_id": "q-2", "turns": ["Why?"]}""");

        var questions = MtBenchFiles.ReadQuestions(path);

        Assert.Equal(["1", "q-2"], questions.Select(q => q.Id));
        Assert.Equal(["writing", string.Empty], questions.Select(q => q.Category));
        Assert.Equal(["Write a haiku.", "Now another."], questions[0].Turns);
        Assert.Equal([1, 3], questions.Select(q => q.Source!.Line));
    }

    [Fact]
    public void ReadQuestions_MalformedJsonLine_ReportsFileAndLine()
    {
        var path = _dir.Write(
            "question.jsonl",
            """{"question_id": 1, "turns": ["a"]}""",
            string.Empty,
            """{"question_id": 2, "turns": ["b"]""");

        var ex = Assert.Throws<InputException>(() => MtBenchFiles.ReadQuestions(path));

        Assert.Equal(path, ex.Path);
        Assert.Equal(3, ex.Line);
        Assert.StartsWith($"{path}:3: malformed JSON", ex.Message);
    }

    [Fact]
    public void ReadQuestions_MissingQuestionId_NamesTheField()
    {
        var path = _dir.Write("question.jsonl", """{"category": "math", "turns": ["1+1?"]}""");

        var ex = Assert.Throws<InputException>(() => MtBenchFiles.ReadQuestions(path));

        Assert.Equal("question_id", ex.Field);
        Assert.Equal(1, ex.Line);
        Assert.Contains("field 'question_id': is missing", ex.Message);
    }

    [Theory]
    [InlineData("""{"question_id": 1, "turns": "just one"}""", "turns", "expected a non-empty array")]
    [InlineData("""{"question_id": 1, "turns": []}""", "turns", "expected a non-empty array")]
    [InlineData("""{"question_id": 1, "turns": ["a", 2]}""", "turns[1]", "expected a string")]
    [InlineData("""{"question_id": 1.5, "turns": ["a"]}""", "question_id", "integer id")]
    [InlineData("""{"question_id": "", "turns": ["a"]}""", "question_id", "integer id")]
    public void ReadQuestions_BadField_NamesFieldAndProblem(string line, string field, string problem)
    {
        var path = _dir.Write("question.jsonl", line);

        var ex = Assert.Throws<InputException>(() => MtBenchFiles.ReadQuestions(path));

        Assert.Equal(field, ex.Field);
        Assert.Contains(problem, ex.Problem);
    }

    [Fact]
    public void ReadQuestions_LineThatIsNotAnObject_SaysSo()
    {
        var path = _dir.Write("question.jsonl", "[1, 2, 3]");

        var ex = Assert.Throws<InputException>(() => MtBenchFiles.ReadQuestions(path));

        Assert.Contains("expected a JSON object", ex.Message);
    }

    [Fact]
    public void ReadQuestions_MissingFile_SaysFileNotFound()
    {
        var ex = Assert.Throws<InputException>(() => MtBenchFiles.ReadQuestions(Path.Combine(_dir.Path, "nope.jsonl")));

        Assert.Contains("file not found", ex.Message);
    }

    [Fact]
    public void ReadAnswers_ChoicesOrFlatTurns_BothRead()
    {
        var path = _dir.Write(
            "m.jsonl",
            """{"question_id": 1, "model_id": "m", "choices": [{"index": 0, "turns": ["x", "y"]}]}""",
            """{"question_id": 2, "model_id": "m", "turns": ["z"]}""");

        var answers = MtBenchFiles.ReadAnswers(path);

        Assert.Equal(["x", "y"], answers[0].Turns);
        Assert.Equal(["z"], answers[1].Turns);
    }

    [Fact]
    public void ReadAnswers_NoModelId_UsesTheDefaultOrNamesTheField()
    {
        var path = _dir.Write("gpt-4.jsonl", """{"question_id": 1, "choices": [{"turns": ["x"]}]}""");

        Assert.Equal("reference", MtBenchFiles.ReadAnswers(path, "reference")[0].ModelId);
        Assert.Equal("model_id", Assert.Throws<InputException>(() => MtBenchFiles.ReadAnswers(path)).Field);
    }

    [Fact]
    public void ReadAnswers_ChoicesWithoutTurns_NamesTheNestedField()
    {
        var path = _dir.Write("m.jsonl", """{"question_id": 1, "model_id": "m", "choices": [{"index": 0}]}""");

        var ex = Assert.Throws<InputException>(() => MtBenchFiles.ReadAnswers(path));

        Assert.Equal("choices[0].turns", ex.Field);
    }

    [Theory]
    [InlineData("""{"question_id": 1, "model_a": "x", "model_b": "y", "winner": "model_c", "judge": "expert_0"}""", "winner")]
    [InlineData("""{"question_id": 1, "model_a": "x", "model_b": "x", "winner": "tie", "judge": "expert_0"}""", "model_b")]
    [InlineData("""{"question_id": 1, "model_a": "x", "model_b": "y", "winner": "tie", "turn": 0}""", "turn")]
    [InlineData("""{"question_id": 1, "model_b": "y", "winner": "tie"}""", "model_a")]
    public void ReadPairwiseLabels_BadRecord_NamesTheField(string line, string field)
    {
        var path = _dir.Write("labels.jsonl", line);

        var ex = Assert.Throws<InputException>(() => VerdictImport.ReadLabels(path));

        Assert.Equal(field, ex.Field);
        Assert.Equal(1, ex.Line);
    }

    [Fact]
    public void ReadPairwiseLabels_InconsistentTieAndDefaultTurn_Read()
    {
        var path = _dir.Write("labels.jsonl", """{"question_id": 4, "model_a": "x", "model_b": "y", "winner": "tie (inconsistent)", "judge": "gpt4_pair"}""");

        var label = Assert.Single(VerdictImport.ReadLabels(path));

        Assert.Equal(new PairwiseLabel("4", "x", "y", PairOutcome.InconsistentTie, "gpt4_pair", 1), label);
    }

    [Fact]
    public void Read_RealMtBenchFiles_HaveTheExpectedCounts()
    {
        var root = TestPaths.MtBench;

        var questions = MtBenchFiles.ReadQuestions(Path.Combine(root, "question.jsonl"));
        var answers = Directory.EnumerateFiles(Path.Combine(root, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal).SelectMany(f => MtBenchFiles.ReadAnswers(f)).ToList();
        var references = MtBenchFiles.ReadAnswers(Path.Combine(root, "reference_answer", "gpt-4.jsonl"));
        var humans = VerdictImport.ReadLabels(Path.Combine(root, "human_judgments.jsonl"));
        var gpt4 = VerdictImport.ReadLabels(Path.Combine(root, "gpt4_pair_judgments.jsonl"));
        var dataset = Dataset.Create(questions, answers, references);

        Assert.Equal(80, questions.Count);
        Assert.All(questions, q => Assert.Equal(2, q.Turns.Count));
        Assert.Equal(6, dataset.Models.Count);
        Assert.All(dataset.Models, m => Assert.Equal(80, answers.Count(a => a.ModelId == m)));
        Assert.Equal(480, answers.Count);
        Assert.Equal(30, references.Count);
        Assert.True(dataset.HasReferences);
        Assert.Equal(3355, humans.Count);
        Assert.All(humans, h => Assert.True(dataset.HasQuestion(h.QuestionId) && dataset.Models.Contains(h.ModelA) && dataset.Models.Contains(h.ModelB)));
        Assert.Equal([1, 2], humans.Select(h => h.Turn).Distinct().Order());
        Assert.Equal(2400, gpt4.Count);
        Assert.Contains(gpt4, g => g.Winner == PairOutcome.InconsistentTie);
    }
}

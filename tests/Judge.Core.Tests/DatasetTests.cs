using Judge.Data;

namespace Judge.Tests;

public sealed class DatasetTests
{
    private static Question Q(string id, int turns = 2, int line = 1) =>
        new(id, "math", Enumerable.Range(1, turns).Select(t => $"question {id} turn {t}").ToList()) { Source = new SourceLocation("question.jsonl", line) };

    private static ModelAnswer A(string questionId, string model = "m", int turns = 2, int line = 1) =>
        new(questionId, model, Enumerable.Range(1, turns).Select(t => $"answer {t}").ToList()) { Source = new SourceLocation($"{model}.jsonl", line) };

    [Fact]
    public void Create_ConsistentData_IndexesQuestionsAnswersAndReferences()
    {
        var dataset = Dataset.Create([Q("1"), Q("2")], [A("1", "x"), A("2", "x"), A("1", "y")], [A("2", "reference")]);

        Assert.Equal(["x", "y"], dataset.Models);
        Assert.NotNull(dataset.Answer("x", "2"));
        Assert.Null(dataset.Answer("y", "2"));
        Assert.Null(dataset.Reference("1"));
        Assert.NotNull(dataset.Reference("2"));
        Assert.True(dataset.HasReferences);
    }

    [Fact]
    public void Create_DuplicateQuestionIds_NamesBothPlaces()
    {
        var ex = Assert.Throws<InputException>(() => Dataset.Create([Q("1", line: 1), Q("2", line: 2), Q("1", line: 3)], []));

        Assert.Equal(3, ex.Line);
        Assert.Equal("question_id", ex.Field);
        Assert.Contains("duplicate question id '1'", ex.Message);
        Assert.Contains("question.jsonl:1", ex.Message);
    }

    [Fact]
    public void Create_AnswerForUnknownQuestion_NamesTheQuestionAndFile()
    {
        var ex = Assert.Throws<InputException>(() => Dataset.Create([Q("1")], [A("1"), A("99", line: 2)]));

        Assert.Equal("m.jsonl", ex.Path);
        Assert.Equal(2, ex.Line);
        Assert.Contains("unknown question '99'", ex.Message);
    }

    [Fact]
    public void Create_ReferenceForUnknownQuestion_SaysReference()
    {
        var ex = Assert.Throws<InputException>(() => Dataset.Create([Q("1")], [], [A("5", "reference")]));

        Assert.Contains("reference answer for unknown question '5'", ex.Message);
    }

    [Fact]
    public void Create_AnswerWithMoreTurnsThanQuestion_NamesTheCounts()
    {
        var ex = Assert.Throws<InputException>(() => Dataset.Create([Q("1", turns: 1)], [A("1", turns: 2)]));

        Assert.Equal("turns", ex.Field);
        Assert.Contains("has 2 turns but question '1' has 1", ex.Message);
    }

    [Fact]
    public void Create_AnswerWithFewerTurns_IsAllowed()
    {
        var dataset = Dataset.Create([Q("1", turns: 2)], [A("1", turns: 1)]);

        Assert.Single(dataset.Answer("m", "1")!.Turns);
    }

    [Fact]
    public void Create_ModelAnsweringTwice_NamesTheFirstAnswer()
    {
        var ex = Assert.Throws<InputException>(() => Dataset.Create([Q("1")], [A("1", line: 1), A("1", line: 7)]));

        Assert.Equal(7, ex.Line);
        Assert.Contains("answers question '1' twice (first at m.jsonl:1)", ex.Message);
    }

    [Fact]
    public void Create_NoQuestions_IsAnError()
    {
        var ex = Assert.Throws<InputException>(() => Dataset.Create([], []));

        Assert.Contains("no questions", ex.Message);
    }
}

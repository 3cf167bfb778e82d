using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests;

public sealed class SampleDatasetTests
{
    private static readonly string[] Models = ["assistant-large", "assistant-small", "assistant-tiny"];

    private static Dataset Load()
    {
        var root = TestPaths.Sample;
        var answers = Models.SelectMany(m => MtBenchFiles.ReadAnswers(Path.Combine(root, "model_answer", m + ".jsonl")));
        return Dataset.Create(
            MtBenchFiles.ReadQuestions(Path.Combine(root, "question.jsonl")),
            answers,
            MtBenchFiles.ReadAnswers(Path.Combine(root, "reference_answer", "reference.jsonl")));
    }

    [Fact]
    public void Create_SampleFiles_SixTwoTurnQuestionsThreeModelsAndReferencesForVerifiableCategories()
    {
        var dataset = Load();

        Assert.Equal(["1", "2", "3", "4", "5", "6"], dataset.Questions.Select(q => q.Id));
        Assert.Equal(["writing", "math", "reasoning", "coding", "roleplay", "extraction"], dataset.Questions.Select(q => q.Category));
        Assert.All(dataset.Questions, q => Assert.Equal(2, q.Turns.Count));
        Assert.Equal(Models, dataset.Models);
        Assert.All(dataset.Questions, q => Assert.All(Models, m => Assert.Equal(2, dataset.Answer(m, q.Id)!.Turns.Count)));
        Assert.Equal(
            ["math", "reasoning", "coding"],
            dataset.Questions.Where(q => dataset.Reference(q.Id) is not null).Select(q => q.Category));
        Assert.All(["2", "3", "4"], id => Assert.Equal("reference", dataset.Reference(id)!.ModelId));
    }

    [Fact]
    public void SampleAnswers_TinyMathIsWrongWhereLargeMatchesTheReference()
    {
        var dataset = Load();

        Assert.Contains("126", dataset.Reference("2")!.Turns[0]);
        Assert.Contains("126", dataset.Answer("assistant-large", "2")!.Turns[0]);
        Assert.DoesNotContain("126", dataset.Answer("assistant-tiny", "2")!.Turns[0]);
        Assert.DoesNotContain("44%", dataset.Answer("assistant-tiny", "2")!.Turns[1]);
    }

    [Fact]
    public void ReadPairwiseLabels_SampleHumanJudgments_AreAboutSampleModelsAndQuestions()
    {
        var dataset = Load();

        var labels = VerdictImport.ReadLabels(Path.Combine(TestPaths.Sample, "human_judgments.jsonl"));

        Assert.InRange(labels.Count, 15, 25);
        Assert.All(labels, l =>
        {
            Assert.True(dataset.HasQuestion(l.QuestionId));
            Assert.Contains(l.ModelA, Models);
            Assert.Contains(l.ModelB, Models);
            Assert.Matches("^expert_[0-2]$", l.Rater);
            Assert.InRange(l.Turn, 1, 2);
        });
    }

    [Fact]
    public void ReadPairwiseLabels_RecordedJudgments_CoverEveryPairQuestionAndTurnOnce()
    {
        var labels = VerdictImport.ReadLabels(Path.Combine(TestPaths.Sample, "recorded_judgments.jsonl"));

        Assert.Equal(36, labels.Count);
        Assert.All(labels, l => Assert.Equal("sample_recorded", l.Rater));
        var keys = labels.Select(l => (l.QuestionId, l.Turn, Pair: string.Join('|', new[] { l.ModelA, l.ModelB }.Order(StringComparer.Ordinal)))).ToList();
        Assert.Equal(36, keys.Distinct().Count());
        Assert.Equal(3, keys.Select(k => k.Pair).Distinct().Count());
        Assert.True(labels.Count(l => l.Winner == PairOutcome.InconsistentTie) >= 2);

        // Orientation varies: the large model appears both as model_a and as model_b.
        Assert.Contains(labels, l => l.ModelA == "assistant-large");
        Assert.Contains(labels, l => l.ModelB == "assistant-large");
    }

    [Fact]
    public void Render_SampleMathTurnTwoWithReference_ShowsBothReferenceTurnsAndTheWrongAnswer()
    {
        var dataset = Load();
        var selector = new StandardRubricSelector(RubricLibrary.LoadDirectory(TestPaths.Rubrics));
        var item = new PairwiseItem(dataset.Question("2"), dataset.Answer("assistant-large", "2")!, dataset.Answer("assistant-tiny", "2")!, 2, dataset.Reference("2"));

        var rubric = selector.For(item);
        var user = FakeChatClient.UserText(PromptRenderer.Render(rubric, item).Messages);

        Assert.Equal("pairwise-reference-multiturn", rubric.Id);
        Assert.Contains(PromptRenderer.Fence("REFERENCE", dataset.Reference("2")!.Turns[0]), user);
        Assert.Contains(PromptRenderer.Fence("REFERENCE", dataset.Reference("2")!.Turns[1]), user);
        Assert.Contains(PromptRenderer.Fence("ASSISTANT B TURN 2", dataset.Answer("assistant-tiny", "2")!.Turns[1]), user);
    }
}

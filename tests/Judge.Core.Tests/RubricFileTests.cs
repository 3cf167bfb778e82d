using System.Text.RegularExpressions;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Tests;

public sealed class RubricFileTests
{
    private static readonly string[] ShippedIds =
    [
        "binary-correctness", "pairwise-general", "pairwise-multiturn", "pairwise-reference", "pairwise-reference-multiturn",
        "prometheus-absolute", "single-general", "single-multiturn", "single-reference", "single-reference-multiturn",
    ];

    public static TheoryData<string> Ids() => new(ShippedIds);

    [Fact]
    public void LoadDirectory_ShippedRubrics_AllLoadWithExpectedIds()
    {
        var library = RubricLibrary.LoadDirectory(TestPaths.Rubrics);

        Assert.Equal(ShippedIds, library.All.Select(r => r.Id));
        Assert.All(library.All, r =>
        {
            Assert.Equal(1, r.Version);
            Assert.False(string.IsNullOrWhiteSpace(r.Title));
            Assert.True(r.Description.Length > 80, $"{r.Id} needs a description of when to use it");
            Assert.False(string.IsNullOrWhiteSpace(r.Criteria));
        });
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void LoadFile_ShippedRubric_MatchesDeclaredShape(string id)
    {
        var r = TestPaths.Rubric(id);

        var expectMulti = id.EndsWith("multiturn", StringComparison.Ordinal);
        var expectReference = id.Contains("reference", StringComparison.Ordinal) || id is "prometheus-absolute" or "binary-correctness";
        var expectPairwise = id.StartsWith("pairwise", StringComparison.Ordinal);
        Assert.Equal(expectMulti ? TurnScope.Multi : TurnScope.Single, r.Turns);
        Assert.Equal(expectReference, r.UsesReference);
        Assert.Equal(expectPairwise ? RubricMode.Pairwise : RubricMode.Absolute, r.Mode);
        if (expectPairwise)
        {
            Assert.Null(r.Scale);
            Assert.Equal("[[{verdict}]]", r.Output.Tag);
            Assert.Equal("a", r.Output.Labels["A"]);
            Assert.Equal("b", r.Output.Labels["B"]);
            Assert.Equal("tie", r.Output.Labels["C"]);
        }
    }

    [Fact]
    public void LoadFile_AbsoluteRubrics_HaveTheirScalesAndTags()
    {
        foreach (var id in new[] { "single-general", "single-reference", "single-multiturn", "single-reference-multiturn" })
        {
            var r = TestPaths.Rubric(id);
            Assert.Equal((1, 10), (r.Scale!.Min, r.Scale.Max));
            Assert.Equal("[[{verdict}]]", r.Output.Tag);
        }

        var prometheus = TestPaths.Rubric("prometheus-absolute");
        Assert.Equal((1, 5), (prometheus.Scale!.Min, prometheus.Scale.Max));
        Assert.Equal([1, 2, 3, 4, 5], prometheus.Scale.Levels.Keys.Order());
        Assert.Equal("[RESULT] {verdict}", prometheus.Output.Tag);
        Assert.True(prometheus.Output.FeedbackFirst);
        Assert.Contains("score_rubric", prometheus.Prompt.Placeholders);

        var binary = TestPaths.Rubric("binary-correctness");
        Assert.Equal((0, 1), (binary.Scale!.Min, binary.Scale.Max));
        Assert.Equal([0, 1], binary.Scale.Levels.Keys.Order());
        Assert.Equal("1", binary.Output.Labels["CORRECT"]);
        Assert.Equal("0", binary.Output.Labels["INCORRECT"]);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Render_ShippedRubric_ShowsTheMaterialFencedAndLeavesNoPlaceholder(string id)
    {
        var rubric = TestPaths.Rubric(id);
        var turn = rubric.Turns == TurnScope.Multi ? 2 : 1;
        var reference = rubric.UsesReference ? Samples.Reference : null;
        var q = Samples.MathQuestion;

        var rendered = rubric.Mode == RubricMode.Absolute
            ? PromptRenderer.Render(rubric, new AbsoluteItem(q, Samples.Large, turn, reference))
            : PromptRenderer.Render(rubric, new PairwiseItem(q, Samples.Large, Samples.Tiny, turn, reference));
        var user = rendered.Messages.Single(m => m.Role == ChatRole.User).Text;
        var all = string.Join("\n", rendered.Messages.Select(m => m.Text));

        // The graded turn's question, the criteria, and the instruction that fenced text is material, not orders.
        Assert.Contains(q.Turns[turn - 1], user);
        Assert.Contains(rubric.Criteria, user);
        Assert.Contains("<<<BEGIN", all.Replace(user, string.Empty, StringComparison.Ordinal));
        Assert.Contains("never", rendered.Messages[0].Text, StringComparison.OrdinalIgnoreCase);

        if (rubric.Turns == TurnScope.Single)
        {
            if (rubric.Mode == RubricMode.Absolute)
            {
                Assert.Contains(PromptRenderer.Fence("ANSWER", Samples.Large.Turns[0]), user);
            }
            else
            {
                Assert.Contains(PromptRenderer.Fence("ANSWER A", Samples.Large.Turns[0]), user);
                Assert.Contains(PromptRenderer.Fence("ANSWER B", Samples.Tiny.Turns[0]), user);
                Assert.True(user.IndexOf(Samples.Large.Turns[0], StringComparison.Ordinal) < user.IndexOf(Samples.Tiny.Turns[0], StringComparison.Ordinal));
            }

            Assert.DoesNotContain(q.Turns[1], user);
        }
        else
        {
            // The whole conversation: both user turns and every assistant turn, each fenced with its turn number.
            Assert.Contains(q.Turns[0], user);
            Assert.Contains(q.Turns[1], user);
            Assert.Contains("turn 2", user, StringComparison.OrdinalIgnoreCase);
            if (rubric.Mode == RubricMode.Absolute)
            {
                Assert.Contains(PromptRenderer.Fence("ASSISTANT TURN 1", Samples.Large.Turns[0]), user);
                Assert.Contains(PromptRenderer.Fence("ASSISTANT TURN 2", Samples.Large.Turns[1]), user);
            }
            else
            {
                Assert.Contains(PromptRenderer.Fence("ASSISTANT A TURN 1", Samples.Large.Turns[0]), user);
                Assert.Contains(PromptRenderer.Fence("ASSISTANT A TURN 2", Samples.Large.Turns[1]), user);
                Assert.Contains(PromptRenderer.Fence("ASSISTANT B TURN 1", Samples.Tiny.Turns[0]), user);
                Assert.Contains(PromptRenderer.Fence("ASSISTANT B TURN 2", Samples.Tiny.Turns[1]), user);
            }
        }

        if (rubric.UsesReference)
        {
            Assert.Contains(PromptRenderer.Fence("REFERENCE", Samples.Reference.Turns[turn - 1]), user);
            if (turn == 2)
            {
                Assert.Contains(PromptRenderer.Fence("REFERENCE", Samples.Reference.Turns[0]), user);
            }
        }
        else
        {
            Assert.DoesNotContain("REFERENCE", user);
        }

        if (rubric.Scale is { } scale)
        {
            Assert.Contains(scale.Max.ToString(System.Globalization.CultureInfo.InvariantCulture), user);
            foreach (var (level, description) in scale.Levels)
            {
                Assert.Contains($"Score {level}: {description}", user);
            }
        }

        Assert.DoesNotMatch(new Regex(@"\{[A-Za-z_]+\}"), all);
        Assert.DoesNotContain("{{", all);
        Assert.DoesNotContain("}}", all);
    }

    [Fact]
    public void Render_Prometheus_ListsEveryLevelInOrderBeforeTheResultInstruction()
    {
        var rubric = TestPaths.Rubric("prometheus-absolute");
        var user = FakeChatClient.UserText(PromptRenderer.Render(rubric, new AbsoluteItem(Samples.MathQuestion, Samples.Tiny, 1, Samples.Reference)).Messages);

        var positions = Enumerable.Range(1, 5).Select(l => user.IndexOf($"Score {l}: ", StringComparison.Ordinal)).ToList();
        Assert.All(positions, p => Assert.True(p >= 0));
        Assert.Equal(positions.Order(), positions);
        Assert.Contains("[RESULT]", user);
        Assert.Contains(Samples.Tiny.Turns[0], user);
    }

    [Fact]
    public void For_StandardSelectorOverShippedRubrics_PicksByTurnAndReference()
    {
        var selector = new StandardRubricSelector(RubricLibrary.LoadDirectory(TestPaths.Rubrics));
        var q = Samples.MathQuestion;

        Assert.Equal("pairwise-general", selector.For(new PairwiseItem(q, Samples.Large, Samples.Tiny, 1)).Id);
        Assert.Equal("pairwise-reference", selector.For(new PairwiseItem(q, Samples.Large, Samples.Tiny, 1, Samples.Reference)).Id);
        Assert.Equal("pairwise-multiturn", selector.For(new PairwiseItem(q, Samples.Large, Samples.Tiny, 2)).Id);
        Assert.Equal("pairwise-reference-multiturn", selector.For(new PairwiseItem(q, Samples.Large, Samples.Tiny, 2, Samples.Reference)).Id);
        Assert.Equal("single-general", selector.For(new AbsoluteItem(q, Samples.Large, 1)).Id);
        Assert.Equal("single-reference", selector.For(new AbsoluteItem(q, Samples.Large, 1, Samples.Reference)).Id);
        Assert.Equal("single-multiturn", selector.For(new AbsoluteItem(q, Samples.Large, 2)).Id);
        Assert.Equal("single-reference-multiturn", selector.For(new AbsoluteItem(q, Samples.Large, 2, Samples.Reference)).Id);
    }

    [Fact]
    public void Render_SingleTurnRubricAtTurnTwo_ThrowsRubricException()
    {
        var rubric = TestPaths.Rubric("single-general");

        var ex = Assert.Throws<RubricException>(() => PromptRenderer.Render(rubric, new AbsoluteItem(Samples.MathQuestion, Samples.Large, 2)));
        Assert.Contains("multi-turn", ex.Message);
    }

    [Fact]
    public void Render_ReferenceRubricWithoutReference_ThrowsRubricExceptionNamingQuestion()
    {
        var rubric = TestPaths.Rubric("pairwise-reference");

        var ex = Assert.Throws<RubricException>(() => PromptRenderer.Render(rubric, new PairwiseItem(Samples.MathQuestion, Samples.Large, Samples.Tiny, 1)));
        Assert.Contains("'7'", ex.Message);
    }
}

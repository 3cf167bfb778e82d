using Judge.Feedback;
using Judge.Tests.Support;

namespace Judge.Tests.Feedback;

public class FeedbackPromptsTests
{
    private static string FeedbackDir => Path.Combine(TestPaths.Rubrics, "feedback");

    [Fact]
    public void LoadDirectory_ShippedPrompts_LoadAndRender()
    {
        var prompts = FeedbackPrompts.LoadDirectory(FeedbackDir);
        var seeds = FeedbackPrompts.LoadSeeds(Path.Combine(FeedbackDir, "seeds"));
        Assert.Equal(6, seeds.Count);
        Assert.All(seeds, s => Assert.Equal(5, s.Levels.Count(l => l.Value.Length > 20)));
        var messages = FeedbackPipeline.RubricPrompt(prompts, seeds, new FeedbackOptions { NewRubrics = 3, RubricsPerCall = 2 }, 1);
        var user = messages[^1].Text;
        Assert.Contains("Write 1 new rubrics", user, StringComparison.Ordinal);
        Assert.Contains("\"score5_description\"", user, StringComparison.Ordinal);
        Assert.DoesNotContain("{count}", user, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadSeeds_RubricLibraryIgnoresSubfolders()
    {
        var library = Judge.Rubrics.RubricLibrary.LoadDirectory(TestPaths.Rubrics);
        Assert.All(library.All, r => Assert.Equal(Path.GetFullPath(TestPaths.Rubrics), Path.GetDirectoryName(Path.GetFullPath(r.SourcePath!))));
        Assert.DoesNotContain(library.All, r => r.Id.StartsWith("seed-", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_UnknownPlaceholder_IsAnError()
    {
        var ex = Assert.Throws<RubricException>(() => FeedbackPrompts.Parse("stage: responses\nprompt: \"{instruction} {target_score} {answer}\"", "x.yaml", FeedbackStage.Responses));
        Assert.Contains("unknown placeholder '{answer}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RequiredPlaceholderMissing_IsAnError()
    {
        var ex = Assert.Throws<RubricException>(() => FeedbackPrompts.Parse("stage: responses\nprompt: \"{instruction}\"", "x.yaml", FeedbackStage.Responses));
        Assert.Contains("never uses '{target_score}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownKeyOrWrongStage_IsAnError()
    {
        Assert.Throws<RubricException>(() => FeedbackPrompts.Parse("stage: rubrics\nprompts: x", "x.yaml", FeedbackStage.Rubrics));
        var ex = Assert.Throws<RubricException>(() => FeedbackPrompts.Parse("stage: rubrics\nprompt: \"{seed_rubrics} {count}\"", "x.yaml", FeedbackStage.Instructions));
        Assert.Contains("expected 'instructions'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseSeed_MissingLevel_NamesIt()
    {
        var ex = Assert.Throws<RubricException>(() => FeedbackPrompts.ParseSeed("id: s\ncriteria: c?\nlevels:\n  1: a\n  2: b\n  3: c\n  5: e\n", "s.yaml"));
        Assert.Contains("4 is missing", ex.Message, StringComparison.Ordinal);
    }
}

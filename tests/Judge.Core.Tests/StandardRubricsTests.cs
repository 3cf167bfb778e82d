using Judge.Feedback;
using Judge.Rubrics;
using Judge.Tests.Support;

namespace Judge.Tests;

public sealed class StandardRubricsTests
{
    [Fact]
    public void Files_EveryYamlInTheRubricsFolder_IsEmbeddedWithTheSameText()
    {
        // The embedded catalogue links the repository folder: nothing may be missing, extra or stale.
        var onDisk = Directory.EnumerateFiles(TestPaths.Rubrics, "*.yaml", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(TestPaths.Rubrics, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(onDisk, StandardRubrics.Files);
        Assert.Contains("feedback/seeds/conciseness.yaml", StandardRubrics.Files);
        Assert.All(onDisk, f => Assert.Equal(File.ReadAllText(Path.Combine(TestPaths.Rubrics, f)), StandardRubrics.ReadText(f)));
    }

    [Fact]
    public void Library_EqualsTheFolderLoadedRubricForRubric()
    {
        var folder = RubricLibrary.LoadDirectory(TestPaths.Rubrics);

        Assert.Equal(folder.All.Select(r => r.Key), StandardRubrics.Library.All.Select(r => r.Key));
        foreach (var fromFolder in folder.All)
        {
            var embedded = StandardRubrics.Get(fromFolder.Id);
            Assert.Equal(fromFolder.Prompt.Text, embedded.Prompt.Text);
            Assert.Equal(fromFolder.System.Text, embedded.System.Text);
            Assert.Equal(fromFolder.Output.Tag, embedded.Output.Tag);
            Assert.Equal(fromFolder.Scale?.Min, embedded.Scale?.Min);
            Assert.Equal(fromFolder.Scale?.Max, embedded.Scale?.Max);
            Assert.Equal($"standard:{fromFolder.Id}.yaml", embedded.SourcePath);
        }
    }

    [Fact]
    public void Get_SingleGeneral_IsTheTenPointAbsoluteRubric()
    {
        var rubric = StandardRubrics.Get(StandardRubrics.SingleGeneral);

        Assert.Equal(RubricMode.Absolute, rubric.Mode);
        Assert.Equal((1, 10), (rubric.Scale!.Min, rubric.Scale.Max));
        Assert.Same(rubric, StandardRubrics.Library.Get("single-general"));
    }

    [Fact]
    public void Get_UnknownId_ThrowsListingTheKnownOnes()
    {
        var ex = Assert.Throws<RubricException>(() => StandardRubrics.Get("no-such-rubric"));

        Assert.Contains("unknown standard rubric", ex.Message);
        Assert.Contains("pairwise-general", ex.Message);
    }

    [Fact]
    public void ReadText_UnknownFile_ThrowsNamingIt()
    {
        var ex = Assert.Throws<RubricException>(() => StandardRubrics.ReadText("nope.yaml"));

        Assert.Contains("standard:nope.yaml", ex.Message);
    }

    [Fact]
    public void FeedbackStandard_MatchesTheFolder()
    {
        var seeds = FeedbackPrompts.LoadStandardSeeds();
        var fromFolder = FeedbackPrompts.LoadSeeds(Path.Combine(TestPaths.Rubrics, "feedback", "seeds"));
        var prompts = FeedbackPrompts.LoadStandard();
        var promptsFromFolder = FeedbackPrompts.LoadDirectory(Path.Combine(TestPaths.Rubrics, "feedback"));

        Assert.Equal(fromFolder, seeds);
        foreach (var stage in FeedbackPrompts.Placeholders.Keys)
        {
            Assert.Equal(promptsFromFolder[stage].Prompt.Text, prompts[stage].Prompt.Text);
        }
    }
}

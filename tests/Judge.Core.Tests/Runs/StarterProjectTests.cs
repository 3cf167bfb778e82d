using Judge.Runs;
using Judge.Tests.Support;

namespace Judge.Tests.Runs;

public sealed class StarterProjectTests
{
    [Fact]
    public void Write_IntoAnEmptyFolder_WritesTheConfigDataAndCiSnippetsFromTheRepository()
    {
        using var dir = new TempDir();

        var written = StarterProject.Write(dir.Path, overwrite: false);

        Assert.Equal(StarterProject.Files.Count, written.Count);
        Assert.Contains(StarterProject.ConfigFile, StarterProject.Files);
        // The data are the repository's sample files, byte for byte.
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(TestPaths.Sample, "recorded_judgments.jsonl")),
            File.ReadAllBytes(Path.Combine(dir.Path, "data", "recorded_judgments.jsonl")));
        Assert.Equal(["ci/azure-pipelines.yml", "ci/github-actions.yml", "ci/gitlab-ci.yml"], StarterProject.Files.Where(f => f.StartsWith("ci/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Write_OverOneOfItsFiles_RefusesAndWritesNothing()
    {
        using var dir = new TempDir();
        var questions = Path.Combine(dir.Path, "data", "question.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(questions)!);
        File.WriteAllText(questions, "mine\n");

        var ex = Assert.Throws<InputException>(() => StarterProject.Write(dir.Path, overwrite: false));

        Assert.Contains("data/question.jsonl", ex.Message, StringComparison.Ordinal);
        Assert.Equal("mine\n", File.ReadAllText(questions));
        Assert.False(File.Exists(Path.Combine(dir.Path, StarterProject.ConfigFile)));
        Assert.Equal(["data/question.jsonl"], StarterProject.Existing(dir.Path));
    }
}

namespace Judge.Cli.Tests;

public class RubricsCommandTests
{
    private static readonly string[] Shipped =
    [
        "single-general", "single-reference", "single-multiturn", "single-reference-multiturn",
        "pairwise-general", "pairwise-reference", "pairwise-multiturn", "pairwise-reference-multiturn",
        "prometheus-absolute", "binary-correctness",
    ];

    [Fact]
    public async Task RubricsList_ShippedFolder_ListsEveryRubric()
    {
        var (exit, output) = await CliRunner.RunAsync("rubrics", "list", "--rubrics-dir", Paths.Rubrics);

        Assert.Equal(0, exit);
        Assert.All(Shipped, id => Assert.Contains(id, output));
    }

    [Fact]
    public async Task RubricsList_Default_ListsTheStandardRubricsBuiltIntoJudge()
    {
        var (exit, output) = await CliRunner.RunAsync("rubrics", "list");

        Assert.Equal(0, exit);
        Assert.All(Shipped, id => Assert.Contains(id, output));
    }

    [Fact]
    public async Task RubricsShow_Default_NamesTheEmbeddedSource()
    {
        // The default is the catalogue embedded in Judge.Core, not a folder beside the executable or above the working directory.
        var (exit, output) = await CliRunner.RunAsync("rubrics", "show", "single-general");

        Assert.Equal(0, exit);
        Assert.Contains("single-general@", output);
        Assert.Contains("standard:single-general.yaml", output);
    }

    [Fact]
    public async Task RubricsShow_Prometheus_ShowsEveryLevelAndThePrompt()
    {
        var (exit, output) = await CliRunner.RunAsync("rubrics", "show", "prometheus-absolute", "--rubrics-dir", Paths.Rubrics);

        Assert.Equal(0, exit);
        Assert.Contains("prometheus-absolute@1", output);
        Assert.Contains("[RESULT] {verdict}", output);
        for (var level = 1; level <= 5; level++)
        {
            Assert.Contains($"  {level} ", output);
        }

        Assert.Contains("{score_rubric}", output);
    }

    [Fact]
    public async Task RubricsShow_UnknownId_ExitsTwo()
    {
        var (exit, output) = await CliRunner.RunAsync("rubrics", "show", "nope", "--rubrics-dir", Paths.Rubrics);

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("unknown rubric", output);
    }

    [Fact]
    public async Task RubricsList_FolderWithBrokenRubric_ExitsTwoNamingFileAndProblem()
    {
        var dir = Path.GetDirectoryName(Paths.Temp("x"))!;
        File.WriteAllText(Path.Combine(dir, "bad.yaml"), "id: bad\nversion: 1\ntitle: Bad\nmode: pairwise\noutput:\n  tag: \"[[{verdict}]]\"\nprompt: \"{answer_a} {answer_b} {nonsense}\"\n");

        var (exit, output) = await CliRunner.RunAsync("rubrics", "list", "--rubrics-dir", dir);

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("bad.yaml", output);
        Assert.Contains("{nonsense}", output);
    }
}

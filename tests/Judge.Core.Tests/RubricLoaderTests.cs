using Judge.Rubrics;

namespace Judge.Tests;

public sealed class RubricLoaderTests
{
    private const string Absolute = """
        id: test-absolute
        version: 2
        title: Test
        mode: absolute
        scale:
          min: 1
          max: 5
        output:
          tag: "[[{verdict}]]"
        prompt: |
          {criteria} {question} {answer} from {scale_min} to {scale_max}
        """;

    private const string Pairwise = """
        id: test-pairwise
        version: 1
        title: Test
        mode: pairwise
        output:
          tag: "[[{verdict}]]"
        prompt: |
          {question} {answer_a} {answer_b}
        """;

    private static RubricException Fails(string yaml) => Assert.Throws<RubricException>(() => RubricLoader.Parse(yaml, "test.yaml"));

    [Fact]
    public void Parse_ValidAbsolute_ReadsEveryField()
    {
        var r = RubricLoader.Parse(Absolute, "test.yaml");

        Assert.Equal("test-absolute@2", r.Key);
        Assert.Equal(RubricMode.Absolute, r.Mode);
        Assert.Equal(TurnScope.Single, r.Turns);
        Assert.False(r.UsesReference);
        Assert.Equal((1, 5), (r.Scale!.Min, r.Scale.Max));
        Assert.Empty(r.Scale.Levels);
        Assert.Equal("test.yaml", r.SourcePath);
    }

    [Fact]
    public void Parse_PairwiseWithoutLabels_DefaultsToABAndCForTie()
    {
        var r = RubricLoader.Parse(Pairwise, "test.yaml");

        Assert.Equal(new Dictionary<string, string> { ["A"] = "a", ["B"] = "b", ["C"] = "tie" }, r.Output.Labels);
    }

    [Fact]
    public void Parse_LiteralBraces_AreNotPlaceholders()
    {
        var r = RubricLoader.Parse(Absolute.Replace("{scale_max}", "{scale_max}, as JSON {{\"score\": n}}", StringComparison.Ordinal), "test.yaml");

        Assert.DoesNotContain("\"score\": n", r.Prompt.Placeholders);
        Assert.Equal(["criteria", "question", "answer", "scale_min", "scale_max"], r.Prompt.Placeholders);
    }

    [Fact]
    public void Parse_UnknownPlaceholder_NamesIt()
    {
        var ex = Fails(Absolute.Replace("{question}", "{question} {answr}", StringComparison.Ordinal));

        Assert.Contains("unknown placeholder '{answr}'", ex.Message);
        Assert.Contains("{answer}", ex.Message);
    }

    [Fact]
    public void Parse_PlaceholderOfAnotherMode_SaysWhichModeItIsFor()
    {
        var ex = Fails(Absolute.Replace("{question}", "{question} {answer_a}", StringComparison.Ordinal));

        Assert.Contains("'{answer_a}'", ex.Message);
        Assert.Contains("single-turn absolute", ex.Message);
    }

    [Fact]
    public void Parse_ScaleLevelsWithGaps_NamesTheMissingLevels()
    {
        var ex = Fails(Absolute.Replace("  max: 5", "  max: 5\n  levels:\n    1: bad\n    3: fair\n    5: great", StringComparison.Ordinal));

        Assert.Contains("gaps", ex.Message);
        Assert.Contains("2, 4", ex.Message);
        Assert.Contains("test-absolute", ex.Message);
    }

    [Fact]
    public void Parse_ReferenceRequiredButNotShown_SaysSo()
    {
        var ex = Fails(Absolute.Replace("mode: absolute", "mode: absolute\nreference: required", StringComparison.Ordinal));

        Assert.Contains("reference: required", ex.Message);
        Assert.Contains("{reference}", ex.Message);
    }

    [Fact]
    public void Parse_ReferenceShownWithReferenceNone_SaysTheRubricHasNone()
    {
        var ex = Fails(Absolute.Replace("{answer}", "{answer} {reference}", StringComparison.Ordinal));

        Assert.Contains("'{reference}'", ex.Message);
        Assert.Contains("reference: none", ex.Message);
    }

    [Fact]
    public void Parse_UnknownKey_CarriesLineNumberAndKey()
    {
        // Line 3 of the document (id, version, title) is the misspelt key.
        var ex = Fails(Absolute.Replace("title: Test", "titel: Test", StringComparison.Ordinal));

        Assert.Contains("test.yaml:3", ex.Message);
        Assert.Contains("unknown key", ex.Message);
        Assert.Contains("titel", ex.Message);
    }

    [Fact]
    public void Parse_PairwiseWithScale_IsRejected()
    {
        var ex = Fails(Pairwise.Replace("mode: pairwise", "mode: pairwise\nscale:\n  min: 1\n  max: 10", StringComparison.Ordinal));

        Assert.Contains("pairwise rubric has no 'scale'", ex.Message);
    }

    [Theory]
    [InlineData("\"[[score]]\"", 0)]
    [InlineData("\"[[{verdict}]] or [[{verdict}]]\"", 2)]
    public void Parse_TagWithoutExactlyOneVerdictSlot_CountsTheSlots(string tag, int slots)
    {
        var ex = Fails(Absolute.Replace("\"[[{verdict}]]\"", tag, StringComparison.Ordinal));

        Assert.Contains("{verdict}", ex.Message);
        Assert.Contains($"found {slots}", ex.Message);
    }

    [Fact]
    public void Parse_BadMode_ListsTheModes()
    {
        var ex = Fails(Absolute.Replace("mode: absolute", "mode: graded", StringComparison.Ordinal));

        Assert.Contains("'mode' must be absolute or pairwise, found 'graded'", ex.Message);
    }

    [Fact]
    public void Parse_AbsoluteWithoutScale_IsRejected()
    {
        var ex = Fails(Absolute.Replace("scale:\n  min: 1\n  max: 5\n", string.Empty, StringComparison.Ordinal));

        Assert.Contains("needs 'scale'", ex.Message);
    }

    [Fact]
    public void Parse_MissingRequiredAnswerPlaceholder_NamesIt()
    {
        var ex = Fails(Pairwise.Replace(" {answer_b}", string.Empty, StringComparison.Ordinal));

        Assert.Contains("'{answer_b}'", ex.Message);
    }

    [Fact]
    public void Parse_MultiTurnRubricWithSingleAnswerPlaceholder_Rejected()
    {
        var ex = Fails(Absolute.Replace("title: Test", "title: Test\nturns: multi", StringComparison.Ordinal));

        Assert.Contains("'{answer}'", ex.Message);
        Assert.Contains("multi-turn absolute", ex.Message);
    }

    [Fact]
    public void Parse_AbsoluteLabelOffTheScale_IsRejected()
    {
        var ex = Fails(Absolute.Replace("  tag: \"[[{verdict}]]\"", "  tag: \"[[{verdict}]]\"\n  labels:\n    PERFECT: \"9\"", StringComparison.Ordinal));

        Assert.Contains("PERFECT", ex.Message);
        Assert.Contains("1-5", ex.Message);
    }

    [Fact]
    public void Parse_UnclosedBrace_PointsAtTheCharacter()
    {
        var ex = Fails(Absolute.Replace("{scale_max}", "{scale_max} {oops", StringComparison.Ordinal));

        Assert.Contains("'prompt'", ex.Message);
        Assert.Contains("unclosed", ex.Message);
    }

    [Fact]
    public void LoadFile_MissingFile_SaysFileNotFound()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-rubric-{Guid.NewGuid():N}.yaml");

        var ex = Assert.Throws<RubricException>(() => RubricLoader.LoadFile(path));

        Assert.Contains("file not found", ex.Message);
    }

    [Fact]
    public void Get_UnknownId_ListsTheKnownIds()
    {
        var library = new RubricLibrary([RubricLoader.Parse(Absolute, "a.yaml"), RubricLoader.Parse(Pairwise, "b.yaml")]);

        var ex = Assert.Throws<RubricException>(() => library.Get("pairwise-genral"));

        Assert.Contains("test-absolute, test-pairwise", ex.Message);
    }
}

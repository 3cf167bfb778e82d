using Judge.Judging;

namespace Judge.Core.Tests;

/// <summary>The one spec parser reads <c>cascade(…)</c> and <c>panel(…)</c>: members are specs of their own, options after the bracket.</summary>
public sealed class CompositeJudgeSpecTests
{
    [Fact]
    public void Parse_Cascade_MembersKeepTheirOwnOptions_TheCascadeKeepsItsOwn()
    {
        var spec = JudgeSpec.Parse("cascade(mock:1, openai:gpt-4o?logprobs=5&rpm=60)?calibration=cal.json&on_abstain=last");

        Assert.True(spec.IsComposite);
        Assert.Equal("cascade", spec.Scheme);
        Assert.Equal(["mock:1", "openai:gpt-4o?logprobs=5&rpm=60"], spec.Members.Select(m => m.Text));
        Assert.Equal("60", spec.Members[1].Option("rpm"));
        Assert.Equal("cal.json", spec.Option("calibration"));
        Assert.Equal("last", spec.Option("on_abstain"));
        Assert.Null(spec.Option("rpm"));
    }

    [Fact]
    public void Parse_PanelAsACascadeStage_IsOneMemberWithItsOwnMembers()
    {
        var spec = JudgeSpec.Parse("cascade(mock:1, panel(mock:2, mock:3)?vote=majority)?calibration=c.json");

        Assert.Equal(2, spec.Members.Count);
        Assert.Equal("panel", spec.Members[1].Scheme);
        Assert.Equal(["mock:2", "mock:3"], spec.Members[1].Members.Select(m => m.Text));
        Assert.Equal("majority", spec.Members[1].Option("vote"));
    }

    [Theory]
    [InlineData("panel(mock:1, cascade(mock:2, mock:3)?calibration=c.json)", "cannot be a member")]
    [InlineData("cascade(mock:1, cascade(mock:2, mock:3))", "cannot be a member")]
    [InlineData("panel(mock:1, panel(mock:2, mock:3))", "cannot be a member")]
    [InlineData("cascade(mock:1)?api_key=x", "looks like a credential")]
    [InlineData("panel(mock:1)?calibration=c.json", "unknown option 'calibration'")]
    [InlineData("cascade(mock:1, mock:2", "no closing ')'")]
    public void Parse_BadComposite_IsAnInputException(string text, string expected)
    {
        var ex = Assert.Throws<InputException>(() => JudgeSpec.Parse(text));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Composite_TextRedactsMembersCredentials_WithOptionReachesEveryMember()
    {
        var spec = JudgeSpec.Parse("panel(openai:m?base_url=http://u:SECRET@host/v1, mock:2)");

        Assert.DoesNotContain("SECRET", spec.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", spec.Members[0].Text, StringComparison.Ordinal);
        Assert.All(spec.WithOption("cache_mode", "off").Members, m => Assert.Equal("off", m.Option("cache_mode")));
    }

    [Fact]
    public void ResolvedAgainst_Composite_ResolvesMembersAndItsCalibrationFile_TextAsWritten()
    {
        var folder = Path.GetFullPath("somewhere");
        var spec = JudgeSpec.Parse("cascade(replay:a.jsonl, mock:1)?calibration=cal.json").ResolvedAgainst(folder);

        Assert.Equal(Path.Combine(folder, "a.jsonl"), spec.Members[0].Target);
        Assert.Equal(Path.Combine(folder, "cal.json"), spec.Option("calibration"));
        Assert.Equal("cascade(replay:a.jsonl, mock:1)?calibration=cal.json", spec.Text);
    }
}

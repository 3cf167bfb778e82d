using Judge.Judging;

namespace Judge.Core.Tests;

public sealed class JudgeSpecStrictTests
{
    [Theory]
    [InlineData("openai:m?base_url=http://user:SECRET@host/v1", "openai:m?base_url=http://host/v1")]
    [InlineData("openai:m?base_url=https://SECRET@host:8443/v1,http://a:SECRET@b/v1", "openai:m?base_url=https://host:8443/v1,http://b/v1")]
    [InlineData("openai:m?base_url=http%3A%2F%2Fuser%3ASECRET%40host%2Fv1", "openai:m?base_url=http%3A%2F%2Fhost%2Fv1")]
    [InlineData("azure:d?endpoint=https://res.openai.azure.com", "azure:d?endpoint=https://res.openai.azure.com")]
    public void Parse_UrlWithUserInfo_TextDropsItOptionsKeepIt(string text, string shown)
    {
        var spec = JudgeSpec.Parse(text);

        Assert.Equal(shown, spec.Text);
        Assert.DoesNotContain("SECRET", spec.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", spec.WithOption("cache_mode", "off").Text, StringComparison.Ordinal);
        Assert.Equal(text.Contains("SECRET", StringComparison.Ordinal), (spec.Option("base_url") ?? string.Empty).Contains("SECRET", StringComparison.Ordinal));
    }

    [Fact]
    public void RequireKnownOptions_Unknown_ListsUnknownAndKnown()
    {
        var spec = JudgeSpec.Parse("openai:m?rmp=60&batch=on&rpm=5");

        var ex = Assert.Throws<InputException>(() => spec.RequireKnownOptions(["rpm", "tpm"]));

        Assert.Contains("unknown options 'batch', 'rmp'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("openai: takes rpm, tpm", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("n=0", "n must be an integer from 1 to 10")]
    [InlineData("n=11", "n must be an integer from 1 to 10")]
    [InlineData("n=abc", "n must be an integer from 1 to 10")]
    [InlineData("n=1.5", "n must be an integer from 1 to 10")]
    [InlineData("n=99999999999", "n must be an integer from 1 to 10")]
    public void IntOption_OutOfRange_NamesKeyAndRange(string option, string expected)
    {
        var spec = JudgeSpec.Parse("mock:1?" + option);

        var ex = Assert.Throws<InputException>(() => spec.IntOption("n", 1, 10));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal("judge spec", ex.Field);
    }

    [Theory]
    [InlineData("t=abc")]
    [InlineData("t=-1")]
    [InlineData("t=0")]
    [InlineData("t=1e30")]
    [InlineData("t=NaN")]
    [InlineData("t=Infinity")]
    public void SecondsOption_Invalid_IsAnInputErrorNotAnOverflow(string option)
    {
        var spec = JudgeSpec.Parse("openai:m?" + option);

        var ex = Assert.Throws<InputException>(() => spec.SecondsOption("t", 86_400));

        Assert.Contains("t must be a number of seconds above 0 and at most 86400", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Readers_InRangeOrAbsent_ReturnValueOrFallback()
    {
        var spec = JudgeSpec.Parse("openai:m?n=7&t=2.5&x=0.25&c=JSON");

        Assert.Equal(7, spec.IntOption("n", 1, 10));
        Assert.Equal(3, spec.IntOption("missing", 3, 1, 10));
        Assert.Null(spec.IntOption("missing", 1, 10));
        Assert.Equal(TimeSpan.FromSeconds(2.5), spec.SecondsOption("t", 10));
        Assert.Equal(0.25, spec.DoubleOption("x", 0, 1));
        Assert.Equal("json", spec.ChoiceOption("c", null, "json", "text"));
    }

    [Fact]
    public void Parse_DuplicateKey_IsAnInputError()
    {
        var ex = Assert.Throws<InputException>(() => JudgeSpec.Parse("openai:m?rpm=5&rpm=6"));

        Assert.Contains("given twice", ex.Message, StringComparison.Ordinal);
    }
}

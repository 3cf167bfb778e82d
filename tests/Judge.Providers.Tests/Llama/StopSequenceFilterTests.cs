using Judge.Providers.Llama;

namespace Judge.Providers.Tests.Llama;

public class StopSequenceFilterTests
{
    private static (List<string> Emitted, bool Stopped) Run(IEnumerable<string> pieces, params string[] stops)
    {
        var emitted = new List<string>();
        var filter = new StopSequenceFilter(stops, emitted.Add);
        foreach (var piece in pieces)
        {
            filter.Append(piece);
        }

        filter.Flush();
        return (emitted, filter.Stopped);
    }

    private static IEnumerable<string> Chars(string text) => text.Select(c => c.ToString());

    [Fact]
    public void Append_NoStops_PassesEveryPieceOnAtOnce()
    {
        var (emitted, stopped) = Run(["Once", " upon", " a time"]);
        Assert.Equal(["Once", " upon", " a time"], emitted);
        Assert.False(stopped);
    }

    [Theory]
    [InlineData("Lily went home. The end.", "The end", "Lily went home. ")]
    [InlineData("Lily went home. The end.", "[RESULT]", "Lily went home. The end.")]
    [InlineData("[RESULT] 5", "[RESULT]", "")]
    [InlineData("abcabcabd", "abd", "abcabc")]
    [InlineData("She said [RES and then [RESULT] 4", "[RESULT]", "She said [RES and then ")]
    public void Append_CharByChar_EmitsExactlyTheTextBeforeTheStop(string text, string stop, string expected)
    {
        var (emitted, stopped) = Run(Chars(text), stop);
        Assert.Equal(expected, string.Concat(emitted));
        Assert.Equal(text.Contains(stop, StringComparison.Ordinal), stopped);
    }

    [Fact]
    public void Append_StartOfStopSequence_IsHeldUntilItProvesHarmless()
    {
        var emitted = new List<string>();
        var filter = new StopSequenceFilter(["[RESULT]"], emitted.Add);
        filter.Append("Good story [RE");
        Assert.Equal("Good story ", string.Concat(emitted));
        filter.Append("D] ball");
        Assert.Equal("Good story [RED] ball", string.Concat(emitted));
        Assert.False(filter.Stopped);
    }

    [Fact]
    public void Append_TwoStopsInOnePiece_CutsAtTheEarlier()
    {
        var (emitted, stopped) = Run(["one two three"], "three", "two");
        Assert.Equal("one ", string.Concat(emitted));
        Assert.True(stopped);
    }

    [Fact]
    public void Flush_TextEndsInsideAStopSequence_EmitsTheHeldTail()
    {
        var (emitted, stopped) = Run(["The end [RES"], "[RESULT]");
        Assert.Equal("The end [RES", string.Concat(emitted));
        Assert.False(stopped);
    }

    [Fact]
    public void Append_AfterStop_IsIgnored()
    {
        var (emitted, _) = Run(["a STOP b", "more text"], "STOP");
        Assert.Equal("a ", string.Concat(emitted));
    }

    [Fact]
    public void Append_EmptyStopSequence_IsIgnored()
    {
        var (emitted, stopped) = Run(["abc"], string.Empty);
        Assert.Equal("abc", string.Concat(emitted));
        Assert.False(stopped);
    }
}

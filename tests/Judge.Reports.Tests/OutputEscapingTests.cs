namespace Judge.Reports.Tests;

/// <summary>What a run embeds (model ids, from answer files anyone can write) is inert in every report.</summary>
public class OutputEscapingTests
{
    [Theory]
    [InlineData("evil<img src=x onerror=alert(1)>", "<img")]
    [InlineData("evil<script>alert(1)</script>", "<script")]
    [InlineData("a|b\n| injected | row |", "\n| injected")]
    [InlineData("[click](javascript:alert(1))", "[click]")]
    [InlineData("![img](http://x/y.png)", "![img]")]
    [InlineData("`code` **bold** _em_ ~~gone~~", "`code`")]
    [InlineData("`code` **bold** _em_ ~~gone~~", "**bold**")]
    [InlineData("`code` **bold** _em_ ~~gone~~", "~~gone~~")]
    [InlineData("tab\tand\rreturn\u001b[31mred", "\u001b")]
    public void Render_HostileModelId_SummaryHoldsItInert(string model, string forbidden)
    {
        var markdown = MarkdownReport.Render(RunOutputsAgreeTests.Result(model));

        Assert.DoesNotContain(forbidden, markdown, StringComparison.Ordinal);
        // The rows still name the model readably: its first letters are there.
        Assert.Contains(new string(model.TakeWhile(char.IsLetterOrDigit).ToArray()), markdown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil<img src=x onerror=alert(1)>", "<img src=x")]
    [InlineData("evil<script>alert(1)</script>", "<script>alert(1)")]
    [InlineData("\"><svg onload=alert(1)>", "<svg onload")]
    public void Render_HostileModelId_HtmlHoldsItInert(string model, string forbidden)
    {
        var html = HtmlReport.Render(RunOutputsAgreeTests.Result(model));

        Assert.DoesNotContain(forbidden, html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a|b|c")]
    [InlineData("x\n|y|")]
    public void Render_ModelIdWithTableSyntax_KeepsEveryRowsColumns(string model)
    {
        static List<int> Columns(string markdown) =>
            markdown.Split('\n').Where(l => l.StartsWith('|')).Select(l => l.Replace("\\|", string.Empty, StringComparison.Ordinal).Count(c => c == '|')).ToList();

        var plain = Columns(MarkdownReport.Render(RunOutputsAgreeTests.Result()));
        var hostile = Columns(MarkdownReport.Render(RunOutputsAgreeTests.Result(model)));

        Assert.Equal(plain, hostile);
    }
}

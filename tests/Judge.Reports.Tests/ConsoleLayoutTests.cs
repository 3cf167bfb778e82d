using Judge.Reports.Terminal;
using Spectre.Console;

namespace Judge.Reports.Tests;

public sealed class ConsoleLayoutTests
{
    private static readonly System.Buffers.SearchValues<char> BoxDrawing = System.Buffers.SearchValues.Create("─│┌┐└┘├┤┬┴┼");

    /// <summary>A table of unique words (so a word found in the output was not split), its cells of one to three words.</summary>
    private static (Table Table, List<string[]> Cells) RandomTable(Random random)
    {
        var next = 0;
        string Word() => "w" + (next++).ToString("D3", System.Globalization.CultureInfo.InvariantCulture) + new string('x', random.Next(0, 5));
        string Cell() => string.Join(' ', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Word()));
        var columns = random.Next(1, 8);
        var cells = Enumerable.Range(0, random.Next(2, 6)).Select(_ => Enumerable.Range(0, columns).Select(_ => Cell()).ToArray()).ToList();
        var table = new Table().Title("t" + Word());
        foreach (var header in cells[0])
        {
            table.AddColumn(header);
        }

        foreach (var row in cells.Skip(1))
        {
            table.AddRow(row);
        }

        return (table, cells);
    }

    [Fact]
    public void OnATerminal_EveryTableFitsItsWidth_WithNoWordSplitAndNoCellDropped()
    {
        var random = new Random(20261206);
        for (var i = 0; i < 400; i++)
        {
            var (table, cells) = RandomTable(random);
            var width = random.Next(32, 140);
            using var console = new TestConsole(width);
            ConsoleLayout.Install(console.Console, plain: false);

            console.Console.Write(table);

            var lines = console.Output.Split('\n');
            Assert.All(lines, line => Assert.True(line.TrimEnd().Length <= width, $"case {i}, {width} columns: {line}"));
            foreach (var word in cells.SelectMany(row => row).SelectMany(cell => cell.Split(' ')))
            {
                Assert.True(lines.Any(l => l.Contains(word, StringComparison.Ordinal)), $"case {i}, {width} columns: '{word}' split or dropped\n{console.Output}");
            }
        }
    }

    [Fact]
    public void WrittenToAPipe_ATableIsAlignedPlainText()
    {
        var random = new Random(7);
        for (var i = 0; i < 100; i++)
        {
            var (table, cells) = RandomTable(random);
            using var console = new TestConsole(4096);
            ConsoleLayout.Install(console.Console, plain: true);

            console.Console.Write(table);

            var lines = console.Output.TrimEnd('\n').Split('\n');
            Assert.Equal(cells.Count + 2, lines.Length); // title, header, dashes, rows
            Assert.DoesNotContain(lines, l => l.AsSpan().IndexOfAny(BoxDrawing) >= 0 || l.EndsWith(' '));
            Assert.Matches("^-+( +-+)*$", lines[2]);
            for (var r = 0; r < cells.Count; r++)
            {
                // Each row is one line, its cells in order, each starting where its column's dashes start.
                var line = lines[r == 0 ? 1 : r + 2];
                var starts = System.Text.RegularExpressions.Regex.Matches(lines[2], "-+").Select(m => m.Index).ToList();
                for (var c = 0; c < cells[r].Length; c++)
                {
                    Assert.Equal(starts[c], line.IndexOf(cells[r][c], StringComparison.Ordinal));
                }
            }
        }
    }

    [Fact]
    public void ShortValues_StayOnOneLine_HeadersWrap()
    {
        var table = new Table().AddColumns("model", "wins", "losses", "no verdict", "win rate (ties = ½)", "interval");
        table.AddRow("vicuna-13b-v1.2", "131", "133", "0", "49.8 %", "[[43.2 %, 55.1 %]]");
        using var console = new TestConsole(58);
        ConsoleLayout.Install(console.Console, plain: false);

        console.Console.Write(table);

        Assert.Contains("49.8 %", console.Output, StringComparison.Ordinal);
        Assert.Contains("[43.2 %, 55.1 %]", console.Output, StringComparison.Ordinal);
        Assert.Contains("vicuna-13b-v1.2", console.Output, StringComparison.Ordinal);
        Assert.All(console.Output.Split('\n'), l => Assert.True(l.TrimEnd().Length <= 58, l));
    }

    [Fact]
    public void ATextBlock_IsAPanelOnATerminal_AndItsTextInAPipe()
    {
        var text = "Line one of the prompt, long enough to matter.\nLine two {answer}.";
        using var terminal = new TestConsole(60);
        ConsoleLayout.Install(terminal.Console, plain: false);
        using var pipe = new TestConsole(4096);
        ConsoleLayout.Install(pipe.Console, plain: true);

        terminal.Console.Write(new TextBlock("prompt", text));
        pipe.Console.Write(new TextBlock("prompt", text));

        Assert.Contains("┌─prompt", terminal.Output, StringComparison.Ordinal);
        Assert.All(terminal.Output.Split('\n'), l => Assert.True(l.Length <= 60, l));
        Assert.Equal("prompt:\n" + text + "\n\n", pipe.Output);
    }
}

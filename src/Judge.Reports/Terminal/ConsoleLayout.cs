using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Judge.Reports.Terminal;

/// <summary>
/// How tables and text blocks meet the width they get. On a terminal a table wider than the terminal wraps its cells
/// at spaces, never inside a word (a number, a model name, one bound of an interval), and never drops a column; when
/// even the longest words of its columns do not fit side by side, each row becomes a block of <c>column  value</c>
/// lines under the row's first cell. Written to a pipe or a file (<see cref="Plain"/>), a table is aligned plain text:
/// a header, a rule of dashes, one line per row, no box drawing and nothing padded past its longest cell; a
/// <see cref="TextBlock"/> is its title and its text.
/// </summary>
public sealed class ConsoleLayout : IRenderHook
{
    private const int Unbounded = 100_000;

    /// <summary>Cells up to this wide are never wrapped: numbers with their units, intervals, names.</summary>
    private const int ShortValue = 20;

    /// <summary>Spaces between the columns of a table drawn without borders.</summary>
    private const int ColumnGap = 2;

    private ConsoleLayout(bool plain) => Plain = plain;

    /// <summary>Whether output is plain text for a pipe or a file rather than laid out for a terminal.</summary>
    public bool Plain { get; }

    /// <summary>Lays out everything written to <paramref name="console"/> from now on; <paramref name="plain"/> for a pipe or a file.</summary>
    /// <param name="console">The console.</param>
    /// <param name="plain">Plain text (no box drawing, no padding) instead of tables fitted to the terminal's width.</param>
    public static ConsoleLayout Install(IAnsiConsole console, bool plain)
    {
        ArgumentNullException.ThrowIfNull(console);
        var layout = new ConsoleLayout(plain);
        console.Pipeline.Attach(layout);
        return layout;
    }

    /// <inheritdoc/>
    public IEnumerable<IRenderable> Process(RenderOptions options, IEnumerable<IRenderable> renderables)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(renderables);
        foreach (var renderable in renderables)
        {
            switch (renderable)
            {
                case Table table when Plain:
                    yield return new Text(PlainText(table, options));
                    break;
                case Table table:
                    yield return Fit(table, options);
                    break;
                case Grid grid when Plain:
                    yield return new Text(PlainText(grid, options));
                    break;
                case Markup or Text or Paragraph when !Plain:
                    yield return new Reflowed(renderable);
                    break;
                case TextBlock block when Plain:
                    yield return new Text($"{block.Title}:\n{block.Body}\n\n");
                    break;
                default:
                    yield return renderable;
                    break;
            }
        }
    }

    /// <summary>
    /// The table as it is when it fits; else with its columns narrowed (each to its least width, the room left shared
    /// out by how much each column still needs); else without borders, natural or narrowed; else one block per row.
    /// </summary>
    private static IRenderable Fit(Table table, RenderOptions options)
    {
        var width = options.ConsoleSize.Width;
        var cells = Cells(table, options);
        var columns = table.Columns.Count;
        if (columns == 0)
        {
            return table;
        }

        var widest = new int[columns];
        var least = new int[columns];
        for (var r = 0; r < cells.Count; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                var lines = cells[r][c].Split('\n');
                var cellWidest = lines.Max(CellWidth);
                widest[c] = Math.Max(widest[c], cellWidest);
                // Headers and long texts wrap between words; a short value (a number with its unit, an interval, a
                // name) stays on one line.
                var wraps = r == 0 || cellWidest > ShortValue;
                least[c] = Math.Max(least[c], wraps ? lines.SelectMany(l => l.Split(' ')).Max(CellWidth) : cellWidest);
            }
        }

        var frame = table.Columns.Sum(c => (c.Padding?.Left ?? 1) + (c.Padding?.Right ?? 1)) + (table.Border.Visible ? columns + 1 : 0);
        var compactFrame = ColumnGap * (columns - 1);
        if (widest.Sum() + frame <= width)
        {
            return table;
        }

        if (least.Sum() + frame <= width)
        {
            return Narrowed(table, least, widest, width - frame);
        }

        if (least.Sum() + compactFrame <= width)
        {
            table.Border(TableBorder.None);
            for (var c = 0; c < columns; c++)
            {
                table.Columns[c].Padding = new Padding(0, 0, c < columns - 1 ? ColumnGap : 0, 0);
            }

            return widest.Sum() + compactFrame <= width ? table : Narrowed(table, least, widest, width - compactFrame);
        }

        return Records(table, cells, options);
    }

    /// <summary>Each column at least <paramref name="least"/> wide; the rest of <paramref name="room"/> shared out by what each lacks.</summary>
    private static Table Narrowed(Table table, int[] least, int[] widest, int room)
    {
        var spare = room - least.Sum();
        var lacking = widest.Zip(least, (w, l) => w - l).ToArray();
        var totalLacking = Math.Max(1, lacking.Sum());
        for (var c = 0; c < least.Length; c++)
        {
            table.Columns[c].Width = least[c] + (int)((long)spare * lacking[c] / totalLacking);
            table.Columns[c].NoWrap = false;
        }

        return table;
    }

    /// <summary>
    /// One block per row: a heading of the first column's header and cell (the cell alone when the header is empty),
    /// then each other column's header and value, indented.
    /// </summary>
    private static Rows Records(Table table, List<string[]> cells, RenderOptions options)
    {
        var parts = new List<IRenderable>();
        if (table.Title is { } title)
        {
            parts.Add(new Text(TextOf(new Markup(title.Text), options), title.Style ?? Style.Plain));
        }

        var headers = cells[0];
        foreach (var row in table.Rows)
        {
            var values = row.Concat(Enumerable.Repeat<IRenderable>(Text.Empty, headers.Length)).Take(headers.Length).ToList();
            var heading = headers[0].Length == 0 ? values[0] : new Columns(new Text(headers[0] + ":"), values[0]).Collapse();
            parts.Add(heading);
            var grid = new Grid().AddColumn(new GridColumn().PadLeft(2).PadRight(2)).AddColumn(new GridColumn().PadRight(0));
            for (var c = 1; c < values.Count; c++)
            {
                grid.AddRow(new Text(headers[c]), values[c]);
            }

            parts.Add(grid);
        }

        return new Rows(parts);
    }

    /// <summary>The table as aligned plain text: title, header, a rule of dashes, one line per row.</summary>
    private static string PlainText(Table table, RenderOptions options)
    {
        var cells = Cells(table, options).Select(row => row.Select(cell => cell.Replace('\n', ' ').TrimEnd()).ToArray()).ToList();
        var widths = Enumerable.Range(0, table.Columns.Count).Select(c => cells.Max(row => CellWidth(row[c]))).ToArray();
        var text = new StringBuilder();
        if (table.Title is { } title)
        {
            text.Append(TextOf(new Markup(title.Text), options)).Append('\n');
        }

        var lines = table.ShowHeaders ? cells.Take(1).Append(widths.Select(w => new string('-', w)).ToArray()).Concat(cells.Skip(1)) : cells.Skip(1);
        return text.Append(Aligned(lines.ToList(), table.Columns.Select(c => c.Alignment).ToArray())).ToString();
    }

    /// <summary>A grid (label and value columns) as aligned plain lines: a value's own line breaks continue under its column.</summary>
    private static string PlainText(Grid grid, RenderOptions options)
    {
        var columns = grid.Columns.Count;
        var rows = new List<string[]>();
        foreach (var row in grid.Rows)
        {
            var cells = row.Select(cell => TextOf(cell, options).Split('\n')).Concat(Enumerable.Repeat(new[] { string.Empty }, columns)).Take(columns).ToArray();
            var height = cells.Max(c => c.Length);
            rows.AddRange(Enumerable.Range(0, height).Select(line => cells.Select(c => line < c.Length ? c[line] : string.Empty).ToArray()));
        }

        return Aligned(rows, grid.Columns.Select(c => c.Alignment).ToArray());
    }

    /// <summary>Rows of cells as lines: columns two spaces apart, each as wide as its widest cell, no trailing spaces.</summary>
    private static string Aligned(List<string[]> rows, Justify?[] alignment)
    {
        var columns = alignment.Length;
        var widths = Enumerable.Range(0, columns).Select(c => rows.Count == 0 ? 0 : rows.Max(row => CellWidth(row[c]))).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (var c = 0; c < columns; c++)
            {
                var pad = new string(' ', widths[c] - CellWidth(row[c]));
                line.Append(c == 0 ? string.Empty : "  ").Append(alignment[c] == Justify.Right ? pad + row[c] : row[c] + pad);
            }

            text.Append(line.ToString().TrimEnd()).Append('\n');
        }

        return text.ToString();
    }

    private static List<string[]> Cells(Table table, RenderOptions options) =>
        table.Rows.Select(row => row.Select(cell => TextOf(cell, options)).Concat(Enumerable.Repeat(string.Empty, table.Columns.Count)).Take(table.Columns.Count).ToArray())
            .Prepend(table.Columns.Select(c => TextOf(c.Header, options)).ToArray())
            .ToList();

    private static string TextOf(IRenderable renderable, RenderOptions options)
    {
        var text = new StringBuilder();
        foreach (var segment in renderable.Render(options, Unbounded))
        {
            text.Append(segment.IsLineBreak ? "\n" : segment.Text);
        }

        return string.Join('\n', text.ToString().Split('\n').Select(l => l.TrimEnd())).Trim('\n');
    }

    private static int CellWidth(string text) => new Segment(text).CellCount();

    /// <summary>
    /// A line of prose wrapped at spaces that do not hold a value together: never between a number and its unit
    /// (<c>66.0 %</c>), inside an interval in brackets (<c>[63.0 %, 68.8 %]</c>) or around <c>=</c> (<c>886/1343 = 66.0 %</c>).
    /// A value wider than the terminal is wrapped at its own spaces, and a word wider than that is cut.
    /// </summary>
    private sealed class Reflowed(IRenderable inner) : IRenderable
    {
        public Measurement Measure(RenderOptions options, int maxWidth) => inner.Measure(options, maxWidth);

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
        {
            var line = new List<(char Char, Style Style)>();
            var first = true;
            foreach (var segment in inner.Render(options, Unbounded).Append(Segment.LineBreak))
            {
                if (!segment.IsLineBreak)
                {
                    line.AddRange(segment.Text.Select(c => (c, segment.Style)));
                    continue;
                }

                foreach (var wrapped in Wrap(line, maxWidth))
                {
                    if (!first)
                    {
                        yield return Segment.LineBreak;
                    }

                    first = false;
                    foreach (var run in Runs(wrapped))
                    {
                        yield return run;
                    }
                }

                line.Clear();
            }
        }

        private static IEnumerable<List<(char Char, Style Style)>> Wrap(List<(char Char, Style Style)> line, int width)
        {
            var text = new string(line.Select(c => c.Char).ToArray()).TrimEnd();
            if (CellWidth(text) <= width)
            {
                yield return line.Take(text.Length).ToList();
                yield break;
            }

            var breakable = Breakable(text, holdValues: true);
            var start = 0;
            while (start < text.Length)
            {
                if (CellWidth(text[start..]) <= width)
                {
                    yield return line.Skip(start).Take(text.Length - start).ToList();
                    yield break;
                }

                // The last breakable space that leaves the line within the width; else the first one (a value wider
                // than the line), at a space inside it if need be; else a cut.
                var end = LastBreak(breakable, text, start, width) ?? LastBreak(Breakable(text, holdValues: false), text, start, width) ?? Math.Min(text.Length, start + width);
                yield return line.Skip(start).Take(end - start).ToList();
                start = end;
                while (start < text.Length && text[start] == ' ')
                {
                    start++;
                }
            }
        }

        private static int? LastBreak(bool[] breakable, string text, int start, int width)
        {
            int? found = null;
            for (var i = start + 1; i < text.Length && CellWidth(text[start..i]) <= width; i++)
            {
                if (breakable[i])
                {
                    found = i;
                }
            }

            return found;
        }

        /// <summary>Whether the line may break at each space (the space is dropped).</summary>
        private static bool[] Breakable(string text, bool holdValues)
        {
            var breakable = new bool[text.Length];
            var depth = 0;
            for (var i = 0; i < text.Length; i++)
            {
                depth += text[i] switch { '[' => 1, ']' => -1, _ => 0 };
                depth = Math.Max(depth, 0);
                if (text[i] != ' ' || i == 0 || text[i - 1] == ' ')
                {
                    continue;
                }

                var next = i + 1 < text.Length ? text[i + 1] : ' ';
                var held = text[i - 1] is '=' || next is '%' or '=' || (depth > 0 && text[i - 1] != ';');
                breakable[i] = !holdValues || !held;
            }

            return breakable;
        }

        private static IEnumerable<Segment> Runs(List<(char Char, Style Style)> line)
        {
            var start = 0;
            for (var i = 1; i <= line.Count; i++)
            {
                if (i == line.Count || !line[i].Style.Equals(line[start].Style))
                {
                    yield return new Segment(new string(line.Skip(start).Take(i - start).Select(c => c.Char).ToArray()), line[start].Style);
                    start = i;
                }
            }
        }
    }
}

/// <summary>A titled block of text: a panel on a terminal, the title and the text as they are in a pipe or a file.</summary>
/// <param name="title">The title.</param>
/// <param name="body">The text, shown as written (not markup).</param>
public sealed class TextBlock(string title, string body) : IRenderable
{
    /// <summary>The title.</summary>
    public string Title { get; } = title;

    /// <summary>The text.</summary>
    public string Body { get; } = body;

    /// <inheritdoc/>
    public Measurement Measure(RenderOptions options, int maxWidth) => ((IRenderable)Panel()).Measure(options, maxWidth);

    /// <inheritdoc/>
    public IEnumerable<Segment> Render(RenderOptions options, int maxWidth) => ((IRenderable)Panel()).Render(options, maxWidth);

    private Panel Panel() => new Panel(new Text(Body)).Header(Markup.Escape(Title)).Expand();
}

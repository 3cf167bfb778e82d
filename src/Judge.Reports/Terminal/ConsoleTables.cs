using Spectre.Console;

namespace Judge.Reports.Terminal;

/// <summary>What the console renderers share.</summary>
internal static class ConsoleTables
{
    /// <summary>Adds a row of plain text cells: brackets in intervals and names are not markup.</summary>
    public static void AddPlainRow(this Table table, params string[] cells) => table.AddRow(cells.Select(Markup.Escape).ToArray());

    /// <summary>A table with an escaped title.</summary>
    public static Table Titled(string title) => new Table().Title(Markup.Escape(title));
}

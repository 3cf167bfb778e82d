using System.CommandLine;
using System.Globalization;
using Judge.Reports.Terminal;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge rubrics list</c> and <c>judge rubrics show ID</c>.</summary>
internal static class RubricCommands
{
    private static readonly string[] NarrowColumns = ["id", "ver", "mode", "turns", "scale", "reference"];

    public static Command Create(IAnsiConsole console)
    {
        var dir = CommonOptions.RubricsDirectory();
        var list = new Command("list", "List the rubrics with their mode, scale and whether they need a reference answer.") { dir };
        list.SetAction(parse =>
        {
            var library = CommonOptions.LoadRubrics(parse.GetValue(dir));
            var table = new Table();
            foreach (var column in NarrowColumns)
            {
                table.AddColumn(new TableColumn(column).NoWrap());
            }

            // Titles only fit a wide terminal (or a pipe); `judge rubrics show ID` always has them.
            var withTitle = console.Profile.Width >= 120;
            if (withTitle)
            {
                table.AddColumn("title");
            }
            foreach (var r in library.All)
            {
                string[] cells =
                [
                    Markup.Escape(r.Id),
                    r.Version.ToString(CultureInfo.InvariantCulture),
                    r.Mode.ToString().ToLowerInvariant(),
                    r.Turns.ToString().ToLowerInvariant(),
                    r.Scale is { } s ? $"{s.Min}-{s.Max}" : "A/B/tie",
                    r.UsesReference ? "required" : "-",
                ];
                table.AddRow(withTitle ? [.. cells, Markup.Escape(r.Title)] : cells);
            }

            console.Write(table);
            return ExitCodes.Ok;
        });

        var id = new Argument<string>("id") { Description = "The rubric id (see judge rubrics list) or a rubric YAML file." };
        var show = new Command("show", "Show a rubric: its settings, scale, verdict format and prompt templates.") { id, dir };
        show.SetAction(parse =>
        {
            var r = CommonOptions.LoadRubrics(parse.GetValue(dir)).Get(parse.GetValue(id)!);
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("[bold]id[/]", Markup.Escape(r.Key));
            grid.AddRow("[bold]title[/]", Markup.Escape(r.Title));
            grid.AddRow("[bold]mode[/]", $"{r.Mode.ToString().ToLowerInvariant()}, {r.Turns.ToString().ToLowerInvariant()} turn");
            grid.AddRow("[bold]reference[/]", r.UsesReference ? "required" : "none");
            grid.AddRow("[bold]verdict[/]", Markup.Escape($"{r.Output.Tag}{(r.Output.FeedbackFirst ? " (feedback first)" : string.Empty)}"));
            if (r.Output.Labels.Count > 0)
            {
                grid.AddRow("[bold]labels[/]", Markup.Escape(string.Join(", ", r.Output.Labels.Select(l => $"{l.Key}={l.Value}"))));
            }

            if (r.Scale is { } scale)
            {
                grid.AddRow("[bold]scale[/]", $"{scale.Min}-{scale.Max}");
                foreach (var (level, text) in scale.Levels.OrderBy(l => l.Key))
                {
                    grid.AddRow($"  {level}", Markup.Escape(text));
                }
            }

            grid.AddRow("[bold]source[/]", Markup.Escape(r.SourcePath ?? "-"));
            console.Write(grid);
            if (r.Description.Length > 0)
            {
                console.WriteLine();
                console.WriteLine(r.Description);
            }

            if (r.System.Text.Length > 0)
            {
                console.Write(new TextBlock("system", r.System.Text.TrimEnd()));
            }

            console.Write(new TextBlock("prompt", r.Prompt.Text.TrimEnd()));
            return ExitCodes.Ok;
        });

        return new Command("rubrics", "Inspect the rubrics.") { list, show };
    }
}

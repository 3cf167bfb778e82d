using System.CommandLine;
using System.Globalization;
using Judge.Providers.Llama;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge models info PATH</c>: what a GGUF file holds, read without loading it.</summary>
internal static class ModelCommands
{
    public static Command Create(IAnsiConsole console)
    {
        var path = new Argument<string>("path") { Description = "A GGUF model file (for llama:PATH judges)." };
        var info = new Command("info", "Show a GGUF model's architecture, size, quantisation, context length, vocabulary and chat template, read from its header.") { path };
        info.SetAction(parse =>
        {
            var gguf = GgufReader.Read(parse.GetValue(path)!);
            string N(long? v) => v?.ToString("N0", CultureInfo.InvariantCulture) ?? "-";
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("[bold]file[/]", Markup.Escape(gguf.Path));
            grid.AddRow("[bold]format[/]", $"GGUF v{gguf.Version}");
            grid.AddRow("[bold]name[/]", Markup.Escape(gguf.Name ?? "-"));
            grid.AddRow("[bold]architecture[/]", Markup.Escape(gguf.Architecture ?? "-"));
            grid.AddRow("[bold]parameters[/]", gguf.ParameterCount.ToString("N0", CultureInfo.InvariantCulture));
            grid.AddRow("[bold]quantisation[/]", Markup.Escape(gguf.FileType ?? "-"));
            grid.AddRow("[bold]context length[/]", N(gguf.ContextLength));
            grid.AddRow("[bold]layers[/]", N(gguf.BlockCount));
            grid.AddRow("[bold]embedding[/]", N(gguf.EmbeddingLength));
            grid.AddRow("[bold]vocabulary[/]", $"{N(gguf.VocabularySize)} ({Markup.Escape(gguf.TokenizerModel ?? "-")})");
            grid.AddRow("[bold]chat template[/]", gguf.ChatTemplate is { } t ? $"{t.Length} characters" : "none (llama: judges use plain text)");
            grid.AddRow("[bold]metadata keys[/]", gguf.Metadata.Count.ToString(CultureInfo.InvariantCulture));
            grid.AddRow("[bold]tensors[/]", gguf.Tensors.Count.ToString(CultureInfo.InvariantCulture));
            console.Write(grid);
            return ExitCodes.Ok;
        });

        return new Command("models", "Inspect local model files.") { info };
    }
}

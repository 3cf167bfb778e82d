using System.CommandLine;
using Judge.Runs;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge batch export|import</c>: the OpenAI batch file format as an interface to other engines (vLLM's <c>run_batch</c>).</summary>
internal static class BatchCommands
{
    public static Command Create(IAnsiConsole console, TimeProvider time)
    {
        var config = new Argument<string>("config") { Description = "The run config (YAML) whose plan is exported; its one judge in batch mode (batch=on) writes the requests." };
        var output = new Option<string>("--out", "-o") { Description = "The request file to write (JSONL: custom_id, method, url, body).", Required = true };
        var judges = new Option<string[]>("--judge", "-j") { Description = "Judge spec(s) (override judges:).", AllowMultipleArgumentsPerToken = true };
        var export = new Command("export", "Write the request JSONL of a run config's plan, the exact bodies its batch-mode judge would send, for any engine that speaks the OpenAI batch format (e.g. vLLM run_batch). Calls nothing.")
        {
            config, output, judges,
        };
        export.SetAction(async (parse, cancellationToken) =>
        {
            var loaded = RunConfigLoader.LoadFile(parse.GetValue(config)!);
            var run = parse.GetValue(judges) is { Length: > 0 } j ? loaded with { Judges = CommonOptions.JudgeSpecs(j) } : loaded;
            var path = Path.GetFullPath(parse.GetValue(output)!);
            OutputPaths.Check([(path, "--out")], RunEngine.InputsOf(run));
            var lines = await new RunEngine(new Providers.JudgeFactory(), time).ExportBatchAsync(run, CommonOptions.LoadRubrics(run.RubricsDir), cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, lines, cancellationToken).ConfigureAwait(false);
            console.MarkupLineInterpolated($"{lines.Count(b => b == (byte)'\n')} requests written to {path}; run them, then: judge batch import {parse.GetValue(config)} RESULTS.jsonl");
            return ExitCodes.Ok;
        });

        return new Command("batch", "The OpenAI batch file format as an interface: export a run's requests for another engine, import its results.")
        {
            export,
            RunCommand.Create(console, time, import: true),
        };
    }
}

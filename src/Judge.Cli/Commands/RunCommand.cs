using System.CommandLine;
using Judge.Reports;
using Judge.Reports.Terminal;
using Judge.Runs;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge run judge.yaml</c>: a whole evaluation from a config file, resumable, gated, with reports.</summary>
internal static class RunCommand
{
    /// <summary><c>judge run</c>; with <paramref name="import"/>, <c>judge batch import</c>: the same run, its batch-mode judge answered from a results file.</summary>
    public static Command Create(IAnsiConsole console, TimeProvider time, bool import = false)
    {
        var config = new Argument<string>("config") { Description = "The run config (YAML): data, mode, rubrics, judges, options, thresholds, output." };
        var results = new Argument<string>("results") { Description = "The output file of an engine that ran the exported requests (OpenAI batch format, e.g. vLLM run_batch -o)." };
        var resume = new Option<bool>("--resume") { Description = "Finish an interrupted run in the output folder: keep its judgments, judge only what is missing." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Start again even if the output folder holds a run (its files are replaced)." };
        var retryErrors = new Option<bool>("--retry-errors") { Description = "Resume the run in the output folder, judging again only the items recorded as error (options.retry_errors)." };
        var quiet = new Option<bool>("--quiet") { Description = "Print nothing but errors." };
        var json = new Option<bool>("--json") { Description = "Print only a machine-readable JSON summary on stdout." };
        var outDir = new Option<string?>("--out", "-o") { Description = "The output folder (overrides output:)." };
        var judges = new Option<string[]>("--judge", "-j") { Description = "Judge spec(s) (override judges:); one cascade(SPEC, …)?calibration=FILE or panel(SPEC, …) spec replaces them with a cascade or panel.", AllowMultipleArgumentsPerToken = true };
        var repeat = new Option<int?>("--repeat") { Description = "Judge each item N times with seeds seed..seed+N-1 (overrides options.repeats)." }.AtLeastOne();
        var limit = new Option<int?>("--limit") { Description = "Judge at most this many items per turn (overrides options.limit)." }.AtLeastOne();
        var concurrency = new Option<int?>("--concurrency") { Description = "Items judged at once (overrides options.concurrency)." }.AtLeastOne();
        var seed = new Option<int?>("--seed") { Description = "Seed (overrides options.seed)." };
        var verdict = new Option<string>("--verdict") { Description = "How judges give their verdict (overrides options.verdict): auto, text, json, or logits (local llama: judges only: read straight after the prompt, no feedback first)." }.OneOf("auto", "text", "json", "logits");
        var dryRun = new Option<bool>("--dry-run") { Description = "Render every prompt of the config's run and estimate calls, tokens and cost; call no judge, write nothing." };
        var expectedOutputTokens = new Option<int>("--expected-output-tokens") { Description = "Tokens a judge is assumed to write per call, for --dry-run.", DefaultValueFactory = _ => 200 }.AtLeastOne();
        var shard = new Option<string?>("--shard") { Description = "Judge only shard K of N (K/N, 1-based): a deterministic split of the plan by item, for CI matrices; combine the shards' folders with `judge merge`." };

        var command = import
            ? new Command("import", "Record an OpenAI-batch-format results file (e.g. from vLLM run_batch over `judge batch export`) as the run of a config, as if its batch-mode judge had been called live; then gate and report as `judge run` does. Requests without an answer there are called live.")
            {
                config, results, resume, overwrite, retryErrors, quiet, json, outDir, judges, repeat, limit, concurrency, seed,
            }
            : new Command("run", "Run an evaluation from a config file: judge, gate on thresholds, write reports. Resumable with --resume.")
            {
                config, resume, overwrite, retryErrors, quiet, json, outDir, judges, repeat, limit, concurrency, seed, shard, verdict, dryRun, expectedOutputTokens,
            };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var loaded = RunConfigLoader.LoadFile(parse.GetValue(config)!);
            var run = loaded with
            {
                Options = loaded.Options with
                {
                    Repeats = parse.GetValue(repeat) ?? loaded.Options.Repeats,
                    Limit = parse.GetValue(limit) ?? loaded.Options.Limit,
                    Concurrency = parse.GetValue(concurrency) ?? loaded.Options.Concurrency,
                    Seed = parse.GetValue(seed) ?? loaded.Options.Seed,
                    Shard = parse.GetValue(shard) is { } k ? RunEngine.ParseShard(k) : loaded.Options.Shard,
                    RetryErrors = parse.GetValue(retryErrors) || loaded.Options.RetryErrors,
                    Verdict = parse.GetValue(verdict) is { } v ? Enum.Parse<VerdictMode>(v, ignoreCase: true) : loaded.Options.Verdict,
                },
                Output = parse.GetValue(outDir) is { } o ? Path.GetFullPath(o) : loaded.Output,
            };
            run = parse.GetValue(judges) is { Length: > 0 } j ? run.WithJudges(CommonOptions.JudgeSpecs(j)) : run;
            if (!import && parse.GetValue(dryRun))
            {
                var estimate = new RunEngine(new Providers.JudgeFactory()).Estimate(run, CommonOptions.LoadRubrics(run.RubricsDir), parse.GetValue(expectedOutputTokens));
                RunEstimateConsole.Write(console, estimate);
                return ExitCodes.Ok;
            }

            var start = CommonOptions.Start(parse.GetValue(resume) || (loaded.Options.RetryErrors && !parse.GetValue(overwrite)), parse.GetValue(overwrite), parse.GetValue(retryErrors), RunStart.New);
            var jsonOut = parse.GetValue(json);
            var quietOut = parse.GetValue(quiet) || jsonOut;
            var files = RunFiles.InFolder(run.Output);
            EngineRuns.CheckReports(run.Output, parse.GetValue(outDir) is null ? "output" : "--out", run, files);
            var result = await EngineRuns.ExecuteAsync(console, time, parse, run, files, start, quietOut, parse.GetValue(outDir) is null ? "output" : "--out", cancellationToken, import ? parse.GetValue(results) : null).ConfigureAwait(false);
            if (result is null)
            {
                return EngineRuns.Interrupted;
            }

            var exit = EngineRuns.ExitCode(result.Outcome);
            var reports = ReportWriter.WriteAll(result, run.Output).All(files);
            if (jsonOut)
            {
                console.Profile.Out.Writer.WriteLine(JsonSummary.Write(result, reports, exit));
            }
            else if (!quietOut)
            {
                RunSummaryConsole.Write(console, result, showGates: true);
                console.MarkupLineInterpolated($"reports: {reports["html"]}, {reports["markdown"]}, {reports["junit"]}, {reports["csv"]}");
                console.MarkupLineInterpolated($"result: {result.OutcomeText} (exit {exit})");
            }

            return exit;
        });
        return command;
    }

    /// <summary><c>judge merge CONFIG SHARD_DIR… --out DIR</c>: the shards of a run as one results folder, with its reports.</summary>
    public static Command CreateMerge(IAnsiConsole console)
    {
        var config = new Argument<string>("config") { Description = "The run config the shards ran (with --shard K/N)." };
        var shards = new Argument<string[]>("shards") { Description = "The shards' output folders.", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out", "-o") { Description = "The merged results folder.", Required = true };
        var command = new Command("merge", "Combine the output folders of a sharded run (judge run --shard K/N) into one results folder whose analysis and reports equal an unsharded run's.")
        {
            config, shards, outDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var run = RunConfigLoader.LoadFile(parse.GetValue(config)!);
            var output = Path.GetFullPath(parse.GetValue(outDir)!);
            var files = RunFiles.InFolder(output);
            var result = await new RunEngine(new Providers.JudgeFactory()).MergeAsync(run, parse.GetValue(shards)!, files, CommonOptions.LoadRubrics(run.RubricsDir), cancellationToken).ConfigureAwait(false);
            var exit = EngineRuns.ExitCode(result.Outcome);
            var reports = ReportWriter.WriteAll(result, output).All(files);
            RunSummaryConsole.Write(console, result, showGates: true);
            console.MarkupLineInterpolated($"reports: {reports["html"]}, {reports["markdown"]}, {reports["junit"]}, {reports["csv"]}");
            console.MarkupLineInterpolated($"result: {result.OutcomeText} (exit {exit})");
            return exit;
        });
        return command;
    }
}

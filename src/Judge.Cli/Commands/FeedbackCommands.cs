using System.CommandLine;
using Judge.Feedback;
using Judge.Judging;
using Judge.Providers;
using Judge.Reports.Terminal;
using Judge.Rubrics;
using Judge.Runs;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge feedback generate</c>: Prometheus-style feedback data generation.</summary>
internal static class FeedbackCommands
{
    public static Command Create(IAnsiConsole console, TimeProvider time)
    {
        var output = new Option<string>("--out", "-o") { Description = "Output folder: stage files, rejections, journal and exports.", Required = true };
        var generator = new Option<string>("--generator") { Description = "Judge spec of the model that writes rubrics, instructions and responses, e.g. openai:gpt-4o.", Required = true };
        var judge = new Option<string>("--judge") { Description = "Judge spec of the model that writes feedback and scores.", Required = true };
        var secondJudge = new Option<string?>("--second-judge") { Description = "Judge spec asked about responses whose score misses their target; when it gives the same score, the response is kept with that score." };
        var seeds = new Option<string?>("--seeds") { Description = "Folder of seed rubric YAML files. Default: RUBRICS/feedback/seeds." };
        var prompts = new Option<string?>("--prompts") { Description = "Folder of the stage prompt files. Default: RUBRICS/feedback." };
        var rubrics = new Option<int>("--rubrics") { Description = "New rubrics to generate.", DefaultValueFactory = _ => 10 };
        var perCall = new Option<int>("--rubrics-per-call") { Description = "New rubrics asked for per generator call.", DefaultValueFactory = _ => 5 };
        var includeSeeds = new Option<bool>("--include-seeds") { Description = "Also write instructions for the seed rubrics." };
        var instructions = new Option<int>("--instructions-per-rubric") { Description = "Instructions per rubric.", DefaultValueFactory = _ => 20 };
        var responses = new Option<int>("--responses-per-level") { Description = "Responses per instruction and score level (1-5).", DefaultValueFactory = _ => 1 };
        var tolerance = new Option<int>("--tolerance") { Description = "How far the judged score may miss the target level.", DefaultValueFactory = _ => 0 };
        var threshold = new Option<double>("--dedupe-threshold") { Description = "Jaccard similarity of word 3-gram shingles at which a text is a near-duplicate.", DefaultValueFactory = _ => 0.7 };
        var noBalance = new Option<bool>("--no-balance") { Description = "Export every kept item instead of downsampling each score level to the smallest one." };
        var seed = new Option<int>("--seed") { Description = "Seed for example choice, sampling and balancing.", DefaultValueFactory = _ => 0 };
        var concurrency = new Option<int>("--concurrency") { Description = "Model calls in flight at once.", DefaultValueFactory = _ => 4 };
        var stages = new Option<string?>("--stages") { Description = "Comma-separated stages to run: rubrics, instructions, responses, feedback, export." };
        var from = new Option<string?>("--from") { Description = "First stage to run." };
        var until = new Option<string?>("--until") { Description = "Last stage to run." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print per stage the calls, tokens, cost and time it will take; call no model." };
        var prices = new Option<string?>("--prices") { Description = "Price table (YAML or JSON) overriding the built-in one, for --dry-run and the live cost." };
        var rpm = new Option<int>("--rpm") { Description = "Requests per minute assumed for the --dry-run time estimate.", DefaultValueFactory = _ => 500 };
        var dir = CommonOptions.RubricsDirectory();

        var generate = new Command("generate", "Generate a Prometheus-style feedback data set: rubrics, instructions, responses per score, judged feedback, exports.")
        {
            output, generator, judge, secondJudge, seeds, prompts, rubrics, perCall, includeSeeds, instructions, responses, tolerance, threshold, noBalance, seed, concurrency, stages, from, until, dryRun, prices, rpm, dir,
        };
        generate.SetAction(async (parse, cancellationToken) =>
        {
            var judgeRubric = CommonOptions.LoadRubrics(parse.GetValue(dir)).Get("prometheus-absolute");
            var stagePrompts = CommonOptions.LoadFeedbackPrompts(parse.GetValue(prompts), parse.GetValue(dir));
            var seedRubrics = CommonOptions.LoadFeedbackSeeds(parse.GetValue(seeds), parse.GetValue(dir));
            var options = new FeedbackOptions
            {
                NewRubrics = Positive(parse.GetValue(rubrics), "--rubrics"),
                RubricsPerCall = Positive(parse.GetValue(perCall), "--rubrics-per-call"),
                IncludeSeeds = parse.GetValue(includeSeeds),
                InstructionsPerRubric = Positive(parse.GetValue(instructions), "--instructions-per-rubric"),
                ResponsesPerLevel = Positive(parse.GetValue(responses), "--responses-per-level"),
                ScoreTolerance = parse.GetValue(tolerance) is >= 0 and <= 4 and var tol ? tol : throw new InputException(null, null, "--tolerance", $"must be from 0 to 4 (score levels 1-5), not {parse.GetValue(tolerance)}"),
                DuplicateThreshold = parse.GetValue(threshold) is var t and >= 0 and <= 1 ? t : throw new InputException(null, null, "--dedupe-threshold", "must lie between 0 and 1"),
                Balance = !parse.GetValue(noBalance),
                Seed = parse.GetValue(seed),
                Concurrency = Positive(parse.GetValue(concurrency), "--concurrency"),
            };
            var selected = SelectStages(parse.GetValue(stages), parse.GetValue(from), parse.GetValue(until));
            var generatorSpec = JudgeSpec.Parse(parse.GetValue(generator)!);
            var judgeSpec = JudgeSpec.Parse(parse.GetValue(judge)!);
            var secondSpec = parse.GetValue(secondJudge) is { } s ? JudgeSpec.Parse(s) : null;

            var table = parse.GetValue(prices) is { } path ? PriceTable.BuiltIn.WithOverrides(path) : PriceTable.BuiltIn;
            if (parse.GetValue(dryRun))
            {
                FeedbackConsole.WritePlan(console, FeedbackEstimate.For(stagePrompts, judgeRubric, seedRubrics, options, selected.ToList(), generatorSpec, judgeSpec, secondSpec, table, Math.Max(1, parse.GetValue(rpm))));
                return ExitCodes.Ok;
            }

            CheckOutput(parse.GetValue(output)!, parse.GetValue(seeds), parse.GetValue(prompts), parse.GetValue(dir), parse.GetValue(prices), [generatorSpec, judgeSpec, secondSpec]);
            var run = new Generation(judgeRubric, stagePrompts, seedRubrics, options, selected, generatorSpec, judgeSpec, secondSpec, table, parse.GetValue(output)!);
            return await GenerateAsync(console, time, parse, run, cancellationToken).ConfigureAwait(false);
        });

        return new Command("feedback", "Feedback data generation in the style of Prometheus's Feedback Collection.") { generate };
    }

    /// <summary>
    /// Refuses an output folder that is a file, an input or a folder the command reads (seeds, prompts, rubrics), and one
    /// where a file the pipeline writes (<see cref="FeedbackPipeline.OutputFiles"/>) is, or resolves to, an input: all
    /// before anything is created.
    /// </summary>
    private static void CheckOutput(string output, string? seeds, string? prompts, string? rubricsDirectory, string? prices, IEnumerable<JudgeSpec?> specs)
    {
        var rubrics = CommonOptions.RubricsPath(rubricsDirectory);
        (string? Folder, string Key)[] folders =
        [
            (seeds ?? (rubrics is null ? null : Path.Combine(rubrics, "feedback", "seeds")), seeds is null ? "--rubrics-dir" : "--seeds"),
            (prompts ?? (rubrics is null ? null : Path.Combine(rubrics, "feedback")), prompts is null ? "--rubrics-dir" : "--prompts"),
            (rubrics, "--rubrics-dir"),
        ];
        var read = folders.Select(f => f.Folder).OfType<string>().Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories))
            .Concat(specs.OfType<JudgeSpec>().SelectMany(s => s.FilesRead))
            .Append(prices)
            .OfType<string>()
            .ToList();
        OutputPaths.CheckFolder(output, "--out", read, folders.Where(f => f.Folder is not null).Select(f => (f.Folder!, f.Key)));
        OutputPaths.Check(FeedbackPipeline.OutputFiles(output).Select(p => (p, "--out")), read);
    }

    /// <summary>What one <c>feedback generate</c> asks for, parsed and checked.</summary>
    private sealed record Generation(
        Rubric JudgeRubric, FeedbackPrompts Prompts, IReadOnlyList<FeedbackRubric> Seeds, FeedbackOptions Options, IReadOnlyList<FeedbackStage> Stages,
        JudgeSpec Generator, JudgeSpec Judge, JudgeSpec? Second, PriceTable Prices, string Out);

    /// <summary>Pulls the local models, builds the models and runs the pipeline with live progress; a stop says how to resume.</summary>
    private static async Task<int> GenerateAsync(IAnsiConsole console, TimeProvider time, ParseResult parse, Generation run, CancellationToken cancellationToken)
    {
        foreach (var spec in new[] { run.Generator, run.Judge, run.Second }.OfType<JudgeSpec>())
        {
            await ModelPulling.EnsureCachedAsync(console, spec, quiet: false, cancellationToken).ConfigureAwait(false);
        }

        // A model in batch mode (batch=on) gets a client serving its batches' answers, and a batch side.
        var factory = new JudgeFactory(ChatClientRegistry.CreateDefault());
        var generatorModel = factory.CreateFeedbackModel(run.Generator);
        using var models = new FeedbackModels
        {
            Generator = generatorModel,
            Judge = run.Judge.Text == run.Generator.Text ? generatorModel : factory.CreateFeedbackModel(run.Judge),
            SecondJudge = run.Second is null ? null : factory.CreateFeedbackModel(run.Second),
            Prices = run.Prices,
            Note = note => console.MarkupLineInterpolated($"[grey]{note}[/]"),
        };
        var outDir = run.Out;
        var pipeline = new FeedbackPipeline(run.Prompts, run.JudgeRubric, models, run.Options, outDir, time);
        console.MarkupLineInterpolated($"generating into {outDir}: {run.Seeds.Count} seed rubrics, stages {string.Join(", ", run.Stages.Select(Name))}");
        var live = new LiveProgress(console, quiet: false);
        var finished = new List<FeedbackStage>();
        try
        {
            var result = await live.RunAsync(() => pipeline.RunAsync(
                run.Seeds,
                run.Stages,
                summary =>
                {
                    finished.Add(summary.Stage);
                    FeedbackConsole.WriteStage(console, summary);
                },
                live.Update,
                cancellationToken)).ConfigureAwait(false);
            FeedbackConsole.WriteSummary(console, result, outDir);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run checks the token before each stage, so a stop always leaves a stage unfinished.
            var remaining = run.Stages.Except(finished).ToList();
            var journal = Path.Combine(outDir, FeedbackPipeline.JournalFile);
            var responses = File.Exists(journal) ? File.ReadLines(journal).Count(l => l.Length > 0) : 0;
            var files = finished.Count == 0 ? "no stage finished" : $"finished {string.Join(", ", finished.Select(Name))} ({string.Join(", ", finished.Select(FileNameOf))})";
            console.MarkupLineInterpolated($"[yellow]stopped[/] in the {Name(remaining[0])} stage: {files}; {responses} model responses kept in {journal}, served from there when resumed");
            console.MarkupLineInterpolated($"resume with: {ResumeCommand(parse, remaining)}");
            return ExitCodes.Interrupted;
        }
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new InputException(null, null, name, "must be at least 1");

    private static string Name(FeedbackStage stage) => FeedbackConsole.Name(stage);

    private static string FileNameOf(FeedbackStage stage) => stage == FeedbackStage.Export
        ? $"{FeedbackPipeline.FeedbackCollectionFile}, {FeedbackPipeline.PreferenceCollectionFile}"
        : FeedbackPipeline.FileOf(stage);

    /// <summary>
    /// The command that goes on from the first unfinished of the stages: the same arguments, with <c>--from</c> that
    /// stage (or, after <c>--stages</c>, the list of the unfinished ones). The journal serves what was paid for.
    /// </summary>
    internal static string ResumeCommand(ParseResult parse, IReadOnlyList<FeedbackStage> remaining)
    {
        var tokens = parse.Tokens.Select(t => t.Value).ToList();
        var listed = tokens.Contains("--stages");
        foreach (var option in new[] { "--stages", "--from" })
        {
            var at = tokens.IndexOf(option);
            if (at >= 0)
            {
                tokens.RemoveRange(at, Math.Min(2, tokens.Count - at));
            }
        }

        tokens.AddRange(listed ? ["--stages", string.Join(',', remaining.Select(Name))] : ["--from", Name(remaining[0])]);
        return EngineRuns.CommandLine(tokens);
    }

    private static FeedbackStage ParseStage(string text, string option) =>
        Enum.TryParse<FeedbackStage>(text.Trim(), ignoreCase: true, out var stage) && Enum.IsDefined(stage)
            ? stage
            : throw new InputException(null, null, option, $"unknown stage '{text}'; stages: {string.Join(", ", Enum.GetValues<FeedbackStage>().Select(Name))}");

    /// <summary>The stages chosen by <c>--stages</c>, or by <c>--from</c>/<c>--until</c>; all by default.</summary>
    internal static IReadOnlyList<FeedbackStage> SelectStages(string? stages, string? from, string? until)
    {
        if (stages is not null)
        {
            if (from is not null || until is not null)
            {
                throw new InputException(null, null, "--stages", "give either --stages or --from/--until");
            }

            return stages.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => ParseStage(s, "--stages")).Distinct().Order().ToList();
        }

        var first = from is null ? FeedbackStage.Rubrics : ParseStage(from, "--from");
        var last = until is null ? FeedbackStage.Export : ParseStage(until, "--until");
        return last < first
            ? throw new InputException(null, null, "--until", $"{Name(last)} comes before {Name(first)}")
            : Enum.GetValues<FeedbackStage>().Where(s => s >= first && s <= last).ToList();
    }
}

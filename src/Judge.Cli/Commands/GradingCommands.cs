using System.CommandLine;
using Judge.Judging;
using Judge.Reports;
using Judge.Reports.Terminal;
using Judge.Runs;
using Judge.Verdicts;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary>
/// <c>judge compare</c> (pairwise) and <c>judge grade</c> (absolute): a run of the engine built from
/// command-line options, with the same resume, progress and summary as <c>judge run</c>.
/// </summary>
internal static class GradingCommands
{
    private sealed class Inputs
    {
        public Option<string> Questions { get; } = new("--questions", "-q") { Description = "Questions: MT-Bench JSONL (question_id, category, turns[]) or CSV.", Required = true };

        public Option<string[]> Answers { get; } = new("--answers", "-a") { Description = "Answers: MT-Bench JSONL (question_id, model_id, choices[0].turns[]) or CSV; repeat for each file.", Required = true, AllowMultipleArgumentsPerToken = true };

        public Option<string?> References { get; } = new("--references", "-r") { Description = "Reference answers (same shape as answers). Questions with a reference get the reference-guided rubric." };

        public Option<string?> Rubric { get; } = new("--rubric") { Description = "Rubric id or YAML file for every item. Default: chosen per item as MT-Bench does (reference-guided when the question has a reference, multi-turn from turn 2)." };

        public Option<string> Judge { get; } = new("--judge", "-j") { Description = "The judge: replay:PATH (recorded verdicts), llama:MODEL.gguf or llama:NAME (local), openai:MODEL, azure:DEPLOYMENT (hosted), mock:… (scripted, for tests); options after ?, e.g. openai:gpt-4o?rpm=60; cascade(SPEC, SPEC)?calibration=FILE or panel(SPEC, SPEC, …) for a cascade or panel (docs/trust.md).", Required = true };

        public Option<int> Turn { get; } = new Option<int>("--turn", "-t") { Description = "The turn to judge (1-based).", DefaultValueFactory = _ => 1 }.AtLeastOne();

        public Option<int> Seed { get; } = new("--seed") { Description = "Seed for order draws and for judges that accept one.", DefaultValueFactory = _ => 0 };

        public Option<int?> Limit { get; } = new Option<int?>("--limit") { Description = "Judge at most this many items (the first in plan order); at least 1." }.AtLeastOne();

        public Option<string?> Out { get; } = new("--out", "-o") { Description = "The judgments JSONL file to write; its journal and manifest go beside it (X.responses.jsonl, X.manifest.json)." };

        public Option<bool> Resume { get; } = new("--resume") { Description = "Finish an interrupted run into the same --out: keep its judgments, judge only what is missing, reuse answers already paid for." };

        public Option<bool> Overwrite { get; } = new("--overwrite") { Description = "Replace the run in --out, finished or not, instead of refusing or resuming it (paying again for what it judged)." };

        public Option<bool> RetryErrors { get; } = new("--retry-errors") { Description = "Resume the run in --out, judging again only the items recorded as error (after an outage); every other judgment is kept and not paid for again." };

        public Option<bool> Quiet { get; } = new("--quiet") { Description = "No progress and no summary; only errors." };

        public Option<string?> Report { get; } = new("--report") { Description = "Also write the run's reports into this folder, as judge run does: report.html, summary.md, junit.xml, verdicts.csv." };

        public Option<int> Concurrency { get; } = new Option<int>("--concurrency") { Description = "Items judged at once.", DefaultValueFactory = _ => 4 }.AtLeastOne();

        public Option<string?> Columns { get; } = new("--columns") { Description = "Column map for CSV inputs: field=Column,… (fields: question_id, category, model_id, turn1, turn2, …, question, answer)." };

        public Option<string?> RubricsDir { get; } = CommonOptions.RubricsDirectory();

        public Option<int?> MaxTokens { get; } = new Option<int?>("--max-tokens") { Description = "The most tokens the judge may write per call (default 1024); also bounds the feedback a local judge writes before a logit verdict." }.AtLeastOne();

        public Option<string> Verdict { get; } = new Option<string>("--verdict")
        {
            Description = "How the judge gives its verdict: auto (read from the logits where the judge offers them, as local llama: judges do; else written as the rubric asks), " +
                "text (always written, in the rubric's format, and parsed), json (written as a JSON object of feedback and verdict under a schema: " +
                "a grammar for local judges, structured output for hosted ones), logits (read from the logits straight after the prompt, no feedback written first: " +
                "one forward pass per call; local llama: judges only).",
            DefaultValueFactory = _ => "auto",
        }.OneOf("auto", "text", "json", "logits");

        public Option<bool> DryRun { get; } = new("--dry-run") { Description = "Render every prompt and estimate calls, tokens and cost; call no judge." };

        public Option<int> ExpectedOutputTokens { get; } = new Option<int>("--expected-output-tokens") { Description = "Tokens a judge is assumed to write per call, for --dry-run.", DefaultValueFactory = _ => 200 }.AtLeastOne();

        public Option<string?> Prices { get; } = new("--prices") { Description = "Price table (YAML/JSON: model: { input: USD per 1M, output: USD per 1M }) over the built-in one, for costs." };

        public Option<bool> NoCache { get; } = new("--no-cache") { Description = "Hosted judges: neither read nor write the response cache." };

        public Option<bool> Refresh { get; } = new("--refresh") { Description = "Hosted judges: call the judge again and overwrite cached responses." };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Questions, Answers, References, Rubric, Judge, Turn, Seed, Limit, Out, Resume, Overwrite, RetryErrors, Quiet, Report, Concurrency, Columns, RubricsDir, MaxTokens, Verdict, DryRun, ExpectedOutputTokens, Prices, NoCache, Refresh })
            {
                command.Add(option);
            }
        }

        /// <summary>The judge spec with the cache flags applied, file targets resolved against the working directory.</summary>
        public JudgeSpec JudgeSpecOf(ParseResult parse)
        {
            var spec = JudgeSpec.Parse(parse.GetValue(Judge)!);
            if (parse.GetValue(NoCache) && parse.GetValue(Refresh))
            {
                throw new InputException(null, null, "--refresh", "cannot be combined with --no-cache");
            }

            return (parse.GetValue(NoCache) ? spec.WithOption("cache_mode", "off")
                : parse.GetValue(Refresh) ? spec.WithOption("cache_mode", "refresh")
                : spec).ResolvedAgainst(Environment.CurrentDirectory);
        }

        /// <summary>The run these options ask for.</summary>
        public RunRequest Request(ParseResult parse, RunMode mode, RunOptions modeOptions)
        {
            return new RunRequest
            {
                Mode = mode,
                Questions = parse.GetValue(Questions)!,
                Answers = parse.GetValue(Answers)!,
                References = parse.GetValue(References),
                Rubric = parse.GetValue(Rubric),
                RubricsDir = parse.GetValue(RubricsDir),
                Judge = JudgeSpecOf(parse),
                Columns = Data.CsvColumnMap.Parse(parse.GetValue(Columns)).Columns.ToDictionary(StringComparer.Ordinal),
                Options = modeOptions with
                {
                    Turns = [parse.GetValue(Turn)],
                    Seed = parse.GetValue(Seed),
                    Limit = parse.GetValue(Limit),
                    Concurrency = parse.GetValue(Concurrency),
                    MaxTokens = parse.GetValue(MaxTokens),
                    Verdict = Enum.Parse<VerdictMode>(parse.GetValue(Verdict)!, ignoreCase: true),
                    Prices = parse.GetValue(Prices),
                    RetryErrors = parse.GetValue(RetryErrors),
                },
                Output = parse.GetValue(Out),
            };
        }

        /// <summary>Runs the request, or estimates it with --dry-run.</summary>
        public async Task<int> RunAsync(IAnsiConsole console, TimeProvider time, ParseResult parse, RunRequest request, CancellationToken cancellationToken)
        {
            var config = request.ToConfig();
            if (parse.GetValue(DryRun))
            {
                var estimate = new RunEngine(new Providers.JudgeFactory()).Estimate(config, CommonOptions.LoadRubrics(config.RubricsDir), parse.GetValue(ExpectedOutputTokens));
                RunEstimateConsole.Write(console, estimate);
                return ExitCodes.Ok;
            }

            var files = RunFiles.BesideResults(config.Output);
            var reportFolder = parse.GetValue(Report) is { } folder ? Path.GetFullPath(folder) : null;
            if (reportFolder is not null && File.Exists(reportFolder))
            {
                throw new InputException(reportFolder, null, "--report", "is a file; give a folder for the reports");
            }

            if (reportFolder is not null)
            {
                EngineRuns.CheckReports(reportFolder, "--report", config, files);
            }

            var start = CommonOptions.Start(parse.GetValue(Resume), parse.GetValue(Overwrite), config.Options.RetryErrors, RunStart.New);
            var quiet = parse.GetValue(Quiet);
            var result = await EngineRuns.ExecuteAsync(console, time, parse, config, files, start, quiet, "--out", cancellationToken).ConfigureAwait(false);
            if (result is null)
            {
                return EngineRuns.Interrupted;
            }

            var exit = EngineRuns.ExitCode(result.Outcome);
            if (!quiet)
            {
                RunSummaryConsole.Write(console, result, showGates: false);
                console.MarkupLineInterpolated($"results: {request.OutputAsGiven}");
            }

            if (reportFolder is not null)
            {
                var reports = ReportWriter.WriteAll(result, reportFolder);
                if (!quiet)
                {
                    console.MarkupLineInterpolated($"reports: {reports.Html}, {reports.Markdown}, {reports.JUnit}, {reports.Csv}");
                }
            }

            if (result.Analysis.ErrorRateExceeded)
            {
                var errors = result.Analysis.ByStatus.GetValueOrDefault(VerdictStatus.Error);
                console.MarkupLineInterpolated($"[red]{errors} items have no verdict because the judge failed; see status \"error\" in {files.Judgments}[/]");
            }
            else if (result.Analysis.NothingJudged)
            {
                console.MarkupLine("[red]nothing was judged[/] (no planned item had the answers it needs); see the skipped items above");
            }

            return exit;
        }
    }

    public static Command Compare(IAnsiConsole console, TimeProvider time)
    {
        var inputs = new Inputs();
        var swap = new Option<string>("--swap") { Description = "both: judge both orders (default); none: A first only; random: one order drawn per item from --seed.", DefaultValueFactory = _ => "both" };
        swap.AcceptOnlyFromAmong("both", "none", "random");
        var disagreement = new Option<string>("--on-disagreement") { Description = "When the two orders disagree: tie (an inconsistent tie, default) or drop (no verdict).", DefaultValueFactory = _ => "tie" };
        disagreement.AcceptOnlyFromAmong("tie", "drop");
        var pairs = new Option<string?>("--pairs") { Description = "Which pairs: all (default; for recorded verdicts, the recorded pairs), baseline:MODEL, or labels:FILE (the pairs a labels file names, e.g. human judgments)." };

        var command = new Command("compare", "Compare models' answers pairwise, with position swap. Resumable with --resume.");
        inputs.AddTo(command);
        command.Add(swap);
        command.Add(disagreement);
        command.Add(pairs);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var pairSpec = parse.GetValue(pairs);
            if (pairSpec is not null && pairSpec != "all" && !pairSpec.StartsWith("baseline:", StringComparison.Ordinal) && !pairSpec.StartsWith("labels:", StringComparison.Ordinal))
            {
                throw new InputException(null, null, "--pairs", $"'{pairSpec}' is not all, baseline:MODEL or labels:FILE");
            }

            var request = inputs.Request(parse, RunMode.Compare, new RunOptions
            {
                Swap = parse.GetValue(swap)!,
                OnDisagreement = parse.GetValue(disagreement)!,
                Pairs = pairSpec,
            });
            return await inputs.RunAsync(console, time, parse, request, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    public static Command Grade(IAnsiConsole console, TimeProvider time)
    {
        var inputs = new Inputs();
        var models = new Option<string[]>("--models") { Description = "Grade only these models (default: every model with answers).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("grade", "Grade each answer on the rubric's absolute scale. Resumable with --resume.");
        inputs.AddTo(command);
        command.Add(models);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var request = inputs.Request(parse, RunMode.Grade, new RunOptions
            {
                Models = parse.GetValue(models) is { Length: > 0 } m ? m : [],
            });
            return await inputs.RunAsync(console, time, parse, request, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}

using System.CommandLine;
using System.Globalization;
using Judge.Data;
using Judge.Grading;
using Judge.Judges;
using Judge.Providers;
using Judge.Providers.Hosted;
using Judge.Results;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge compare</c> (pairwise) and <c>judge grade</c> (absolute).</summary>
internal static class GradingCommands
{
    private sealed class Inputs
    {
        public Option<string> Questions { get; } = new("--questions", "-q") { Description = "Questions: MT-Bench JSONL (question_id, category, turns[]) or CSV.", Required = true };

        public Option<string[]> Answers { get; } = new("--answers", "-a") { Description = "Answers: MT-Bench JSONL (question_id, model_id, choices[0].turns[]) or CSV; repeat for each file.", Required = true, AllowMultipleArgumentsPerToken = true };

        public Option<string?> References { get; } = new("--references", "-r") { Description = "Reference answers (same shape as answers). Questions with a reference get the reference-guided rubric." };

        public Option<string?> Rubric { get; } = new("--rubric") { Description = "Rubric id or YAML file for every item. Default: chosen per item as MT-Bench does (reference-guided when the question has a reference, multi-turn from turn 2)." };

        public Option<string> Judge { get; } = new("--judge", "-j") { Description = "The judge: replay:PATH now; llama:MODEL.gguf, openai:MODEL, azure:DEPLOYMENT as those providers land.", Required = true };

        public Option<int> Turn { get; } = new("--turn", "-t") { Description = "The turn to judge (1-based).", DefaultValueFactory = _ => 1 };

        public Option<int> Seed { get; } = new("--seed") { Description = "Seed for order draws and for judges that accept one.", DefaultValueFactory = _ => 0 };

        public Option<int?> Limit { get; } = new("--limit") { Description = "Judge at most this many items (the first in plan order)." };

        public Option<string?> Out { get; } = new("--out", "-o") { Description = "The judgments JSONL file to write." };

        public Option<int> Concurrency { get; } = new("--concurrency") { Description = "Items judged at once.", DefaultValueFactory = _ => 4 };

        public Option<string?> Columns { get; } = new("--columns") { Description = "Column map for CSV inputs: field=Column,… (fields: question_id, category, model_id, turn1, turn2, …, question, answer)." };

        public Option<string?> RubricsDir { get; } = CommonOptions.RubricsDirectory();

        public Option<int?> MaxTokens { get; } = new("--max-tokens") { Description = "The most tokens the judge may write per call (default 1024); also bounds the feedback a local judge writes before a logit verdict." };

        public Option<string> Verdict { get; } = new("--verdict")
        {
            Description = "How the judge gives its verdict: auto (read from the logits where the judge offers them, as local llama: judges do; else written as the rubric asks), " +
                "text (always written, in the rubric's format, and parsed), json (written as a JSON object of feedback and verdict under a schema: " +
                "a grammar for local judges, structured output for hosted ones).",
            DefaultValueFactory = _ => "auto",
        };

        public Option<bool> DryRun { get; } = new("--dry-run") { Description = "Render every prompt and estimate calls, tokens and cost; call no judge." };

        public Option<int> ExpectedOutputTokens { get; } = new("--expected-output-tokens") { Description = "Tokens a judge is assumed to write per call, for --dry-run.", DefaultValueFactory = _ => 200 };

        public Option<string?> Prices { get; } = new("--prices") { Description = "Price table (YAML/JSON: model: { input: USD per 1M, output: USD per 1M }) over the built-in one, for costs." };

        public Option<bool> NoCache { get; } = new("--no-cache") { Description = "Hosted judges: neither read nor write the response cache." };

        public Option<bool> Refresh { get; } = new("--refresh") { Description = "Hosted judges: call the judge again and overwrite cached responses." };

        public void AddTo(Command command)
        {
            command.Add(Questions);
            command.Add(Answers);
            command.Add(References);
            command.Add(Rubric);
            command.Add(Judge);
            command.Add(Turn);
            command.Add(Seed);
            command.Add(Limit);
            command.Add(Out);
            command.Add(Concurrency);
            command.Add(Columns);
            command.Add(RubricsDir);
            command.Add(MaxTokens);
            command.Add(Verdict);
            command.Add(DryRun);
            command.Add(ExpectedOutputTokens);
            command.Add(Prices);
            command.Add(NoCache);
            command.Add(Refresh);
        }

        public JudgeSpec Spec(ParseResult parse)
        {
            var spec = JudgeSpec.Parse(parse.GetValue(Judge)!);
            if (parse.GetValue(NoCache) && parse.GetValue(Refresh))
            {
                throw new InputException(null, null, "--refresh", "cannot be combined with --no-cache");
            }

            return parse.GetValue(NoCache) ? spec.WithOption("cache_mode", "off")
                : parse.GetValue(Refresh) ? spec.WithOption("cache_mode", "refresh")
                : spec;
        }

        public PriceTable PriceTable(ParseResult parse, JudgeSpec spec) =>
            (parse.GetValue(Prices) ?? spec.Option("prices")) is { } path ? Providers.Hosted.PriceTable.BuiltIn.WithOverrides(path) : Providers.Hosted.PriceTable.BuiltIn;

        /// <summary>The model name prices are looked up by: <c>?model=</c>, else the spec's target.</summary>
        public static string PricedModel(JudgeSpec spec) => spec.Option("model") ?? spec.Target;

        public Dataset LoadDataset(ParseResult parse)
        {
            var map = CsvColumnMap.Parse(parse.GetValue(Columns));
            var questions = DataFiles.ReadQuestions(parse.GetValue(Questions)!, map);
            var answers = parse.GetValue(Answers)!.SelectMany(path => DataFiles.ReadAnswers(path, map));
            var references = parse.GetValue(References) is { } refs ? DataFiles.ReadAnswers(refs, map, defaultModelId: "reference") : null;
            return Dataset.Create(questions, answers, references);
        }

        public JudgeBuildOptions BuildOptions(ParseResult parse, PositionSwapOptions? swap = null)
        {
            var library = CommonOptions.LoadRubrics(parse.GetValue(RubricsDir));
            IRubricSelector rubrics = parse.GetValue(Rubric) is { } id ? new FixedRubricSelector(library.Get(id)) : new StandardRubricSelector(library);
            return new JudgeBuildOptions
            {
                Rubrics = rubrics,
                Chat = VerdictOptions(parse, new ChatJudgeOptions { Seed = parse.GetValue(Seed), MaxOutputTokens = parse.GetValue(MaxTokens) ?? 1024 }),
                Swap = swap ?? new PositionSwapOptions(),
            };
        }

        private ChatJudgeOptions VerdictOptions(ParseResult parse, ChatJudgeOptions options)
        {
            switch (parse.GetValue(Verdict)?.ToLowerInvariant())
            {
                case "auto" or null:
                    break;
                case "text":
                    options.UseLogitVerdicts = false;
                    break;
                case "json":
                    options.UseLogitVerdicts = false;
                    options.ConstrainVerdict = true;
                    break;
                case var other:
                    throw new InputException(null, null, "--verdict", $"'{other}' is not auto, text or json");
            }

            return options;
        }

        public string OutPath(ParseResult parse, string command) => parse.GetValue(Out) ?? Path.Combine("out", $"{command}.jsonl");
    }

    public static Command Compare(IAnsiConsole console)
    {
        var inputs = new Inputs();
        var swap = new Option<string>("--swap") { Description = "both: judge both orders (default); none: A first only; random: one order drawn per item from --seed.", DefaultValueFactory = _ => "both" };
        swap.AcceptOnlyFromAmong("both", "none", "random");
        var disagreement = new Option<string>("--on-disagreement") { Description = "When the two orders disagree: tie (an inconsistent tie, default) or drop (no verdict).", DefaultValueFactory = _ => "tie" };
        disagreement.AcceptOnlyFromAmong("tie", "drop");
        var pairs = new Option<string?>("--pairs") { Description = "Which pairs: all (default; for recorded verdicts, the recorded pairs), baseline:MODEL, or labels:FILE (the pairs a labels file names, e.g. human judgments)." };

        var command = new Command("compare", "Compare models' answers pairwise, with position swap.");
        inputs.AddTo(command);
        command.Add(swap);
        command.Add(disagreement);
        command.Add(pairs);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var data = inputs.LoadDataset(parse);
            var turn = parse.GetValue(inputs.Turn);
            var swapOptions = new PositionSwapOptions
            {
                Mode = Enum.Parse<SwapMode>(parse.GetValue(swap)!, ignoreCase: true),
                OnDisagreement = parse.GetValue(disagreement) == "drop" ? DisagreementPolicy.Drop : DisagreementPolicy.Tie,
                Seed = parse.GetValue(inputs.Seed),
            };
            var spec = inputs.Spec(parse);
            var buildOptions = inputs.BuildOptions(parse, swapOptions);

            var pairSpec = parse.GetValue(pairs) ?? "all";
            var plan = pairSpec switch
            {
                "all" => ItemPlanner.AllPairs(data, turn),
                _ when pairSpec.StartsWith("baseline:", StringComparison.Ordinal) => ItemPlanner.AllPairs(data, turn, pairSpec["baseline:".Length..]),
                _ when pairSpec.StartsWith("labels:", StringComparison.Ordinal) => ItemPlanner.LabelledPairs(data, DataFiles.ReadPairwiseLabels(pairSpec["labels:".Length..]), turn),
                _ => throw new InputException(null, null, "--pairs", $"'{pairSpec}' is not all, baseline:MODEL or labels:FILE"),
            };
            if (parse.GetValue(inputs.DryRun))
            {
                var orders = swapOptions.Mode == SwapMode.Both ? 2 : 1;
                var prompts = Limit(parse, inputs, plan.Items)
                    .SelectMany(item => Enumerable.Repeat(item, orders).Select((it, i) => i == 0 ? it : it.Swapped()))
                    .Select(item => PromptRenderer.Render(buildOptions.Rubrics.For(item), item).Messages);
                return DryRun(console, parse, inputs, spec, prompts);
            }

            await ModelPulling.EnsureCachedAsync(console, spec, quiet: false, cancellationToken).ConfigureAwait(false);
            var built = new JudgeFactory().CreatePairwise(spec, buildOptions);
            var items = plan.Items;
            var notes = built.Notes.ToList();
            if (built.Recorded is { } recorded && parse.GetValue(pairs) is null)
            {
                var unrecorded = items.Count(i => !recorded.Has(i));
                items = items.Where(recorded.Has).ToList();
                if (unrecorded > 0)
                {
                    notes.Add($"{unrecorded} planned pairs have no recorded verdict and were left out (give --pairs all to record them as errors)");
                }
            }

            return await RunAsync(console, parse, inputs, spec, "compare", items, plan.Skipped, notes, async (list, sink, options, progress, ct) =>
                await GradingRunner.RunAsync(list, built.Judge, sink, options, progress, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    public static Command Grade(IAnsiConsole console)
    {
        var inputs = new Inputs();
        var models = new Option<string[]>("--models") { Description = "Grade only these models (default: every model with answers).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("grade", "Grade each answer on the rubric's absolute scale.");
        inputs.AddTo(command);
        command.Add(models);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var data = inputs.LoadDataset(parse);
            var spec = inputs.Spec(parse);
            var buildOptions = inputs.BuildOptions(parse);
            var only = parse.GetValue(models) is { Length: > 0 } m ? m : null;
            var plan = ItemPlanner.Absolute(data, parse.GetValue(inputs.Turn), only);
            if (parse.GetValue(inputs.DryRun))
            {
                var prompts = Limit(parse, inputs, plan.Items).Select(item => PromptRenderer.Render(buildOptions.Rubrics.For(item), item).Messages);
                return DryRun(console, parse, inputs, spec, prompts);
            }

            await ModelPulling.EnsureCachedAsync(console, spec, quiet: false, cancellationToken).ConfigureAwait(false);
            var judge = new JudgeFactory().CreateAbsolute(spec, buildOptions);
            return await RunAsync(console, parse, inputs, spec, "grade", plan.Items, plan.Skipped, [], async (list, sink, options, progress, ct) =>
                await GradingRunner.RunAsync(list, judge, sink, options, progress, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static IReadOnlyList<T> Limit<T>(ParseResult parse, Inputs inputs, IReadOnlyList<T> planned) =>
        parse.GetValue(inputs.Limit) is int limit ? planned.Take(Math.Max(0, limit)).ToList() : planned;

    /// <summary>Estimates a run from its rendered prompts; nothing is sent anywhere.</summary>
    private static int DryRun(IAnsiConsole console, ParseResult parse, Inputs inputs, JudgeSpec spec, IEnumerable<IEnumerable<Microsoft.Extensions.AI.ChatMessage>> prompts)
    {
        var model = Inputs.PricedModel(spec);
        var estimate = CostEstimator.Estimate(prompts, model, parse.GetValue(inputs.ExpectedOutputTokens), inputs.PriceTable(parse, spec));
        var table = new Table().Title("dry run: nothing was sent").AddColumns("calls", "prompt tokens (est.)", "output tokens (assumed)", "cost (est.)");
        table.AddRow(
            estimate.Calls.ToString(CultureInfo.InvariantCulture),
            estimate.InputTokens.ToString("N0", CultureInfo.InvariantCulture),
            estimate.OutputTokens.ToString("N0", CultureInfo.InvariantCulture),
            spec.Scheme == "replay" ? "$0 (replay)" : estimate.UnpricedCalls > 0 ? $"unknown: no price for '{Markup.Escape(model)}'" : $"${estimate.Cost.ToString("0.0000", CultureInfo.InvariantCulture)}");
        console.Write(table);
        console.MarkupLine("[grey]prompt tokens are estimated as characters / 4 plus 4 per message (±25% on English prose); output tokens are --expected-output-tokens per call.[/]");
        return ExitCodes.Ok;
    }

    private static async Task<int> RunAsync<T>(
        IAnsiConsole console,
        ParseResult parse,
        Inputs inputs,
        JudgeSpec spec,
        string commandName,
        IReadOnlyList<T> planned,
        IReadOnlyList<string> skipped,
        IReadOnlyList<string> notes,
        Func<IReadOnlyList<T>, IJudgmentSink, GradingRunOptions, IProgress<GradingProgress>, CancellationToken, Task<RunSummary>> run,
        CancellationToken cancellationToken)
    {
        var items = Limit(parse, inputs, planned);
        foreach (var note in notes)
        {
            console.MarkupLineInterpolated($"[grey]note:[/] {note}");
        }

        if (skipped.Count > 0)
        {
            console.MarkupLineInterpolated($"[yellow]skipped {skipped.Count} items:[/] {string.Join("; ", skipped.Take(5))}{(skipped.Count > 5 ? "; …" : string.Empty)}");
        }

        var outPath = inputs.OutPath(parse, commandName);
        var calls = new List<JudgeCall>();
        RunSummary summary;
        var writer = JudgmentsWriter.Open(outPath);
        await using (writer.ConfigureAwait(false))
        {
            var progress = new Progress<GradingProgress>(p =>
            {
                if (!console.Profile.Capabilities.Interactive && (p.Done % 500 == 0 || p.Done == p.Total))
                {
                    console.MarkupLineInterpolated($"[grey]{p.Done}/{p.Total} judged, {p.Failed} without verdict[/]");
                }
            });
            var options = new GradingRunOptions { Concurrency = parse.GetValue(inputs.Concurrency) };
            summary = await run(items, new CallCollector(writer, calls), options, progress, cancellationToken).ConfigureAwait(false);
        }

        SummaryView.Write(console, summary, outPath);
        if (spec.Scheme is "openai" or "azure" && calls.Any(c => c.Usage is not null))
        {
            var cost = CostReport.FromCalls(calls, inputs.PriceTable(parse, spec), Inputs.PricedModel(spec), summary.Items);
            var line = cost.UnpricedCalls == cost.Calls
                ? $"cost: no price known for '{Inputs.PricedModel(spec)}' (give --prices FILE)"
                : string.Create(CultureInfo.InvariantCulture, $"cost: ${cost.Cost:0.0000} for {cost.Calls} calls, ${cost.CostPerThousandJudgments:0.00} per 1,000 judgments{(cost.UnpricedCalls > 0 ? $"; {cost.UnpricedCalls} calls unpriced" : string.Empty)}");
            console.WriteLine(line);
        }
        if (summary.Errors > 0)
        {
            console.MarkupLineInterpolated($"[red]{summary.Errors} items have no verdict because the judge failed; see status \"error\" in {outPath}[/]");
            return ExitCodes.JudgeError;
        }

        return ExitCodes.Ok;
    }
}

/// <summary>Passes judgments on to a sink and keeps their calls, for the cost summary. Thread-safe.</summary>
internal sealed class CallCollector(IJudgmentSink inner, List<JudgeCall> calls) : IJudgmentSink
{
    public ValueTask WriteAsync(PairwiseJudgment judgment, CancellationToken cancellationToken = default)
    {
        Keep(judgment.Calls);
        return inner.WriteAsync(judgment, cancellationToken);
    }

    public ValueTask WriteAsync(AbsoluteJudgment judgment, CancellationToken cancellationToken = default)
    {
        Keep(judgment.Calls);
        return inner.WriteAsync(judgment, cancellationToken);
    }

    private void Keep(IReadOnlyList<JudgeCall> judgmentCalls)
    {
        lock (calls)
        {
            calls.AddRange(judgmentCalls);
        }
    }
}

/// <summary>Renders a run summary.</summary>
internal static class SummaryView
{
    public static void Write(IAnsiConsole console, RunSummary s, string outPath)
    {
        string Count(VerdictStatus status) => s.ByStatus.GetValueOrDefault(status).ToString(CultureInfo.InvariantCulture);
        var table = new Table().Title("run summary").AddColumns("items", "parsed", "unparsed", "out of range", "dropped", "error", "calls");
        table.AddRow(
            s.Items.ToString(CultureInfo.InvariantCulture),
            Count(VerdictStatus.Parsed),
            Count(VerdictStatus.Unparsed),
            Count(VerdictStatus.OutOfRange),
            Count(VerdictStatus.Dropped),
            Count(VerdictStatus.Error),
            s.Calls.ToString(CultureInfo.InvariantCulture));
        console.Write(table);

        if (s.Calls > 0)
        {
            var unparsedCalls = s.CallsByStatus.GetValueOrDefault(VerdictStatus.Unparsed) + s.CallsByStatus.GetValueOrDefault(VerdictStatus.OutOfRange);
            console.MarkupLineInterpolated($"judge calls: {s.Calls}, unparsable {unparsedCalls}, failed {s.CallsByStatus.GetValueOrDefault(VerdictStatus.Error)}; tokens in {s.Tokens.Input}, out {s.Tokens.Output}");
        }

        if (s.Records.Count > 0)
        {
            if (s.BothOrdersJudged > 0 || s.Flipped > 0)
            {
                var denominator = Math.Max(s.BothOrdersJudged, s.Flipped);
                console.MarkupLineInterpolated($"position flips: {s.Flipped} of {denominator} items judged in both orders ({(double)s.Flipped / denominator:P1})");
            }

            var outcomes = string.Join(", ", new[] { PairwiseWinner.ModelA, PairwiseWinner.ModelB, PairwiseWinner.Tie, PairwiseWinner.InconsistentTie }
                .Select(w => $"{w.ToWire()} {s.Winners.GetValueOrDefault(w)}"));
            console.MarkupLineInterpolated($"verdicts: {outcomes}");
            var models = new Table().AddColumns("model", "wins", "losses", "ties", "win rate (ties = ½)");
            foreach (var (model, r) in s.Records.OrderByDescending(r => WinRate(r.Value)).ThenBy(r => r.Key, StringComparer.Ordinal))
            {
                models.AddRow(Markup.Escape(model), r.Wins.ToString(CultureInfo.InvariantCulture), r.Losses.ToString(CultureInfo.InvariantCulture), r.Ties.ToString(CultureInfo.InvariantCulture), WinRate(r).ToString("P1", CultureInfo.InvariantCulture));
            }

            console.Write(models);
        }

        if (s.Scores.Count > 0)
        {
            var scores = new Table().AddColumns("model", "graded", "mean score");
            foreach (var (model, v) in s.Scores.OrderByDescending(v => v.Value.Mean))
            {
                scores.AddRow(Markup.Escape(model), v.Count.ToString(CultureInfo.InvariantCulture), v.Mean.ToString("0.00", CultureInfo.InvariantCulture));
            }

            console.Write(scores);
        }

        console.MarkupLineInterpolated($"results: {outPath}");
    }

    private static double WinRate((int Wins, int Losses, int Ties) r)
    {
        var n = r.Wins + r.Losses + r.Ties;
        return n == 0 ? 0 : (r.Wins + (0.5 * r.Ties)) / n;
    }
}

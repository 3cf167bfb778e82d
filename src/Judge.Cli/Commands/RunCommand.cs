using System.CommandLine;
using System.Globalization;
using Judge.Cli.Reports;
using Judge.Data;
using Judge.Grading;
using Judge.Judges;
using Judge.Providers;
using Judge.Results;
using Judge.Runs;
using Judge.Statistics;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge run judge.yaml</c>: a whole evaluation from a config file, resumable, gated, with reports.</summary>
internal static class RunCommand
{
    public const string JudgmentsFile = "judgments.jsonl";
    public const string JournalFile = "responses.jsonl";
    public const string ManifestFile = "manifest.json";

    public static Command Create(IAnsiConsole console, TimeProvider time)
    {
        var config = new Argument<string>("config") { Description = "The run config (YAML): data, mode, rubrics, judges, options, thresholds, output." };
        var resume = new Option<bool>("--resume") { Description = "Finish an interrupted run in the output folder: keep its judgments, judge only what is missing." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Start again even if the output folder holds a run (its files are replaced)." };
        var quiet = new Option<bool>("--quiet") { Description = "Print nothing but errors." };
        var json = new Option<bool>("--json") { Description = "Print only a machine-readable JSON summary on stdout." };
        var outDir = new Option<string?>("--out", "-o") { Description = "The output folder (overrides output:)." };
        var judges = new Option<string[]>("--judge", "-j") { Description = "Judge spec(s) (override judges:).", AllowMultipleArgumentsPerToken = true };
        var repeat = new Option<int?>("--repeat") { Description = "Judge each item N times with seeds seed..seed+N-1 (overrides options.repeats)." };
        var limit = new Option<int?>("--limit") { Description = "Judge at most this many items per turn (overrides options.limit)." };
        var concurrency = new Option<int?>("--concurrency") { Description = "Items judged at once (overrides options.concurrency)." };
        var seed = new Option<int?>("--seed") { Description = "Seed (overrides options.seed)." };

        var command = new Command("run", "Run an evaluation from a config file: judge, gate on thresholds, write reports. Resumable with --resume.")
        {
            config, resume, overwrite, quiet, json, outDir, judges, repeat, limit, concurrency, seed,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var loaded = RunConfigLoader.LoadFile(parse.GetValue(config)!);
            var options = loaded.Options with
            {
                Repeats = parse.GetValue(repeat) ?? loaded.Options.Repeats,
                Limit = parse.GetValue(limit) ?? loaded.Options.Limit,
                Concurrency = parse.GetValue(concurrency) ?? loaded.Options.Concurrency,
                Seed = parse.GetValue(seed) ?? loaded.Options.Seed,
            };
            if (options.Repeats < 1 || options.Concurrency < 1)
            {
                throw new InputException(null, null, options.Repeats < 1 ? "--repeat" : "--concurrency", "must be a positive integer");
            }

            var effective = loaded with
            {
                Options = options,
                Judges = parse.GetValue(judges) is { Length: > 0 } j ? j : loaded.Judges,
                JudgePathOverride = parse.GetValue(judges) is { Length: > 0 } ? Environment.CurrentDirectory : null,
                Output = parse.GetValue(outDir) is { } o ? Path.GetFullPath(o) : loaded.Output,
            };
            var flags = new RunFlags(parse.GetValue(resume), parse.GetValue(overwrite), parse.GetValue(quiet) || parse.GetValue(json), parse.GetValue(json));
            return await new RunExecutor(console, time, effective, flags).ExecuteAsync(cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}

/// <summary>Command-line switches of <c>judge run</c>.</summary>
internal sealed record RunFlags(bool Resume, bool Overwrite, bool Quiet, bool Json);

/// <summary>One judge × rubric × repeat × turn: the items a judge instance judges.</summary>
internal sealed record RunPass(string Judge, string? Rubric, int? Repeat, IReadOnlyList<PairwiseItem>? Pairs, IReadOnlyList<AbsoluteItem>? Answers, IPairwiseJudge? PairJudge, IAbsoluteJudge? AnswerJudge, IRubricSelector Selector)
{
    public IEnumerable<string> Keys => Pairs is not null
        ? Pairs.Select(i => RunExecutor.UnitKey(Judge, Rubric is null ? null : Selector.For(i).Key, i.Key, Repeat))
        : Answers!.Select(i => RunExecutor.UnitKey(Judge, Rubric is null ? null : Selector.For(i).Key, i.Key, Repeat));
}

/// <summary>Plans, judges (or resumes), analyses and reports one run.</summary>
internal sealed class RunExecutor(IAnsiConsole console, TimeProvider time, RunConfig config, RunFlags flags)
{
    public static string UnitKey(string judge, string? rubricKey, string item, int? repeat) =>
        string.Create(CultureInfo.InvariantCulture, $"{judge}\t{rubricKey ?? "*"}\t{item}\t{repeat ?? 0}");

    public async Task<int> ExecuteAsync(CancellationToken cancellationToken)
    {
        var data = LoadDataset();
        var t = config.Thresholds;
        foreach (var model in t.Models.Append(t.Baseline).OfType<string>().Where(m => !data.Models.Contains(m, StringComparer.Ordinal)))
        {
            throw new InputException(config.SourcePath, null, model == t.Baseline ? "thresholds.baseline" : "thresholds.models", $"no answers by model '{model}' in the data (models: {string.Join(", ", data.Models)})");
        }

        var library = CommonOptions.LoadRubrics(config.RubricsDir);
        var output = config.Output;
        var judgmentsPath = Path.Combine(output, RunCommand.JudgmentsFile);
        var manifestPath = Path.Combine(output, RunCommand.ManifestFile);
        var journalPath = Path.Combine(output, RunCommand.JournalFile);

        if (!flags.Resume && !flags.Overwrite && File.Exists(manifestPath))
        {
            throw new InputException(output, null, null, "the output folder already holds a run; give --resume to finish it or --overwrite to start again");
        }

        if (flags.Resume && !File.Exists(manifestPath))
        {
            throw new InputException(output, null, null, "nothing to resume: the output folder holds no manifest.json");
        }

        foreach (var judgeText in config.Judges)
        {
            await ModelPulling.EnsureCachedAsync(console, JudgeSpec.Parse(judgeText), flags.Quiet, cancellationToken).ConfigureAwait(false);
        }

        Directory.CreateDirectory(output);
        using var journal = ResponseJournal.Open(journalPath, flags.Resume);
        var passes = Plan(data, library, journal);
        var unitKeys = passes.SelectMany(p => p.Keys).ToList();
        var planHash = RunManifest.HashPlan(unitKeys);
        var rubricKeys = passes.SelectMany(p => p.Pairs is not null ? p.Pairs.Select(i => p.Selector.For(i).Key) : p.Answers!.Select(i => p.Selector.For(i).Key))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        var now = time.GetUtcNow();
        RunManifest manifest;
        var done = new HashSet<string>(StringComparer.Ordinal);
        if (flags.Resume)
        {
            manifest = RunManifest.Read(manifestPath);
            if (manifest.PlanHash != planHash)
            {
                throw new InputException(manifestPath, null, "plan_hash", $"the run in {output} judged a different plan ({manifest.Planned} units) than this config now gives ({unitKeys.Count}); resume with the config it started with, or --overwrite");
            }

            if (manifest.ConfigHash != config.Hash)
            {
                Say($"[yellow]note:[/] the config changed since the run started, but not what it judges; gates and reports use the new one");
            }

            if (File.Exists(judgmentsPath))
            {
                var recovered = JudgmentsRecovery.Recover(judgmentsPath);
                if (recovered.TruncatedBytes > 0)
                {
                    Say($"[yellow]recovered:[/] cut {recovered.TruncatedBytes} bytes ({recovered.DroppedLines} lines: a torn last write or calls of an unfinished item) from the end of {judgmentsPath}");
                }

                foreach (var r in recovered.Records.Where(r => r is not CallRecord))
                {
                    done.Add(UnitKey(r.Judge, r.Rubric, r.Item, r.Repeat));
                    done.Add(UnitKey(r.Judge, null, r.Item, r.Repeat));
                }
            }

            if (journal.TornLines > 0)
            {
                Say($"[yellow]recovered:[/] cut a torn last line from {journalPath}");
            }

            manifest = manifest with { FinishedAt = null, ResumedAt = [.. manifest.ResumedAt, now], ConfigHash = config.Hash };
        }
        else
        {
            // The journal was opened afresh above; the judgments of an overwritten run go too.
            File.Delete(judgmentsPath);

            manifest = new RunManifest
            {
                Config = config.SourcePath,
                ConfigHash = config.Hash,
                Mode = config.Mode.ToString().ToLowerInvariant(),
                Judges = config.Judges,
                Rubrics = config.Rubrics,
                RubricKeys = rubricKeys,
                PlanHash = planHash,
                Planned = unitKeys.Count,
                Repeats = config.Options.Repeats,
                StartedAt = now,
            };
        }

        manifest.Write(manifestPath);

        var remaining = passes.Select(p => p with
        {
            Pairs = p.Pairs?.Where(i => !done.Contains(UnitKey(p.Judge, p.Rubric is null ? null : p.Selector.For(i).Key, i.Key, p.Repeat))).ToList(),
            Answers = p.Answers?.Where(i => !done.Contains(UnitKey(p.Judge, p.Rubric is null ? null : p.Selector.For(i).Key, i.Key, p.Repeat))).ToList(),
        }).ToList();
        var total = remaining.Sum(p => p.Pairs?.Count ?? p.Answers!.Count);
        if (flags.Resume)
        {
            Say($"resuming: {unitKeys.Count - total} of {unitKeys.Count} judgments already recorded, {total} to go");
        }

        var tracker = new RunProgress(total, time, config.Options);
        var writer = JudgmentsWriter.Open(judgmentsPath, append: true);
        await using (writer.ConfigureAwait(false))
        {
            await WithProgressAsync(tracker, async () =>
            {
                foreach (var pass in remaining)
                {
                    var sink = new RunSink(writer, pass.Repeat, tracker);
                    var options = new GradingRunOptions { Concurrency = config.Options.Concurrency };
                    if (pass.Pairs is { Count: > 0 } pairs)
                    {
                        await GradingRunner.RunAsync(pairs, pass.PairJudge!, sink, options, null, cancellationToken).ConfigureAwait(false);
                    }
                    else if (pass.Answers is { Count: > 0 } answers)
                    {
                        await GradingRunner.RunAsync(answers, pass.AnswerJudge!, sink, options, null, cancellationToken).ConfigureAwait(false);
                    }
                }
            }).ConfigureAwait(false);
        }

        manifest = manifest with { FinishedAt = time.GetUtcNow() };
        manifest.Write(manifestPath);

        var records = JudgmentsReader.Read(judgmentsPath);
        var analysis = RunAnalysis.Compute(records, config.Mode, config.Options, config.Thresholds);
        var agreement = Agreement(records);
        var exit = analysis.ErrorRateExceeded ? ExitCodes.JudgeError : analysis.GatesPassed ? ExitCodes.Ok : ExitCodes.ThresholdFailed;
        var report = new RunReport(config, manifest, analysis, records, agreement, data, exit, tracker.Snapshot(), journal.Served);
        var files = ReportWriter.WriteAll(report, output);

        if (flags.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSummary.Write(report, files));
        }
        else if (!flags.Quiet)
        {
            RunSummaryView.Write(console, report, files);
        }

        return exit;
    }

    private void Say(FormattableString markup)
    {
        if (!flags.Quiet)
        {
            console.MarkupLineInterpolated(markup);
        }
    }

    private Dataset LoadDataset()
    {
        var map = CsvColumnMap.Parse(config.Data.Columns.Count == 0 ? null : string.Join(",", config.Data.Columns.Select(c => $"{c.Key}={c.Value}")));
        var questions = DataFiles.ReadQuestions(config.Data.Questions, map);
        var answers = config.Data.Answers.SelectMany(path => DataFiles.ReadAnswers(path, map));
        var references = config.Data.References is { } refs ? DataFiles.ReadAnswers(refs, map, defaultModelId: "reference") : null;
        return Dataset.Create(questions, answers, references);
    }

    private List<RunPass> Plan(Dataset data, Rubrics.RubricLibrary library, ResponseJournal journal)
    {
        var passes = new List<RunPass>();
        var o = config.Options;
        var rubricChoices = config.Rubrics.Count == 0 ? [null] : config.Rubrics.Cast<string?>().ToList();
        var factory = new JudgeFactory();
        foreach (var judgeText in config.Judges)
        {
            var spec = JudgeSpec.Parse(judgeText);
            if (spec.Scheme is "replay" or "llama" && !IsCatalogueName(spec))
            {
                spec = spec with { Target = Path.GetFullPath(Path.Combine(config.JudgePathBase, spec.Target)) };
            }

            foreach (var rubric in rubricChoices)
            {
                IRubricSelector selector = rubric is null ? new StandardRubricSelector(library) : new FixedRubricSelector(library.Get(rubric));
                for (var r = 1; r <= o.Repeats; r++)
                {
                    int? repeat = o.Repeats > 1 ? r : null;
                    var build = new JudgeBuildOptions
                    {
                        Rubrics = selector,
                        Chat = new ChatJudgeOptions { Seed = o.Seed + r - 1, TimeProvider = time },
                        Swap = new PositionSwapOptions
                        {
                            Mode = Enum.Parse<SwapMode>(o.Swap, ignoreCase: true),
                            OnDisagreement = o.OnDisagreement == "drop" ? DisagreementPolicy.Drop : DisagreementPolicy.Tie,
                            Seed = o.Seed,
                        },
                        WrapClient = journal.Wrap,
                    };
                    foreach (var turn in o.Turns)
                    {
                        if (config.Mode == RunMode.Compare)
                        {
                            var built = factory.CreatePairwise(spec, build);
                            var pairSpec = o.Pairs ?? "all";
                            var plan = pairSpec switch
                            {
                                "all" => ItemPlanner.AllPairs(data, turn),
                                _ when pairSpec.StartsWith("baseline:", StringComparison.Ordinal) => ItemPlanner.AllPairs(data, turn, pairSpec["baseline:".Length..]),
                                _ => ItemPlanner.LabelledPairs(data, DataFiles.ReadPairwiseLabels(pairSpec["labels:".Length..]), turn),
                            };
                            IEnumerable<PairwiseItem> items = plan.Items;
                            if (built.Recorded is { } recorded && o.Pairs is null)
                            {
                                items = items.Where(recorded.Has);
                            }

                            passes.Add(new RunPass(judgeText, rubric, repeat, Limit(items.ToList()), null, built.Judge, null, selector));
                        }
                        else
                        {
                            var judge = factory.CreateAbsolute(spec, build);
                            var plan = ItemPlanner.Absolute(data, turn, o.Models.Count > 0 ? o.Models : null);
                            passes.Add(new RunPass(judgeText, rubric, repeat, null, Limit(plan.Items), null, judge, selector));
                        }
                    }
                }
            }
        }

        return passes;
    }

    /// <summary>A <c>llama:NAME</c> judge names a catalogue model, not a file beside the config.</summary>
    private bool IsCatalogueName(JudgeSpec spec) =>
        spec.Scheme == "llama" && Providers.Llama.ModelCatalogue.LooksLikeName(spec.Target) && !File.Exists(Path.Combine(config.JudgePathBase, spec.Target));

    private List<T> Limit<T>(IReadOnlyList<T> items) => config.Options.Limit is int n ? items.Take(n).ToList() : items.ToList();

    private AgreementReport? Agreement(IReadOnlyList<JudgmentRecord> records)
    {
        if (config.Mode != RunMode.Compare || config.Data.HumanLabels is not { } path)
        {
            return null;
        }

        var human = DataFiles.ReadPairwiseLabels(path);
        var firstRepeat = records.OfType<PairwiseRecord>().Where(r => (r.Repeat ?? 1) == 1).ToList();
        var labels = JudgmentsReader.PairwiseLabels(firstRepeat);
        var options = new AgreementOptions { HumanRaterPrefix = null, Seed = config.Options.Seed, BootstrapResamples = config.Thresholds.Resamples, ConfidenceLevel = config.Thresholds.Confidence };
        return AgreementReport.Compute(labels, human, options) with { JudgeItemsWithoutVerdict = firstRepeat.Count(r => r.Winner is null) };
    }

    private async Task WithProgressAsync(RunProgress tracker, Func<Task> work)
    {
        if (flags.Quiet || tracker.Total == 0)
        {
            await work().ConfigureAwait(false);
            return;
        }

        if (console.Profile.Capabilities.Interactive)
        {
            await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("judging", maxValue: tracker.Total);
                    tracker.Changed += s =>
                    {
                        task.Value = s.Done;
                        task.Description = Markup.Escape(s.Line());
                    };
                    await work().ConfigureAwait(false);
                    task.Value = tracker.Total;
                }).ConfigureAwait(false);
            return;
        }

        var step = Math.Max(1, tracker.Total / 20);
        tracker.Changed += s =>
        {
            if (s.Done % step == 0 || s.Done == s.Total)
            {
                lock (tracker)
                {
                    console.WriteLine(s.Line());
                }
            }
        };
        await work().ConfigureAwait(false);
    }
}

/// <summary>Writes a pass's judgments with their repeat index and reports each to the progress tracker.</summary>
internal sealed class RunSink(JudgmentsWriter writer, int? repeat, RunProgress progress) : IJudgmentSink
{
    public async ValueTask WriteAsync(PairwiseJudgment judgment, CancellationToken cancellationToken = default)
    {
        JudgmentRecord[] records = [.. judgment.Calls.Select(c => CallRecord.From(c) with { Repeat = repeat }), PairwiseRecord.From(judgment) with { Repeat = repeat }];
        await writer.WriteAsync(records, cancellationToken).ConfigureAwait(false);
        progress.Add(judgment.Status, judgment.Calls);
    }

    public async ValueTask WriteAsync(AbsoluteJudgment judgment, CancellationToken cancellationToken = default)
    {
        JudgmentRecord[] records = [.. judgment.Calls.Select(c => CallRecord.From(c) with { Repeat = repeat }), AbsoluteRecord.From(judgment) with { Repeat = repeat }];
        await writer.WriteAsync(records, cancellationToken).ConfigureAwait(false);
        progress.Add(judgment.Status, judgment.Calls);
    }
}

/// <summary>Counts a run's progress: done, failures, calls, tokens, cost, rate and ETA. Thread-safe.</summary>
internal sealed class RunProgress(int total, TimeProvider time, RunOptions options)
{
    private readonly long _started = time.GetTimestamp();
    private readonly Lock _lock = new();
    private int _done;
    private int _failed;
    private int _calls;
    private long _input;
    private long _output;

    public int Total => total;

    public event Action<ProgressSnapshot>? Changed;

    public void Add(VerdictStatus status, IReadOnlyList<JudgeCall> calls)
    {
        ProgressSnapshot snapshot;
        lock (_lock)
        {
            _done++;
            _failed += status == VerdictStatus.Parsed ? 0 : 1;
            _calls += calls.Count;
            _input += calls.Sum(c => c.Usage?.InputTokens ?? 0);
            _output += calls.Sum(c => c.Usage?.OutputTokens ?? 0);
            snapshot = Snapshot();
        }

        Changed?.Invoke(snapshot);
    }

    public ProgressSnapshot Snapshot()
    {
        lock (_lock)
        {
            double? cost = options.InputPricePerMillion is null && options.OutputPricePerMillion is null ? null
                : ((_input * (options.InputPricePerMillion ?? 0)) + (_output * (options.OutputPricePerMillion ?? 0))) / 1_000_000;
            return new ProgressSnapshot(_done, total, _failed, _calls, _input, _output, cost, time.GetElapsedTime(_started));
        }
    }
}

/// <summary>Progress at one moment.</summary>
internal sealed record ProgressSnapshot(int Done, int Total, int Failed, int Calls, long InputTokens, long OutputTokens, double? Cost, TimeSpan Elapsed)
{
    public double Rate => Elapsed.TotalSeconds > 0 ? Done / Elapsed.TotalSeconds : 0;

    public TimeSpan? Eta => Rate > 0 ? TimeSpan.FromSeconds((Total - Done) / Rate) : null;

    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"{Done}/{Total} judged, {Rate:0.0} judgments/s, ETA {(Eta is { } e ? $"{(int)e.TotalMinutes}m{e.Seconds:00}s" : "?")}, {Failed} without verdict, {Calls} calls{(Cost is double c ? $", cost ${c:0.0000}" : string.Empty)}");
}

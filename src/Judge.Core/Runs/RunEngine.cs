using System.Globalization;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Statistics;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Runs;

/// <summary>How a run treats what its output already holds.</summary>
public enum RunStart
{
    /// <summary>Refuse when the output holds a run, finished or not.</summary>
    New,

    /// <summary>Replace a finished run; refuse an unfinished one, which could be resumed instead.</summary>
    ReplaceFinished,

    /// <summary>Keep the judgments there and judge only what is missing; start afresh when nothing is there.</summary>
    Resume,

    /// <summary>Start again, replacing whatever is there.</summary>
    Overwrite,
}

/// <summary>How a run ended.</summary>
public enum RunOutcome
{
    /// <summary>Something was judged, the error rate is within bounds and every gate holds.</summary>
    Passed,

    /// <summary>A gate failed, or nothing was judged.</summary>
    GatesFailed,

    /// <summary>More judge calls failed than the error-rate bound allows.</summary>
    JudgeErrors,
}

/// <summary>The files of one run: its judgments, its response journal and its manifest.</summary>
/// <param name="Judgments">The judgments JSONL file: call records and verdict records.</param>
/// <param name="Journal">The response journal that lets a resumed run reuse answers of unfinished items.</param>
/// <param name="Manifest">The manifest: what was planned, when it started and finished.</param>
public sealed record RunFiles(string Judgments, string Journal, string Manifest)
{
    /// <summary>A run folder: <c>judgments.jsonl</c>, <c>responses.jsonl</c> and <c>manifest.json</c> inside it.</summary>
    public static RunFiles InFolder(string folder) =>
        new(Path.Combine(folder, "judgments.jsonl"), Path.Combine(folder, "responses.jsonl"), Path.Combine(folder, "manifest.json"));

    /// <summary>A results file with its journal and manifest beside it: <c>X.jsonl</c>, <c>X.responses.jsonl</c>, <c>X.manifest.json</c>.</summary>
    public static RunFiles BesideResults(string judgmentsPath)
    {
        var full = Path.GetFullPath(judgmentsPath);
        var stem = full.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? full[..^".jsonl".Length] : full;
        return new RunFiles(full, stem + ".responses.jsonl", stem + ".manifest.json");
    }
}

/// <summary>Receives what a run says while it works. Callbacks may come from several threads.</summary>
public sealed class RunObserver
{
    /// <summary>A sentence for the user (a recovery, a resume, a note about the judge). Default: none.</summary>
    public Action<string>? Note { get; init; }

    /// <summary>Progress after every finished item, and once before the first. Default: none.</summary>
    public Action<RunProgressSnapshot>? Progress { get; init; }
}

/// <summary>Everything one run produced: what the reports are made from.</summary>
public sealed record RunResult
{
    /// <summary>The config the run followed.</summary>
    public required RunConfig Config { get; init; }

    /// <summary>The run's files.</summary>
    public required RunFiles Files { get; init; }

    /// <summary>The manifest as written at the end.</summary>
    public required RunManifest Manifest { get; init; }

    /// <summary>Aggregates and gates over every judgment in the file, earlier invocations included.</summary>
    public required RunAnalysis Analysis { get; init; }

    /// <summary>Every record of the judgments file, in file order.</summary>
    public required IReadOnlyList<JudgmentRecord> Records { get; init; }

    /// <summary>Agreement with the config's human labels, when it names some.</summary>
    public AgreementReport? Agreement { get; init; }

    /// <summary>The data judged.</summary>
    public required Dataset Data { get; init; }

    /// <summary>How the run ended.</summary>
    public required RunOutcome Outcome { get; init; }

    /// <summary>What this invocation did: judgments, calls, tokens, time.</summary>
    public required RunProgressSnapshot Progress { get; init; }

    /// <summary>Responses served from the journal instead of the judge in this invocation.</summary>
    public int JournalServed { get; init; }

    /// <summary>Planned items that could not be judged (a missing answer), with why.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

    /// <summary>The outcome in words: <c>passed</c>, <c>threshold failed</c> or <c>judge errors above max_error_rate</c>.</summary>
    public string OutcomeText => Outcome switch
    {
        RunOutcome.Passed => "passed",
        RunOutcome.GatesFailed => Analysis.NothingJudged ? "nothing judged" : "threshold failed",
        _ => "judge errors above max_error_rate",
    };
}

/// <summary>
/// The run engine behind <c>judge compare</c>, <c>judge grade</c> and <c>judge run</c>: plan → judge →
/// record → resume → analyse → gate. Judgments are appended to the results file item by item as they
/// finish, and every judge response is journalled as it arrives, so a killed or cancelled run loses
/// nothing it had paid for: resuming judges only what is missing. Reports are rendered from the
/// <see cref="RunResult"/>.
/// </summary>
/// <param name="judges">Builds the judges named in the config.</param>
/// <param name="time">The clock for the manifest, progress and judges. Default: the system clock.</param>
public sealed partial class RunEngine(IJudgeFactory judges, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The key that identifies one judgment of a plan: judge, rubric, item, repeat.</summary>
    public static string UnitKey(string judge, string? rubricKey, string item, int? repeat) =>
        string.Create(CultureInfo.InvariantCulture, $"{judge}\t{rubricKey ?? "*"}\t{item}\t{repeat ?? 0}");

    /// <summary>Loads the data a config names.</summary>
    public static Dataset LoadData(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var map = CsvColumnMap.Parse(config.Data.Columns.Count == 0 ? null : string.Join(",", config.Data.Columns.Select(c => $"{c.Key}={c.Value}")));
        var questions = DataFiles.ReadQuestions(config.Data.Questions, map);
        var answers = config.Data.Answers.SelectMany(path => DataFiles.ReadAnswers(path, map));
        var references = config.Data.References is { } refs ? DataFiles.ReadAnswers(refs, map, defaultModelId: "reference") : null;
        return Dataset.Create(questions, answers, references);
    }

    /// <summary>
    /// Plans a run without building any judge that calls a model: the items of every judge × rubric ×
    /// repeat × turn, in order, with the rubric each gets. Used for dry runs and by <see cref="RunAsync"/>.
    /// </summary>
    public RunPlan Plan(RunConfig config, Dataset data, RubricLibrary rubrics)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rubrics);
        var passes = new List<RunPass>();
        var skipped = new List<string>();
        var notes = new List<string>();
        var o = config.Options;
        var rubricChoices = config.Rubrics.Count == 0 ? [null] : config.Rubrics.Cast<string?>().ToList();
        foreach (var judgeText in config.Judges)
        {
            var spec = ResolveSpec(config, judgeText);
            var recorded = config.Mode == RunMode.Compare ? judges.Recorded(spec) : null;
            foreach (var rubric in rubricChoices)
            {
                IRubricSelector selector = rubric is null ? new StandardRubricSelector(rubrics) : new FixedRubricSelector(rubrics.Get(rubric));
                for (var r = 1; r <= o.Repeats; r++)
                {
                    int? repeat = o.Repeats > 1 ? r : null;
                    foreach (var turn in o.Turns)
                    {
                        if (config.Mode == RunMode.Compare)
                        {
                            var pairSpec = o.Pairs ?? "all";
                            var plan = pairSpec switch
                            {
                                "all" => ItemPlanner.AllPairs(data, turn),
                                _ when pairSpec.StartsWith("baseline:", StringComparison.Ordinal) => ItemPlanner.AllPairs(data, turn, pairSpec["baseline:".Length..]),
                                _ when pairSpec.StartsWith("labels:", StringComparison.Ordinal) => ItemPlanner.LabelledPairs(data, VerdictImport.ReadLabels(pairSpec["labels:".Length..]), turn),
                                _ => throw new InputException(config.SourcePath, null, "pairs", $"'{pairSpec}' is not all, baseline:MODEL or labels:FILE"),
                            };
                            IReadOnlyList<PairwiseItem> items = plan.Items;
                            if (recorded is not null && o.Pairs is null)
                            {
                                var unrecorded = items.Count(i => !recorded.Has(i));
                                items = items.Where(recorded.Has).ToList();
                                if (unrecorded > 0 && r == 1 && rubric == rubricChoices[0])
                                {
                                    notes.Add($"turn {turn}: {unrecorded} planned pairs have no recorded verdict and were left out (ask for all pairs explicitly to record them as errors)");
                                }
                            }

                            if (r == 1 && rubric == rubricChoices[0])
                            {
                                skipped.AddRange(plan.Skipped);
                            }

                            passes.Add(new RunPass(spec.Text, spec, rubric, repeat, turn, selector, Limit(items, o.Limit).Where(i => InShard(i.Key, o.Shard)).ToList(), null));
                        }
                        else
                        {
                            var plan = ItemPlanner.Absolute(data, turn, o.Models.Count > 0 ? o.Models : null);
                            if (r == 1 && rubric == rubricChoices[0])
                            {
                                skipped.AddRange(plan.Skipped);
                            }

                            passes.Add(new RunPass(spec.Text, spec, rubric, repeat, turn, selector, null, Limit(plan.Items, o.Limit).Where(i => InShard(i.Key, o.Shard)).ToList()));
                        }
                    }
                }
            }
        }

        return new RunPlan(passes, skipped, notes);
    }

    /// <summary>
    /// Runs a config: plans, judges what is not yet recorded, appends each judgment as it finishes,
    /// then analyses every judgment in the file and evaluates the gates.
    /// </summary>
    /// <param name="config">What to judge, how, and the gates.</param>
    /// <param name="files">Where the judgments, journal and manifest go.</param>
    /// <param name="start">What to do with a run already there.</param>
    /// <param name="rubrics">The rubric library ids in the config are looked up in.</param>
    /// <param name="observer">Notes and progress. Default: none.</param>
    /// <param name="cancellationToken">Stops the run; every finished judgment stays in the file, and it can be resumed.</param>
    /// <exception cref="InputException">The config, data or output is unusable; nothing was judged.</exception>
    public async Task<RunResult> RunAsync(RunConfig config, RunFiles files, RunStart start, RubricLibrary rubrics, RunObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(files);
        observer ??= new RunObserver();
        var data = LoadData(config);
        var t = config.Thresholds;
        foreach (var model in t.Models.Append(t.Baseline).OfType<string>().Where(m => !data.Models.Contains(m, StringComparer.Ordinal)))
        {
            throw new InputException(config.SourcePath, null, model == t.Baseline ? "thresholds.baseline" : "thresholds.models", $"no answers by model '{model}' in the data (models: {string.Join(", ", data.Models)})");
        }

        var prices = Prices(config);
        var plan = Plan(config, data, rubrics);

        // From here on the judges are named by their recorded ids: specs without URL passwords (the plan keeps
        // the full specs for the connections).
        config = config with { Judges = [.. config.Judges.Select(j => JudgeSpec.Parse(j).Text)] };
        foreach (var note in plan.Notes)
        {
            observer.Note?.Invoke(note);
        }

        var hasManifest = File.Exists(files.Manifest);
        var previous = hasManifest ? RunManifest.Read(files.Manifest) : null;
        switch (start)
        {
            case RunStart.New when previous is not null:
                throw new InputException(Path.GetDirectoryName(files.Manifest), null, null, "the output already holds a run; resume it or overwrite it");
            case RunStart.ReplaceFinished when previous is { FinishedAt: null }:
                throw new InputException(files.Judgments, null, null, $"holds an unfinished run ({previous.Planned} judgments planned); resume it to keep what it judged, or overwrite it");
            case RunStart.Resume when previous is null:
                observer.Note?.Invoke(File.Exists(files.Judgments)
                    ? $"no manifest beside {files.Judgments}: its judgments are kept and only what is missing is judged"
                    : "nothing to resume yet: starting the run");
                break;
        }

        var resume = start == RunStart.Resume;
        Directory.CreateDirectory(Path.GetDirectoryName(files.Manifest)!);
        using var journal = ResponseJournal.Open(files.Journal, resume);
        var unitKeys = plan.Passes.SelectMany(p => p.Keys).ToList();
        var planHash = RunManifest.HashPlan(unitKeys);
        var rubricKeys = plan.Passes.SelectMany(p => p.RubricKeys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        var now = _time.GetUtcNow();
        RunManifest manifest;
        var done = new HashSet<string>(StringComparer.Ordinal);
        if (resume)
        {
            if (previous is not null && previous.PlanHash != planHash)
            {
                throw new InputException(files.Manifest, null, "plan_hash", $"the run there judged a different plan ({previous.Planned} judgments) than this one ({unitKeys.Count}); resume with the settings it started with, or overwrite it");
            }

            if (previous is not null && previous.ConfigHash != config.Hash)
            {
                observer.Note?.Invoke("the settings changed since the run started, but not what it judges; gates and reports use the new ones");
            }

            if (File.Exists(files.Judgments))
            {
                var recovered = JudgmentsRecovery.Recover(files.Judgments);
                if (recovered.TruncatedBytes > 0)
                {
                    observer.Note?.Invoke($"recovered: cut {recovered.TruncatedBytes} bytes ({recovered.DroppedLines} lines: a torn last write or calls of an unfinished item) from the end of {files.Judgments}");
                }

                foreach (var r in recovered.Records.Where(r => r is not JudgeCall))
                {
                    done.Add(UnitKey(r.Judge, r.Rubric, r.Item, r.Repeat));
                    done.Add(UnitKey(r.Judge, null, r.Item, r.Repeat));
                }
            }

            if (journal.TornLines > 0)
            {
                observer.Note?.Invoke($"recovered: cut a torn last line from {files.Journal}");
            }
        }
        else
        {
            // The journal was opened afresh above; the judgments of a replaced run go too.
            File.Delete(files.Judgments);
        }

        manifest = previous is not null && resume
            ? previous with { FinishedAt = null, ResumedAt = [.. previous.ResumedAt, now], ConfigHash = config.Hash }
            : new RunManifest
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
        manifest.Write(files.Manifest);

        var remaining = plan.Passes.Select(p => p.Without(done)).ToList();
        var total = remaining.Sum(p => p.Count);
        if (resume && done.Count > 0)
        {
            observer.Note?.Invoke($"resuming: {unitKeys.Count - total} of {unitKeys.Count} judgments already recorded, {total} to go");
        }

        // Judges in batch mode: their calls go through the provider's batch service first, the ids recorded in the manifest.
        var book = new BatchBook(Path.GetDirectoryName(Path.GetFullPath(files.Manifest))!, manifest.Batches, records =>
        {
            manifest = manifest with { Batches = records };
            manifest.Write(files.Manifest);
        });
        var batchAnswers = new Dictionary<string, BatchAnswers>(StringComparer.Ordinal);
        foreach (var group in remaining.Where(p => p.Count > 0).GroupBy(p => p.Judge, StringComparer.Ordinal))
        {
            using var batch = judges.Batch(group.First().Spec);
            if (batch is not null)
            {
                batchAnswers[group.Key] = await BatchAsync(config, JudgeSpec.Parse(group.Key).Text, batch, [.. group], book, journal, observer, cancellationToken).ConfigureAwait(false);
            }
        }

        var earlier = File.Exists(files.Judgments) ? JudgmentsReader.Read(files.Judgments).OfType<JudgeCall>().Sum(c => c.CostUsd ?? 0m) : 0m;
        var progress = new RunProgress(total, _time, earlier);
        progress.Changed += s => observer.Progress?.Invoke(s);
        observer.Progress?.Invoke(progress.Snapshot());
        var writer = JudgmentsWriter.Open(files.Judgments, append: true);
        await using (writer.ConfigureAwait(false))
        {
            var noted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pass in remaining.Where(p => p.Count > 0))
            {
                var answers = batchAnswers.GetValueOrDefault(pass.Judge);
                var build = BuildOptions(config, pass, journal, answers: answers);
                var sink = new RunSink(writer, pass.Repeat, progress, pass.Spec.Scheme == "replay" ? null : prices, PricedModel(pass.Spec), answers);
                var options = new GradingRunOptions { Concurrency = config.Options.Concurrency };
                if (pass.Pairs is { } pairs)
                {
                    var built = judges.CreatePairwise(pass.Spec, build);
                    foreach (var note in built.Notes.Where(noted.Add))
                    {
                        observer.Note?.Invoke(note);
                    }
                    await GradingRunner.RunAsync(pairs, built.Judge, sink, options, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var judge = judges.CreateAbsolute(pass.Spec, build);
                    await GradingRunner.RunAsync(pass.Answers!, judge, sink, options, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        manifest = manifest with { FinishedAt = _time.GetUtcNow() };
        manifest.Write(files.Manifest);

        return Result(config, files, manifest, data, plan, progress.Snapshot()) with { JournalServed = journal.Served };
    }

    /// <summary>A finished run's result, from the judgments file as written: its records, analysis, agreement and outcome.</summary>
    private static RunResult Result(RunConfig config, RunFiles files, RunManifest manifest, Dataset data, RunPlan plan, RunProgressSnapshot progress)
    {
        var records = JudgmentsReader.Read(files.Judgments);
        var analysis = RunAnalysis.Compute(records, config);
        return new RunResult
        {
            Config = config,
            Files = files,
            Manifest = manifest,
            Analysis = analysis,
            Records = records,
            Agreement = Agreement(config, records),
            Data = data,
            Outcome = analysis.Outcome,
            Progress = progress,
            Skipped = plan.Skipped,
        };
    }

    /// <summary>The price table a run's costs use: the config's file over the built-in table, and its flat prices over both.</summary>
    public static PriceTable Prices(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var table = config.Options.Prices is { } path ? PriceTable.BuiltIn.WithOverrides(path) : PriceTable.BuiltIn;
        if (config.Options.InputPricePerMillion is null && config.Options.OutputPricePerMillion is null)
        {
            return table;
        }

        var flat = new ModelPrice((decimal)(config.Options.InputPricePerMillion ?? 0), (decimal)(config.Options.OutputPricePerMillion ?? 0));
        return PriceTable.WithFlatPrice(flat);
    }

    /// <summary>The model name a judge's calls are priced by when the provider names none: <c>?model=</c>, else the spec's target.</summary>
    public static string PricedModel(JudgeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Option("model") ?? spec.Target;
    }

    private static JudgeSpec ResolveSpec(RunConfig config, string judgeText)
    {
        var spec = JudgeSpec.Parse(judgeText);
        if (spec.Scheme is "replay" or "llama" && !Path.IsPathRooted(spec.Target))
        {
            var beside = Path.GetFullPath(Path.Combine(config.JudgePathBase, spec.Target));
            if (spec.Scheme == "replay" || File.Exists(beside) || !LooksLikeCatalogueName(spec.Target))
            {
                spec = spec with { Target = beside };
            }
        }

        return spec;
    }

    /// <summary>A <c>llama:NAME</c> judge may name a catalogue model rather than a file: a bare word without a path or extension.</summary>
    private static bool LooksLikeCatalogueName(string target) =>
        !target.Contains('/', StringComparison.Ordinal) && !target.Contains('\\', StringComparison.Ordinal) && !target.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    private JudgeBuildOptions BuildOptions(RunConfig config, RunPass pass, ResponseJournal journal, Func<string, IChatClient, IChatClient>? wrap = null, BatchAnswers? answers = null)
    {
        var o = config.Options;
        var chat = new ChatJudgeOptions { Seed = o.Seed + (pass.Repeat ?? 1) - 1, TimeProvider = _time };
        if (o.MaxTokens is int max)
        {
            chat.MaxOutputTokens = max;
        }

        switch (o.Verdict)
        {
            case VerdictMode.Text:
                chat.UseLogitVerdicts = false;
                break;
            case VerdictMode.Json:
                chat.UseLogitVerdicts = false;
                chat.ConstrainVerdict = true;
                break;
        }

        return new JudgeBuildOptions
        {
            Rubrics = pass.Selector,
            Chat = chat,
            Swap = new PositionSwapOptions
            {
                Mode = Enum.Parse<SwapMode>(o.Swap, ignoreCase: true),
                OnDisagreement = o.OnDisagreement == "drop" ? DisagreementPolicy.Drop : DisagreementPolicy.Tie,
                Seed = o.Seed,
            },
            WrapClient = wrap ?? journal.Wrap,
            BatchAnswers = answers,
        };
    }

    private static List<T> Limit<T>(IReadOnlyList<T> items, int? limit) => limit is int n ? items.Take(n).ToList() : items.ToList();

    /// <summary>Whether an item falls in a shard: the first four bytes of the SHA-256 of its key, modulo the shard count.</summary>
    public static bool InShard(string itemKey, (int Index, int Count)? shard) =>
        shard is not { } s || (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(itemKey))) % (uint)s.Count) == s.Index - 1;

    /// <summary>Reads a shard as <c>K/N</c> (1 ≤ K ≤ N ≤ 10,000), as <c>run --shard</c> takes it; anything else is an <see cref="InputException"/> naming <paramref name="key"/>.</summary>
    public static (int Index, int Count) ParseShard(string text, string key = "--shard")
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var k) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 10_000 && k >= 1 && k <= n
            ? (k, n)
            : throw new InputException(null, null, key, $"'{text}' is not K/N with 1 ≤ K ≤ N ≤ 10000");
    }

    private static AgreementReport? Agreement(RunConfig config, IReadOnlyList<JudgmentRecord> records)
    {
        if (config.Mode != RunMode.Compare || config.Data.HumanLabels is not { } path)
        {
            return null;
        }

        var human = VerdictImport.ReadLabels(path, config.Data.HumanPairwiseLayout);
        var firstRepeat = records.OfType<PairwiseVerdict>().Where(r => (r.Repeat ?? 1) == 1).ToList();
        var labels = JudgmentsReader.PairwiseLabels(firstRepeat);
        var options = new AgreementOptions
        {
            HumanRaterPrefix = config.Data.HumanRaters,
            Seed = config.Options.Seed,
            BootstrapResamples = config.Thresholds.Resamples,
            ConfidenceLevel = config.Thresholds.Confidence,
        };
        return AgreementReport.Compute(labels, human, options, path) with
        {
            JudgeItemsWithoutVerdict = firstRepeat.Count(r => r.Winner is null),
            Orders = OrderAgreement.Compute(firstRepeat, records.OfType<JudgeCall>().ToList(), human, options),
        };
    }
}

/// <summary>A planned run: its passes in order, the items left out, and notes for the user.</summary>
/// <param name="Passes">One per judge × rubric × repeat × turn.</param>
/// <param name="Skipped">Planned items that cannot be judged (a missing answer), with why.</param>
/// <param name="Notes">Things the user should know about the plan.</param>
public sealed record RunPlan(IReadOnlyList<RunPass> Passes, IReadOnlyList<string> Skipped, IReadOnlyList<string> Notes)
{
    /// <summary>Judgments planned.</summary>
    public int Count => Passes.Sum(p => p.Count);
}

/// <summary>One judge × rubric × repeat × turn: the items a judge instance judges.</summary>
/// <param name="Judge">The judge spec as configured (the judge id recorded with every judgment).</param>
/// <param name="Spec">The parsed spec, paths resolved.</param>
/// <param name="Rubric">The configured rubric, or <see langword="null"/> for the per-item standard choice.</param>
/// <param name="Repeat">The repeat index when a run repeats, else <see langword="null"/>.</param>
/// <param name="Turn">The turn judged.</param>
/// <param name="Selector">Which rubric each item gets.</param>
/// <param name="Pairs">The pairwise items, in compare mode.</param>
/// <param name="Answers">The answers, in grade mode.</param>
public sealed record RunPass(string Judge, JudgeSpec Spec, string? Rubric, int? Repeat, int Turn, IRubricSelector Selector, IReadOnlyList<PairwiseItem>? Pairs, IReadOnlyList<AbsoluteItem>? Answers)
{
    /// <summary>Items in the pass.</summary>
    public int Count => Pairs?.Count ?? Answers!.Count;

    /// <summary>The rubric key of each item, in order.</summary>
    public IEnumerable<string> RubricKeys => Pairs is not null ? Pairs.Select(i => Selector.For(i).Key) : Answers!.Select(i => Selector.For(i).Key);

    /// <summary>The unit key of each item, in order (see <see cref="RunEngine.UnitKey"/>).</summary>
    public IEnumerable<string> Keys => Pairs is not null
        ? Pairs.Select(i => RunEngine.UnitKey(Judge, Rubric is null ? null : Selector.For(i).Key, i.Key, Repeat))
        : Answers!.Select(i => RunEngine.UnitKey(Judge, Rubric is null ? null : Selector.For(i).Key, i.Key, Repeat));

    /// <summary>The same pass without the items whose unit keys are in <paramref name="done"/>.</summary>
    public RunPass Without(IReadOnlySet<string> done) => this with
    {
        Pairs = Pairs?.Where(i => !done.Contains(RunEngine.UnitKey(Judge, Rubric is null ? null : Selector.For(i).Key, i.Key, Repeat))).ToList(),
        Answers = Answers?.Where(i => !done.Contains(RunEngine.UnitKey(Judge, Rubric is null ? null : Selector.For(i).Key, i.Key, Repeat))).ToList(),
    };
}

/// <summary>
/// Writes a pass's judgments with their repeat index and each call's cost, and reports each to the
/// progress tracker.
/// </summary>
internal sealed class RunSink(JudgmentsWriter writer, int? repeat, RunProgress progress, PriceTable? prices, string pricedModel, BatchAnswers? batch = null) : IJudgmentSink
{
    public async ValueTask WriteAsync(PairwiseVerdict judgment, CancellationToken cancellationToken = default)
    {
        var calls = judgment.Calls.Select(Record).ToList();
        JudgmentRecord[] records = [.. calls, judgment with { Repeat = repeat, Calls = calls }];
        await writer.WriteAsync(records, cancellationToken).ConfigureAwait(false);
        progress.Add(judgment.Status, calls);
    }

    public async ValueTask WriteAsync(AbsoluteVerdict judgment, CancellationToken cancellationToken = default)
    {
        var calls = judgment.Calls.Select(Record).ToList();
        JudgmentRecord[] records = [.. calls, judgment with { Repeat = repeat, Calls = calls }];
        await writer.WriteAsync(records, cancellationToken).ConfigureAwait(false);
        progress.Add(judgment.Status, calls);
    }

    private JudgeCall Record(JudgeCall call) => call with { Repeat = repeat, CostUsd = Cost(call) };

    private decimal? Cost(JudgeCall call)
    {
        if (prices is null || (call.InputTokens is null && call.OutputTokens is null))
        {
            return null;
        }

        // A call its batch answered is priced at the batch price; one that went live, at the live price.
        var batched = batch?.Answered(BatchRequestLine.IdOf(call.Item, call.Order, repeat, call.PromptHash)) == true;
        return prices.CostOf(call.Model, pricedModel, call.InputTokens ?? 0, call.OutputTokens ?? 0, batched);
    }
}

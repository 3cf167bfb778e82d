using System.Globalization;
using Judge.Data;
using Judge.Judging;
using Judge.Rubrics;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>
/// The run engine behind <c>judge compare</c>, <c>judge grade</c> and <c>judge run</c>: plan → decide the start → judge →
/// record → analyse → gate. Judgments are appended to the results file item by item as they finish, and every judge
/// response is journalled as it arrives (<see cref="CallRunner"/>), so a killed or cancelled run loses nothing it had paid
/// for: resuming judges only what is missing. A refused start (<see cref="RunStartRule"/>) touches no file. Reports are
/// rendered from the <see cref="RunResult"/>.
/// </summary>
/// <param name="judges">Builds the judges named in the config.</param>
/// <param name="time">The clock for the manifest, progress and judges. Default: the system clock.</param>
// This file: the run itself. The plan, the batch path and the merge of shards each have their own RunEngine.*.cs.
public sealed partial class RunEngine(IJudgeFactory judges, TimeProvider? time = null)
{
    /// <summary>The fewest items handed at once to a judge that reads verdicts from logits: four MT-Bench questions of six models' pairs.</summary>
    private const int LocalItemsAtOnce = 64;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>
    /// Runs a config: plans, decides the start, judges what is not yet recorded, appends each judgment as it finishes,
    /// then analyses every judgment in the file and evaluates the gates.
    /// </summary>
    /// <param name="config">What to judge, how, and the gates.</param>
    /// <param name="files">Where the judgments, journal and manifest go.</param>
    /// <param name="start">What to do with a run already there.</param>
    /// <param name="rubrics">The rubric library ids in the config are looked up in.</param>
    /// <param name="observer">Notes and progress. Default: none.</param>
    /// <param name="cancellationToken">Stops the run; every finished judgment stays in the file, and it can be resumed.</param>
    /// <exception cref="InputException">The config, data or output is unusable, or the start is refused; nothing was judged or touched.</exception>
    public async Task<RunResult> RunAsync(RunConfig config, RunFiles files, RunStart start, RubricLibrary rubrics, RunObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(files);
        observer ??= new RunObserver();
        var data = LoadData(config);
        CheckGatedModels(config, data);
        var plan = Plan(config, data, rubrics);
        CheckBeforeWriting(config, files);
        var decision = RunStartRule.Decide(start, files, plan.Hash, plan.Count, config.Hash);
        foreach (var note in plan.Notes.Concat(decision.Notes))
        {
            observer.Note?.Invoke(note);
        }

        // Validated: from here on the run's files are touched, by this process alone.
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(files.Manifest))!);
        using var exclusive = RunLock.Take(files);
        var manifest = new ManifestFile(files.Manifest, decision.Resume && decision.Previous is { } previous
            ? previous with { FinishedAt = null, ResumedAt = [.. previous.ResumedAt, _time.GetUtcNow()], ConfigHash = config.Hash }
            : plan.Manifest(config, _time.GetUtcNow()));
        using var runner = CallRunner.Open(files.Journal, decision.Resume, manifest.Book, _time, observer.Note);
        var done = decision.Resume ? Recorded(files, runner, observer, config.Options.RetryErrors) : Replaced(files);
        manifest.Save();

        var remaining = plan.Passes.Select(p => p.Without(done)).Where(p => p.Count > 0).ToList();
        var total = remaining.Sum(p => p.Count);
        if (decision.Resume && done.Count > 0)
        {
            observer.Note?.Invoke($"resuming: {plan.Count - total} of {plan.Count} judgments already recorded, {total} to go");
        }

        var batchAnswers = await BatchAsync(config, remaining, runner, observer, cancellationToken).ConfigureAwait(false);
        var earlier = File.Exists(files.Judgments) ? CostTotals.Of(JudgmentsReader.Read(files.Judgments).OfType<JudgeCall>()).Usd : 0m;
        var progress = runner.StartProgress(total, earlier, null, observer.Progress);
        await JudgeAsync(config, remaining, files, runner, progress, batchAnswers, observer, cancellationToken).ConfigureAwait(false);

        manifest.Update(m => m with { FinishedAt = _time.GetUtcNow() });
        return Result(config, files, manifest.Current, data, plan, progress.Snapshot()) with { JournalServed = runner.Journal.Served };
    }

    /// <summary>
    /// Everything a run could still refuse, checked before any of its files is created or truncated: its outputs are no
    /// input and no folder (<see cref="OutputPaths"/>), its price table reads, every judge spec builds (<see cref="IJudgeFactory.Check"/>), and the
    /// human labels it will compare with hold votes by raters that count. A refused run leaves every file as it was.
    /// </summary>
    /// <exception cref="InputException">Something is unusable; nothing was touched.</exception>
    public void CheckBeforeWriting(RunConfig config, RunFiles files)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(files);
        OutputPaths.Check(OutputPaths.Of(files, "output"), InputsOf(config));
        _ = Prices(config);
        foreach (var spec in config.Judges.SelectMany(j => j.Singles).DistinctBy(s => s.Text))
        {
            judges.Check(spec);
            if (config.Options.Verdict == VerdictMode.Logits && !judges.GivesLogits(spec))
            {
                throw new InputException(config.SourcePath, null, "--verdict logits (options.verdict)", $"reads the verdict from the judge's logits, and '{spec.Text}' gives none; use a local llama: judge, or --verdict auto|text|json");
            }
        }

        if (config.Mode == RunMode.Compare && config.Data.HumanLabels is { } labels)
        {
            var human = VerdictImport.ReadLabels(labels, config.Data.HumanPairwiseLayout);
            if (human.Count == 0)
            {
                throw new InputException(labels, null, "data.human_labels", "holds no labels");
            }

            HumanRaters.EnsureAnyMatch(human, config.Data.HumanRaters, labels);
        }
    }

    /// <summary>Every file a run reads: its config, data, labels, prices, rubric files and the files its judges read.</summary>
    public static IReadOnlyList<string> InputsOf(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var o = config.Options;
        IEnumerable<string?> inputs =
        [
            config.SourcePath, config.Data.Questions, .. config.Data.Answers, config.Data.References, config.Data.HumanLabels, o.Prices,
            o.Pairs is { } pairs && pairs.StartsWith("labels:", StringComparison.Ordinal) ? pairs["labels:".Length..] : null,
            .. config.Rubrics.Where(File.Exists),
            .. config.Judges.SelectMany(j => j.FilesRead),
        ];
        return inputs.OfType<string>().Where(File.Exists).Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every model named by a gate must have answers in the data.</summary>
    private static void CheckGatedModels(RunConfig config, Dataset data)
    {
        var t = config.Thresholds;
        foreach (var model in t.Models.Append(t.Baseline).OfType<string>().Where(m => !data.Models.Contains(m, StringComparer.Ordinal)))
        {
            throw new InputException(config.SourcePath, null, model == t.Baseline ? "thresholds.baseline" : "thresholds.models", $"no answers by model '{model}' in the data (models: {string.Join(", ", data.Models)})");
        }
    }

    /// <summary>
    /// A resume's judgments already recorded, by unit key (with and without their rubric): the file recovered first, a torn
    /// last write or the calls of an unfinished item cut from its end.
    /// </summary>
    private static HashSet<string> Recorded(RunFiles files, CallRunner runner, RunObserver observer, bool retryErrors)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        if (File.Exists(files.Judgments))
        {
            var recovered = JudgmentsRecovery.Recover(files.Judgments);
            if (recovered.TruncatedBytes > 0)
            {
                observer.Note?.Invoke($"recovered: cut {recovered.TruncatedBytes} bytes ({recovered.DroppedLines} lines: a torn last write or calls of an unfinished item) from the end of {files.Judgments}");
            }

            var records = retryErrors ? WithoutErrors(files, recovered.Records, observer) : recovered.Records;
            foreach (var r in records.Where(r => r is not JudgeCall))
            {
                done.Add(UnitKey(r.Judge, r.Rubric, r.Item, r.Repeat));
                done.Add(UnitKey(r.Judge, null, r.Item, r.Repeat));
            }
        }

        if (runner.Journal.TornLines > 0)
        {
            observer.Note?.Invoke($"recovered: cut a torn last line from {files.Journal}");
        }

        return done;
    }

    /// <summary>
    /// For <see cref="RunOptions.RetryErrors"/>: the judgments file without the items recorded as <c>error</c> (their
    /// verdicts and calls), rewritten atomically, so those items are judged again and nothing else is. Their calls failed,
    /// so the journal holds no paid answer for them; every other item keeps its record and costs nothing.
    /// </summary>
    private static IReadOnlyList<JudgmentRecord> WithoutErrors(RunFiles files, IReadOnlyList<JudgmentRecord> records, RunObserver observer)
    {
        var failed = records.Where(r => r is ItemVerdict && r.Status == VerdictStatus.Error).Select(r => UnitKey(r.Judge, r.Rubric, r.Item, r.Repeat)).ToHashSet(StringComparer.Ordinal);
        if (failed.Count == 0)
        {
            observer.Note?.Invoke("retry errors: no item is recorded as error; nothing to judge again");
            return records;
        }

        var kept = records.Where(r => !failed.Contains(UnitKey(r.Judge, r.Rubric, r.Item, r.Repeat))).ToList();
        var temp = files.Judgments + ".retry.tmp";
        File.WriteAllText(temp, string.Concat(kept.Select(r => JudgmentsWriter.ToLine(r) + "\n")), new System.Text.UTF8Encoding(false));
        File.Move(temp, files.Judgments, overwrite: true);
        observer.Note?.Invoke($"retry errors: judging again the {failed.Count} items recorded as error; the other {kept.Count(r => r is ItemVerdict)} judgments are kept");
        return kept;
    }

    /// <summary>A start afresh: the journal was opened empty; the judgments of a replaced run go too.</summary>
    private static HashSet<string> Replaced(RunFiles files)
    {
        File.Delete(files.Judgments);
        return new HashSet<string>(StringComparer.Ordinal);
    }

    /// <summary>Judges the remaining passes, appending each judgment as it finishes, its calls journalled and priced.</summary>
    private async Task JudgeAsync(
        RunConfig config, IReadOnlyList<RunPass> remaining, RunFiles files, CallRunner runner, RunProgress progress, IReadOnlyDictionary<string, BatchAnswers> batchAnswers, RunObserver observer, CancellationToken cancellationToken)
    {
        var prices = Prices(config);
        var writer = JudgmentsWriter.Open(files.Judgments, append: true);
        await using (writer.ConfigureAwait(false))
        {
            var noted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pass in remaining)
            {
                var answers = batchAnswers.GetValueOrDefault(pass.Judge);
                var build = BuildOptions(config, pass, (judge, client) => runner.Client(judge, client), answers);
                if (config.Cascade is { } cascade)
                {
                    await JudgeCascadeAsync(config, cascade, pass, writer, runner, progress, prices, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (config.Panel is { } panel)
                {
                    await JudgePanelAsync(config, panel, pass, writer, runner, progress, prices, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var sink = new RunSink(writer, pass.Repeat, progress, new CallPricer(prices, pass.Spec), answers);
                if (pass.Pairs is { } pairs)
                {
                    var built = judges.CreatePairwise(pass.Spec, build);
                    foreach (var note in built.Notes.Where(noted.Add))
                    {
                        observer.Note?.Invoke(note);
                    }

                    await GradingRunner.RunAsync(pairs, built.Judge, sink, Dispatch(config, pass.Spec), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var judge = judges.CreateAbsolute(pass.Spec, build);
                    await GradingRunner.RunAsync(pass.Answers!, judge, sink, Dispatch(config, pass.Spec), cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// How many items a pass hands its judge at once: the run's concurrency, and at least <see cref="LocalItemsAtOnce"/> for a
    /// judge that reads verdicts from logits (a local model). Such a judge decodes as many sequences at once as its own
    /// <c>batch</c> says, whatever it holds; what it holds it orders as a prefix tree, so the more of the run it sees, the more
    /// of the shared prefixes (rubric, question, first answer) it decodes once instead of once per call.
    /// </summary>
    private GradingRunOptions Dispatch(RunConfig config, JudgeSpec spec) =>
        new() { Concurrency = judges.GivesLogits(spec) ? Math.Max(config.Options.Concurrency, LocalItemsAtOnce) : config.Options.Concurrency };

    /// <summary>
    /// Judges a pass through the cascade: each stage built as its judge alone would be (its own cache key, journal and
    /// price), so only the items a stage escalates reach the next, and each call is priced at its own stage's price.
    /// </summary>
    private async Task JudgeCascadeAsync(RunConfig config, RunCascade cascade, RunPass pass, JudgmentsWriter writer, CallRunner runner, RunProgress progress, PriceTable? prices, CancellationToken cancellationToken)
    {
        var pricers = config.Judges.SelectMany(j => j.Singles).DistinctBy(j => j.Text).ToDictionary(j => j.Text, j => new CallPricer(prices, j), StringComparer.Ordinal);
        var sink = new RunSink(writer, pass.Repeat, progress, new CallPricer(prices, pass.Spec), null, pricers);
        var options = new GradingRunOptions { Concurrency = config.Options.Concurrency };
        JudgeBuildOptions Build(JudgeSpec spec) => BuildOptions(config, pass with { Judge = spec.Text, Spec = spec }, (judge, client) => runner.Client(judge, client), null);

        // A panel stage: its members each built as they alone would be, voting as one judge.
        IPairwiseJudge Pairwise(JudgeSpec spec) => spec.IsComposite
            ? RunPanel.Of(spec, config.Mode).Weights is { } weights
                ? new PanelPairwiseJudge(RunPanel.IdOf(spec.Members), [.. spec.Members.Select(Pairwise)], weights)
                : new PanelPairwiseJudge(RunPanel.IdOf(spec.Members), [.. spec.Members.Select(Pairwise)])
            : judges.CreatePairwise(spec, Build(spec)).Judge;
        IAbsoluteJudge Absolute(JudgeSpec spec) => spec.IsComposite
            ? new PanelAbsoluteJudge(RunPanel.IdOf(spec.Members), [.. spec.Members.Select(Absolute)], RunPanel.Of(spec, config.Mode).Score)
            : judges.CreateAbsolute(spec, Build(spec));
        if (pass.Pairs is { } pairs)
        {
            var stages = config.Judges.Select((spec, i) => new CascadeStage<IPairwiseJudge>(Pairwise(spec), cascade.Thresholds[i])).ToList();
            await GradingRunner.RunAsync(pairs, new CascadePairwiseJudge(pass.Judge, stages, cascade.OnAbstain), sink, options, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var stages = config.Judges.Select((spec, i) => new CascadeStage<IAbsoluteJudge>(Absolute(spec), cascade.Thresholds[i])).ToList();
            await GradingRunner.RunAsync(pass.Answers!, new CascadeAbsoluteJudge(pass.Judge, stages, cascade.OnAbstain), sink, options, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Judges a pass through the panel: every member judges every item as it alone would; each call priced at its member's price.</summary>
    private async Task JudgePanelAsync(RunConfig config, RunPanel panel, RunPass pass, JudgmentsWriter writer, CallRunner runner, RunProgress progress, PriceTable? prices, CancellationToken cancellationToken)
    {
        var pricers = config.Judges.ToDictionary(j => j.Text, j => new CallPricer(prices, j), StringComparer.Ordinal);
        var sink = new RunSink(writer, pass.Repeat, progress, new CallPricer(prices, pass.Spec), null, pricers);
        var options = new GradingRunOptions { Concurrency = config.Options.Concurrency };
        JudgeBuildOptions Build(JudgeSpec spec) => BuildOptions(config, pass with { Judge = spec.Text, Spec = spec }, (judge, client) => runner.Client(judge, client), null);
        if (pass.Pairs is { } pairs)
        {
            var members = config.Judges.Select(spec => judges.CreatePairwise(spec, Build(spec)).Judge).ToList();
            var panelJudge = panel.Weights is { } weights ? new PanelPairwiseJudge(pass.Judge, members, weights) : new PanelPairwiseJudge(pass.Judge, members);
            await GradingRunner.RunAsync(pairs, panelJudge, sink, options, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var members = config.Judges.Select(spec => judges.CreateAbsolute(spec, Build(spec))).ToList();
            await GradingRunner.RunAsync(pass.Answers!, new PanelAbsoluteJudge(pass.Judge, members, panel.Score), sink, options, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A finished run's result, from the judgments file as written: its records, analysis, agreement and outcome.</summary>
    private static RunResult Result(RunConfig config, RunFiles files, RunManifest manifest, Dataset data, RunPlan plan, RunProgressSnapshot progress)
    {
        var records = JudgmentsReader.Read(files.Judgments);
        var analysis = RunAnalysis.Compute(records, config);
        if (analysis.Cascade is { } cascade && config.Mode == RunMode.Compare && config.Data.HumanLabels is { } labels)
        {
            // Realised agreement of the decided verdicts, counted as the calibration counts it (human majority per item).
            var decided = records.OfType<PairwiseVerdict>().Where(v => v.Stage is not null && (v.Repeat ?? 1) == 1);
            var human = VerdictImport.ReadLabels(labels, config.Data.HumanPairwiseLayout);
            var units = CalibrationUnits.Pairwise(decided, human, new AgreementOptions { HumanRaterPrefix = config.Data.HumanRaters }).Units;
            analysis = analysis with { Cascade = cascade with { RealisedAgreement = new AgreementCount(units.Count(u => u.Agrees), units.Count) } };
        }

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

    /// <summary>
    /// A run's manifest as last written: it is the run's batch ledger too, so every change is written at once (atomically),
    /// and a kill at any point leaves the ids of every batch that exists.
    /// </summary>
    private sealed class ManifestFile(string path, RunManifest manifest)
    {
        public RunManifest Current { get; private set; } = manifest;

        public void Save() => Current.Write(path);

        public void Update(Func<RunManifest, RunManifest> change)
        {
            Current = change(Current);
            Save();
        }

        /// <summary>The batch ledger kept in the manifest, its request and result files beside it.</summary>
        public BatchBook Book() =>
            new(Path.GetDirectoryName(Path.GetFullPath(path))!, Current.Batches, records => Update(m => m with { Batches = records }));
    }

    /// <summary>The key that identifies one judgment of a plan: judge, rubric, item, repeat.</summary>
    public static string UnitKey(string judge, string? rubricKey, string item, int? repeat) =>
        string.Create(CultureInfo.InvariantCulture, $"{judge}\t{rubricKey ?? "*"}\t{item}\t{repeat ?? 0}");
}

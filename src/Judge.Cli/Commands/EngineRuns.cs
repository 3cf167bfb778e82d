using System.CommandLine;
using System.Globalization;
using Judge.Providers;
using Judge.Runs;
using Judge.Verdicts;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary>
/// What <c>compare</c>, <c>grade</c> and <c>run</c> share around the run engine: pulling local models,
/// live progress, a clean stop on Ctrl-C with the command that resumes, and the exit code.
/// </summary>
internal static class EngineRuns
{
    /// <summary>The process exit status of a run stopped by the user (128 + SIGINT).</summary>
    public const int Interrupted = ExitCodes.Interrupted;

    public static int ExitCode(RunOutcome outcome) => outcome switch
    {
        RunOutcome.Passed => ExitCodes.Ok,
        RunOutcome.GatesFailed => ExitCodes.ThresholdFailed,
        _ => ExitCodes.JudgeError,
    };

    /// <summary>Runs the engine with progress on the console; <see langword="null"/> when the user stopped it (already reported).</summary>
    public static async Task<RunResult?> ExecuteAsync(IAnsiConsole console, TimeProvider time, ParseResult parse, RunConfig config, RunFiles files, RunStart start, bool quiet, CancellationToken cancellationToken, string? batchResults = null)
    {
        // Refused before any model is pulled or judge built: a refused command touches nothing.
        if (RunStartRule.Check(start, files) is { } refused)
        {
            throw CommonOptions.Refused(refused);
        }

        foreach (var spec in config.Judges)
        {
            await ModelPulling.EnsureCachedAsync(console, spec, quiet, cancellationToken).ConfigureAwait(false);
        }

        var rubrics = CommonOptions.LoadRubrics(config.RubricsDir);
        var engine = new RunEngine(new JudgeFactory(batchResults: batchResults), time);
        var live = new LiveProgress(console, quiet);
        var observer = new RunObserver
        {
            Note = note =>
            {
                if (!quiet)
                {
                    live.Note(note);
                }
            },
            Progress = live.Update,
        };
        try
        {
            return await live.RunAsync(() => engine.RunAsync(config, files, start, rubrics, observer, cancellationToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var kept = File.Exists(files.Judgments) ? JudgmentsRecovery.Recover(files.Judgments).Records.Count(r => r is not JudgeCall) : 0;
            console.MarkupLineInterpolated($"[yellow]stopped:[/] {kept} judgments kept in {files.Judgments}");
            // Unwrapped, whatever the console's width: the line is meant to be copied.
            console.Profile.Out.Writer.WriteLine($"resume with: {ResumeCommand(parse)}");
            return null;
        }
    }

    /// <summary>The command line that resumes this one: the same arguments with <c>--resume</c>, without <c>--overwrite</c>.</summary>
    public static string ResumeCommand(ParseResult parse)
    {
        var tokens = parse.Tokens.Select(t => t.Value).Where(t => t != "--overwrite").ToList();
        if (!tokens.Contains("--resume"))
        {
            tokens.Add("--resume");
        }

        return CommandLine(tokens);
    }

    /// <summary>A <c>judge</c> command line of <paramref name="tokens"/>, quoted for a POSIX shell where needed.</summary>
    public static string CommandLine(IEnumerable<string> tokens) => "judge " + string.Join(' ', tokens.Select(Quote));

    private static string Quote(string token) =>
        token.Length > 0 && token.All(c => char.IsLetterOrDigit(c) || "-_./:=@,+%".Contains(c, StringComparison.Ordinal)) ? token : "'" + token.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>
/// Live progress: on a terminal one line rewritten in place (at most 80 characters: done/total, rate,
/// ETA, items without verdict, cost); elsewhere a plain line at every 5 % and at the end. Thread-safe.
/// </summary>
internal sealed class LiveProgress(IAnsiConsole console, bool quiet)
{
    private readonly Lock _lock = new();
    private LiveDisplayContext? _context;
    private string? _label;
    private int _lastPrinted = -1;
    private TimeSpan _lastPrintedAt = TimeSpan.Zero;

    public async Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        if (quiet || !console.Profile.Capabilities.Interactive)
        {
            return await work().ConfigureAwait(false);
        }

        T result = default!;
        await console.Live(new Text(string.Empty)).AutoClear(false).StartAsync(async ctx =>
        {
            lock (_lock)
            {
                _context = ctx;
            }

            try
            {
                result = await work().ConfigureAwait(false);
            }
            finally
            {
                lock (_lock)
                {
                    _context = null;
                }
            }
        }).ConfigureAwait(false);
        return result;
    }

    public void Note(string text)
    {
        lock (_lock)
        {
            console.MarkupLineInterpolated($"[grey]note:[/] {text}");
        }
    }

    public void Update(RunProgressSnapshot snapshot)
    {
        if (quiet)
        {
            return;
        }

        lock (_lock)
        {
            if (_context is { } ctx)
            {
                ctx.UpdateTarget(new Text(snapshot.Line()));
                return;
            }

            if (console.Profile.Capabilities.Interactive || snapshot.Total == 0)
            {
                return;
            }

            if (snapshot.Label != _label)
            {
                // A new counter (the next stage of a pipeline) starts from nothing: so do its lines.
                (_label, _lastPrinted, _lastPrintedAt) = (snapshot.Label, -1, TimeSpan.Zero);
            }

            // A line at every 5 % that comes at least a second after the last one, and the last line
            // when any was printed: a log of a long run shows its pace, a quick one stays quiet.
            var step = Math.Max(1, snapshot.Total / 20);
            var atStep = snapshot.Done % step == 0 && snapshot.Elapsed - _lastPrintedAt >= TimeSpan.FromSeconds(1);
            var last = snapshot.Done == snapshot.Total && _lastPrinted >= 0;
            if ((atStep || last) && snapshot.Done != _lastPrinted && snapshot.Done > 0)
            {
                _lastPrinted = snapshot.Done;
                _lastPrintedAt = snapshot.Elapsed;
                console.WriteLine(snapshot.Line());
            }
        }
    }
}

/// <summary>The console summary of a run, the same for compare, grade and run.</summary>
internal static class RunSummaryView
{
    public static void Write(IAnsiConsole console, RunResult r, bool showGates)
    {
        var a = r.Analysis;
        string Count(VerdictStatus status) => a.ByStatus.GetValueOrDefault(status).ToString(CultureInfo.InvariantCulture);
        var status = new Table().AddColumns("items", "parsed", "unparsed", "out of range", "dropped", "error", "calls");
        status.AddRow(
            a.Judgments.Values.Sum().ToString(CultureInfo.InvariantCulture),
            Count(VerdictStatus.Parsed),
            Count(VerdictStatus.Unparsed),
            Count(VerdictStatus.OutOfRange),
            Count(VerdictStatus.Dropped),
            Count(VerdictStatus.Error),
            a.Cost.Calls.ToString(CultureInfo.InvariantCulture));
        console.Write(status);
        if (r.Progress.Done > 0 || r.JournalServed > 0 || r.Manifest.ResumedAt.Count > 0)
        {
            console.MarkupLineInterpolated($"judged now {r.Progress.Done} with {r.Progress.Calls} calls{(r.JournalServed > 0 ? $", {r.JournalServed} responses reused from the journal" : string.Empty)}{(r.Manifest.ResumedAt.Count > 0 ? $"; run resumed {r.Manifest.ResumedAt.Count}x" : string.Empty)}");
        }

        if (a.Cost.Calls > 0)
        {
            var calls = r.Records.OfType<JudgeCall>().ToList();
            var unparsable = calls.Count(c => c.Status is VerdictStatus.Unparsed or VerdictStatus.OutOfRange);
            var failed = calls.Count(c => c.Status == VerdictStatus.Error);
            console.MarkupLineInterpolated($"judge calls: {calls.Count}, unparsable {unparsable}, failed {failed}; tokens in {a.Cost.InputTokens}, out {a.Cost.OutputTokens}");
        }

        if (r.Skipped.Count > 0)
        {
            console.MarkupLineInterpolated($"[yellow]skipped {r.Skipped.Count} items:[/] {string.Join("; ", r.Skipped.Take(5))}{(r.Skipped.Count > 5 ? "; …" : string.Empty)}");
        }

        if (a.Flips.BothOrders > 0 || a.Flips.Flipped > 0)
        {
            var denominator = Math.Max(a.Flips.BothOrders, a.Flips.Flipped);
            console.MarkupLineInterpolated($"position flips: {a.Flips.Flipped} of {denominator} items judged in both orders ({(double)a.Flips.Flipped / denominator:P1})");
        }

        if (r.Config.Mode == RunMode.Compare && a.Judgments.Values.Sum() > 0)
        {
            var outcomes = string.Join(", ", new[] { Data.PairOutcome.A, Data.PairOutcome.B, Data.PairOutcome.Tie, Data.PairOutcome.InconsistentTie }
                .Select(w => $"{Data.PairOutcomes.ToWire(w)} {a.Winners.GetValueOrDefault(w)}"));
            console.MarkupLineInterpolated($"verdicts: {outcomes}");
        }

        var groups = a.WinRates.Select(w => (w.Judge, w.Rubric)).Concat(a.Scores.Select(s => (s.Judge, s.Rubric))).Distinct().ToList();
        foreach (var (judge, rubric) in groups)
        {
            var title = groups.Count > 1 ? $"{judge} · {rubric}" : null;
            var standings = a.WinRates.Where(w => w.Judge == judge && w.Rubric == rubric && w.Opponent is null).ToList();
            if (standings.Count > 0)
            {
                var table = new Table().AddColumns("model", "wins", "losses", "ties", "no verdict", "win rate (ties = ½)");
                if (title is not null)
                {
                    table.Title(Markup.Escape(title));
                }

                foreach (var w in standings.OrderByDescending(w => w.Rate ?? -1).ThenBy(w => w.Model, StringComparer.Ordinal))
                {
                    table.AddRow(Markup.Escape(w.Model), N(w.Wins), N(w.Losses), N(w.Ties), w.Missing.Total.ToString(CultureInfo.InvariantCulture), ReportsText.Percent(w.Rate));
                }

                console.Write(table);
                if (r.Config.Thresholds.Baseline is { } baseline)
                {
                    foreach (var w in a.WinRates.Where(w => w.Judge == judge && w.Rubric == rubric && w.Opponent == baseline))
                    {
                        console.MarkupLineInterpolated($"  {w.Model} against {baseline}: {ReportsText.Percent(w.Rate)} {Reports.ReportText.Ci(w.Ci)} over {w.WithVerdict} pairs, without verdict {w.Missing}");
                    }
                }
            }

            var scores = a.Scores.Where(s => s.Judge == judge && s.Rubric == rubric).ToList();
            if (scores.Count > 0)
            {
                var table = new Table().AddColumns("model", "answers", "scored", "no verdict", "mean score", "interval", "pass rate");
                if (title is not null)
                {
                    table.Title(Markup.Escape(title));
                }

                foreach (var s in scores.OrderByDescending(s => s.Mean ?? double.MinValue))
                {
                    table.AddRow(Markup.Escape(s.Model), s.Items.ToString(CultureInfo.InvariantCulture), s.Scored.ToString(CultureInfo.InvariantCulture), s.Missing.Total.ToString(CultureInfo.InvariantCulture), Reports.ReportText.F(s.Mean, "0.00"), Markup.Escape(Reports.ReportText.Ci(s.MeanCi)), ReportsText.Percent(s.PassRate));
                }

                console.Write(table);
            }
        }

        var missing = MissingVerdicts.Count(a.ByStatus.SelectMany(s => Enumerable.Repeat(s.Key, s.Value)));
        if (missing.Total > 0)
        {
            console.MarkupLineInterpolated($"[yellow]without verdict:[/] {missing}; left out of every rate and mean above");
        }

        if (a.Stability.Count > 0)
        {
            var unstable = a.Stability.Where(s => s.Unstable).ToList();
            console.MarkupLineInterpolated($"repeats: {unstable.Count} of {a.Stability.Count} items unstable across {r.Config.Options.Repeats} repeats");
            foreach (var s in unstable.Take(10))
            {
                console.MarkupLineInterpolated($"  [yellow]unstable[/] {s.Item}: {string.Join(" / ", s.Verdicts)}{(s.Variance is double v ? $" (variance {v:0.00})" : string.Empty)}");
            }
        }

        if (r.Agreement is { } ag)
        {
            console.MarkupLineInterpolated($"agreement with human labels ({Statistics.HumanRaters.Describe(ag.HumanRaterPrefix)}): {ReportsText.Percent(ag.WithTies.Rate)} with ties ({ag.WithTies.Agree}/{ag.WithTies.Total}), {ReportsText.Percent(ag.WithoutTies.Rate)} without ties");
        }

        if (a.Cost.Calls > 0 && a.Cost.PricedCalls > 0)
        {
            var judgments = Math.Max(1, a.Judgments.Values.Sum());
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Reports.ReportText.Cost(a.Cost)}, ${a.Cost.Usd * 1000m / judgments:0.00} per 1,000 judgments{(r.Manifest.ResumedAt.Count > 0 ? " (all invocations of the run)" : string.Empty)}"));
        }

        if (showGates || a.ErrorRateExceeded || a.NothingJudged)
        {
            var errorLine = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"error rate {a.ErrorRate:P1} (max {r.Config.Thresholds.MaxErrorRate:P1})"));
            console.MarkupLine(a.ErrorRateExceeded ? errorLine + " [red]EXCEEDED[/]" : errorLine);
            foreach (var g in a.Gates)
            {
                console.MarkupLine((g.Passed ? "[green]pass[/] " : "[red]FAIL[/] ") + Markup.Escape($"{g.Name}: {g.Detail}"));
            }
        }
    }

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}

/// <summary>Percentages as the console shows them.</summary>
internal static class ReportsText
{
    public static string Percent(double? rate) => rate?.ToString("P1", CultureInfo.InvariantCulture) ?? "n/a";
}

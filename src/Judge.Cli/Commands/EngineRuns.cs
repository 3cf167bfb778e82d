using System.CommandLine;
using Judge.Providers;
using Judge.Reports;
using Judge.Runs;
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

    /// <summary>
    /// Refuses reports (<see cref="ReportWriter.FilesIn"/>) that would overwrite an input of the run or one of its own
    /// files, before anything is written.
    /// </summary>
    public static void CheckReports(string folder, string key, RunConfig config, RunFiles files)
    {
        var reports = ReportWriter.FilesIn(folder).Paths;
        OutputPaths.Check(reports.Select(p => (p, key)), RunEngine.InputsOf(config));
        var own = new[] { files.Judgments, files.Journal, files.Manifest }.Select(Path.GetFullPath).ToHashSet(StringComparer.Ordinal);
        if (reports.FirstOrDefault(r => own.Contains(Path.GetFullPath(r))) is { } clash)
        {
            throw new InputException(clash, null, key, "is also the run's own results file; give the reports another folder");
        }
    }

    /// <summary>Runs the engine with progress on the console; <see langword="null"/> when the user stopped it (already reported).</summary>
    public static async Task<RunResult?> ExecuteAsync(IAnsiConsole console, TimeProvider time, ParseResult parse, RunConfig config, RunFiles files, RunStart start, bool quiet, string outputKey, CancellationToken cancellationToken, string? batchResults = null)
    {
        // Refused before any model is pulled or judge built: a refused command touches nothing. An output that is an
        // input is said first: resuming or overwriting it is never the remedy.
        OutputPaths.Check(OutputPaths.Of(files, outputKey), RunEngine.InputsOf(config));
        if (RunStartRule.Check(start, files) is { } refused)
        {
            throw CommonOptions.Refused(refused);
        }

        foreach (var spec in config.Judges.SelectMany(j => j.Singles))
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
            var kept = files.KeptJudgments();
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
                    // The last frame on the screen is the last count, not whatever the display's timer last drew.
                    ctx.Refresh();
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

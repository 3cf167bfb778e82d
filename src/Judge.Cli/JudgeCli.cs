using System.CommandLine;
using Judge.Cli.Commands;
using Judge.Reports.Terminal;
using Spectre.Console;

namespace Judge.Cli;

/// <summary>The <c>judge</c> command line: parsing, dispatch, and the mapping of failures to exit codes.</summary>
public static class JudgeCli
{
    /// <summary>Runs the command line and returns the exit code; never throws for expected failures.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="console">Where everything is written.</param>
    /// <param name="cancellationToken">Stops the run; what was judged so far stays in the results file.</param>
    public static Task<int> RunAsync(string[] args, IAnsiConsole console, CancellationToken cancellationToken = default) =>
        RunAsync(args, console, TimeProvider.System, cancellationToken);

    /// <summary>Runs the command line with a given clock (run manifests and progress use it).</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="console">Where everything is written.</param>
    /// <param name="time">The clock.</param>
    /// <param name="cancellationToken">Stops the run; what was judged so far stays in the results file.</param>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var root = CreateRoot(console, time);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                console.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            }

            console.MarkupLine("Run [bold]judge --help[/] (or [bold]judge COMMAND --help[/]) for usage.");
            return ExitCodes.UsageOrInput;
        }

        try
        {
            // Ctrl-C cancels cancellationToken (Program wires it); the commands stop cleanly, say what they kept and how to resume.
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null, Output = new ConsoleTextWriter(console), Error = new ConsoleTextWriter(console) };
            return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InputException or RubricException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return ExitCodes.UsageOrInput;
        }
        catch (JudgeUnavailableException ex)
        {
            console.MarkupLineInterpolated($"[red]judge error:[/] {ex.Message}");
            return ExitCodes.JudgeError;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]stopped:[/] results judged so far were kept.");
            return ExitCodes.Interrupted;
        }
        catch (JudgeException ex)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return ExitCodes.JudgeError;
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            // Not the user's input: the machine ran out of room. What was written is kept and the run can be resumed.
            console.MarkupLineInterpolated($"[red]error:[/] the disk is full: {ex.Message}; free space, then resume with --resume");
            return ExitCodes.JudgeError;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return ExitCodes.UsageOrInput;
        }
        catch (Exception ex) when (Environment.GetEnvironmentVariable("JUDGE_DEBUG") is not "1")
        {
            // A bug: say what it was without a stack trace, and how to get one.
            console.MarkupLineInterpolated($"[red]internal error:[/] {ex.GetType().Name}: {ex.Message} (set JUDGE_DEBUG=1 for the stack trace)");
            return ExitCodes.JudgeError;
        }
    }

    /// <summary>Whether an I/O error is a full disk or quota (ENOSPC, EDQUOT; ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL).</summary>
    internal static bool IsDiskFull(IOException ex) =>
        (ex.HResult & 0xFFFF) is 28 or 122 or 0x70 or 0x27 || ex.InnerException is IOException inner && IsDiskFull(inner);

    /// <summary>
    /// Lays out what the commands write: on a terminal, tables fitted to its width; to a pipe or a file
    /// (<paramref name="redirected"/>), whole lines (no wrapping inside paths and numbers) and tables as plain aligned
    /// text without box drawing.
    /// </summary>
    internal static void Configure(IAnsiConsole console, bool redirected)
    {
        if (redirected)
        {
            console.Profile.Width = 4096;
        }

        ConsoleLayout.Install(console, plain: redirected);
    }

    /// <summary>Every command of the <c>judge</c> tool, with the grouped help behind each <c>--help</c>.</summary>
    internal static RootCommand CreateRoot(IAnsiConsole console, TimeProvider time)
    {
        var root = new RootCommand("Judge: LLM-as-judge grading with position-swap and verdict auditing.")
        {
            GradingCommands.Compare(console, time),
            GradingCommands.Grade(console, time),
            InitCommand.Create(console),
            RubricCommands.Create(console),
            AgreementCommand.Create(console),
            PandaLmCommand.Create(console),
            BiasCommands.Bias(console),
            JudgesCommand.Create(console),
            CalibrateCommand.Create(console),
            AgreementScoresCommand.Create(console),
            RunCommand.Create(console, time),
            BatchCommands.Create(console, time),
            RunCommand.CreateMerge(console),
            ModelCommands.Create(console),
            FeedbackCommands.Create(console, time),
        };

        Help.Install(root, console.Profile.Width);
        return root;
    }

    /// <summary>Routes System.CommandLine's help and messages through the Spectre console.</summary>
    private sealed class ConsoleTextWriter(IAnsiConsole console) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value) => console.Profile.Out.Writer.Write(value);

        public override void Write(string? value) => console.Profile.Out.Writer.Write(value);

        public override void WriteLine(string? value) => console.Profile.Out.Writer.WriteLine(value);
    }
}

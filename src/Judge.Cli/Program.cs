using Judge.Cli;
using Spectre.Console;

// Ctrl-C asks the command to stop cleanly (it keeps every finished judgment and prints how to resume);
// a second Ctrl-C ends the process at once.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (!stop.IsCancellationRequested)
    {
        e.Cancel = true;
        stop.Cancel();
    }
};

var console = AnsiConsole.Console;
if (Console.IsOutputRedirected)
{
    // Logs and pipes get whole lines: no wrapping at 80 columns inside paths and numbers.
    console.Profile.Width = 4096;
}

return await JudgeCli.RunAsync(args, console, stop.Token).ConfigureAwait(false);

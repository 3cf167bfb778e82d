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
JudgeCli.Configure(console, redirected: Console.IsOutputRedirected);

return await JudgeCli.RunAsync(args, console, stop.Token).ConfigureAwait(false);

using Judge.Cli;
using Spectre.Console;

return await JudgeCli.RunAsync(args, AnsiConsole.Console).ConfigureAwait(false);

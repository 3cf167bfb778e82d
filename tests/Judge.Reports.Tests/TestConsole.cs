using Spectre.Console;

namespace Judge.Reports.Tests;

/// <summary>A plain console that writes into a string, as the CLI's tests capture it.</summary>
internal sealed class TestConsole : IDisposable
{
    private readonly StringWriter _writer = new();

    public TestConsole(int width = 200)
    {
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(_writer),
        });
        Console.Profile.Width = width;
    }

    public IAnsiConsole Console { get; }

    public string Output => _writer.ToString();

    public void Dispose() => _writer.Dispose();
}

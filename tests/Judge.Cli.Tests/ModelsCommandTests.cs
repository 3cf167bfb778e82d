namespace Judge.Cli.Tests;

public class ModelsCommandTests
{
    [Fact]
    public async Task ModelsInfo_Stories260K_ShowsArchitectureVocabAndContext()
    {
        var (exit, output) = await CliRunner.RunAsync("models", "info", Path.Combine(Paths.Shared, "models", "stories260K.gguf"));
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("GGUF v3", output, StringComparison.Ordinal);
        Assert.Contains("llama", output, StringComparison.Ordinal);
        Assert.Contains("512 (llama)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsInfo_GgufV1_ExitsTwoWithClearError()
    {
        var (exit, output) = await CliRunner.RunAsync("models", "info", Path.Combine(Paths.Shared, "models", "tinyllamas-stories-260k-ggufv1.gguf"));
        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("GGUF version 1", output, StringComparison.Ordinal);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

/// <summary>
/// Runs llama.cpp's <c>llama-batched-bench</c> once and reads its result row: B sequences each decoding a prompt of
/// <c>-npp</c> tokens and generating <c>-ntg</c>, with the process's peak resident memory.
/// </summary>
internal static partial class BatchedBench
{
    /// <summary>Runs the bench in <paramref name="dir"/>.</summary>
    public static Row Run(string dir, string model, int promptTokens, int generatedTokens, int batch, int threads, string flashAttention)
    {
        var inv = CultureInfo.InvariantCulture;
        var psi = new ProcessStartInfo(Path.Combine(dir, "llama-batched-bench")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            "-m", model, "-c", (((promptTokens + generatedTokens) * batch) + 16).ToString(inv), "-b", "2048", "-ub", "512",
            "-npp", promptTokens.ToString(inv), "-ntg", generatedTokens.ToString(inv), "-npl", batch.ToString(inv),
            "-t", threads.ToString(inv), "-fa", flashAttention == "on" ? "on" : "off",
        })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        using var peak = new PeakMemory(process.Id);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var row = stdout.Split('\n').Select(l => RowPattern().Match(l)).FirstOrDefault(m => m.Success)
            ?? throw new InvalidOperationException($"llama-batched-bench printed no result row (exit {process.ExitCode}): {stderr.Result[^Math.Min(2000, stderr.Result.Length)..]}");
        double Col(int i) => double.Parse(row.Groups[i].Value, inv);

        // Columns: PP TG B N_KV T_PP S_PP T_TG S_TG T S.
        return new Row(Col(5), Col(6), Col(9), peak.MiB);
    }

    [GeneratedRegex(@"^\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|")]
    private static partial Regex RowPattern();

    /// <param name="PromptSeconds">T_PP: the prompts' time.</param>
    /// <param name="PromptTokensPerSecond">S_PP.</param>
    /// <param name="TotalSeconds">T: prompts and generation.</param>
    /// <param name="PeakMiB">The process's peak resident memory.</param>
    internal sealed record Row(double PromptSeconds, double PromptTokensPerSecond, double TotalSeconds, double PeakMiB);
}

using Judge.Benchmarks.Hosted;

// Benchmark modes. `hosted`: the hosted-judge stack against a loopback OpenAI-shaped server (see benchmarks/HOSTED.md).
// Usage: dotnet run -c Release --project benchmarks/Judge.Benchmarks -- hosted [--quick]
if (args is ["hosted", ..])
{
    return await HostedBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
}

await Console.Error.WriteLineAsync("usage: Judge.Benchmarks hosted [--quick]").ConfigureAwait(false);
return 2;

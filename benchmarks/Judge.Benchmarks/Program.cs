using Judge.Benchmarks.Agreement;
using Judge.Benchmarks.Hosted;

// Benchmark modes:
//   agreement [judgments resamples repetitions]  `judge agreement` with a bootstrap (benchmarks/README.md); the default
//   hosted [--quick]                              the hosted-judge stack against a loopback server (benchmarks/HOSTED.md)
// Usage: dotnet run -c Release --project benchmarks/Judge.Benchmarks -- MODE [arguments]
return args switch
{
    ["hosted", ..] => await HostedBenchmark.RunAsync(args[1..]).ConfigureAwait(false),
    ["agreement", ..] => AgreementBenchmark.Run(args[1..]),
    [] => AgreementBenchmark.Run([]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Judge.Benchmarks [agreement [judgments resamples repetitions] | hosted [--quick]]");
    return 2;
}

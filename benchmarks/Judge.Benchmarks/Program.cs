using Judge.Benchmarks.Agreement;
using Judge.Benchmarks.Hosted;
using Judge.Benchmarks.Statistics;

// Benchmark modes:
//   agreement [judgments resamples repetitions]  `judge agreement` with a bootstrap (benchmarks/README.md); the default
//   hosted [--quick]                              the hosted-judge stack against a loopback server (benchmarks/HOSTED.md)
//   tau-b [n]                                     Kendall's tau-b, Knight's O(n log n) against the O(n²) definition
//   agreement-files JUDGE HUMAN                   `judge agreement`'s phases on two files, timed once each, with peak memory
//   bias-report                                   `bias report` on 8,855 synthetic verdicts: time and peak RSS
//   bt-bootstrap [models battles resamples reps]  the Bradley-Terry bootstrap against a numpy MM fit (benchmarks/bt_mm_numpy.py)
//   batch [judgments]                             a 10,000-judgment run in batch mode against the loopback batch fake
// Usage: dotnet run -c Release --project benchmarks/Judge.Benchmarks -- MODE [arguments]
return args switch
{
    ["hosted", ..] => await HostedBenchmark.RunAsync(args[1..]).ConfigureAwait(false),
    ["agreement", ..] => AgreementBenchmark.Run(args[1..]),
    ["agreement-files", ..] => AgreementFilesBenchmark.Run(args[1..]),
    ["tau-b", ..] => StatisticsBenchmark.TauB(args[1..]),
    ["bias-report", ..] => StatisticsBenchmark.BiasReport(args[1..]),
    ["bt-bootstrap", ..] => BradleyTerryBenchmark.Run(args[1..]),
    ["batch", ..] => await BatchBenchmark.RunAsync(args[1..]).ConfigureAwait(false),
    [] => AgreementBenchmark.Run([]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Judge.Benchmarks [agreement [judgments resamples repetitions] | hosted [--quick] | tau-b [n] | bias-report | bt-bootstrap [models battles resamples reps] | batch [judgments]]");
    return 2;
}

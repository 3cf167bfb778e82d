using System.Diagnostics;
using Judge.Statistics;
using Judge.Statistics.Bias;
using Judge.Verdicts;

namespace Judge.Benchmarks.Agreement;

/// <summary>
/// Where `judge agreement`'s time goes on real-sized files: each phase of the command timed once, in order, with the
/// process's peak working set after it (benchmarks/README.md, "judge agreement on 1,000,000 judgments").
/// </summary>
internal static class AgreementFilesBenchmark
{
    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: Judge.Benchmarks agreement-files JUDGE.jsonl HUMAN.jsonl");
            return 2;
        }

        var clock = Stopwatch.StartNew();
        void Phase(string name)
        {
            using var process = Process.GetCurrentProcess();
            Console.WriteLine($"{name,-48} {clock.Elapsed.TotalSeconds,7:F2} s   peak {process.PeakWorkingSet64 / (1024.0 * 1024.0),7:F0} MB");
            clock.Restart();
        }

        var imported = VerdictImport.Read(args[0]);
        Phase("read the judge's file (VerdictImport.Read)");
        var run = JudgeRun.FromImport(imported);
        Phase("judge run (labels)");
        var humanFile = VerdictImport.ReadReference(args[1]);
        Phase("read the human file (VerdictImport.ReadReference)");
        var human = humanFile.Labels();
        Phase("human labels");
        var options = new AgreementOptions { BootstrapResamples = 0 };
        AgreementReport.Compute(run.Labels, human, options);
        Phase("agreement, no bootstrap (matching, kappa, human vs human)");
        var matched = PairwiseAgreement.Match(run.Labels, human, options);
        Phase("matching alone");
        var clusters = AgreementBootstrap.Clusters(matched, AgreementCluster.Question);
        Phase("question clusters");
        AgreementBootstrap.Intervals(clusters, 0, 1000);
        Phase("1,000 resamples of the question clusters");
        OrderAgreement.Compute(run.Items ?? [], run.Calls ?? [], human, options);
        Phase("per-order agreement");
        return 0;
    }
}

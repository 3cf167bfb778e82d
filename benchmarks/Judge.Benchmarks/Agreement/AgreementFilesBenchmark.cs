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

        // The path `judge agreement` takes on plain MT-Bench JSONL: streamed into integer codes.
        var book = new CodeBook();
        var judgeCodes = CodedLabelsReader.TryRead(args[0], null, book) ?? throw new InvalidOperationException("the judge file is not on the streamed path");
        Phase("streamed: read the judge's file into codes");
        var humanCodes = CodedLabelsReader.TryRead(args[1], null, book) ?? throw new InvalidOperationException("the human file is not on the streamed path");
        Phase("streamed: read the human file into codes");
        AgreementReport.Compute(judgeCodes, humanCodes, new AgreementOptions { BootstrapResamples = 0 }, args[1]);
        Phase("streamed: agreement, no bootstrap");

        // The agreement pass alone (grouping, matching, clusters, human vs human), against the tuple-dictionary groups it
        // had before (OldCodedAgreement, benchmark only), interleaved, three rounds each; the counts must be equal.
        var pass = new AgreementOptions();
        for (var round = 1; round <= 3; round++)
        {
            var coded = CodedAgreement.Compute(judgeCodes, humanCodes, pass, AgreementCluster.Question);
            Phase($"streamed: agreement pass, integer-coded groups ({round})");
            var old = OldCodedAgreement.Compute(judgeCodes, humanCodes, pass, AgreementCluster.Question);
            Phase($"baseline: agreement pass, tuple-dictionary groups ({round})");
            if (coded.Counts != old.Counts || coded.HumanVersusHumanCounts != old.HumanVersusHumanCounts || !coded.Clusters.SequenceEqual(old.Clusters))
            {
                throw new InvalidOperationException("the two agreement passes differ");
            }
        }

        var verdictClusters = CodedAgreement.Compute(judgeCodes, humanCodes, pass, AgreementCluster.Verdict);
        Phase("streamed: agreement pass, verdict clusters");
        var oldVerdictClusters = OldCodedAgreement.Compute(judgeCodes, humanCodes, pass, AgreementCluster.Verdict);
        Phase("baseline: agreement pass, verdict clusters");
        if (!verdictClusters.Clusters.SequenceEqual(oldVerdictClusters.Clusters))
        {
            throw new InvalidOperationException("the verdict clusters differ");
        }

        AgreementReport.Compute(judgeCodes, humanCodes, new AgreementOptions { BootstrapResamples = 1000 }, args[1]);
        Phase("streamed: agreement + 1,000 question-cluster resamples");
        judgeCodes = humanCodes = null;
        GC.Collect();
        clock.Restart();

        // The baseline, in the same run: the detailed reader (records per line), as before the streamed path.
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
        AgreementReport.Compute(run.Labels, human, new AgreementOptions { BootstrapResamples = 1000 });
        Phase("agreement + 1,000 question-cluster resamples");
        OrderAgreement.Compute(run.Items ?? [], run.Calls ?? [], human, options);
        Phase("per-order agreement");
        return 0;
    }
}

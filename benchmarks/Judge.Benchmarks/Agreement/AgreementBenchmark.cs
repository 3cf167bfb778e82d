using System.Diagnostics;
using System.Globalization;
using Judge.Data;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Benchmarks.Agreement;

internal static class AgreementBenchmark
{
    public static int Run(string[] args)
    {
        // Times `judge agreement`'s computation with a 1,000-resample bootstrap on 100,000 synthetic
        // judgments against one plain agreement pass (no bootstrap) over the same data, in the same run.
        // Usage: dotnet run -c Release --project benchmarks/Judge.Benchmarks [-- judgments resamples repetitions]
        var judgments = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var resamples = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000;
        var repetitions = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 7;
        const double Budget = 2.0;

        var (judge, human) = Synthetic(judgments, seed: 20231);
        var plain = new AgreementOptions { BootstrapResamples = 0, HumanRaterPrefix = null };
        var full = new AgreementOptions { BootstrapResamples = resamples, HumanRaterPrefix = null, Seed = 1 };

        var baseline = Time(() => AgreementReport.Compute(judge, human, plain), repetitions);
        var withBootstrap = Time(() => AgreementReport.Compute(judge, human, full), repetitions);
        var book = new CodeBook();
        var coded = CodedAgreement.Compute(CodedLabels.From(judge, book), CodedLabels.From(human, book), plain, AgreementCluster.Verdict);
        var clusters = coded.Clusters;
        var bootstrapOnly = Time(() => AgreementBootstrap.Intervals(clusters, 1, resamples), repetitions);
        var report = AgreementReport.Compute(judge, human, full);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"data: {judgments:N0} judge verdicts, {human.Count:N0} human votes, {coded.Total:N0} matched; {resamples:N0} resamples; {repetitions} timed repetitions after 2 warmups"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"agreement: {report.WithTies.Agree}/{report.WithTies.Total} with ties, CI [{report.Ci!.Lower:F4}, {report.Ci.Upper:F4}]"));
        Print("baseline: plain agreement pass (no bootstrap)", baseline);
        Print($"agreement + {resamples:N0}-resample bootstrap", withBootstrap);
        Print("bootstrap alone (precomputed cluster counts)", bootstrapOnly);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio (median, full / baseline): {withBootstrap.Median / baseline.Median:F2}x"));
        var pass = withBootstrap.Median < Budget;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"budget {Budget:F1} s: {(pass ? "met" : "MISSED")}"));
        return pass ? 0 : 1;
    }

    private static void Print(string what, (double Median, double Min, double Max) t) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what,-48} median {t.Median:F3} s  min {t.Min:F3} s  max {t.Max:F3} s"));

    private static (double Median, double Min, double Max) Time(Action action, int repetitions)
    {
        action();
        action();
        var seconds = new double[repetitions];
        for (var i = 0; i < repetitions; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            seconds[i] = sw.Elapsed.TotalSeconds;
        }

        Array.Sort(seconds);
        return (seconds[repetitions / 2], seconds[0], seconds[^1]);
    }

    // One judge verdict and one human vote per (question, model pair); the human agrees with the judge
    // about 70% of the time and a fifth of the votes are ties; a third of the human votes list the pair
    // the other way round, so orientation is normalised as on real files.
    private static (List<PairwiseLabel> Judge, List<PairwiseLabel> Human) Synthetic(int count, int seed)
    {
        var random = new Random(seed);
        string[] models = ["m0", "m1", "m2", "m3", "m4", "m5"];
        var winners = new[] { PairOutcome.A, PairOutcome.B, PairOutcome.A, PairOutcome.B, PairOutcome.Tie };
        var judge = new List<PairwiseLabel>(count);
        var human = new List<PairwiseLabel>(count);
        for (var i = 0; i < count; i++)
        {
            var q = (i / 15).ToString(CultureInfo.InvariantCulture);
            var pair = i % 15;
            var a = models[pair % 6];
            var b = models[((pair % 6) + 1 + (pair / 6)) % 6];
            var w = winners[random.Next(winners.Length)];
            judge.Add(new PairwiseLabel(q, a, b, random.Next(10) == 0 ? PairOutcome.InconsistentTie : w, "judge", 1));
            var h = random.NextDouble() < 0.7 ? w : winners[random.Next(winners.Length)];
            human.Add(random.Next(3) == 0
                ? new PairwiseLabel(q, b, a, h.Mirror(), "expert_1", 1)
                : new PairwiseLabel(q, a, b, h, "expert_1", 1));
        }

        return (judge, human);
    }
}

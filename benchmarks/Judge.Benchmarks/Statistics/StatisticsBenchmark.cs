using System.Diagnostics;
using System.Globalization;
using System.Text;
using Judge.Data;
using Judge.Statistics;
using Judge.Statistics.Bias;

namespace Judge.Benchmarks.Statistics;

/// <summary>
/// Scale figures for issue 13 part 6: Kendall's tau-b (Knight's O(n log n) against the pairwise O(n²)
/// definition, in the same run) and `judge bias report` on a synthetic 8,855-verdict file (time and
/// peak RSS, each configuration in its own child process so peaks do not mix).
/// </summary>
internal static class StatisticsBenchmark
{
    public static int TauB(string[] args)
    {
        // Usage: tau-b [n]   (default 100,000 pairs; scores on a 1-10 scale, so heavily tied, like grades)
        var n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var random = new Random(7);
        var x = new double[n];
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = 1 + random.Next(10);
            y[i] = Math.Clamp(x[i] + random.Next(-2, 3), 1, 10);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"data: {n:N0} pairs of 1-10 scores (ties in both lists)"));
        _ = Correlation.KendallTauB(x, y);
        var fast = new double[5];
        double tau = 0;
        for (var r = 0; r < fast.Length; r++)
        {
            var sw = Stopwatch.StartNew();
            tau = Correlation.KendallTauB(x, y);
            fast[r] = sw.Elapsed.TotalSeconds;
        }

        Array.Sort(fast);
        var watch = Stopwatch.StartNew();
        var old = PairwiseTauB(x, y);
        var slow = watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline: pairwise O(n²) tau-b   {slow:F3} s (one run)  tau {old:R}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Knight O(n log n) tau-b           median {fast[2]:F4} s (min {fast[0]:F4}, max {fast[^1]:F4}, 5 runs)  tau {tau:R}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"equal: {old == tau}; speed-up (baseline / median): {slow / fast[2]:F0}x"));
        return old == tau && fast[2] < 1 ? 0 : 1;
    }

    public static int BiasReport(string[] args)
    {
        // Usage: bias-report            writes the synthetic data and measures each configuration in a child process
        //        bias-report --child DIR VARIANT RESAMPLES   (internal)
        if (args is ["--child", var dir, var childVariant, var resamplesText])
        {
            return Child(dir, childVariant, int.Parse(resamplesText, CultureInfo.InvariantCulture));
        }

        var folder = Path.Combine(Path.GetTempPath(), "judge-bias-bench");
        var verdicts = WriteSynthetic(folder);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"data: {verdicts:N0} verdicts (11 models x 805 instructions against one baseline), answers 200-4,000 characters, in {folder}"));
        var runs = new List<(string Variant, int Resamples)> { ("old-joint", 200), ("report", 200), ("report", 1000) };
        var results = new List<(string Label, double Seconds, double PeakMb)>();
        foreach (var (variant, resamples) in runs)
        {
            var (seconds, peak, output) = RunChild(folder, variant, resamples);
            var label = variant == "old-joint" ? $"baseline: old joint LC fit, {resamples} resamples" : $"bias report (AlpacaEval LC), {resamples} resamples";
            results.Add((label, seconds, peak));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-48} wall {seconds,7:F1} s   peak RSS {peak,7:F0} MB   {output}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratios against the baseline: time {results[1].Seconds / results[0].Seconds:F3}x, peak RSS {results[1].PeakMb / results[0].PeakMb:F3}x; peak RSS 1,000 / 200 resamples: {results[2].PeakMb / results[1].PeakMb:F2}x"));
        var pass = results[1].Seconds < 30 && results[1].PeakMb < 500;
        Console.WriteLine($"budget 30 s and 500 MB at the default resamples: {(pass ? "met" : "MISSED")}");
        return pass ? 0 : 1;
    }

    private static (double Seconds, double PeakMb, string Output) RunChild(string folder, string variant, int resamples)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(StatisticsBenchmark).Assembly.Location);
        }

        foreach (var a in new[] { "bias-report", "--child", folder, variant, resamples.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }

        var sw = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var seconds = sw.Elapsed.TotalSeconds;
        var peakLine = output.Split('\n').FirstOrDefault(l => l.StartsWith("peak_kb ", StringComparison.Ordinal)) ?? "peak_kb 0";
        var peak = double.Parse(peakLine[8..], CultureInfo.InvariantCulture) / 1024;
        var summary = output.Split('\n').FirstOrDefault(l => l.StartsWith("summary ", StringComparison.Ordinal))?[8..] ?? output.Trim();
        return (seconds, peak, summary);
    }

    private static int Child(string dir, string variant, int resamples)
    {
        var run = JudgeRun.Load(Path.Combine(dir, "judgments.jsonl"));
        var answers = new AnswerTexts(Directory.GetFiles(Path.Combine(dir, "model_answer")).SelectMany(f => MtBenchFiles.ReadAnswers(f)));
        string summary;
        if (variant == "old-joint")
        {
            // The estimator `bias report` ran before this change: one joint fit, refitted per resample.
            var lc = JointLengthControl.Compute(run.Labels, answers, new JointLengthControlOptions { Baseline = "baseline", BootstrapResamples = resamples });
            var m = lc.Models[0];
            summary = string.Create(CultureInfo.InvariantCulture, $"{m.Model} LC {m.ControlledWinRate:F4}");
        }
        else
        {
            var report = Judge.Statistics.Bias.BiasReport.Compute(run, [], answers, null, [], new BiasReportOptions { Baseline = "baseline", ModelResamples = resamples });
            var m = report.LengthControlled!.Models[0];
            summary = string.Create(CultureInfo.InvariantCulture, $"{m.Model} LC {m.ControlledWinRate:F4} [{m.ControlledInterval!.Lower:F4}, {m.ControlledInterval.Upper:F4}]");
        }

        var hwm = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        Console.WriteLine("peak_kb " + hwm[6..].Trim().Split(' ')[0]);
        Console.WriteLine("summary " + summary);
        return 0;
    }

    /// <summary>11 models and a baseline answer 805 instructions (AlpacaEval's size); the judge prefers longer answers and stronger models.</summary>
    private static int WriteSynthetic(string folder)
    {
        Directory.CreateDirectory(Path.Combine(folder, "model_answer"));
        var random = new Random(805);
        var models = Enumerable.Range(0, 11).Select(i => $"model-{i:D2}").ToArray();
        var lengths = new Dictionary<(string, int), int>();
        foreach (var m in models.Append("baseline"))
        {
            var text = new StringBuilder();
            var mean = m == "baseline" ? 1500 : 800 + (200 * Array.IndexOf(models, m));
            for (var q = 0; q < 805; q++)
            {
                var len = Math.Clamp(mean + random.Next(-600, 600), 200, 4000);
                lengths[(m, q)] = len;
                text.Append(CultureInfo.InvariantCulture, $"{{\"question_id\":{q},\"model_id\":\"{m}\",\"choices\":[{{\"turns\":[\"{new string('w', len)}\"]}}]}}\n");
            }

            File.WriteAllText(Path.Combine(folder, "model_answer", m + ".jsonl"), text.ToString());
        }

        var judgments = new StringBuilder();
        var count = 0;
        for (var i = 0; i < models.Length; i++)
        {
            for (var q = 0; q < 805; q++)
            {
                var logit = ((i - 5) * 0.2) + (0.8 * Math.Tanh((lengths[(models[i], q)] - lengths[("baseline", q)]) / 800.0));
                var u = random.NextDouble();
                var winner = u < 0.1 ? "tie" : random.NextDouble() < 1 / (1 + Math.Exp(-logit)) ? "model_a" : "model_b";
                judgments.Append(CultureInfo.InvariantCulture, $"{{\"question_id\":{q},\"model_a\":\"{models[i]}\",\"model_b\":\"baseline\",\"winner\":\"{winner}\",\"judge\":\"synthetic\",\"turn\":1}}\n");
                count++;
            }
        }

        File.WriteAllText(Path.Combine(folder, "judgments.jsonl"), judgments.ToString());
        return count;
    }

    /// <summary>The pairwise O(n²) definition: the baseline of the tau-b figure.</summary>
    private static double PairwiseTauB(double[] x, double[] y)
    {
        var n = x.Length;
        long s = 0, untiedX = 0, untiedY = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var sx = Math.Sign(x[i] - x[j]);
                var sy = Math.Sign(y[i] - y[j]);
                s += sx * sy;
                untiedX += sx != 0 ? 1 : 0;
                untiedY += sy != 0 ? 1 : 0;
            }
        }

        return untiedX == 0 || untiedY == 0 ? double.NaN : s / Math.Sqrt((double)untiedX * untiedY);
    }
}

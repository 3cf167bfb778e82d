using System.Diagnostics;
using System.Globalization;
using System.Text;
using Judge.Statistics;
using Judge.Data;
using Judge.Statistics.Bias;

namespace Judge.Benchmarks.Statistics;

/// <summary>
/// Issue 23 part 4: the Bradley-Terry bootstrap behind `bias report` (<see cref="BiasReport.BradleyTerryWithIntervals"/>)
/// against a numpy MM fit (benchmarks/bt_mm_numpy.py) on the same battles, the same number of resamples and the
/// same tolerances, interleaved in one run; the median of the repetitions is the figure.
/// </summary>
internal static class BradleyTerryBenchmark
{
    private const string Python = "/usr/bin/python3";

    public static int Run(string[] args)
    {
        // Usage: bt-bootstrap [models battles resamples repetitions]   (default 100 100000 200 3)
        var models = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        var count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        var resamples = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
        var repetitions = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;
        var script = FindScript();
        var folder = Path.Combine(Path.GetTempPath(), "judge-bt-bench");
        Directory.CreateDirectory(folder);
        var data = Path.Combine(folder, "battles.tsv");
        var battles = Synthetic(models, count, data);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine: {Environment.ProcessorCount} logical cores available to this process, {Environment.OSVersion}, .NET {Environment.Version}; load average {File.ReadAllText("/proc/loadavg").Trim()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"data: {models} models, {count:N0} battles (random pairs, 10 % ties), {resamples} resamples; point fit tolerance 1e-10, resamples 1e-8 (at most 2,000 iterations)"));
        Console.WriteLine($"numpy: {Run(Python, "-c \"import numpy; print(numpy.__version__)\"").Trim()} (single-threaded element-wise operations)");

        var options = new BiasReportOptions { ModelResamples = resamples };
        var warm = BiasReport.BradleyTerryWithIntervals(battles, options);
        var (_, pointCheck) = Numpy(script, data, resamples, "--out " + Path.Combine(folder, "numpy.tsv"));
        var numpyRows = File.ReadAllLines(Path.Combine(folder, "numpy.tsv")).Select(l => l.Split('\t').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        var pointDiff = warm.Select((r, m) => Math.Abs(r.Rating - numpyRows[m][1])).Max();
        var widthRatio = warm.Select((r, m) => (r.Interval!.Upper - r.Interval.Lower) / (numpyRows[m][3] - numpyRows[m][2])).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"same fit: max |C# point rating - numpy point rating| = {pointDiff:E2}; interval width C# / numpy (different random draws): median {widthRatio[widthRatio.Length / 2]:F3}, range {widthRatio[0]:F3}-{widthRatio[^1]:F3}; numpy iterations {pointCheck}"));

        Phases(battles, resamples);
        var cSharp = new List<double>();
        var cold = new List<double>();
        var warmStart = new List<double>();
        for (var r = 0; r < repetitions; r++)
        {
            cold.Add(Numpy(script, data, resamples, string.Empty).Seconds);
            warmStart.Add(Numpy(script, data, resamples, "--warm").Seconds);
            var sw = Stopwatch.StartNew();
            _ = BiasReport.BradleyTerryWithIntervals(battles, options);
            cSharp.Add(sw.Elapsed.TotalSeconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r + 1}: numpy {cold[^1]:F3} s, numpy warm-started {warmStart[^1]:F3} s, C# {cSharp[^1]:F3} s (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})"));
        }

        var c = Median(cSharp);
        var n = Median(cold);
        var nw = Median(warmStart);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"medians: numpy MM {n:F3} s, numpy MM warm-started {nw:F3} s, C# {c:F3} s ({Environment.ProcessorCount} threads at most)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"C# / numpy: {c / n:F2}x; C# / numpy warm-started: {c / nw:F2}x (goal: at most 1.5x)"));
        return c / n <= 1.5 ? 0 : 1;
    }

    /// <summary>Where the C# time goes, on one thread: the point fit (coding the battles included), then the resample fits.</summary>
    private static void Phases(List<PairwiseLabel> battles, int resamples)
    {
        var sw = Stopwatch.StartNew();
        _ = Ratings.BradleyTerry(battles);
        var point = sw.Elapsed.TotalSeconds;
        var (_, a, b, score) = Ratings.Encode(battles);
        var cells = BattleCells.From(a.Length == 0 ? 0 : Math.Max(a.Max(), b.Max()) + 1, a, b, score);
        var start = new BradleyTerryFit(cells);
        start.Run(cells.CountAll(), null, 10_000, 1e-10);
        var fit = new BradleyTerryFit(cells);
        var counts = new int[cells.Cells];
        double draw = 0, refit = 0;
        for (var r = 0; r < resamples; r++)
        {
            sw.Restart();
            cells.Resample(r, counts);
            draw += sw.Elapsed.TotalSeconds;
            sw.Restart();
            fit.Run(counts, start.Strengths, 2_000, 1e-8);
            refit += sw.Elapsed.TotalSeconds;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"C# phases, one thread: point fit (coding the battles, fit to 1e-10, {start.Iterations} iterations) {point:F3} s; {resamples} resamples: drawing the cell counts {draw:F3} s, refitting {refit:F3} s ({(double)fit.Iterations / resamples:F1} iterations a resample)"));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static (double Seconds, string Iterations) Numpy(string script, string data, int resamples, string extra)
    {
        var output = Run(Python, $"{script} {data} {resamples} {extra}");
        string Field(string name) => output.Split('\n').First(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
        return (double.Parse(Field("seconds"), CultureInfo.InvariantCulture), Field("iterations"));
    }

    private static string Run(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited {process.ExitCode}");
        }

        return output;
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "benchmarks", "bt_mm_numpy.py");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("benchmarks/bt_mm_numpy.py not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Battles between random pairs of models whose log-strengths are normal (sd 1): 10 % ties, otherwise A wins
    /// with the Bradley-Terry probability. Model m is named m000…, so its index in the ordinal order is m.
    /// </summary>
    private static List<PairwiseLabel> Synthetic(int models, int count, string path)
    {
        var random = new Random(23);
        var strength = new double[models];
        for (var m = 0; m < models; m++)
        {
            strength[m] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        }

        var battles = new List<PairwiseLabel>(count);
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var a = random.Next(models);
            var b = random.Next(models - 1);
            b += b >= a ? 1 : 0;
            var outcome = random.NextDouble() < 0.1 ? PairOutcome.Tie
                : random.NextDouble() < 1 / (1 + Math.Exp(strength[b] - strength[a])) ? PairOutcome.A : PairOutcome.B;
            battles.Add(new PairwiseLabel(i.ToString(CultureInfo.InvariantCulture), $"m{a:D3}", $"m{b:D3}", outcome, "judge", 1));
            text.Append(CultureInfo.InvariantCulture, $"{a}\t{b}\t{(outcome == PairOutcome.A ? "A" : outcome == PairOutcome.B ? "B" : "T")}\n");
        }

        File.WriteAllText(path, text.ToString());
        return battles;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Llama;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Verdicts;

/// <summary>
/// A whole MT-Bench pairwise run on a local judge against llama.cpp's own <c>llama-batched-bench</c>. The run: the
/// shipped <c>pairwise-general</c> rubric (MT-Bench's judge prompt), turn 1 of a set of questions, every pair of the six
/// models (or, as a second case, GPT-4 against each other model: MT-Bench's baseline protocol), both orders, all handed
/// to the judge at once as a run hands a local judge its items. The baseline decodes prompts of the run's mean length,
/// <c>batch</c> at a time, with the same model, threads and flash-attention setting. Ours runs in a child process, so both
/// sides' peak resident memory is a fresh process's.
/// </summary>
internal static class WholeRun
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Prints the benchmark table: each (threads, batch) row the median of interleaved repetitions.</summary>
    public static async Task<int> RunAsync(Options o, string self)
    {
        var workload = Workload.Build(o);
        var stats = workload.Stats;
        var npp = (int)Math.Round(stats.MeanTokens);
        Console.WriteLine(string.Create(Inv, $"model {Path.GetFileName(o.Model)}; {o.Protocol} protocol, MT-Bench turn 1, {o.Questions} question(s) from #{o.Skip + 1}{(o.Cut > 0 ? $", answers cut to {o.Cut} characters" : string.Empty)}: {workload.Items.Count} items, {workload.Items.Count * 2} judgments (both orders)"));
        Console.WriteLine(string.Create(Inv, $"prompt tokens: mean {stats.MeanTokens:F0} (min {stats.MinTokens}, max {stats.MaxTokens}); {stats.WholeTokens} in all, {stats.TreeTokens} in the run's prefix tree: {1 - ((double)stats.TreeTokens / stats.WholeTokens):P1} shareable, bound {(double)stats.WholeTokens / stats.TreeTokens:F2}x"));
        if (o.Benches.Count == 0)
        {
            return 0;
        }

        foreach (var bench in o.Benches)
        {
            if (!File.Exists(Path.Combine(bench, "llama-batched-bench")))
            {
                Console.Error.WriteLine($"error: {Path.Combine(bench, "llama-batched-bench")} not found (scripts/bench-llama-baseline.sh builds it)");
                return 2;
            }
        }

        Console.WriteLine(string.Create(Inv, $"{Environment.ProcessorCount} cores, flash_attn={o.FlashAttention}, median of {o.Repetitions} interleaved runs; baseline: llama-batched-bench -npp {npp} -ntg 1 (judgments/s = B / its prompt time), {string.Join(" and ", o.Benches)}; ours: LLamaSharp.Backend.Cpu's natives"));
        if (o.FeedbackTokens > 0)
        {
            Console.WriteLine(string.Create(Inv, $"feedback-first rows: {o.FeedbackTokens} tokens of feedback before each verdict (the random-weights model never writes the verdict marker); baseline -ntg {o.FeedbackTokens}, judgments/s = B / its whole time"));
        }

        Console.WriteLine();
        var benchHeads = string.Concat(o.Benches.Select(b => $" bench {Name(b)} j/s |"));
        var ratioHeads = string.Concat(o.Benches.Select(b => $" vs {Name(b)} |"));
        Console.WriteLine($"| threads | batch | verdict |{benchHeads} ours j/s |{ratioHeads} prompt tokens reused | ours peak RSS MiB | bench peak RSS MiB | ours unshared j/s | unshared prompt tok/s vs first bench | max abs Δp vs unshared |");
        Console.WriteLine("|---:|---:|---|" + string.Concat(o.Benches.Select(_ => "---:|")) + "---:|" + string.Concat(o.Benches.Select(_ => "---:|")) + "---:|---:|---:|---:|---:|---:|");
        foreach (var threads in o.Threads)
        {
            foreach (var batch in o.Batches)
            {
                foreach (var feedback in o.FeedbackTokens > 0 ? (o.FeedbackOnly ? new[] { o.FeedbackTokens } : [0, o.FeedbackTokens]) : [0])
                {
                    var benchRuns = o.Benches.Select(_ => new List<Measured>()).ToList();
                    var ours = new List<Measured>();
                    var unshared = new List<Measured>();
                    for (var rep = 0; rep < o.Repetitions; rep++)
                    {
                        for (var k = 0; k < o.Benches.Count; k++)
                        {
                            benchRuns[k].Add(RunBench(o, o.Benches[k], npp, feedback, threads, batch));
                        }

                        ours.Add(await RunOursAsync(o, self, threads, batch, feedback, reuse: true, items: 0));
                        if (o.UnsharedItems > 0 && feedback == 0)
                        {
                            unshared.Add(await RunOursAsync(o, self, threads, batch, feedback, reuse: false, items: o.UnsharedItems));
                        }
                    }

                    var oursMedian = Median(ours);
                    var benchMedians = benchRuns.Select(Median).ToList();
                    var unsharedMedian = unshared.Count > 0 ? Median(unshared) : null;
                    var delta = unsharedMedian is null ? "-" : MaxDelta(oursMedian.Probabilities, unsharedMedian.Probabilities).ToString("E1", Inv);
                    Console.WriteLine(string.Create(Inv,
                        $"| {threads} | {batch} | {(feedback == 0 ? "logits only" : $"feedback {feedback} + logits")} |{string.Concat(benchMedians.Select(m => $" {m.JudgmentsPerSecond:F3} |"))} {oursMedian.JudgmentsPerSecond:F3} |{string.Concat(benchMedians.Select(m => $" {oursMedian.JudgmentsPerSecond / m.JudgmentsPerSecond:F2}x |"))} {oursMedian.Reused:P0} | {oursMedian.PeakMiB:F0} | {benchMedians.Max(m => m.PeakMiB):F0} | {(unsharedMedian is null ? "-" : unsharedMedian.JudgmentsPerSecond.ToString("F3", Inv))} | {(unsharedMedian is null || feedback > 0 ? "-" : $"{unsharedMedian.PromptTokensPerSecond / benchMedians[0].PromptTokensPerSecond:F2}x")} | {delta} |"));
                }
            }
        }

        return 0;

        // A build folder's name: its bin folder's parent (build-generic/bin -> build-generic).
        static string Name(string dir)
        {
            var full = Path.GetFullPath(dir).TrimEnd('/');
            return Path.GetFileName(full) == "bin" ? Path.GetFileName(Path.GetDirectoryName(full)!) : Path.GetFileName(full);
        }

        static Measured Median(List<Measured> runs) => runs.OrderBy(r => r.JudgmentsPerSecond).ElementAt(runs.Count / 2);
    }

    /// <summary>The child process: builds the same workload, judges it (or its first <c>--items</c>) at once, prints one JSON line.</summary>
    public static async Task<int> EngineAsync(Options o, int threads, int batch, int feedback, bool reuse, int items)
    {
        var workload = Workload.Build(o);
        var chosen = items > 0 ? workload.Items.Take(items).ToList() : workload.Items;
        using var client = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions
        {
            ModelPath = o.Model,
            Threads = threads,
            BatchSize = batch,
            ContextSize = workload.Stats.MaxTokens + feedback + 64,
            FlashAttention = o.FlashAttention,
            KvReuse = reuse,
        });
        var chat = new ChatJudgeOptions { FeedbackBeforeLogitVerdict = feedback > 0, MaxOutputTokens = Math.Max(1, feedback) };
        var judge = new PositionSwapJudge(new ChatPairwiseJudge("bench", client, new FixedRubricSelector(workload.Rubric), chat), new PositionSwapOptions());

        // Warm-up on an unrelated prompt, as the baseline's own warm-up run.
        await client.ScoreAsync(new LogitVerdictRequest([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "Hello.")], "[[", ["A", "B", "C"]));
        var before = client.TokenStats;
        var sw = Stopwatch.StartNew();
        var verdicts = await Task.WhenAll(chosen.Select(i => judge.JudgeAsync(i)));
        var seconds = sw.Elapsed.TotalSeconds;
        var after = client.TokenStats;
        var calls = verdicts.SelectMany(v => v.Calls).ToList();
        if (calls.Any(c => c.Probabilities is null))
        {
            Console.Error.WriteLine($"error: {calls.Count(c => c.Probabilities is null)} calls have no label probabilities: {calls.First(c => c.Probabilities is null).Error}");
            return 3;
        }

        Console.WriteLine(JsonSerializer.Serialize(new EngineResult(
            calls.Count / seconds,
            (after.Decoded - before.Decoded + after.Reused - before.Reused) / seconds,
            after.Decoded - before.Decoded,
            after.Reused - before.Reused,
            [.. calls.Select(c => c.Probabilities!.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value).ToArray())])));
        return 0;
    }

    private static async Task<Measured> RunOursAsync(Options o, string self, int threads, int batch, int feedback, bool reuse, int items)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { self, "whole-run-engine", "--threads", threads.ToString(Inv), "--batch", batch.ToString(Inv), "--feedback", feedback.ToString(Inv), "--reuse", reuse ? "on" : "off", "--items", items.ToString(Inv) }.Concat(o.WorkloadArgs))
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        using var peak = new PeakMemory(process.Id);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = stdout.Split('\n').LastOrDefault(l => l.StartsWith('{'))
            ?? throw new InvalidOperationException($"the engine run printed no result (exit {process.ExitCode}): {await stderr}");
        var r = JsonSerializer.Deserialize<EngineResult>(line)!;
        return new Measured(r.JudgmentsPerSecond, r.PromptTokensPerSecond, (double)r.Reused / (r.Reused + r.Decoded), peak.MiB, r.Probabilities);
    }

    private static Measured RunBench(Options o, string dir, int npp, int feedback, int threads, int batch)
    {
        // Logits only: the prompt's time (a verdict is read from the prompt's last logits; the one generated token is not
        // counted). Feedback first: the whole time.
        var row = BatchedBench.Run(dir, o.Model, npp, Math.Max(1, feedback), batch, threads, o.FlashAttention);
        return new Measured(batch / (feedback == 0 ? row.PromptSeconds : row.TotalSeconds), row.PromptTokensPerSecond, 0, row.PeakMiB, []);
    }

    private static double MaxDelta(double[][] shared, double[][] unshared) =>
        unshared.Zip(shared).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).DefaultIfEmpty(0).Max();

    /// <param name="Protocol"><c>all-pairs</c> (every pair of the six models) or <c>baseline</c> (GPT-4 against each other model).</param>
    /// <param name="Cut">Characters each answer is cut to; 0 keeps answers whole.</param>
    /// <param name="FeedbackOnly">Only the feedback-first rows (when <paramref name="FeedbackTokens"/> is set).</param>
    /// <param name="UnsharedItems">Items of the run judged again with KV reuse off, for the like-for-like rate and the probability check.</param>
    internal sealed record Options(
        string Model, string Shared, IReadOnlyList<string> Benches, IReadOnlyList<int> Threads, IReadOnlyList<int> Batches,
        string Protocol, int Questions, int Skip, int Cut, int FeedbackTokens, bool FeedbackOnly, int UnsharedItems, string FlashAttention, int Repetitions, IReadOnlyList<string> WorkloadArgs);

    private sealed record EngineResult(double JudgmentsPerSecond, double PromptTokensPerSecond, long Decoded, long Reused, double[][] Probabilities);

    /// <param name="PromptTokensPerSecond">Prompt tokens judged per second, shared or not (the baseline: its prompt tokens per second of prompt time).</param>
    private sealed record Measured(double JudgmentsPerSecond, double PromptTokensPerSecond, double Reused, double PeakMiB, double[][] Probabilities);

    /// <summary>The run's items, the rubric, and its prompts' token counts with the size of their prefix tree.</summary>
    private sealed record Workload(Rubric Rubric, List<PairwiseItem> Items, TokenStats Stats)
    {
        public static Workload Build(Options o)
        {
            var rubric = StandardRubrics.Get(StandardRubrics.PairwiseGeneral);
            var mt = Path.Combine(o.Shared, "datasets", "mt-bench");
            var questions = MtBenchFiles.ReadQuestions(Path.Combine(mt, "question.jsonl")).Skip(o.Skip).Take(o.Questions).ToList();
            var answers = Directory.GetFiles(Path.Combine(mt, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal)
                .ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => MtBenchFiles.ReadAnswers(f).ToDictionary(a => a.QuestionId));
            var models = answers.Keys.ToList();
            ModelAnswer Answer(string model, string question)
            {
                var a = answers[model][question];
                return o.Cut > 0 && a.Turns[0].Length > o.Cut ? a with { Turns = [a.Turns[0][..o.Cut]] } : a;
            }

            var items = new List<PairwiseItem>();
            foreach (var q in questions)
            {
                var pairs = o.Protocol == "baseline"
                    ? models.Where(m => m != "gpt-4").Select(m => ("gpt-4", m))
                    : models.SelectMany((a, i) => models.Skip(i + 1).Select(b => (a, b)));
                items.AddRange(pairs.Select(p => new PairwiseItem(q, Answer(p.Item1, q.Id), Answer(p.Item2, q.Id), 1)));
            }

            using var probe = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = o.Model, Threads = 1, ContextSize = 8192, CacheSlots = 0 });
            var tokens = items.SelectMany(i => new[] { i, i.Swapped() })
                .Select(i => probe.VerdictPromptTokens(LogitVerdicts.RequestFor(rubric, PromptRenderer.Render(rubric, i)))).ToList();
            return new Workload(rubric, items, TokenStats.Of(tokens));
        }
    }

    /// <summary>Prompt token counts, and the size of the prefix tree the prompts make (each prompt adds what it does not share with its neighbour in token order).</summary>
    private sealed record TokenStats(double MeanTokens, int MinTokens, int MaxTokens, long WholeTokens, long TreeTokens)
    {
        public static TokenStats Of(List<int[]> prompts)
        {
            var sorted = prompts.ToList();
            sorted.Sort(static (a, b) =>
            {
                var n = a.AsSpan().CommonPrefixLength(b);
                return n < a.Length && n < b.Length ? a[n].CompareTo(b[n]) : a.Length.CompareTo(b.Length);
            });
            var tree = (long)sorted[0].Length;
            for (var i = 1; i < sorted.Count; i++)
            {
                tree += sorted[i].Length - sorted[i].AsSpan().CommonPrefixLength(sorted[i - 1]);
            }

            return new TokenStats(prompts.Average(p => p.Length), prompts.Min(p => p.Length), prompts.Max(p => p.Length), prompts.Sum(p => (long)p.Length), tree);
        }
    }
}

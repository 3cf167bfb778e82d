using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Llama;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

/// <summary>
/// Our verdict engine against llama.cpp's own <c>llama-batched-bench</c> (same source, same
/// libraries, same model, same threads), batch size by batch size, in one run. The workload:
/// MT-Bench turn-1 pairs against GPT-4 under an MT-Bench-style pairwise rubric, answers cut so
/// that every prompt is close to <see cref="Options.PromptTokens"/> tokens, both orders, verdicts
/// read from logits.
/// The baseline processes <c>-npp PROMPT -ntg 4</c> per sequence: a judgment that decodes its
/// prompt and four tokens. Ours runs twice: with KV reuse off (nothing shared: every prompt
/// decoded whole, the like-for-like row) and on (the rubric's system part and the question both
/// orders share come from the cache).
/// </summary>
internal static class BaselineComparison
{
    public static async Task<int> RunAsync(Options o)
    {
        var inv = CultureInfo.InvariantCulture;
        var bench = Path.Combine(o.Bench, "llama-batched-bench");
        if (!File.Exists(bench))
        {
            Console.Error.WriteLine($"error: {bench} not found; build it with scripts/build-llama.sh (add --cuda for a GPU), or pass --bench DIR");
            return 2;
        }

        var requests = BuildWorkload(o);
        var tokens = requests.Select(r => r.Tokens).ToList();
        Console.WriteLine(string.Create(inv, $"model {Path.GetFileName(o.Model)}; {requests.Count} judgments (MT-Bench turn 1, {o.Questions} question(s), GPT-4 against each of the other 5 models, both orders), prompt tokens mean {tokens.Average():F0} (min {tokens.Min()}, max {tokens.Max()}); {o.Threads} threads, flash_attn={o.FlashAttention}, {Environment.ProcessorCount} cores; median of {o.Repetitions} interleaved runs; baseline {bench}; ours on {o.Native ?? "LLamaSharp.Backend.Cpu's build for this CPU"}"));
        Console.WriteLine();
        // Our prompts are at most the target and some are shorter (short answers): ratios are per prompt token, i.e. judgments/s scaled to target-length prompts.
        var scale = tokens.Average() / o.PromptTokens;
        Console.WriteLine($"ratios: judgments/s scaled by mean prompt tokens / {o.PromptTokens} = {scale:F3}, against the baseline's judgments of exactly {o.PromptTokens} prompt tokens");
        Console.WriteLine();
        Console.WriteLine("| batch | llama-batched-bench judgments/s | its prompt tok/s | ours, nothing shared | ratio | ours, prefix + swap shared | ratio | prompt tokens reused | ours peak RSS MiB | baseline peak RSS MiB | max abs Δp shared vs not |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var b in o.Batches)
        {
            // Interleaved repetitions, median of each: the machine's noise hits all three alike.
            var runs = new List<(Measured Baseline, Measured Plain, Measured Shared)>();
            for (var rep = 0; rep < o.Repetitions; rep++)
            {
                runs.Add((RunBaseline(o, bench, b), await RunOursAsync(o, requests, b, reuse: false), await RunOursAsync(o, requests, b, reuse: true)));
            }

            static Measured Median(IEnumerable<Measured> m) => m.OrderBy(x => x.JudgmentsPerSecond).ElementAt(m.Count() / 2);
            var baseline = Median(runs.Select(r => r.Baseline));
            var plain = Median(runs.Select(r => r.Plain));
            var shared = Median(runs.Select(r => r.Shared));
            var delta = plain.Results.Zip(shared.Results).SelectMany(p => p.First.Probabilities.Select(kv => Math.Abs(kv.Value - p.Second.Probabilities[kv.Key]))).Max();
            Console.WriteLine(string.Create(inv,
                $"| {b} | {baseline.JudgmentsPerSecond:F3} | {baseline.PromptTokensPerSecond:F0} | {plain.JudgmentsPerSecond:F3} | {plain.JudgmentsPerSecond * scale / baseline.JudgmentsPerSecond:F2}x | {shared.JudgmentsPerSecond:F3} | {shared.JudgmentsPerSecond * scale / baseline.JudgmentsPerSecond:F2}x | {shared.ReusedShare:P0} | {Math.Max(plain.PeakMiB, shared.PeakMiB):F0} | {baseline.PeakMiB:F0} | {delta:E1} |"));
        }

        return 0;
    }

    /// <summary>
    /// MT-Bench's pairwise-baseline protocol: on each question, GPT-4's answer against each other
    /// model's, both orders, in the order a grading run submits them. Every answer of a question is
    /// cut to the same number of characters, the most that keeps each prompt within the target.
    /// </summary>
    private static List<Workload> BuildWorkload(Options o)
    {
        var rubric = RubricLoader.Parse(BenchmarkRubric.PairwiseYaml, "benchmark");
        var mt = Path.Combine(o.Shared, "datasets", "mt-bench");
        var questions = MtBenchFiles.ReadQuestions(Path.Combine(mt, "question.jsonl")).Take(o.Questions).ToList();
        var answers = Directory.GetFiles(Path.Combine(mt, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal)
            .ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => MtBenchFiles.ReadAnswers(f).ToDictionary(a => a.QuestionId));
        var baseline = answers["gpt-4"];
        var others = answers.Keys.Where(k => k != "gpt-4").ToList();
        using var probe = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = o.Model, NativeDirectory = o.Native, Threads = o.Threads, ContextSize = 256 });
        int Count(LogitVerdictRequest r) => probe.Model.Tokenize(probe.Format(r.Messages, addAssistant: true) + r.VerdictPrefix, addSpecial: true, parseSpecial: probe.Template is not null).Length;

        var workload = new List<Workload>();
        foreach (var q in questions)
        {
            LogitVerdictRequest At(string model, int cut, bool swapped)
            {
                var item = new PairwiseItem(q, Cut(baseline[q.Id], cut), Cut(answers[model][q.Id], cut), 1);
                return LogitVerdicts.RequestFor(rubric, PromptRenderer.Render(rubric, swapped ? item.Swapped() : item));
            }

            var (lo, hi) = (0, 20_000);
            while (lo < hi)
            {
                var mid = (lo + hi + 1) / 2;
                if (others.Max(m => Count(At(m, mid, false))) <= o.PromptTokens)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            foreach (var m in others)
            {
                var ab = At(m, lo, false);
                var ba = At(m, lo, true);
                workload.Add(new Workload(ab, Count(ab)));
                workload.Add(new Workload(ba, Count(ba)));
            }
        }

        return workload;
    }

    private static ModelAnswer Cut(ModelAnswer a, int n) => a with { Turns = [a.Turns[0].Length > n ? a.Turns[0][..n] : a.Turns[0]] };

    private static async Task<Measured> RunOursAsync(Options o, List<Workload> workload, int batch, bool reuse)
    {
        using var client = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions
        {
            ModelPath = o.Model,
            NativeDirectory = o.Native,
            Threads = o.Threads,
            BatchSize = batch,
            ContextSize = o.PromptTokens + 64,
            FlashAttention = o.FlashAttention,
            KvReuse = reuse,
        });

        // Warm-up on an unrelated prompt: the first timed judgment computes the rubric's prefix itself.
        await client.ScoreAsync(new LogitVerdictRequest([new ChatMessage(ChatRole.User, "Hello.")], "[[", ["A", "B", "C"]));
        var before = client.TokenStats;
        using var peak = new PeakMemory(Environment.ProcessId);
        var sw = Stopwatch.StartNew();
        var results = await Task.WhenAll(workload.Select(w => client.ScoreAsync(w.Request)));
        var seconds = sw.Elapsed.TotalSeconds;
        var after = client.TokenStats;
        var reused = after.Reused - before.Reused;
        var decoded = after.Decoded - before.Decoded;
        return new Measured(workload.Count / seconds, decoded / seconds, (double)reused / (reused + decoded), peak.MiB, results);
    }

    private static Measured RunBaseline(Options o, string bench, int batch)
    {
        var row = BatchedBench.Run(Path.GetDirectoryName(bench)!, o.Model, o.PromptTokens, 4, batch, o.Threads, o.FlashAttention);
        return new Measured(batch / row.TotalSeconds, row.PromptTokensPerSecond, 0, row.PeakMiB, []);
    }

    /// <param name="Native">The judge's llama.cpp folder (native=DIR); null for LLamaSharp.Backend.Cpu's build.</param>
    /// <param name="Bench">The folder holding the baseline's llama-batched-bench.</param>
    internal sealed record Options(string Model, string? Native, string Bench, string Shared, int Threads, IReadOnlyList<int> Batches, int Questions, int PromptTokens, string FlashAttention, int Repetitions);

    private sealed record Workload(LogitVerdictRequest Request, int Tokens);

    private sealed record Measured(double JudgmentsPerSecond, double PromptTokensPerSecond, double ReusedShare, double PeakMiB, LogitVerdictResult[] Results);
}

using System.Diagnostics;
using System.Globalization;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Llama;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

// Judge-like prompts (MT-Bench turn-1 questions with two real answers, an MT-Bench-style pairwise
// rubric, both presentation orders), verdicts read from logits, by batch size. Prints a Markdown table.
// Usage: dotnet run -c Release --project benchmarks/Judge.Benchmarks.Llama [-- MODEL.gguf ... ] [--items N] [--threads N]
var inv = CultureInfo.InvariantCulture;
var repo = FindRepo();
var shared = Path.GetFullPath(Path.Combine(repo, "..", "shared"));
if (args.Length > 0 && args[0] == "synth")
{
    // synth [SHAPE] [--vocab FILE]: the vocabulary is models/ggml-vocab-qwen2.gguf of a llama.cpp source checkout.
    var shape = SyntheticModel.Shapes[args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : "qwen2.5-0.5b"];
    var vocab = Vocab();
    Console.WriteLine(SyntheticModel.Ensure(Path.Combine(repo, ".native", "models", $"{shape.Name}-random-q8_0.gguf"), shape, vocab));
    return 0;
}

if (args.Length > 0 && args[0] == "compare")
{
    // compare [--model M.gguf | --shape qwen2.5-0.5b [--vocab FILE]] [--native DIR] [--bench DIR] [--batches 1,4] [--questions 1] [--tokens 768] [--threads N] [--flash-attn on|off] [--reps 3]
    // --native: the judge's llama.cpp (a build of 815a2a59, scripts/build-llama.sh; default LLamaSharp.Backend.Cpu's);
    // --bench: the folder holding the baseline's llama-batched-bench (default --native, else .native/build-cpu).
    var shape = SyntheticModel.Shapes[Text("--shape") ?? "qwen2.5-0.5b"];
    var vocab = Vocab();
    var model = Text("--model") ?? SyntheticModel.Ensure(Path.Combine(repo, ".native", "models", $"{shape.Name}-random-q8_0.gguf"), shape, vocab);
    return await BaselineComparison.RunAsync(new BaselineComparison.Options(
        model,
        Text("--native") is { } native ? Path.GetFullPath(native) : null,
        Path.GetFullPath(Text("--bench") ?? Text("--native") ?? Path.Combine(repo, ".native", "build-cpu")),
        shared,
        Arg("--threads", LlamaOptions.DefaultThreads),
        ArgList("--batches", [1, 4]),
        Arg("--questions", 1),
        Arg("--tokens", 768),
        Text("--flash-attn") ?? "off",
        Arg("--reps", 3)));
}

if (args.Length > 0 && args[0] is "whole-run" or "whole-run-engine")
{
    // whole-run [--model M.gguf | --vocab FILE] [--bench DIR[,DIR2]] [--threads 1,2] [--batches 1,4] [--protocol all-pairs|baseline]
    //           [--questions 2] [--skip 0] [--cut 0] [--feedback 0 [--feedback-only]] [--unshared 4] [--flash-attn off] [--reps 3]
    // Without --bench: the workload's token counts and prefix-tree bound only.
    var model = Text("--model") ?? SyntheticModel.Ensure(Path.Combine(repo, ".native", "models", "qwen2.5-0.5b-random-q8_0.gguf"), SyntheticModel.Shapes["qwen2.5-0.5b"], Vocab());
    string[] workloadArgs = ["--model", model, "--protocol", Text("--protocol") ?? "all-pairs", "--questions", Arg("--questions", 2).ToString(inv), "--skip", Arg("--skip", 0).ToString(inv), "--cut", Arg("--cut", 0).ToString(inv), "--flash-attn", Text("--flash-attn") ?? "off"];
    var options = new WholeRun.Options(
        model,
        shared,
        Text("--bench") is { } benches ? [.. benches.Split(',').Select(Path.GetFullPath)] : [],
        ArgList("--threads", [1]),
        ArgList("--batches", [1, 4]),
        Text("--protocol") ?? "all-pairs",
        Arg("--questions", 2),
        Arg("--skip", 0),
        Arg("--cut", 0),
        Arg("--feedback", 0),
        args.Contains("--feedback-only"),
        Arg("--unshared", 4),
        Text("--flash-attn") ?? "off",
        Arg("--reps", 3),
        workloadArgs);
    return args[0] == "whole-run"
        ? await WholeRun.RunAsync(options, typeof(WholeRun).Assembly.Location)
        : await WholeRun.EngineAsync(options, Arg("--threads", 1), Arg("--batch", 1), Arg("--feedback", 0), Text("--reuse") != "off", Arg("--items", 0));
}

var models = args.Where(a => a.EndsWith(".gguf", StringComparison.Ordinal)).ToList();
if (models.Count == 0)
{
    models = [Path.Combine(shared, "models", "stories260K.gguf"), Path.Combine(shared, "models", "llama-2-tiny-random.gguf")];
}

var items = Arg("--items", 16);
var threads = Arg("--threads", LlamaOptions.DefaultThreads);
var batchSizes = ArgList("--batches", [1, 2, 4, 8]);
var textRows = !args.Contains("--no-text");
var reps = Arg("--reps", 3);
var cut = Arg("--cut", 600);
var flash = Array.IndexOf(args, "--flash-attn") is var fi and >= 0 ? args[fi + 1] : "auto";

var rubric = RubricLoader.Parse(BenchmarkRubric.PairwiseYaml, "benchmark");
var mt = Path.Combine(shared, "datasets", "mt-bench");
var questions = MtBenchFiles.ReadQuestions(Path.Combine(mt, "question.jsonl")).Take(items).ToList();
var gpt4 = MtBenchFiles.ReadAnswers(Path.Combine(mt, "model_answer", "gpt-4.jsonl")).ToDictionary(a => a.QuestionId);
var vicuna = MtBenchFiles.ReadAnswers(Path.Combine(mt, "model_answer", "vicuna-13b-v1.2.jsonl")).ToDictionary(a => a.QuestionId);

// Answers are cut (default 600 characters) so that every prompt fits stories260K's 2,048-token context with its 512-token vocabulary.
ModelAnswer Cut(ModelAnswer a) => a with { Turns = [a.Turns[0].Length > cut ? a.Turns[0][..cut] : a.Turns[0]] };
var requests = new List<LogitVerdictRequest>();
foreach (var q in questions)
{
    var item = new PairwiseItem(q, Cut(gpt4[q.Id]), Cut(vicuna[q.Id]), 1);
    requests.Add(LogitVerdicts.RequestFor(rubric, PromptRenderer.Render(rubric, item)));
    requests.Add(LogitVerdicts.RequestFor(rubric, PromptRenderer.Render(rubric, item.Swapped())));
}

if (args.Contains("--generation"))
{
    await GenerationRows();
    return 0;
}

Console.WriteLine($"{requests.Count} judgments ({items} MT-Bench turn-1 pairs x 2 orders, answers cut to {cut} chars), {threads} threads, {Environment.ProcessorCount} cores, flash_attn={flash}, KV reuse on (the default), median of {reps}");
Console.WriteLine();
Console.WriteLine("| model | batch | judgments/s | prompt tokens/s | mean prompt tokens | wall s | max abs Δp vs batch 1 |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
foreach (var model in models)
{
    IReadOnlyList<LogitVerdictResult>? baseline = null;
    foreach (var b in batchSizes)
    {
        using var client = LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = model, Threads = threads, BatchSize = b, ContextSize = 2048, FlashAttention = flash });
        var scorer = (ILogitVerdictScorer)client.GetService(typeof(ILogitVerdictScorer))!;
        await Task.WhenAll(requests.Take(Math.Max(2, b)).Select(r => scorer.ScoreAsync(r))); // warm-up
        var runs = new List<(double Seconds, LogitVerdictResult[] Results)>();
        for (var rep = 0; rep < reps; rep++)
        {
            var sw = Stopwatch.StartNew();
            // All requests at once, as a grading run with concurrency does: the client coalesces them into batches of b.
            var results = await Task.WhenAll(requests.Select(r => scorer.ScoreAsync(r)));
            runs.Add((sw.Elapsed.TotalSeconds, results));
        }

        var median = runs.OrderBy(r => r.Seconds).ElementAt(runs.Count / 2);
        baseline ??= median.Results;
        var delta = baseline.Zip(median.Results).SelectMany(p => p.First.Probabilities.Select(kv => Math.Abs(kv.Value - p.Second.Probabilities[kv.Key]))).Max();
        var tokens = median.Results.Sum(r => (double)r.PromptTokens);
        Console.WriteLine(string.Create(inv, $"| {Path.GetFileName(model)} | {b} | {requests.Count / median.Seconds:F1} | {tokens / median.Seconds:F0} | {tokens / requests.Count:F0} | {median.Seconds:F2} | {delta:E1} |"));
    }
}

// For contrast: the same verdicts written as text (greedy, up to 64 tokens, then VerdictParser), one at a time.
Console.WriteLine();
foreach (var model in textRows ? models : [])
{
    using var client = LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = model, Threads = threads, ContextSize = 2048, FlashAttention = flash });
    var sample = requests.Take(4).ToList();
    await client.GetResponseAsync(sample[0].Messages, new ChatOptions { MaxOutputTokens = 8 });
    var sw = Stopwatch.StartNew();
    var parsed = 0;
    foreach (var r in sample)
    {
        var response = await client.GetResponseAsync(r.Messages, new ChatOptions { MaxOutputTokens = 64 });
        parsed += VerdictParser.Parse(rubric, response.Text).Status == VerdictStatus.Parsed ? 1 : 0;
    }

    Console.WriteLine(string.Create(inv, $"text generation ({Path.GetFileName(model)}): {sample.Count / sw.Elapsed.TotalSeconds:F1} judgments/s, {parsed}/{sample.Count} parsed"));
}

return 0;

string Vocab() => Path.GetFullPath(Text("--vocab") ?? Path.Combine(repo, ".native", "src", "llama.cpp", "models", "ggml-vocab-qwen2.gguf"));

string? Text(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

// Generation speed with and without a grammar: the same judge prompts, greedy. Decode tokens/s takes out
// the prompt's share, measured by the same prompts with one output token.
// Usage: ... --generation [--items N] [--threads N] [--reps N]
async Task GenerationRows()
{
    const string Schema = """
        {"type": "object", "properties": {"feedback": {"type": "string", "maxLength": 300}, "score": {"type": "integer", "minimum": 1, "maximum": 10}}, "required": ["feedback", "score"]}
        """;
    var prompts = requests.Select(r => r.Messages).ToList();
    var json = ChatResponseFormat.ForJsonSchema(System.Text.Json.JsonDocument.Parse(Schema).RootElement, "verdict");
    Console.WriteLine($"generation: {prompts.Count} judge prompts, up to 128 tokens each, {threads} threads, {Environment.ProcessorCount} cores, flash_attn={flash}, median of {reps}");
    Console.WriteLine();
    Console.WriteLine("| model | vocab | constraint | grammar_top_k | output tokens | decode tokens/s | steps checking the whole vocabulary |");
    Console.WriteLine("|---|---:|---|---:|---:|---:|---:|");
    foreach (var model in models)
    {
        foreach (var (label, format, topK) in new (string, ChatResponseFormat?, int)[] { ("none (argmax)", null, 40), ("JSON schema", json, 40), ("JSON schema", json, 0) })
        {
            using var client = (LlamaChatClient)LlamaJudge.CreateChatClient(new LlamaOptions { ModelPath = model, Threads = threads, ContextSize = 2048, FlashAttention = flash, GrammarTopK = topK });
            await client.GetResponseAsync(prompts[0], new ChatOptions { MaxOutputTokens = 8, ResponseFormat = format }); // warm-up
            async Task<(double Seconds, long Tokens, long Whole)> Run(int maxTokens)
            {
                var options = new ChatOptions { MaxOutputTokens = maxTokens, ResponseFormat = format };
                var whole = client.GrammarWholeVocabularySteps;
                var sw = Stopwatch.StartNew();
                long tokens = 0;
                foreach (var p in prompts)
                {
                    tokens += (await client.GetResponseAsync(p, options)).Usage!.OutputTokenCount ?? 0;
                }

                return (sw.Elapsed.TotalSeconds, tokens, client.GrammarWholeVocabularySteps - whole);
            }

            var rows = new List<(double Rate, long Tokens, long Whole)>();
            for (var rep = 0; rep < reps; rep++)
            {
                var prompt = await Run(1);
                var full = await Run(128);
                rows.Add(((full.Tokens - prompt.Tokens) / Math.Max(1e-9, full.Seconds - prompt.Seconds), full.Tokens, full.Whole));
            }

            var median = rows.OrderBy(r => r.Rate).ElementAt(rows.Count / 2);
            var whole = format is null ? "-" : $"{median.Whole} ({100.0 * median.Whole / median.Tokens:F0}%)";
            Console.WriteLine(string.Create(inv, $"| {Path.GetFileName(model)} | {client.Model.VocabSize} | {label} | {(format is null ? "-" : topK.ToString(inv))} | {median.Tokens} | {median.Rate:F0} | {whole} |"));
        }
    }
}

int[] ArgList(string name, int[] fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? [.. args[i + 1].Split(',').Select(x => int.Parse(x, inv))] : fallback;
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], inv) : fallback;
}

static string FindRepo()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Judge.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Judge.sln not found");
}

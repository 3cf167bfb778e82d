using System.Diagnostics;
using System.Globalization;
using Judge.Judging;
using Judge.Providers;
using Judge.Providers.Tests.Fakes;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Verdicts;

namespace Judge.Benchmarks.Hosted;

/// <summary>
/// A 10,000-judgment grade run in batch mode (<c>openai:…&amp;batch=on</c>) against the loopback fake of the files and
/// batches endpoints, through the whole run engine: collect the request bodies, upload, create, poll, download, and
/// record every judgment served from the batch. Reports wall time, CPU time and peak working set of this process (the
/// fake server runs in it too, so the figures are an upper bound for the client).
/// </summary>
internal static class BatchBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var judgments = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        const int models = 5;
        var questions = judgments / models;
        var folder = Path.Combine(Path.GetTempPath(), "judge-batch-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var questionFile = Path.Combine(folder, "questions.jsonl");
            File.WriteAllLines(questionFile, Enumerable.Range(1, questions).Select(q =>
                $$"""{"question_id": {{q}}, "category": "writing", "turns": ["Write a short note number {{q}} about recycling aluminium bottles, in under 80 words."]}"""));
            var answerFiles = Enumerable.Range(1, models).Select(m =>
            {
                var path = Path.Combine(folder, $"model-{m}.jsonl");
                File.WriteAllLines(path, Enumerable.Range(1, questions).Select(q =>
                    $$"""{"question_id": {{q}}, "model_id": "model-{{m}}", "choices": [{"index": 0, "turns": ["Answer {{q}} by model {{m}}: recycled aluminium bottles save energy, keep drinks cold and last for years; rinse them and recycle them again."]}]}"""));
                return path;
            }).ToList();

            var api = new LoopbackBatchApi { Answer = _ => ServerReply.Completion("The answer is accurate and concise. Rating: [[7]]").Body };
            using var server = LoopbackOpenAIServer.Start(api.Handle);
            var config = new RunConfig
            {
                SourcePath = "benchmark",
                Hash = "benchmark",
                Mode = RunMode.Grade,
                Data = new RunData { Questions = questionFile, Answers = answerFiles },
                Rubrics = ["single-general"],
                Judges = [JudgeSpec.Parse($"openai:gpt-4o?base_url={server.BaseUrl}&batch=on&batch_poll=0.2")],
                Options = new RunOptions { Concurrency = 16 },
                Output = Path.Combine(folder, "out"),
            };
            var rubrics = RubricLibrary.LoadDirectory(Path.Combine(RepoRoot(), "rubrics"));

            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var result = await new RunEngine(new JudgeFactory()).RunAsync(config, RunFiles.InFolder(config.Output), RunStart.New, rubrics).ConfigureAwait(false);
            clock.Stop();
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuBefore;

            var recorded = result.Records.OfType<AbsoluteVerdict>().Count();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine: {Environment.ProcessorCount} logical cores, .NET {Environment.Version}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"judgments recorded: {recorded} (parsed {result.Records.OfType<AbsoluteVerdict>().Count(r => r.Score is not null)}), live calls {api.LiveCalls}, uploads {api.Uploads}, batches {api.Creates}, polls {api.Polls}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wall {clock.Elapsed.TotalSeconds:0.0} s, CPU {cpu.TotalSeconds:0.0} s, peak working set {process.PeakWorkingSet64 / (1024.0 * 1024):0} MiB"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cost recorded: ${result.Analysis.Cost.Usd:0.0000} (batch price)"));
            return recorded == judgments / models * models && api.LiveCalls == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string RepoRoot()
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
}

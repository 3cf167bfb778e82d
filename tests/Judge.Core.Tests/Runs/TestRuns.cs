using Judge.Judging;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Tests.Support;

namespace Judge.Tests.Runs;

/// <summary>Run configs over the sample data (6 questions, 3 models: 18 answers of turn 1, 18 pairs), judged by a scripted judge.</summary>
internal static class TestRuns
{
    /// <summary>100 prompt and 10 completion tokens at $1 / $2 per million: 100e-6 + 20e-6 = $0.00012 a call.</summary>
    public const decimal CallCost = 0.00012m;

    /// <summary>The same call through a provider batch, at half the price by default: $0.00006.</summary>
    public const decimal BatchCallCost = 0.00006m;

    public static RubricLibrary Library => RubricLibrary.LoadDirectory(TestPaths.Rubrics);

    /// <summary>Grades every answer of turn 1 with <paramref name="rubrics"/>, one item at a time, priced at $1 / $2 per million tokens.</summary>
    public static RunConfig Grade(string output, params string[] rubrics) => new()
    {
        SourcePath = "test",
        Hash = "h",
        Mode = RunMode.Grade,
        Data = new RunData
        {
            Questions = Path.Combine(TestPaths.Sample, "question.jsonl"),
            Answers = Directory.GetFiles(Path.Combine(TestPaths.Sample, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal).ToList(),
            References = Path.Combine(TestPaths.Sample, "reference_answer", "reference.jsonl"),
        },
        Rubrics = rubrics,
        Judges = [JudgeSpec.Parse("scripted:judge")],
        Options = new RunOptions { Concurrency = 1, InputPricePerMillion = 1, OutputPricePerMillion = 2 },
        Output = output,
    };

    /// <summary>Every file under <paramref name="folder"/> with its bytes, by relative path.</summary>
    public static SortedDictionary<string, byte[]> Snapshot(string folder) =>
        new(Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes), StringComparer.Ordinal);

    /// <summary>Runs <paramref name="run"/>, advancing <paramref name="clock"/> a batch poll interval whenever the run waits on it, until the run ends.</summary>
    public static async Task<T> DriveAsync<T>(Task<T> run, Microsoft.Extensions.Time.Testing.FakeTimeProvider clock)
    {
        // The bounded wait only lets the run reach its next timer; no outcome depends on real time.
        while (!run.IsCompleted)
        {
            clock.Advance(FakeBatches.Poll);
            await Task.WhenAny(run, Task.Delay(TimeSpan.FromMilliseconds(2), TimeProvider.System));
        }

        return await run;
    }
}

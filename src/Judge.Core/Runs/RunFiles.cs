using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>The files of one run: its judgments, its response journal and its manifest.</summary>
/// <param name="Judgments">The judgments JSONL file: call records and verdict records.</param>
/// <param name="Journal">The response journal that lets a resumed run reuse answers of unfinished items.</param>
/// <param name="Manifest">The manifest: what was planned, when it started and finished.</param>
public sealed record RunFiles(string Judgments, string Journal, string Manifest)
{
    /// <summary>A run folder: <c>judgments.jsonl</c>, <c>responses.jsonl</c> and <c>manifest.json</c> inside it.</summary>
    public static RunFiles InFolder(string folder) =>
        new(Path.Combine(folder, "judgments.jsonl"), Path.Combine(folder, "responses.jsonl"), Path.Combine(folder, "manifest.json"));

    /// <summary>A results file with its journal and manifest beside it: <c>X.jsonl</c>, <c>X.responses.jsonl</c>, <c>X.manifest.json</c>.</summary>
    public static RunFiles BesideResults(string judgmentsPath)
    {
        var full = Path.GetFullPath(judgmentsPath);
        var stem = full.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? full[..^".jsonl".Length] : full;
        return new RunFiles(full, stem + ".responses.jsonl", stem + ".manifest.json");
    }

    /// <summary>
    /// The judgments a stopped or killed run kept: the verdicts in <see cref="Judgments"/> after the file is made safe to
    /// append to (a torn last line, and the calls of an item whose verdict was never written, are cut); 0 without a file.
    /// </summary>
    public int KeptJudgments() =>
        File.Exists(Judgments) ? JudgmentsRecovery.Recover(Judgments).Records.Count(r => r is ItemVerdict) : 0;
}

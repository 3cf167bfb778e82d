using System.Globalization;
using Judge.Judging;

namespace Judge.Runs;

/// <summary>
/// A run asked for without a config file, as <c>judge compare</c> and <c>judge grade</c> ask for one: the data,
/// one judge, an optional rubric and the options. <see cref="ToConfig"/> resolves its paths against the working
/// directory and gives the <see cref="RunConfig"/> the engine runs, with its hash. Immutable.
/// </summary>
public sealed record RunRequest
{
    /// <summary>Compare (pairwise) or grade (absolute).</summary>
    public required RunMode Mode { get; init; }

    /// <summary>The questions file.</summary>
    public required string Questions { get; init; }

    /// <summary>The answer files.</summary>
    public required IReadOnlyList<string> Answers { get; init; }

    /// <summary>Reference answers, if any.</summary>
    public string? References { get; init; }

    /// <summary>A rubric id or file for every item; <see langword="null"/>: chosen per item as MT-Bench does.</summary>
    public string? Rubric { get; init; }

    /// <summary>A folder of rubric YAML files; <see langword="null"/>: the standard rubrics.</summary>
    public string? RubricsDir { get; init; }

    /// <summary>
    /// The judge, parsed; relative file targets resolve against <see cref="WorkingDirectory"/>. A <c>cascade(…)</c> or
    /// <c>panel(…)</c> spec runs as a cascade or panel of its members (<see cref="RunConfig.WithJudges"/>).
    /// </summary>
    public required JudgeSpec Judge { get; init; }

    /// <summary>CSV column map, field to column; empty: none.</summary>
    public IReadOnlyDictionary<string, string> Columns { get; init; } = new Dictionary<string, string>();

    /// <summary>How items are judged. Relative <see cref="RunOptions.Prices"/> and <c>labels:</c> pair files resolve against <see cref="WorkingDirectory"/>.</summary>
    public RunOptions Options { get; init; } = new();

    /// <summary>The judgments file to write; <see langword="null"/>: <see cref="DefaultOutput"/>.</summary>
    public string? Output { get; init; }

    /// <summary>The folder relative paths resolve against. Default: the process's working directory.</summary>
    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    /// <summary>The command that asks for this run: <c>compare</c> or <c>grade</c>.</summary>
    public string Command => Mode == RunMode.Compare ? "compare" : "grade";

    /// <summary>Where the judgments go when <see cref="Output"/> is not given: <c>out/compare.jsonl</c> or <c>out/grade.jsonl</c>.</summary>
    public string DefaultOutput => Path.Combine("out", $"{Command}.jsonl");

    /// <summary>The judgments file as asked for (relative paths stay relative): <see cref="Output"/> or <see cref="DefaultOutput"/>.</summary>
    public string OutputAsGiven => Output ?? DefaultOutput;

    /// <summary>The run config of this request: paths absolute, named <c>judge compare</c> or <c>judge grade</c>, with its hash.</summary>
    public RunConfig ToConfig()
    {
        var data = new RunData
        {
            Questions = Full(Questions),
            Answers = Answers.Select(Full).ToList(),
            References = References is null ? null : Full(References),
            Columns = Columns,
        };
        var options = Options with
        {
            Prices = Options.Prices is { } prices ? Full(prices) : null,
            Pairs = Options.Pairs is { } pairs && pairs.StartsWith("labels:", StringComparison.Ordinal) ? "labels:" + Full(pairs["labels:".Length..]) : Options.Pairs,
        };
        var config = new RunConfig
        {
            SourcePath = $"judge {Command}",
            Hash = RunConfig.HashOf(Identity(data, options)),
            Mode = Mode,
            Data = data,
            Rubrics = Rubric is null ? [] : [Rubric],
            RubricsDir = RubricsDir,
            Judges = [Judge.ResolvedAgainst(WorkingDirectory)],
            Options = options,
            Output = Full(OutputAsGiven),
        };
        return Judge.IsComposite ? config.WithJudges(config.Judges) : config;
    }

    private string Full(string path) => Path.GetFullPath(path, WorkingDirectory);

    /// <summary>What the request's hash is of: every input and option, one per line, lists written out.</summary>
    private string Identity(RunData data, RunOptions o) => string.Join('\n', (IEnumerable<string>)
    [
        Command, Judge.Text, Rubric ?? string.Empty, data.Questions, .. data.Answers, data.References ?? string.Empty,
        string.Join(',', data.Columns.Select(c => $"{c.Key}={c.Value}")),
        string.Create(CultureInfo.InvariantCulture, $"turns={string.Join(',', o.Turns)} swap={o.Swap} on_disagreement={o.OnDisagreement} pairs={o.Pairs} max_tokens={o.MaxTokens} verdict={o.Verdict}"),
        string.Create(CultureInfo.InvariantCulture, $"prices={o.Prices} models={string.Join(',', o.Models)} seed={o.Seed} limit={o.Limit} concurrency={o.Concurrency} repeats={o.Repeats}"),
    ]);
}

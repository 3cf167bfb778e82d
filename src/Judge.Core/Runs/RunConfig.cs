using System.Security.Cryptography;
using System.Text;
using Judge.Data;
using Judge.Judging;

namespace Judge.Runs;

/// <summary>Whether a run compares answers pairwise or grades them on a scale.</summary>
public enum RunMode
{
    /// <summary>Pairwise comparison with position swap (<c>judge compare</c>).</summary>
    Compare,

    /// <summary>Absolute grading (<c>judge grade</c>).</summary>
    Grade,
}

/// <summary>How judges give their verdict.</summary>
public enum VerdictMode
{
    /// <summary>Read from the logits where the judge offers them (local judges); else written as the rubric asks.</summary>
    Auto,

    /// <summary>Always written in the rubric's format and parsed.</summary>
    Text,

    /// <summary>Written as a JSON object of feedback and verdict under a schema (a grammar locally, structured output hosted).</summary>
    Json,

    /// <summary>
    /// Read from the logits straight after the prompt, with no feedback written first even where the rubric asks for it:
    /// one forward pass per call, the fast path for local judges. A judge that cannot give logits (hosted) is refused.
    /// </summary>
    Logits,
}

/// <summary>Which value a gate compares with its threshold.</summary>
public enum GateOn
{
    /// <summary>The aggregate itself.</summary>
    Point,

    /// <summary>The lower bound of its bootstrap confidence interval: a gate passes only when the data make it likely.</summary>
    LowerBound,
}

/// <summary>
/// A <c>judge run</c> configuration (<c>judge.yaml</c>), validated, with every path already resolved
/// against the config file's folder. Immutable; <see cref="RunConfigLoader"/> builds it.
/// </summary>
public sealed record RunConfig
{
    /// <summary>The config file, absolute.</summary>
    public required string SourcePath { get; init; }

    /// <summary>The config's identity, <see cref="HashOf"/> the text that defines it: the config file, or the request of <c>judge compare</c>/<c>judge grade</c>.</summary>
    public required string Hash { get; init; }

    /// <summary>compare or grade.</summary>
    public required RunMode Mode { get; init; }

    /// <summary>The data files.</summary>
    public required RunData Data { get; init; }

    /// <summary>Rubric ids or files; empty: chosen per item as MT-Bench does. Each rubric is a separate pass.</summary>
    public IReadOnlyList<string> Rubrics { get; init; } = [];

    /// <summary>A folder of rubric YAML files, or null for the shipped rubrics.</summary>
    public string? RubricsDir { get; init; }

    /// <summary>
    /// The judges, each judging every item: parsed where they were written (the config, the command line), file targets
    /// resolved against the config file's folder or the working directory (<see cref="JudgeSpec.ResolvedAgainst"/>).
    /// Every judgment records its judge's <see cref="JudgeSpec.Text"/>.
    /// </summary>
    public required IReadOnlyList<JudgeSpec> Judges { get; init; }

    /// <summary>
    /// When the config names a calibration (<c>calibration:</c>), the judges are not judged side by side but form one
    /// cascade in the order given, each stage deciding at its calibrated threshold; <see langword="null"/> otherwise.
    /// </summary>
    public RunCascade? Cascade { get; init; }

    /// <summary>
    /// When the config says <c>panel:</c>, the judges are not judged side by side but vote as one panel on every item
    /// (<see cref="Judging.PanelPairwiseJudge"/>, <see cref="Judging.PanelAbsoluteJudge"/>); <see langword="null"/> otherwise.
    /// </summary>
    public RunPanel? Panel { get; init; }

    /// <summary>How items are judged.</summary>
    public RunOptions Options { get; init; } = new();

    /// <summary>Quality gates.</summary>
    public RunThresholds Thresholds { get; init; } = new();

    /// <summary>The output folder, absolute.</summary>
    public required string Output { get; init; }

    /// <summary>
    /// The config judging with <paramref name="judges"/> (given on the command line, or read from <c>judges:</c>): one
    /// <c>cascade(…)</c> spec becomes its stages as one cascade, its <c>calibration=</c> loaded and checked against the
    /// stages and the mode; one <c>panel(…)</c> spec becomes its members as one panel; plain specs replace the judges and
    /// keep the config's own cascade or panel.
    /// </summary>
    /// <exception cref="InputException">A composite spec among others, or one that does not fit the run (its field is "judge spec").</exception>
    public RunConfig WithJudges(IReadOnlyList<JudgeSpec> judges)
    {
        ArgumentNullException.ThrowIfNull(judges);
        if (judges.FirstOrDefault(j => j.IsComposite) is not { } composite)
        {
            return this with { Judges = judges };
        }

        if (judges.Count > 1)
        {
            throw new InputException(null, null, "judge spec", $"'{composite.Text}' must be the only judge: a cascade or panel is one judge of several");
        }

        if (Options.Batch)
        {
            throw new InputException(null, null, "judge spec", $"'{composite.Text}' runs its judges live; it cannot run in batch mode (options.batch: off)");
        }

        if (composite.Scheme == "panel")
        {
            return this with { Judges = composite.Members, Cascade = null, Panel = RunPanel.Of(composite, Mode) };
        }

        // A panel stage's vote is checked here, before anything is written.
        _ = composite.Members.Where(m => m.IsComposite).Select(m => RunPanel.Of(m, Mode)).ToList();

        var calibration = composite.Option("calibration")
            ?? throw new InputException(null, null, "judge spec", $"'{composite.Text}' names no calibration; add ?calibration=FILE (from judge calibrate, one stage per judge)");
        var onAbstain = composite.ChoiceOption("on_abstain", "abstain", "abstain", "last") == "last" ? AbstainPolicy.LastUnguaranteed : AbstainPolicy.Abstain;
        return this with { Judges = composite.Members, Cascade = RunCascade.Load(calibration, composite.Members.Count, Mode, onAbstain), Panel = null };
    }

    /// <summary>
    /// The config hash: <c>sha256:</c> and the lowercase hex SHA-256 of <paramref name="text"/>'s UTF-8 bytes. For a
    /// config file that is the hash of its bytes (the file must be UTF-8). A resumed run whose hash differs is told
    /// its settings changed.
    /// </summary>
    public static string HashOf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

/// <summary>The data a run reads; paths absolute.</summary>
public sealed record RunData
{
    /// <summary>The questions file.</summary>
    public required string Questions { get; init; }

    /// <summary>Answer files (one per model, or several models per file).</summary>
    public required IReadOnlyList<string> Answers { get; init; }

    /// <summary>Reference answers, if any.</summary>
    public string? References { get; init; }

    /// <summary>Pairwise human labels (MT-Bench shape), for the agreement panel.</summary>
    public string? HumanLabels { get; init; }

    /// <summary>Which human raters count (a name prefix; <see langword="null"/> for all). Default <see cref="Statistics.HumanRaters.DefaultPrefix"/>.</summary>
    public string? HumanRaters { get; init; } = Statistics.HumanRaters.DefaultPrefix;

    /// <summary>CSV column map, field to column.</summary>
    public IReadOnlyDictionary<string, string> Columns { get; init; } = new Dictionary<string, string>();

    /// <summary>The named layout of <see cref="HumanLabels"/> (see <see cref="PairwiseLayout.Names"/>); <see langword="null"/>: MT-Bench's field names.</summary>
    public string? HumanLayout { get; init; }

    /// <summary>The field map of <see cref="HumanLabels"/>, field to source, over <see cref="HumanLayout"/>; empty: none.</summary>
    public IReadOnlyDictionary<string, string> HumanMap { get; init; } = new Dictionary<string, string>();

    /// <summary>The layout the human labels are read with; <see langword="null"/> when neither key was given.</summary>
    /// <exception cref="InputException">An unknown layout or field.</exception>
    public PairwiseLayout? HumanPairwiseLayout =>
        HumanLayout is null && HumanMap.Count == 0 ? null : PairwiseLayout.Parse(HumanLayout, HumanMap.Count == 0 ? null : string.Join(",", HumanMap.Select(kv => $"{kv.Key}={kv.Value}")));
}

/// <summary>How a run judges; every property has the default <c>judge compare</c>/<c>judge grade</c> would use.</summary>
public sealed record RunOptions
{
    /// <summary>The turns to judge. Default [1].</summary>
    public IReadOnlyList<int> Turns { get; init; } = [1];

    /// <summary>both (default), none or random.</summary>
    public string Swap { get; init; } = "both";

    /// <summary>tie (default) or drop.</summary>
    public string OnDisagreement { get; init; } = "tie";

    /// <summary>all (default), baseline:MODEL or labels:FILE (compare only).</summary>
    public string? Pairs { get; init; }

    /// <summary>The most tokens a judge may write per call; <see langword="null"/> (the default) leaves the judge's default of 1,024.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>How judges give their verdict. Default <see cref="VerdictMode.Auto"/>.</summary>
    public VerdictMode Verdict { get; init; } = VerdictMode.Auto;

    /// <summary>
    /// On a resume, judge again the items recorded as <c>error</c> (the judge failed: an outage, a timeout), keeping every
    /// other judgment and paying only for those; config key <c>options.retry_errors</c>, flag <c>--retry-errors</c>.
    /// Default <see langword="false"/>: a resume keeps error records as they are.
    /// </summary>
    public bool RetryErrors { get; init; }

    /// <summary>A price table file (YAML/JSON: model: { input, output } in USD per 1M tokens) over the built-in one; <see langword="null"/>: the built-in table.</summary>
    public string? Prices { get; init; }

    /// <summary>Models to grade (grade only); empty: all.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>Seed for order draws, judges and bootstrap. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Judge at most this many items per turn (the first in plan order). Default: all.</summary>
    public int? Limit { get; init; }

    /// <summary>Items judged at once. Default 4.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>
    /// This invocation judges only shard <c>K</c> of <c>N</c> (1-based) of the plan: the items whose key hashes to it, every
    /// judge, rubric and repeat of an item in the same shard. <c>judge merge</c> combines the shards' folders. Default: none.
    /// </summary>
    public (int Index, int Count)? Shard { get; init; }

    /// <summary>Every <c>openai:</c> and <c>azure:</c> judge in batch mode (<c>batch=on</c>) unless its spec sets <c>batch</c> itself. Default off.</summary>
    public bool Batch { get; init; }

    /// <summary>How many times each item is judged, with seeds seed, seed+1, …. Default 1.</summary>
    public int Repeats { get; init; } = 1;

    /// <summary>Absolute repeats: an item whose scores vary by more than this (population variance) is unstable. Default 1.0.</summary>
    public double UnstableVariance { get; init; } = 1.0;

    /// <summary>Price per million prompt tokens, for the cost shown in progress and reports; null: cost unknown.</summary>
    public double? InputPricePerMillion { get; init; }

    /// <summary>Price per million completion tokens.</summary>
    public double? OutputPricePerMillion { get; init; }
}

/// <summary>Quality gates over a run's aggregates. Every gate is optional.</summary>
public sealed record RunThresholds
{
    /// <summary>point (default) or lower_bound.</summary>
    public GateOn GateOn { get; init; } = GateOn.Point;

    /// <summary>Bootstrap confidence level. Default 0.95.</summary>
    public double Confidence { get; init; } = 0.95;

    /// <summary>Bootstrap resamples. Default 1000.</summary>
    public int Resamples { get; init; } = 1000;

    /// <summary>The highest share of items whose judge calls failed before the run fails with exit 3. Default 0.</summary>
    public double MaxErrorRate { get; init; }

    /// <summary>Grade: the lowest acceptable mean score per model.</summary>
    public double? MinMeanScore { get; init; }

    /// <summary>Grade: the score at which an answer passes.</summary>
    public double? PassMark { get; init; }

    /// <summary>Grade: the lowest acceptable share of a model's answers scoring at least <see cref="PassMark"/>.</summary>
    public double? MinPassRate { get; init; }

    /// <summary>Compare: the model others are measured against.</summary>
    public string? Baseline { get; init; }

    /// <summary>Compare: the lowest acceptable win rate (ties count half) against <see cref="Baseline"/>.</summary>
    public double? MinWinRate { get; init; }

    /// <summary>The models the gates apply to; empty: every model (except the baseline).</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>Whether the JUnit report has a testcase per item as well as per threshold. Default false.</summary>
    public bool JUnitPerItem { get; init; }

    /// <summary>Whether any quality gate is set.</summary>
    public bool Any => MinMeanScore is not null || MinPassRate is not null || MinWinRate is not null || MinGuaranteedAgreement is not null || MinCoverage is not null;

    /// <summary>A cascade run passes only when its calibration guarantees at least this agreement. Default: no gate.</summary>
    public double? MinGuaranteedAgreement { get; init; }

    /// <summary>A cascade run passes only when at least this share of its items was decided. Default: no gate.</summary>
    public double? MinCoverage { get; init; }
}

/// <summary>A run's judges as one cascade: the calibration file it was given and what it says.</summary>
/// <param name="Calibration">The calibration file (absolute path).</param>
/// <param name="Thresholds">Each stage's threshold, in judge order; <see langword="null"/> where the calibration certified none.</param>
/// <param name="OnAbstain">What an item no stage decides becomes.</param>
/// <param name="Guarantee">The agreement the calibration guarantees on decided items (its target).</param>
/// <param name="Delta">The risk that the guarantee fails.</param>
public sealed record RunCascade(string Calibration, IReadOnlyList<double?> Thresholds, Judging.AbstainPolicy OnAbstain, double Guarantee, double Delta)
{
    /// <summary>
    /// A cascade of <paramref name="stages"/> judges from a <c>judge calibrate</c> file: it must calibrate one stage per judge,
    /// of the run's mode; anything else is an <see cref="InputException"/> naming the file (field <c>calibration</c>).
    /// </summary>
    public static RunCascade Load(string path, int stages, RunMode mode, Judging.AbstainPolicy onAbstain)
    {
        var calibration = Statistics.CalibrationFile.Load(path);
        if (calibration.Stages.Count != stages)
        {
            throw new InputException(path, null, "calibration", $"calibrates {calibration.Stages.Count} stage(s), but the cascade has {stages} judge(s); name one judge per stage, in the calibration's order");
        }

        var expected = mode == RunMode.Compare ? "pairwise" : "absolute";
        if (!string.Equals(calibration.Mode, expected, StringComparison.Ordinal))
        {
            throw new InputException(path, null, "calibration", $"calibrates {calibration.Mode} verdicts, but this run's mode needs {expected}");
        }

        return new RunCascade(path, calibration.Thresholds(), onAbstain, calibration.Target, calibration.Delta);
    }

    /// <summary>The cascade's judge id, recorded with every verdict: <c>cascade:</c> and the stages' specs joined by <c> &gt; </c>.</summary>
    public static string IdOf(IReadOnlyList<JudgeSpec> judges)
    {
        ArgumentNullException.ThrowIfNull(judges);
        return "cascade:" + string.Join(" > ", judges.Select(j => j.Text));
    }
}

/// <summary>A run's judges as one panel.</summary>
/// <param name="Score">How an absolute panel combines its members' scores (a pairwise panel takes the majority).</param>
public sealed record RunPanel(Judging.PanelScore Score)
{
    /// <summary>The panel a <c>panel(…)?vote=</c> spec asks for in <paramref name="mode"/>: majority (compare), median or mean (grade).</summary>
    /// <exception cref="InputException">A vote the mode does not take.</exception>
    public static RunPanel Of(JudgeSpec panel, RunMode mode)
    {
        ArgumentNullException.ThrowIfNull(panel);
        var vote = panel.ChoiceOption("vote", mode == RunMode.Compare ? "majority" : "median", mode == RunMode.Compare ? ["majority", "weighted"] : ["median", "mean"]);
        if (vote != "weighted")
        {
            return panel.Option("weights") is null
                ? new RunPanel(vote == "mean" ? Judging.PanelScore.Mean : Judging.PanelScore.Median)
                : throw new InputException(null, null, "judge spec", $"'{panel.Text}': weights= applies only with vote=weighted");
        }

        var file = panel.Option("weights") ?? throw new InputException(null, null, "judge spec", $"'{panel.Text}': vote=weighted needs weights=FILE (a judge calibrate file with one stage per member)");
        var calibration = Statistics.CalibrationFile.Load(file);
        return calibration.Stages.Count == panel.Members.Count && calibration.Mode == "pairwise"
            ? new RunPanel(Judging.PanelScore.Median) { Weights = calibration.VoteWeights() }
            : throw new InputException(file, null, "weights", $"must calibrate pairwise verdicts with one stage per member of '{panel.Text}' ({panel.Members.Count}); it has {calibration.Stages.Count} {calibration.Mode} stage(s)");
    }

    /// <summary>Calibrated-accuracy weights of a pairwise panel's members, in order (<c>vote=weighted</c>); <see langword="null"/>: one vote each.</summary>
    public IReadOnlyList<double>? Weights { get; init; }

    /// <summary>The panel's judge id: <c>panel:</c> and the members' specs joined by <c> + </c>.</summary>
    public static string IdOf(IReadOnlyList<JudgeSpec> judges)
    {
        ArgumentNullException.ThrowIfNull(judges);
        return "panel:" + string.Join(" + ", judges.Select(j => j.Text));
    }
}

using Judge.Data;
using Judge.Judging;
using Judge.Prompts;

namespace Judge.Runs;

/// <summary>A planned run: its passes in order, the items left out, and notes for the user.</summary>
/// <param name="Passes">One per judge × rubric × repeat × turn.</param>
/// <param name="Skipped">Planned items that cannot be judged (a missing answer), with why.</param>
/// <param name="Notes">Things the user should know about the plan.</param>
internal sealed record RunPlan(IReadOnlyList<RunPass> Passes, IReadOnlyList<string> Skipped, IReadOnlyList<string> Notes)
{
    /// <summary>Judgments planned.</summary>
    public int Count => Passes.Sum(p => p.Count);

    /// <summary>The unit key of every planned judgment, in plan order (see <see cref="RunEngine.UnitKey"/>).</summary>
    public IReadOnlyList<string> Keys => [.. Passes.SelectMany(p => p.Keys)];

    /// <summary>The plan hash a manifest records and a resume checks (<see cref="RunManifest.HashPlan"/>).</summary>
    public string Hash => RunManifest.HashPlan(Keys);

    /// <summary>The rubric keys (<c>id@version</c>) the plan uses, sorted.</summary>
    public IReadOnlyList<string> RubricKeys => [.. Passes.SelectMany(p => p.RubricKeys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>The manifest of a run of this plan that starts at <paramref name="startedAt"/>.</summary>
    public RunManifest Manifest(RunConfig config, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(config);
        var keys = Keys;
        return new RunManifest
        {
            Config = config.SourcePath,
            ConfigHash = config.Hash,
            Mode = config.Mode.ToString().ToLowerInvariant(),
            Judges = [.. config.Judges.Select(j => j.Text)],
            Rubrics = config.Rubrics,
            RubricKeys = RubricKeys,
            PlanHash = RunManifest.HashPlan(keys),
            Planned = keys.Count,
            Repeats = config.Options.Repeats,
            StartedAt = startedAt,
        };
    }
}

/// <summary>One judge × rubric × repeat × turn: the items a judge instance judges.</summary>
/// <param name="Judge">The judge's recorded id (<see cref="JudgeSpec.Text"/>), recorded with every judgment.</param>
/// <param name="Spec">The judge's spec, file targets resolved.</param>
/// <param name="Rubric">The configured rubric, or <see langword="null"/> for the per-item standard choice.</param>
/// <param name="Repeat">The repeat index when a run repeats, else <see langword="null"/>.</param>
/// <param name="Turn">The turn judged.</param>
/// <param name="Selector">Which rubric each item gets.</param>
/// <param name="Pairs">The pairwise items, in compare mode.</param>
/// <param name="Answers">The answers, in grade mode.</param>
internal sealed record RunPass(string Judge, JudgeSpec Spec, string? Rubric, int? Repeat, int Turn, IRubricSelector Selector, IReadOnlyList<PairwiseItem>? Pairs, IReadOnlyList<AbsoluteItem>? Answers)
{
    /// <summary>Items in the pass.</summary>
    public int Count => Pairs?.Count ?? Answers!.Count;

    /// <summary>Each item's key and the key of the rubric it gets, in order.</summary>
    public IEnumerable<(string Item, string Rubric)> Items => Pairs is not null
        ? Pairs.Select(i => (i.Key, Selector.For(i).Key))
        : Answers!.Select(i => (i.Key, Selector.For(i).Key));

    /// <summary>The rubric key of each item, in order.</summary>
    public IEnumerable<string> RubricKeys => Items.Select(i => i.Rubric);

    /// <summary>The unit key of each item, in order (see <see cref="RunEngine.UnitKey"/>).</summary>
    public IEnumerable<string> Keys => Items.Select(i => KeyOf(i.Item, i.Rubric));

    /// <summary>The same pass without the items whose unit keys are in <paramref name="done"/>.</summary>
    public RunPass Without(IReadOnlySet<string> done) => this with
    {
        Pairs = Pairs?.Where(i => !done.Contains(KeyOf(i.Key, Selector.For(i).Key))).ToList(),
        Answers = Answers?.Where(i => !done.Contains(KeyOf(i.Key, Selector.For(i).Key))).ToList(),
    };

    private string KeyOf(string item, string rubricKey) => RunEngine.UnitKey(Judge, Rubric is null ? null : rubricKey, item, Repeat);
}

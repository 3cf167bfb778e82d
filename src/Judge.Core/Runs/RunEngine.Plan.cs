using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Runs;

// The plan: the data a config names, the items of every judge × rubric × repeat × turn, shards, and how judges are built.
public sealed partial class RunEngine
{
    /// <summary>Loads the data a config names.</summary>
    public static Dataset LoadData(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var map = CsvColumnMap.Parse(config.Data.Columns.Count == 0 ? null : string.Join(",", config.Data.Columns.Select(c => $"{c.Key}={c.Value}")));
        var questions = DataFiles.ReadQuestions(config.Data.Questions, map);
        var answers = config.Data.Answers.SelectMany(path => DataFiles.ReadAnswers(path, map));
        var references = config.Data.References is { } refs ? DataFiles.ReadAnswers(refs, map, defaultModelId: "reference") : null;
        return Dataset.Create(questions, answers, references);
    }

    /// <summary>
    /// Plans a run without building any judge that calls a model: the items of every judge × rubric × repeat × turn, in
    /// order, with the rubric each gets. Used for dry runs and by <see cref="RunAsync"/>.
    /// </summary>
    internal RunPlan Plan(RunConfig config, Dataset data, RubricLibrary rubrics)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rubrics);
        var passes = new List<RunPass>();
        var skipped = new List<string>();
        var notes = new List<string>();
        var o = config.Options;
        var rubricChoices = config.Rubrics.Count == 0 ? [null] : config.Rubrics.Cast<string?>().ToList();
        // A cascade is one judge to the plan: one pass per rubric, repeat and turn, under the cascade's id.
        var planned = config.Cascade is not null ? [(RunCascade.IdOf(config.Judges), config.Judges[0].Singles[0])]
            : config.Panel is not null ? [(RunPanel.IdOf(config.Judges), config.Judges[0])]
            : config.Judges.Select(j => (Id: j.Text, Spec: j)).ToList();
        foreach (var (id, spec) in planned)
        {
            var recorded = config.Mode == RunMode.Compare && config.Cascade is null && config.Panel is null ? judges.Recorded(spec) : null;
            foreach (var rubric in rubricChoices)
            {
                IRubricSelector selector = rubric is null ? new StandardRubricSelector(rubrics) : new FixedRubricSelector(rubrics.Get(rubric));
                for (var r = 1; r <= o.Repeats; r++)
                {
                    // Skipped items and notes are the same for every judge, rubric and repeat: said once.
                    var first = r == 1 && rubric == rubricChoices[0];
                    foreach (var turn in o.Turns)
                    {
                        var pass = new RunPass(id, spec, rubric, o.Repeats > 1 ? r : null, turn, selector, null, null);
                        passes.Add(config.Mode == RunMode.Compare
                            ? pass with { Pairs = PairsOf(config, data, turn, recorded, first ? skipped : null, first ? notes : null) }
                            : pass with { Answers = AnswersOf(config, data, turn, first ? skipped : null) });
                    }
                }
            }
        }

        return new RunPlan(passes, skipped, notes);
    }

    /// <summary>A compare pass's pairs: all, against a baseline, or those a labels file names; for recorded verdicts, the recorded pairs.</summary>
    private static List<PairwiseItem> PairsOf(RunConfig config, Dataset data, int turn, RecordedPairwiseJudge? recorded, List<string>? skipped, List<string>? notes)
    {
        var o = config.Options;
        var pairSpec = o.Pairs ?? "all";
        var plan = pairSpec switch
        {
            "all" => ItemPlanner.AllPairs(data, turn),
            _ when pairSpec.StartsWith("baseline:", StringComparison.Ordinal) => ItemPlanner.AllPairs(data, turn, pairSpec["baseline:".Length..]),
            _ when pairSpec.StartsWith("labels:", StringComparison.Ordinal) => LabelledPairs(data, pairSpec["labels:".Length..], turn),
            _ => throw new InputException(config.SourcePath, null, "pairs", $"'{pairSpec}' is not all, baseline:MODEL or labels:FILE"),
        };
        IReadOnlyList<PairwiseItem> items = plan.Items;
        if (recorded is not null && o.Pairs is null)
        {
            var unrecorded = items.Count(i => !recorded.Has(i));
            items = items.Where(recorded.Has).ToList();
            if (unrecorded > 0)
            {
                notes?.Add($"turn {turn}: {unrecorded} planned pairs have no recorded verdict and were left out (ask for all pairs explicitly to record them as errors)");
            }
        }

        skipped?.AddRange(plan.Skipped);
        return Limit(items, o.Limit).Where(i => InShard(i.Key, o.Shard)).ToList();
    }

    /// <summary>The pairs a labels file names; a file none of whose pairs is in the data is an error naming it.</summary>
    private static ItemPlan<PairwiseItem> LabelledPairs(Dataset data, string path, int turn)
    {
        try
        {
            return ItemPlanner.LabelledPairs(data, VerdictImport.ReadLabels(path), turn);
        }
        catch (InputException ex) when (ex.Path is null)
        {
            throw new InputException(path, null, ex.Field, ex.Problem, ex);
        }
    }

    /// <summary>A grade pass's answers: every model's, or those of the models asked for.</summary>
    private static List<AbsoluteItem> AnswersOf(RunConfig config, Dataset data, int turn, List<string>? skipped)
    {
        var o = config.Options;
        var plan = ItemPlanner.Absolute(data, turn, o.Models.Count > 0 ? o.Models : null);
        skipped?.AddRange(plan.Skipped);
        return Limit(plan.Items, o.Limit).Where(i => InShard(i.Key, o.Shard)).ToList();
    }

    /// <summary>The price table a run's costs use: the config's file over the built-in table, and its flat prices over both.</summary>
    public static PriceTable Prices(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var table = config.Options.Prices is { } path ? PriceTable.BuiltIn.WithOverrides(path) : PriceTable.BuiltIn;
        if (config.Options.InputPricePerMillion is null && config.Options.OutputPricePerMillion is null)
        {
            return table;
        }

        var flat = new ModelPrice((decimal)(config.Options.InputPricePerMillion ?? 0), (decimal)(config.Options.OutputPricePerMillion ?? 0));
        return PriceTable.WithFlatPrice(flat);
    }

    /// <summary>How a pass's judge is built: its sampling, verdict mode, position swap, the middleware its client goes through, and batch answers.</summary>
    private JudgeBuildOptions BuildOptions(RunConfig config, RunPass pass, Func<string, IChatClient, IChatClient> wrap, BatchAnswers? answers)
    {
        var o = config.Options;
        var chat = new ChatJudgeOptions { Seed = o.Seed + (pass.Repeat ?? 1) - 1, TimeProvider = _time };
        if (o.MaxTokens is int max)
        {
            chat.MaxOutputTokens = max;
        }

        switch (o.Verdict)
        {
            case VerdictMode.Text:
                chat.UseLogitVerdicts = false;
                break;
            case VerdictMode.Json:
                chat.UseLogitVerdicts = false;
                chat.ConstrainVerdict = true;
                break;
            case VerdictMode.Logits:
                chat.FeedbackBeforeLogitVerdict = false;
                break;
        }

        return new JudgeBuildOptions
        {
            Rubrics = pass.Selector,
            Chat = chat,
            Swap = new PositionSwapOptions
            {
                Mode = Enum.Parse<SwapMode>(o.Swap, ignoreCase: true),
                OnDisagreement = o.OnDisagreement == "drop" ? DisagreementPolicy.Drop : DisagreementPolicy.Tie,
                Seed = o.Seed,
            },
            WrapClient = wrap,
            BatchAnswers = answers,
        };
    }

    private static List<T> Limit<T>(IReadOnlyList<T> items, int? limit) => limit is int n ? items.Take(n).ToList() : items.ToList();

    /// <summary>Whether an item falls in a shard: the first four bytes of the SHA-256 of its key, modulo the shard count.</summary>
    public static bool InShard(string itemKey, (int Index, int Count)? shard) =>
        shard is not { } s || (int)(BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(itemKey))) % (uint)s.Count) == s.Index - 1;

    /// <summary>Reads a shard as <c>K/N</c> (1 ≤ K ≤ N ≤ 10,000), as <c>run --shard</c> takes it; anything else is an <see cref="InputException"/> naming <paramref name="key"/>.</summary>
    public static (int Index, int Count) ParseShard(string text, string key = "--shard")
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var k) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 10_000 && k >= 1 && k <= n
            ? (k, n)
            : throw new InputException(null, null, key, $"'{text}' is not K/N with 1 ≤ K ≤ N ≤ 10000");
    }
}

using Judge.Rubrics;
using Judge.Verdicts;

namespace Judge.Runs;

// Shards: `run --shard K/N` judges a deterministic part of the plan; merging the shards' folders gives the results
// folder of the whole plan, its judgments in plan order, analysed as one run.
public sealed partial class RunEngine
{
    /// <summary>
    /// Combines finished shard folders of one config (<see cref="RunOptions.Shard"/>) into <paramref name="target"/>:
    /// every planned judgment exactly once, in the unsharded plan's order, with a manifest of the whole plan; then
    /// analyses it as <see cref="RunAsync"/> would.
    /// </summary>
    /// <exception cref="InputException">A folder is not a finished run, an item is in two shards, or a planned judgment is in none.</exception>
    public async Task<RunResult> MergeAsync(RunConfig config, IReadOnlyList<string> shardFolders, RunFiles target, RubricLibrary rubrics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(shardFolders);
        ArgumentNullException.ThrowIfNull(target);
        config = config with { Options = config.Options with { Shard = null } };
        var data = LoadData(config);
        var plan = Plan(config, data, rubrics);

        var (units, manifests) = ReadShards(shardFolders);
        var ordered = new List<JudgmentRecord>();
        var missing = new List<string>();
        foreach (var pass in plan.Passes)
        {
            foreach (var (item, rubric) in pass.Items)
            {
                if (units.Remove(UnitKey(pass.Judge, rubric, item, pass.Repeat), out var unit))
                {
                    ordered.AddRange(unit.Records);
                }
                else
                {
                    missing.Add(item);
                }
            }
        }

        if (missing.Count > 0)
        {
            throw new InputException(null, null, "shards", $"{missing.Count} planned judgments are in no shard (first: {missing[0]}); give every shard's folder");
        }

        if (units.Count > 0)
        {
            throw new InputException(units.First().Value.Folder, null, null, $"{units.Count} judgments are not in this config's plan (first: {units.First().Key.Replace('\t', ' ')}); merge shards of the same config");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target.Judgments))!);
        var writer = JudgmentsWriter.Open(target.Judgments, append: false);
        await using (writer.ConfigureAwait(false))
        {
            await writer.WriteRecordsAsync(ordered, cancellationToken).ConfigureAwait(false);
        }

        var merged = plan.Manifest(config, manifests.Min(m => m.StartedAt)) with
        {
            FinishedAt = manifests.Max(m => m.FinishedAt),
            Batches = [.. manifests.SelectMany(m => m.Batches)],
        };
        merged.Write(target.Manifest);

        var result = Result(config, target, merged, data, plan, RunProgressSnapshot.None);
        return result with { Progress = result.Progress with { EarlierCost = result.Analysis.Cost.Usd } };
    }

    /// <summary>
    /// Reads finished shard folders: each judgment's records (its calls, then its verdict) by unit key, with the folder it
    /// came from, and the shards' manifests.
    /// </summary>
    private static (Dictionary<string, (List<JudgmentRecord> Records, string Folder)> Units, List<RunManifest> Manifests) ReadShards(IReadOnlyList<string> shardFolders)
    {
        var units = new Dictionary<string, (List<JudgmentRecord> Records, string Folder)>(StringComparer.Ordinal);
        var manifests = new List<RunManifest>();
        foreach (var folder in shardFolders)
        {
            var files = RunFiles.InFolder(folder);
            if (!File.Exists(files.Manifest) || !File.Exists(files.Judgments))
            {
                throw new InputException(folder, null, null, "not a run folder (no manifest.json and judgments.jsonl)");
            }

            var manifest = RunManifest.Read(files.Manifest);
            if (manifest.FinishedAt is null)
            {
                throw new InputException(files.Manifest, null, "finished_at", "the shard is unfinished; finish it first with the command that ran it plus --resume");
            }

            manifests.Add(manifest);
            var calls = new List<JudgmentRecord>();
            foreach (var record in JudgmentsReader.Read(files.Judgments))
            {
                calls.Add(record);
                if (record is JudgeCall)
                {
                    continue;
                }

                var key = UnitKey(record.Judge, record.Rubric, record.Item, record.Repeat);
                if (units.TryGetValue(key, out var earlier))
                {
                    throw new InputException(files.Judgments, null, null, $"item {record.Item} ({record.Judge}, {record.Rubric}) is also in {earlier.Folder}: the shards overlap");
                }

                units[key] = (calls, folder);
                calls = [];
            }
        }

        return (units, manifests);
    }
}

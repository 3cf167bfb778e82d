using System.Text;
using System.Text.Json;

namespace Judge.Runs;

/// <summary>One batch of a run, as recorded in the run manifest the moment each id exists.</summary>
public sealed record BatchRecord
{
    /// <summary>The judge (its recorded spec) the batch is for.</summary>
    public required string Judge { get; init; }

    /// <summary>The request file kept in the run folder (relative to it), so a resume knows the batch's lines.</summary>
    public required string RequestFile { get; init; }

    /// <summary>Requests in the file.</summary>
    public required int Requests { get; init; }

    /// <summary>The uploaded file's id.</summary>
    public required string InputFileId { get; init; }

    /// <summary>The batch id, once the batch exists.</summary>
    public string? BatchId { get; init; }

    /// <summary>The status last seen.</summary>
    public string? Status { get; init; }

    /// <summary>The downloaded output and error lines, kept in the run folder (relative to it), once collected.</summary>
    public string? ResultFile { get; init; }
}

/// <summary>
/// A ledger of batches: every change is persisted at once (atomically), so a process killed at any point leaves the ids
/// of every file and batch that exists. A run keeps its ledger in its manifest (<see cref="RunManifest.Batches"/>); a
/// feedback generation in <c>batches.json</c> beside its journal. Not thread-safe.
/// </summary>
/// <param name="folder">Where request and result files are kept, under <c>batches/</c>.</param>
/// <param name="records">The batches recorded so far.</param>
/// <param name="persist">Writes the ledger; called after every change.</param>
internal sealed class BatchBook(string folder, IReadOnlyList<BatchRecord> records, Action<IReadOnlyList<BatchRecord>> persist)
{
    /// <summary>The batches recorded, oldest first.</summary>
    public IReadOnlyList<BatchRecord> Records { get; private set; } = records;

    /// <summary>The folder request and result files are kept in (under <c>batches/</c>).</summary>
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>A ledger in its own JSON file (created on the first change).</summary>
    public static BatchBook InFile(string path)
    {
        var full = Path.GetFullPath(path);
        IReadOnlyList<BatchRecord> records = [];
        if (File.Exists(full))
        {
            try
            {
                records = JsonSerializer.Deserialize(File.ReadAllText(full), ManifestJsonContext.Default.ListBatchRecord) ?? [];
            }
            catch (JsonException ex)
            {
                throw new InputException(full, null, null, $"not a batch ledger ({ex.Message.Split(". ")[0]})", ex);
            }
        }

        return new BatchBook(Path.GetDirectoryName(full)!, records, list =>
        {
            var temp = full + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(list.ToList(), ManifestJsonContext.Default.ListBatchRecord) + "\n", new UTF8Encoding(false));
            File.Move(temp, full, overwrite: true);
        });
    }

    /// <summary>The recorded batches of one owner (a judge or model spec), oldest first.</summary>
    public IReadOnlyList<BatchRecord> For(string owner) => Records.Where(b => b.Judge == owner).ToList();

    /// <summary>Records a new batch (its request file uploaded) and persists the ledger.</summary>
    public void Add(BatchRecord record) => Write([.. Records, record]);

    /// <summary>Replaces the record with the same request file and persists the ledger.</summary>
    public void Update(BatchRecord record) => Write([.. Records.Select(b => b.RequestFile == record.RequestFile ? record : b)]);

    /// <summary>A path in the folder for a record's relative path.</summary>
    public string PathOf(string relative) => Path.Combine(Folder, relative);

    private void Write(IReadOnlyList<BatchRecord> next)
    {
        Records = next;
        persist(next);
    }
}

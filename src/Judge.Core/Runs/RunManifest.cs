using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Judge.Runs;

/// <summary>
/// <c>manifest.json</c> in a run's output folder: what the run judges and when it ran. A resumed run
/// checks the plan hash against it, so it never mixes judgments of two different plans in one file.
/// </summary>
public sealed record RunManifest
{
    /// <summary>The manifest format version.</summary>
    public int Version { get; init; } = 1;

    /// <summary>The config file.</summary>
    public required string Config { get; init; }

    /// <summary>SHA-256 of the config file.</summary>
    public required string ConfigHash { get; init; }

    /// <summary>compare or grade.</summary>
    public required string Mode { get; init; }

    /// <summary>The judge specs.</summary>
    public required IReadOnlyList<string> Judges { get; init; }

    /// <summary>The rubrics asked for (ids or files); empty: chosen per item.</summary>
    public required IReadOnlyList<string> Rubrics { get; init; }

    /// <summary>The rubric keys (<c>id@version</c>) the plan uses.</summary>
    public required IReadOnlyList<string> RubricKeys { get; init; }

    /// <summary>SHA-256 over the planned units (judge, rubric, item, repeat), in order.</summary>
    public required string PlanHash { get; init; }

    /// <summary>Judgments planned: items × judges × rubrics × repeats.</summary>
    public required int Planned { get; init; }

    /// <summary>Repeats per item.</summary>
    public required int Repeats { get; init; }

    /// <summary>When the run first started (UTC, from the run's clock).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the run last finished judging; null while it is unfinished.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>When each resume started.</summary>
    public IReadOnlyList<DateTimeOffset> ResumedAt { get; init; } = [];

    /// <summary>The provider batches of judges with <c>batch=on</c>, recorded as each file and batch id exists (see <see cref="BatchBook"/>).</summary>
    public IReadOnlyList<BatchRecord> Batches { get; init; } = [];

    /// <summary>Reads a manifest.</summary>
    public static RunManifest Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), ManifestJsonContext.Default.RunManifest)
                ?? throw new InputException(path, null, null, "the manifest is empty");
        }
        catch (JsonException ex)
        {
            throw new InputException(path, null, null, $"not a run manifest ({ex.Message.Split(". ")[0]})", ex);
        }
    }

    /// <summary>Writes the manifest atomically (write a temporary file, then rename), so a kill never leaves half a manifest.</summary>
    public void Write(string path)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, ManifestJsonContext.Default.RunManifest) + "\n", new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The plan hash of ordered unit keys.</summary>
    public static string HashPlan(IEnumerable<string> unitKeys)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var key in unitKeys)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(key + "\n"));
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>Source-generated JSON for run manifests.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(RunManifest))]
[JsonSerializable(typeof(List<BatchRecord>))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;

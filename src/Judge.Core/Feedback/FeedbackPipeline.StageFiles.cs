using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Judge.Data;

namespace Judge.Feedback;

// The stage files: JSONL read with the line of a bad record, written readably and atomically, and joined by id.
public sealed partial class FeedbackPipeline
{
    private static readonly FeedbackJsonContext Readable = new(new JsonSerializerOptions(FeedbackJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private List<T> ReadJsonl<T>(FeedbackStage stage, JsonTypeInfo<T> type)
    {
        var path = Path.Combine(_out, FileOf(stage));
        if (!File.Exists(path))
        {
            throw new InputException(path, null, null, $"not found: run the {stage.ToString().ToLowerInvariant()} stage first (--stages {stage.ToString().ToLowerInvariant()}, or leave out --stages to run every stage)");
        }

        var list = new List<T>();
        foreach (var (line, text) in Jsonl.ReadLines(path))
        {
            try
            {
                list.Add(JsonSerializer.Deserialize(text, type) ?? throw new JsonException("null"));
            }
            catch (JsonException ex)
            {
                throw new InputException(path, line, null, $"not a {typeof(T).Name} record: {ex.Message}", ex);
            }
        }

        return list;
    }

    private static void WriteJsonl<T>(string path, IEnumerable<T> records, JsonTypeInfo<T> type)
    {
        // Stage files are meant to be read and edited by people: keep quotes and accents readable.
        type = (JsonTypeInfo<T>)Readable.GetTypeInfo(type.Type)!;
        var temp = path + ".tmp";
        using (var writer = new StreamWriter(temp, append: false, new UTF8Encoding(false)))
        {
            foreach (var record in records)
            {
                writer.Write(JsonSerializer.Serialize(record, type));
                writer.Write('\n');
            }
        }

        File.Move(temp, path, overwrite: true);
    }

    private FeedbackRubric RubricOf(Dictionary<string, FeedbackRubric> rubrics, FeedbackInstruction instruction) =>
        rubrics.TryGetValue(instruction.RubricId, out var r)
            ? r
            : throw new InputException(Path.Combine(_out, FileOf(FeedbackStage.Instructions)), null, "rubric_id", $"instruction {instruction.Id} names rubric '{instruction.RubricId}', which is not in {FileOf(FeedbackStage.Rubrics)}");
}

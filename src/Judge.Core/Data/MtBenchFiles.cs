using System.Text.Json;

namespace Judge.Data;

/// <summary>Readers for MT-Bench's JSONL formats, with errors that name file, line and field.</summary>
internal static class MtBenchFiles
{
    /// <summary>Reads a questions file: <c>question_id</c>, optional <c>category</c>, <c>turns[]</c>.</summary>
    public static List<Question> ReadQuestions(string path) => Jsonl.Read(path, r => new Question(
        r.RequiredId("question_id"),
        r.OptionalString("category"),
        r.RequiredStringArray("turns"))
    {
        Source = new SourceLocation(r.Path, r.Line),
    });

    /// <summary>
    /// Reads an answers file: <c>question_id</c>, <c>model_id</c>, <c>choices[0].turns[]</c>. A flat
    /// <c>turns[]</c> is accepted too. When a record has no <c>model_id</c>, <paramref name="defaultModelId"/>
    /// is used (MT-Bench's reference files name the model in the file name).
    /// </summary>
    public static List<ModelAnswer> ReadAnswers(string path, string? defaultModelId = null) => Jsonl.Read(path, r =>
    {
        var model = r.Has("model_id") || defaultModelId is null ? r.RequiredString("model_id") : defaultModelId;
        IReadOnlyList<string> turns;
        if (r.Root.TryGetProperty("choices", out var choices))
        {
            if (choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                throw r.Error("choices", "expected a non-empty array of choices");
            }

            var first = choices[0];
            if (first.ValueKind != JsonValueKind.Object || !first.TryGetProperty("turns", out var t))
            {
                throw r.Error("choices[0].turns", "is missing");
            }

            turns = r.RequiredStringArray("choices[0].turns", t);
        }
        else if (r.Has("turns"))
        {
            turns = r.RequiredStringArray("turns");
        }
        else
        {
            throw r.Error("choices[0].turns", "is missing");
        }

        return new ModelAnswer(r.RequiredId("question_id"), model, turns) { Source = new SourceLocation(r.Path, r.Line) };
    });
}

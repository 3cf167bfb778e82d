using System.Text.Json;
using Judge.Prompts;

namespace Judge.Feedback;

/// <summary>
/// Finds the JSON object a generation was asked for in free text: bare, inside a code fence, or with
/// prose before or after it. Thread-safe.
/// </summary>
internal static class JsonExtraction
{
    /// <summary>
    /// The first balanced JSON object in <paramref name="text"/> that parses and has <paramref name="requiredKey"/>;
    /// otherwise <see langword="null"/> and why.
    /// </summary>
    public static (JsonElement? Object, string? Problem) Find(string? text, string requiredKey)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, "the output is empty");
        }

        var sawObject = false;
        foreach (var (_, obj) in JsonInText.Objects(text))
        {
            sawObject = true;
            if (obj.TryGetProperty(requiredKey, out _))
            {
                return (obj.Clone(), null);
            }
        }

        return (null, sawObject ? $"no JSON object with \"{requiredKey}\"" : "no JSON object in the output");
    }

    /// <summary>A non-blank string property, or <see langword="null"/>.</summary>
    public static string? String(JsonElement obj, string key) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString())
            ? v.GetString()!.Trim()
            : null;
}

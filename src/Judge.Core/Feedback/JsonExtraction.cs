using System.Text.Json;

namespace Judge.Feedback;

/// <summary>
/// Finds the JSON object a generation was asked for in free text: bare, inside a code fence, or with
/// prose before or after it. Thread-safe.
/// </summary>
public static class JsonExtraction
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
        for (var start = text.IndexOf('{', StringComparison.Ordinal); start >= 0; start = text.IndexOf('{', start + 1))
        {
            var end = Grading.JsonText.MatchingBrace(text, start);
            if (end < 0)
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(text.AsMemory(start, end - start + 1), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                sawObject = true;
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(requiredKey, out _))
                {
                    return (doc.RootElement.Clone(), null);
                }
            }
            catch (JsonException)
            {
                // Not JSON from here; try the next brace.
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

using System.Text.Json;

namespace Judge.Prompts;

/// <summary>
/// The one scan for JSON objects inside free text that models write around them (bare, fenced, between prose):
/// what the verdict parser reads, what the neutraliser breaks in answers, and what feedback generation extracts.
/// Thread-safe.
/// </summary>
internal static class JsonInText
{
    private static readonly JsonDocumentOptions Options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>
    /// Every balanced <c>{…}</c> in <paramref name="text"/> that parses as a JSON object, with the index of its opening
    /// brace, from the first (or, with <paramref name="fromEnd"/>, the last) opening brace on; at most
    /// <paramref name="maxBraces"/> opening braces are tried. Each element is valid until the next one is taken.
    /// </summary>
    public static IEnumerable<(int Start, JsonElement Object)> Objects(string text, bool fromEnd = false, int maxBraces = int.MaxValue)
    {
        var tried = 0;
        for (var start = fromEnd ? text.LastIndexOf('{') : text.IndexOf('{', StringComparison.Ordinal);
             start >= 0 && tried < maxBraces;
             start = fromEnd ? (start == 0 ? -1 : text.LastIndexOf('{', start - 1)) : text.IndexOf('{', start + 1), tried++)
        {
            var end = MatchingBrace(text, start);
            if (end < 0)
            {
                continue;
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(text.AsMemory(start, end - start + 1), Options);
            }
            catch (JsonException)
            {
                // Not JSON from here: prose with braces.
                continue;
            }

            using (doc)
            {
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    yield return (start, doc.RootElement);
                }
            }
        }
    }

    /// <summary>
    /// The index of the <c>}</c> that closes the <c>{</c> at <paramref name="start"/>, skipping braces inside
    /// JSON strings; -1 when it is never closed.
    /// </summary>
    private static int MatchingBrace(string text, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }
}

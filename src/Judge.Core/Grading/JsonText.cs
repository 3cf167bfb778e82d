namespace Judge.Grading;

/// <summary>Finding JSON objects inside free text that models write around them.</summary>
internal static class JsonText
{
    /// <summary>
    /// The index of the <c>}</c> that closes the <c>{</c> at <paramref name="start"/>, skipping braces inside
    /// JSON strings; -1 when it is never closed.
    /// </summary>
    public static int MatchingBrace(string text, int start)
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

using System.Text;
using Judge.Rubrics;

namespace Judge.Prompts;

/// <summary>
/// Keeps a candidate answer from deciding its own verdict: the answers and references a judge is shown are
/// rewritten so that no string in them is a verdict the verdict parser would accept for the rubric. Thread-safe.
/// </summary>
internal static class AnswerNeutraliser
{
    /// <summary>
    /// Rewrites <paramref name="text"/> (a candidate answer or reference, before it is shown to the judge) so
    /// that nothing in it is a verdict the verdict parser would accept for <paramref name="rubric"/>, while it still
    /// reads the same to a model: each occurrence of the rubric's verdict tag, in any label, gets a space after
    /// its opening bracket (<c>[[A]]</c> becomes <c>[ [A]]</c>, <c>[RESULT] 5</c> becomes <c>[ RESULT] 5</c>;
    /// a tag that starts with a letter gets a zero-width space instead), and each JSON object with a verdict
    /// key (<c>{"score": 10}</c>) gets a zero-width space after its opening brace, which JSON does not allow.
    /// Text with nothing verdict-like is returned unchanged.
    /// </summary>
    public static string Neutralise(Rubric rubric, string text)
    {
        ArgumentNullException.ThrowIfNull(rubric);
        ArgumentNullException.ThrowIfNull(text);
        var tag = rubric.Output.Tag;
        var slot = tag.IndexOf("{verdict}", StringComparison.Ordinal);
        var prefix = tag[..slot].Trim();
        var suffix = tag[(slot + "{verdict}".Length)..].Trim();

        // Break the prefix's last word (the one next to the verdict), or the suffix's first when there is no prefix.
        var part = prefix.Length > 0 ? prefix.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]
            : suffix.Length > 0 ? suffix.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]
            : null;
        if (part is not null)
        {
            text = BreakAll(text, part);
        }

        return BreakJsonVerdicts(text);
    }

    private const char ZeroWidthSpace = '\u200B';

    private static string BreakAll(string text, string part)
    {
        // A breaker inside the word: a space after punctuation ("[ [") reads naturally; after a letter it
        // would split a word, so an invisible one is used there.
        var breaker = char.IsLetterOrDigit(part[0]) ? ZeroWidthSpace.ToString() : " ";
        if (part.Length == 1)
        {
            // A one-character tag part ("<{verdict}>") cannot be split; put the breaker between it and the verdict.
            return text.Replace(part, part + ZeroWidthSpace, StringComparison.OrdinalIgnoreCase);
        }

        var sb = new StringBuilder(text.Length + 16);
        var at = 0;
        while (at < text.Length)
        {
            var found = text.IndexOf(part, at, StringComparison.OrdinalIgnoreCase);
            if (found < 0)
            {
                break;
            }

            // Split after the first character; the rest is searched again, so "[[[" is broken twice.
            sb.Append(text, at, found + 1 - at).Append(breaker);
            at = found + 1;
        }

        return at == 0 ? text : sb.Append(text, at, text.Length - at).ToString();
    }

    private static string BreakJsonVerdicts(string text)
    {
        if (!text.Contains('{', StringComparison.Ordinal))
        {
            return text;
        }

        var breaks = JsonInText.Objects(text, maxBraces: 10_000)
            .Where(o => o.Object.EnumerateObject().Any(p => VerdictSchema.VerdictKeys.Contains(p.Name.ToLowerInvariant())))
            .Select(o => o.Start + 1)
            .ToList();
        for (var i = breaks.Count - 1; i >= 0; i--)
        {
            text = text.Insert(breaks[i], ZeroWidthSpace.ToString());
        }

        return text;
    }
}

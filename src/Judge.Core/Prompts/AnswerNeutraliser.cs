using System.Globalization;
using System.Text;
using System.Text.Json;
using Judge.Rubrics;

namespace Judge.Prompts;

/// <summary>
/// Keeps a candidate answer from deciding its own verdict: the answers and references a judge is shown are
/// rewritten so that no string in them is a verdict the verdict parser would accept for the rubric, nor a line that
/// starts a fence marker — and that stays so after Unicode NFKC normalisation and the removal of default-ignorable
/// characters, so neither look-alikes (<c>［［B］］</c>, <c>[REſULT]</c>) nor invisible characters inside a tag survive a
/// judge that cleans up what it quotes. Linear in the answer's length, with no scan limit. Thread-safe.
/// </summary>
internal static class AnswerNeutraliser
{
    /// <summary>The visible mark put inside a verdict key (<c>"score"</c> becomes <c>"~score"</c>): not JSON's verdict key, and stable under NFKC.</summary>
    private const char KeyBreaker = '~';

    /// <summary>The visible mark put inside a tag word that starts with a letter: a middle dot, which NFKC keeps.</summary>
    private const char LetterBreaker = '\u00B7';

    /// <summary>
    /// Rewrites <paramref name="text"/> (a candidate answer or reference, before it is shown to the judge) so that nothing
    /// in it — as written, or as normalised by <see cref="Normalise"/> — is a verdict the verdict parser would accept for
    /// <paramref name="rubric"/>. When its normalised form holds anything verdict-like, the judge is shown that form with
    /// each occurrence broken by a visible mark: the rubric's tag gets a space after its opening bracket (<c>[[A]]</c> becomes
    /// <c>[ [A]]</c>, <c>[RESULT] 5</c> becomes <c>[ RESULT] 5</c>; a tag word that starts with a letter gets a middle dot), a
    /// quoted verdict key gets a tilde (<c>{"score": 10}</c> becomes <c>{"~score": 10}</c>), and a fence marker
    /// (<c>&lt;&lt;&lt;END</c>) gets a space (<c>&lt; &lt;&lt;END</c>). Text with nothing verdict-like is returned unchanged.
    /// </summary>
    public static string Neutralise(Rubric rubric, string text)
    {
        ArgumentNullException.ThrowIfNull(rubric);
        ArgumentNullException.ThrowIfNull(text);
        var normalised = Normalise(text);
        var tag = rubric.Output.Tag;
        var slot = tag.IndexOf("{verdict}", StringComparison.Ordinal);
        var prefix = Normalise(tag[..slot]).Trim();
        var suffix = Normalise(tag[(slot + "{verdict}".Length)..]).Trim();

        // Break the prefix's last word (the one next to the verdict), or the suffix's first when there is no prefix.
        var part = prefix.Length > 0 ? prefix.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]
            : suffix.Length > 0 ? suffix.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]
            : null;
        var broken = part is null ? normalised : BreakAll(normalised, part);
        broken = BreakAll(broken, "<<<");
        broken = BreakJsonVerdictKeys(broken);
        return ReferenceEquals(broken, normalised) ? text : broken;
    }

    /// <summary>
    /// The text a judge that cleans up what it reads would see: default-ignorable characters (zero-width spaces and
    /// joiners, soft hyphens, variation selectors, bidirectional controls, tags…) removed and the rest NFKC-normalised
    /// (full-width and other compatibility forms to their plain letters: <c>［</c> to <c>[</c>, <c>ſ</c> to <c>s</c>).
    /// The one normalisation verdict matching and neutralisation share. Returns the same instance when nothing changes.
    /// </summary>
    public static string Normalise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var visible = RemoveIgnorable(text);
        var folded = visible.IsNormalized(NormalizationForm.FormKC) ? visible : RemoveIgnorable(visible.Normalize(NormalizationForm.FormKC));
        return folded == text ? text : folded;
    }

    private static string RemoveIgnorable(string text)
    {
        StringBuilder? sb = null;
        var i = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsDefaultIgnorable(rune.Value))
            {
                sb ??= new StringBuilder(text.Length).Append(text, 0, i);
            }
            else
            {
                sb?.Append(rune.ToString());
            }

            i += rune.Utf16SequenceLength;
        }

        return sb?.ToString() ?? text;
    }

    /// <summary>Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt).</summary>
    private static bool IsDefaultIgnorable(int c) => c is 0x00AD or 0x034F or 0x061C or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x3164 or 0xFEFF or 0xFFA0
        or (>= 0x180B and <= 0x180F) or (>= 0x200B and <= 0x200F) or (>= 0x202A and <= 0x202E) or (>= 0x2060 and <= 0x206F)
        or (>= 0xFE00 and <= 0xFE0F) or (>= 0xFFF0 and <= 0xFFF8) or (>= 0x1BCA0 and <= 0x1BCA3) or (>= 0x1D173 and <= 0x1D17A) or (>= 0xE0000 and <= 0xE0FFF);

    private static string BreakAll(string text, string part)
    {
        // A breaker inside the word: a space after punctuation ("[ [") reads naturally; after a letter it would split a
        // word, so a middle dot is used there. Both are visible, so no clean-up by the judge can join the word again.
        var breaker = char.IsLetterOrDigit(part[0]) ? LetterBreaker : ' ';
        var sb = new StringBuilder(text.Length + 16);
        var at = 0;
        while (at < text.Length)
        {
            var found = text.IndexOf(part, at, StringComparison.OrdinalIgnoreCase);
            if (found < 0)
            {
                break;
            }

            if (part.Length == 1)
            {
                // A one-character tag part ("<{verdict}>") cannot be split; put the breaker after it.
                sb.Append(text, at, found + 1 - at).Append(' ');
                at = found + 1;
                continue;
            }

            // Split after the first character; the rest is searched again, so "[[[" is broken twice.
            sb.Append(text, at, found + 1 - at).Append(breaker);
            at = found + 1;
        }

        return at == 0 ? text : sb.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>
    /// Breaks every quoted string that reads as a verdict key once its JSON escapes are decoded (<c>"score"</c>,
    /// <c>"sc\u006fre"</c>, <c>"Winner"</c>). Every double quote is tried as the start of a key, whatever quotes come
    /// before it (a stray quote cannot shift what is seen as a string), and a key is at most 80 characters: the scan costs
    /// time in proportion to the answer's length, with no limit on braces, and no JSON object in the answer can hold a
    /// verdict key.
    /// </summary>
    private static string BreakJsonVerdictKeys(string text)
    {
        const int MaxKey = 80;
        List<int>? breaks = null;
        for (var i = text.IndexOf('"', StringComparison.Ordinal); i >= 0 && i < text.Length - 1; i = text.IndexOf('"', i + 1))
        {
            var end = i + 1;
            while (end < text.Length && end - i <= MaxKey + 1 && text[end] != '"' && text[end] != '\n')
            {
                end += text[end] == '\\' ? 2 : 1;
            }

            if (end < text.Length && text[end] == '"' && end > i + 1 && end - i - 1 <= MaxKey && IsVerdictKey(text[(i + 1)..end]))
            {
                (breaks ??= []).Add(i + 1);
            }
        }

        if (breaks is null)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + breaks.Count);
        var at = 0;
        foreach (var position in breaks)
        {
            sb.Append(text, at, position - at).Append(KeyBreaker);
            at = position;
        }

        return sb.Append(text, at, text.Length - at).ToString();
    }

    private static bool IsVerdictKey(string body)
    {
        string decoded;
        if (body.Contains('\\', StringComparison.Ordinal))
        {
            try
            {
                decoded = JsonSerializer.Deserialize<string>("\"" + body + "\"") ?? string.Empty;
            }
            catch (JsonException)
            {
                return false;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
        else
        {
            decoded = body;
        }

        return VerdictSchema.VerdictKeys.Contains(Normalise(decoded).Trim().ToLower(CultureInfo.InvariantCulture));
    }
}

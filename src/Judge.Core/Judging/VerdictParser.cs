using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Judge.Data;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Verdicts;

namespace Judge.Judging;

/// <summary>What <see cref="VerdictParser"/> read from a judge's output.</summary>
/// <param name="Status">Parsed, unparsed or out of range; never a default score.</param>
/// <param name="Verdict">The verdict text as matched, when one was found (also when out of range).</param>
/// <param name="Score">The score, for a parsed absolute verdict.</param>
/// <param name="Choice">The positional choice, for a parsed pairwise verdict.</param>
/// <param name="Feedback">The explanation the judge gave, where it could be separated from the verdict.</param>
/// <param name="Method"><c>json</c> or <c>tag</c>: how the verdict was found.</param>
/// <param name="Problem">Why the status is not <see cref="VerdictStatus.Parsed"/>.</param>
public sealed record ParsedVerdict(
    VerdictStatus Status,
    string? Verdict = null,
    double? Score = null,
    PairOutcome? Choice = null,
    string? Feedback = null,
    string? Method = null,
    string? Problem = null);

/// <summary>
/// Reads verdicts from judge output: a JSON object first (bare or fenced, the last one that holds a
/// verdict key), then the rubric's tag (its last occurrence). Two defences keep a candidate answer
/// from deciding its own verdict: <see cref="AnswerNeutraliser.Neutralise"/> rewrites, in the answers and references the
/// judge is shown, every string this parser would accept as a verdict, so a judge that repeats what it
/// saw, verbatim, quoted or not, before or after its own verdict, repeats something that is not a
/// verdict; and candidate answers the judge quotes back are cut out before parsing. Numbers are read
/// with the invariant culture; "4,5" is not a number. Thread-safe.
/// </summary>
public static partial class VerdictParser
{
    /// <summary>Quotes at least this long are cut wherever they occur; shorter ones only where quoted.</summary>
    private const int MinFreeQuoteLength = 24;

    /// <summary>Parses <paramref name="raw"/> against the rubric's output format and scale or labels.</summary>
    /// <param name="rubric">The rubric the judge was given.</param>
    /// <param name="raw">The judge's output.</param>
    /// <param name="candidateTexts">The candidate answers shown to the judge; quotations of them are ignored.</param>
    public static ParsedVerdict Parse(Rubric rubric, string? raw, IEnumerable<string>? candidateTexts = null)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return new ParsedVerdict(VerdictStatus.Unparsed, Problem: "the output is empty");
        }

        var text = StripQuotations(raw, candidateTexts);

        if (FindJsonVerdict(text) is var (jsonVerdict, jsonFeedback))
        {
            return Interpret(rubric, jsonVerdict, jsonFeedback, "json");
        }

        var matches = TagRegex(rubric.Output.Tag).Matches(text);
        if (matches.Count == 0)
        {
            return new ParsedVerdict(VerdictStatus.Unparsed, Problem: $"no JSON verdict and no '{rubric.Output.Tag}' tag");
        }

        var last = matches[^1];
        var before = text[..last.Index].Trim();
        var after = text[(last.Index + last.Length)..].Trim();
        var feedback = before.Length > 0 ? before : after.Length > 0 ? after : null;
        return Interpret(rubric, last.Groups["v"].Value, feedback, "tag");
    }

    private static ParsedVerdict Interpret(Rubric rubric, string verdictText, string? feedback, string method)
    {
        var verdict = Clean(verdictText);
        if (verdict.Length == 0)
        {
            return new ParsedVerdict(VerdictStatus.Unparsed, verdictText, Feedback: feedback, Method: method, Problem: "the verdict is empty");
        }

        var label = rubric.Output.Labels.FirstOrDefault(l => string.Equals(l.Key, verdict, StringComparison.OrdinalIgnoreCase));
        if (rubric.Mode == RubricMode.Pairwise)
        {
            var meaning = label.Value ?? (string.Equals(verdict, "tie", StringComparison.OrdinalIgnoreCase) ? "tie" : null);
            if (meaning is not null)
            {
                var choice = meaning switch { "a" => PairOutcome.A, "b" => PairOutcome.B, _ => PairOutcome.Tie };
                return new ParsedVerdict(VerdictStatus.Parsed, verdict, Choice: choice, Feedback: feedback, Method: method);
            }

            return new ParsedVerdict(VerdictStatus.OutOfRange, verdict, Feedback: feedback, Method: method,
                Problem: $"'{verdict}' is not one of {string.Join(", ", rubric.Output.Labels.Keys)}");
        }

        var scale = rubric.Scale!;
        double score;
        if (label.Value is not null)
        {
            score = double.Parse(label.Value, CultureInfo.InvariantCulture);
        }
        else if (ReadNumber(verdict, scale.Max) is double number)
        {
            score = number;
        }
        else
        {
            return new ParsedVerdict(VerdictStatus.Unparsed, verdict, Feedback: feedback, Method: method, Problem: $"'{verdict}' is not a number on the scale");
        }

        return scale.Contains(score)
            ? new ParsedVerdict(VerdictStatus.Parsed, verdict, Score: score, Feedback: feedback, Method: method)
            : new ParsedVerdict(VerdictStatus.OutOfRange, verdict, Feedback: feedback, Method: method, Problem: $"{verdict} lies outside {scale.Min}-{scale.Max}");
    }

    /// <summary>Reads "7", "7.5", "+7", "7/10" (only when the denominator is the scale's top); null otherwise.</summary>
    private static double? ReadNumber(string text, int scaleMax)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            var denominator = text[(slash + 1)..].Trim();
            if (!int.TryParse(denominator, NumberStyles.None, CultureInfo.InvariantCulture, out var d) || d != scaleMax)
            {
                return null;
            }

            text = text[..slash].Trim();
        }

        return double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
    }

    private static string Clean(string verdict) => verdict.Trim().Trim('"', '\'', '*', '`', '.', ';', ':', '!', ' ').Trim();

    private static string StripQuotations(string raw, IEnumerable<string>? candidateTexts)
    {
        // Fences the judge copied back hold candidate text by construction.
        var text = EchoedFence().Replace(raw, "[quoted answer]");
        foreach (var candidate in candidateTexts ?? [])
        {
            var c = candidate.Trim();

            // Very short answers ("4", "Yes") are too likely to occur in the judge's own words.
            if (c.Length >= 12)
            {
                text = CutQuote(text, c);
            }

            // Line-by-line quotes of verdict-like lines from the candidate ("> Rating: [[10]]").
            foreach (var line in c.Split('\n'))
            {
                var l = line.Trim();
                if (l.Length >= 4 && (l.Contains("[[", StringComparison.Ordinal) || l.Contains("[RESULT]", StringComparison.OrdinalIgnoreCase) || l.Contains('{', StringComparison.Ordinal)))
                {
                    text = CutQuote(text, l);
                }
            }
        }

        return text;
    }

    /// <summary>
    /// Replaces quotations of <paramref name="quote"/>. A short quote ("[[A]]", "Rating: [[2]]") is
    /// exactly what the judge writes as its own verdict, so it is cut only where it is plainly a
    /// quotation (in quote marks or a "&gt;" line); otherwise an answer could list every verdict it
    /// fears and leave the judge's real one unreadable.
    /// </summary>
    private static string CutQuote(string text, string quote)
    {
        if (quote.Length >= MinFreeQuoteLength)
        {
            return text.Replace(quote, "[quoted answer]", StringComparison.Ordinal);
        }

        var q = Regex.Escape(quote);
        return Regex.Replace(
            text,
            $@"(?m)^[ \t]*>[ \t]*{q}[ \t]*\r?$|[""'`\u201C\u2018]{q}[""'`\u201D\u2019]",
            "[quoted answer]",
            RegexOptions.CultureInvariant,
            TimeSpan.FromSeconds(1));
    }

    private static (string Verdict, string? Feedback)? FindJsonVerdict(string text)
    {
        foreach (var (_, obj) in JsonInText.Objects(text, fromEnd: true, maxBraces: 200))
        {
            string? verdict = null;
            string? feedback = null;
            foreach (var property in obj.EnumerateObject())
            {
                var key = property.Name.ToLowerInvariant();
                if (verdict is null && VerdictSchema.VerdictKeys.Contains(key) && property.Value.ValueKind is JsonValueKind.Number or JsonValueKind.String)
                {
                    verdict = property.Value.ValueKind == JsonValueKind.Number ? property.Value.GetRawText() : property.Value.GetString();
                }
                else if (feedback is null && VerdictSchema.FeedbackKeys.Contains(key) && property.Value.ValueKind == JsonValueKind.String)
                {
                    feedback = property.Value.GetString();
                }
            }

            if (verdict is not null)
            {
                return (verdict, feedback);
            }
        }

        return null;
    }

    private static readonly Dictionary<string, Regex> TagCache = new(StringComparer.Ordinal);

    private static Regex TagRegex(string tag)
    {
        lock (TagCache)
        {
            if (!TagCache.TryGetValue(tag, out var regex))
            {
                var slot = tag.IndexOf("{verdict}", StringComparison.Ordinal);
                var prefix = Literal(tag[..slot]);
                var suffix = Literal(tag[(slot + "{verdict}".Length)..]);
                var pattern = suffix.Length > 0
                    ? $@"{prefix}\s*(?<v>[^\n\[\]]{{1,40}}?)\s*{suffix}"
                    : $@"{prefix}\s*(?<v>[^\s\[\]]{{1,40}})";
                regex = new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                TagCache[tag] = regex;
            }

            return regex;
        }
    }

    private static string Literal(string text)
    {
        var sb = new StringBuilder();
        foreach (var part in text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (sb.Length > 0)
            {
                sb.Append(@"\s*");
            }

            sb.Append(Regex.Escape(part));
        }

        return sb.ToString();
    }

    [GeneratedRegex(@"<<<BEGIN (?<label>[A-Z ]+?) (?<tag>[0-9a-f]{16})>>>.*?<<<END \k<label> \k<tag>>>>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex EchoedFence();
}

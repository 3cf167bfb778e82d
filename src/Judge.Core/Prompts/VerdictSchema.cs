using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Judge.Rubrics;

namespace Judge.Prompts;

/// <summary>
/// The JSON schema of a verdict, for judges asked to answer in a given shape
/// (the chat judges' <c>ConstrainVerdict</c>): an object with <c>feedback</c> and the verdict, in the
/// order the rubric asks for them, which the verdict parser reads as a JSON verdict (<see cref="VerdictKeys"/>).
/// </summary>
internal static class VerdictSchema
{
    /// <summary>The keys a JSON verdict object may hold its verdict under (the first present one counts).</summary>
    internal static readonly string[] VerdictKeys = ["score", "rating", "grade", "verdict", "winner", "result", "decision", "label", "choice"];

    /// <summary>The keys a JSON verdict object may hold its feedback under.</summary>
    internal static readonly string[] FeedbackKeys = ["feedback", "explanation", "reasoning", "rationale", "justification", "comment", "analysis"];

    /// <summary>Scales with fewer points than this are sent as an <c>enum</c> of their scores; wider ones as minimum and maximum.</summary>
    public const int MaxEnumeratedScores = 101;

    /// <summary>The longest feedback the schema allows, whatever the token budget.</summary>
    public const int MaxFeedbackLength = 2000;

    /// <summary>
    /// The schema for <paramref name="rubric"/>. Absolute rubrics: <c>score</c>, an integer on the scale (or
    /// one of the scale's integers or label words, when the rubric has labels). Pairwise rubrics:
    /// <c>verdict</c>, one of the rubric's labels. <c>feedback</c> comes first when the rubric wants feedback
    /// before the verdict, and is at most one character per token of <paramref name="maxOutputTokens"/> left once
    /// the rest of the document is written (<see cref="ReservedTokens"/>; at least 1, at most
    /// <see cref="MaxFeedbackLength"/>), so a model held to the schema closes the document with its verdict within its
    /// token budget: every token is at least one character, so feedback in plain ASCII without escapes never takes
    /// the verdict's room (an escape or a character outside ASCII can take several tokens).
    /// </summary>
    public static JsonElement For(Rubric rubric, int? maxOutputTokens)
    {
        ArgumentNullException.ThrowIfNull(rubric);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            var key = rubric.Mode == RubricMode.Pairwise ? "verdict" : "score";
            w.WriteStartObject();
            w.WriteString("type", "object");
            w.WriteStartObject("properties");
            var feedbackLength = Math.Clamp((maxOutputTokens ?? MaxFeedbackLength + ReservedTokens(rubric)) - ReservedTokens(rubric), 1, MaxFeedbackLength);
            if (rubric.Output.FeedbackFirst)
            {
                WriteFeedback(w, feedbackLength);
                WriteVerdict(w, rubric, key);
            }
            else
            {
                WriteVerdict(w, rubric, key);
                WriteFeedback(w, feedbackLength);
            }

            w.WriteEndObject();
            w.WriteStartArray("required");
            w.WriteStringValue(rubric.Output.FeedbackFirst ? "feedback" : key);
            w.WriteStringValue(rubric.Output.FeedbackFirst ? key : "feedback");
            w.WriteEndArray();
            w.WriteBoolean("additionalProperties", false);
            w.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    /// <summary>
    /// The most tokens the document around the feedback's text can take, at one token per character: the braces, both
    /// keys, quotes, separators, a space wherever a grammar allows one (8), and the longest verdict the schema allows.
    /// </summary>
    internal static int ReservedTokens(Rubric rubric)
    {
        ArgumentNullException.ThrowIfNull(rubric);
        var key = rubric.Mode == RubricMode.Pairwise ? "verdict" : "score";
        var labels = rubric.Output.Labels.Keys.Select(l => JsonEncodedText.Encode(l).Value.Length + 2);
        var scores = rubric.Mode == RubricMode.Pairwise || rubric.Scale is null
            ? []
            : new[] { rubric.Scale.Min.ToString(CultureInfo.InvariantCulture).Length, rubric.Scale.Max.ToString(CultureInfo.InvariantCulture).Length };
        var verdict = labels.Concat(scores).DefaultIfEmpty(0).Max();

        // {"feedback":"…","score":10}
        return "{\"feedback\":\"".Length + "\",\"".Length + key.Length + "\":".Length + verdict + "}".Length + 8;
    }

    private static void WriteFeedback(Utf8JsonWriter w, int maxLength)
    {
        w.WriteStartObject("feedback");
        w.WriteString("type", "string");
        w.WriteNumber("maxLength", maxLength);
        w.WriteEndObject();
    }

    private static void WriteVerdict(Utf8JsonWriter w, Rubric rubric, string key)
    {
        w.WriteStartObject(key);
        if (rubric.Mode == RubricMode.Pairwise)
        {
            w.WriteStartArray("enum");
            foreach (var label in rubric.Output.Labels.Keys)
            {
                w.WriteStringValue(label);
            }

            w.WriteEndArray();
        }
        else if (rubric.Output.Labels.Count > 0)
        {
            w.WriteStartArray("enum");
            for (var s = rubric.Scale!.Min; s <= rubric.Scale.Max; s++)
            {
                w.WriteNumberValue(s);
            }

            foreach (var label in rubric.Output.Labels.Keys)
            {
                w.WriteStringValue(label);
            }

            w.WriteEndArray();
        }
        else if (rubric.Scale!.Max - rubric.Scale.Min < MaxEnumeratedScores)
        {
            // The scale as an enum, not minimum/maximum: OpenAI-style structured output rewrites those keywords into a
            // description on the way to the server (which then does not enforce them), while every backend honours enum.
            w.WriteString("type", "integer");
            w.WriteStartArray("enum");
            for (var s = rubric.Scale.Min; s <= rubric.Scale.Max; s++)
            {
                w.WriteNumberValue(s);
            }

            w.WriteEndArray();
        }
        else
        {
            w.WriteString("type", "integer");
            w.WriteNumber("minimum", rubric.Scale.Min);
            w.WriteNumber("maximum", rubric.Scale.Max);
        }

        w.WriteEndObject();
    }
}

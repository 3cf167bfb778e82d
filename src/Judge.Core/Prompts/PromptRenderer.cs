using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Judge.Data;
using Judge.Rubrics;
using Microsoft.Extensions.AI;

namespace Judge.Prompts;

/// <summary>A rubric rendered for one item: the messages to send and what in them came from candidates.</summary>
/// <param name="Messages">The system (if any) and user messages.</param>
/// <param name="Hash">SHA-256 of the messages, <c>sha256:hex</c>: the prompt's identity for caches and replay.</param>
/// <param name="CandidateTexts">The candidate answers shown, so a judge echoing one cannot have the echo read as its verdict.</param>
public sealed record RenderedPrompt(IReadOnlyList<ChatMessage> Messages, string Hash, IReadOnlyList<string> CandidateTexts);

/// <summary>
/// Renders rubrics into chat messages. Candidate answers (and references) are fenced between
/// markers that carry a tag derived from the text's own hash, so an answer cannot close its fence
/// early and pose as the judge's instructions, and every verdict-like string in them is neutralised
/// (<see cref="AnswerNeutraliser.Neutralise"/>), so a judge that repeats what it saw cannot have the
/// repetition read as its verdict.
/// </summary>
public static class PromptRenderer
{
    /// <summary>Renders an absolute rubric for an item.</summary>
    public static RenderedPrompt Render(Rubric rubric, AbsoluteItem item)
    {
        RequireMode(rubric, RubricMode.Absolute);
        var values = Common(rubric, item.Question, item.Turn, item.Reference);
        values["answer"] = Fence("ANSWER", Shown(rubric, item.Answer, item.Turn));
        values["conversation"] = Conversation(rubric, item.Question, item.Answer, item.Turn, "ASSISTANT");
        return Build(rubric, values, CandidateTurns(rubric, item.Answer, item.Turn));
    }

    /// <summary>Renders a pairwise rubric for an item in the item's presentation order (A first).</summary>
    public static RenderedPrompt Render(Rubric rubric, PairwiseItem item)
    {
        RequireMode(rubric, RubricMode.Pairwise);
        var values = Common(rubric, item.Question, item.Turn, item.Reference);
        values["answer_a"] = Fence("ANSWER A", Shown(rubric, item.AnswerA, item.Turn));
        values["answer_b"] = Fence("ANSWER B", Shown(rubric, item.AnswerB, item.Turn));
        values["conversation_a"] = Conversation(rubric, item.Question, item.AnswerA, item.Turn, "ASSISTANT A");
        values["conversation_b"] = Conversation(rubric, item.Question, item.AnswerB, item.Turn, "ASSISTANT B");
        return Build(rubric, values, [.. CandidateTurns(rubric, item.AnswerA, item.Turn), .. CandidateTurns(rubric, item.AnswerB, item.Turn)]);
    }

    /// <summary>
    /// Wraps untrusted text between begin/end markers that carry a nonce; the shipped rubrics tell the judge the text ends
    /// only at the end marker repeating its begin marker's nonce, not at any line that merely starts with <c>&lt;&lt;&lt;END</c>.
    /// The nonce is the first 64 bits of the SHA-256 of the label and the text: a different one for every text, which its
    /// author cannot write into the text (that is a search for a fixed point of SHA-256), and the same for the same text,
    /// so prompts stay deterministic and the response cache, resume and replay (all keyed by the prompt's hash) keep working.
    /// </summary>
    public static string Fence(string label, string text)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(text);
        var nonce = FenceNonce(label, text);
        return $"<<<BEGIN {label} {nonce}>>>\n{text}\n<<<END {label} {nonce}>>>";
    }

    /// <summary>The nonce <see cref="Fence"/> gives a text under a label: 16 lower-case hex digits.</summary>
    public static string FenceNonce(string label, string text)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(text);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{label}\n{text}")))[..16];
    }

    /// <summary>The SHA-256 of a message list, as <c>sha256:hex</c>.</summary>
    public static string HashMessages(IEnumerable<ChatMessage> messages)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var m in messages)
        {
            // Length-prefixed so that no two different message lists serialise to the same bytes.
            var role = Encoding.UTF8.GetBytes(m.Role.Value);
            var text = Encoding.UTF8.GetBytes(m.Text);
            hash.AppendData(BitConverter.GetBytes(role.Length));
            hash.AppendData(role);
            hash.AppendData(BitConverter.GetBytes(text.Length));
            hash.AppendData(text);
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static Dictionary<string, string> Common(Rubric rubric, Question question, int turn, ModelAnswer? reference)
    {
        if (turn < 1 || turn > question.Turns.Count)
        {
            throw new InputException(question.Source?.Path, question.Source?.Line, "turns", $"question '{question.Id}' has no turn {turn} (it has {question.Turns.Count})");
        }

        if (rubric.Turns == TurnScope.Single && turn != 1)
        {
            throw new RubricException(rubric.Id, $"shows a single turn, so it cannot grade turn {turn} in context; use a multi-turn rubric");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["criteria"] = rubric.Criteria,
            ["turn"] = turn.ToString(CultureInfo.InvariantCulture),
            ["question"] = question.Turns[turn - 1],
        };
        if (rubric.Scale is { } scale)
        {
            values["scale_min"] = scale.Min.ToString(CultureInfo.InvariantCulture);
            values["scale_max"] = scale.Max.ToString(CultureInfo.InvariantCulture);
            values["score_rubric"] = string.Join('\n', scale.Levels.OrderBy(l => l.Key).Select(l => $"Score {l.Key.ToString(CultureInfo.InvariantCulture)}: {l.Value}"));
        }

        if (rubric.UsesReference)
        {
            if (reference is null)
            {
                throw new RubricException(rubric.Id, $"needs a reference answer, but question '{question.Id}' has none (give reference answers)");
            }

            values["reference"] = rubric.Turns == TurnScope.Multi
                ? string.Join("\n\n", Enumerable.Range(1, turn).Select(t => $"Turn {t.ToString(CultureInfo.InvariantCulture)}:\n{Fence("REFERENCE", Shown(rubric, reference, t))}"))
                : Fence("REFERENCE", Shown(rubric, reference, turn));
        }

        return values;
    }

    private static string AnswerTurn(ModelAnswer answer, int turn) =>
        turn <= answer.Turns.Count
            ? answer.Turns[turn - 1]
            : throw new InputException(answer.Source?.Path, answer.Source?.Line, "turns", $"model '{answer.ModelId}' has no answer for turn {turn} of question '{answer.QuestionId}'");

    /// <summary>A candidate turn as the judge is shown it: verdict-like strings neutralised.</summary>
    private static string Shown(Rubric rubric, ModelAnswer answer, int turn) => AnswerNeutraliser.Neutralise(rubric, AnswerTurn(answer, turn));

    /// <summary>The candidate turns as written, normalised and as shown (where they differ), for the parser to cut quotations of any.</summary>
    private static List<string> CandidateTurns(Rubric rubric, ModelAnswer answer, int turn) =>
        [.. answer.Turns.Take(turn).SelectMany(t => new[] { t, AnswerNeutraliser.Normalise(t), AnswerNeutraliser.Neutralise(rubric, t) }).Distinct(StringComparer.Ordinal)];

    private static string Conversation(Rubric rubric, Question question, ModelAnswer answer, int turn, string label)
    {
        var sb = new StringBuilder();
        for (var t = 1; t <= turn; t++)
        {
            var n = t.ToString(CultureInfo.InvariantCulture);
            sb.Append("### User, turn ").Append(n).Append('\n').Append(question.Turns[t - 1]).Append("\n\n");
            sb.Append("### ").Append(label).Append(", turn ").Append(n).Append('\n').Append(Fence($"{label} TURN {n}", Shown(rubric, answer, t)));
            if (t < turn)
            {
                sb.Append("\n\n");
            }
        }

        return sb.ToString();
    }

    private static RenderedPrompt Build(Rubric rubric, Dictionary<string, string> values, List<string> candidates)
    {
        var messages = new List<ChatMessage>(2);
        var system = rubric.System.Render(values).Trim();
        if (system.Length > 0)
        {
            messages.Add(new ChatMessage(ChatRole.System, system));
        }

        messages.Add(new ChatMessage(ChatRole.User, rubric.Prompt.Render(values).Trim()));
        return new RenderedPrompt(messages, HashMessages(messages), candidates);
    }

    private static void RequireMode(Rubric rubric, RubricMode mode)
    {
        if (rubric.Mode != mode)
        {
            throw new RubricException(rubric.Id, $"is a {rubric.Mode.ToString().ToLowerInvariant()} rubric; this command needs a {mode.ToString().ToLowerInvariant()} one");
        }
    }
}

using System.Text.RegularExpressions;
using Judge.Data;

namespace Judge.Statistics;

/// <summary>
/// The answer text each model gave to each question turn, for the analyses that look at what was
/// judged (length, markdown style). Immutable once built; thread-safe.
/// </summary>
public sealed class AnswerTexts
{
    private readonly Dictionary<(string Question, string Model), ModelAnswer> _answers;

    /// <summary>Indexes answers by question and model; a later answer for the same pair replaces an earlier one.</summary>
    public AnswerTexts(IEnumerable<ModelAnswer> answers)
    {
        _answers = new Dictionary<(string, string), ModelAnswer>();
        foreach (var a in answers)
        {
            _answers[(a.QuestionId, a.ModelId)] = a;
        }
    }

    /// <summary>The model's answer to the turn (1-based), or <see langword="null"/> when it has none.</summary>
    public string? Text(string questionId, string model, int turn) =>
        _answers.TryGetValue((questionId, model), out var a) && turn >= 1 && turn <= a.Turns.Count ? a.Turns[turn - 1] : null;

    /// <summary>The answer's length in characters (UTF-16 code units), or <see langword="null"/> without an answer.</summary>
    public int? Length(string questionId, string model, int turn) => Text(questionId, model, turn)?.Length;

    /// <summary>The instruction id Judge uses for a question and turn: <c>question/tTURN</c>.</summary>
    public static string InstructionId(string questionId, int turn) => $"{questionId}/t{turn}";
}

/// <summary>Markdown style counts of one answer, the covariates Arena-Hard's style control uses.</summary>
/// <param name="Headers">Lines starting with one to six <c>#</c> and a space.</param>
/// <param name="ListItems">Lines starting with <c>-</c>, <c>*</c>, <c>+</c> or <c>1.</c> / <c>1)</c> and a space.</param>
/// <param name="BoldSpans">Spans between <c>**</c> or <c>__</c> pairs.</param>
internal sealed record StyleCounts(int Headers, int ListItems, int BoldSpans)
{
    /// <summary>Counts the markdown elements of <paramref name="text"/>.</summary>
    public static StyleCounts Of(string text) => new(
        StylePatterns.Header().Count(text),
        StylePatterns.ListItem().Count(text),
        StylePatterns.Bold().Count(text));

    /// <summary>
    /// Arena-Hard's normalised difference of a count, (a − b) / (a + b), 0 when both are 0: bounded
    /// in [−1, 1], so one answer with 40 bullets does not dominate the fit.
    /// </summary>
    public static double NormalizedDifference(int a, int b) => a + b == 0 ? 0 : (double)(a - b) / (a + b);
}

internal static partial class StylePatterns
{
    [GeneratedRegex(@"^[ \t]{0,3}#{1,6}[ \t]+\S", RegexOptions.Multiline)]
    public static partial Regex Header();

    [GeneratedRegex(@"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+\S", RegexOptions.Multiline)]
    public static partial Regex ListItem();

    [GeneratedRegex(@"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", RegexOptions.Singleline)]
    public static partial Regex Bold();
}

using System.Globalization;
using Judge.Data;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Judging;

/// <summary>A verdict to be read from a model's next-token distribution rather than from generated text.</summary>
/// <param name="Messages">The rendered prompt.</param>
/// <param name="VerdictPrefix">Text appended after the start of the model's answer, up to where the verdict goes (e.g. <c>[[</c>).</param>
/// <param name="Labels">The allowed verdicts, e.g. <c>1</c>..<c>10</c> or <c>A</c>, <c>B</c>, <c>C</c>.</param>
public sealed record LogitVerdictRequest(IReadOnlyList<ChatMessage> Messages, string VerdictPrefix, IReadOnlyList<string> Labels);

/// <summary>The distribution a model gave the allowed verdicts.</summary>
/// <param name="Verdict">The most probable label (the first in label order on an exact tie).</param>
/// <param name="Probabilities">Each label's probability, renormalised over the labels so they sum to 1.</param>
/// <param name="LabelMass">How much probability the model put on the labels at all, before renormalising (0..1): low mass means the model wanted to write something else.</param>
/// <param name="PromptTokens">Tokens evaluated for the verdict (prompt, prefix and label tokens).</param>
/// <param name="ModelId">The model, as the scorer names it.</param>
public sealed record LogitVerdictResult(string Verdict, IReadOnlyDictionary<string, double> Probabilities, double LabelMass, int PromptTokens, string? ModelId);

/// <summary>
/// A model that can score verdict labels directly (local models with logits). Chat judges ask their
/// <see cref="IChatClient"/> for one through <see cref="IChatClient.GetService"/> and, when offered,
/// read verdicts from it: one forward pass, deterministic, never unparsed. Implementations are
/// safe for concurrent use.
/// </summary>
public interface ILogitVerdictScorer
{
    /// <summary>Scores the labels of one request.</summary>
    Task<LogitVerdictResult> ScoreAsync(LogitVerdictRequest request, CancellationToken cancellationToken = default);
}

/// <summary>Builds logit-verdict requests from rubrics and reads their results as verdicts.</summary>
internal static class LogitVerdicts
{
    /// <summary>The text of the rubric's verdict tag before its <c>{verdict}</c> slot (<c>[[</c> for <c>[[{verdict}]]</c>).</summary>
    public static string PrefixOf(Rubric rubric) => rubric.Output.Tag[..rubric.Output.Tag.IndexOf("{verdict}", StringComparison.Ordinal)];

    /// <summary>
    /// The rubric's allowed labels: its label words for a pairwise rubric (default A, B, C); every
    /// integer on the scale, then any label words, for an absolute one.
    /// </summary>
    public static IReadOnlyList<string> LabelsOf(Rubric rubric)
    {
        if (rubric.Mode == RubricMode.Pairwise)
        {
            return [.. rubric.Output.Labels.Keys];
        }

        var scale = rubric.Scale!;
        var labels = Enumerable.Range(scale.Min, scale.Max - scale.Min + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        labels.AddRange(rubric.Output.Labels.Keys.Where(k => !labels.Contains(k, StringComparer.OrdinalIgnoreCase)));
        return labels;
    }

    /// <summary>The request for a rendered prompt.</summary>
    public static LogitVerdictRequest RequestFor(Rubric rubric, RenderedPrompt prompt) => new(prompt.Messages, PrefixOf(rubric), LabelsOf(rubric));

    /// <summary>
    /// The expected score of an absolute rubric under the distribution (Σ p·score), or <see langword="null"/> for a
    /// pairwise one.
    /// </summary>
    public static double? ExpectedScore(Rubric rubric, IReadOnlyDictionary<string, double> probabilities) =>
        rubric.Mode == RubricMode.Absolute ? probabilities.Sum(p => p.Value * ScoreOf(rubric, p.Key)) : null;

    /// <summary>Reads the argmax label as a verdict; always parsed, since the label is one of the rubric's own.</summary>
    public static ParsedVerdict Interpret(Rubric rubric, LogitVerdictResult result)
    {
        if (rubric.Mode == RubricMode.Pairwise)
        {
            var meaning = rubric.Output.Labels.First(l => string.Equals(l.Key, result.Verdict, StringComparison.Ordinal)).Value;
            var choice = meaning switch { "a" => PairOutcome.A, "b" => PairOutcome.B, _ => PairOutcome.Tie };
            return new ParsedVerdict(VerdictStatus.Parsed, result.Verdict, Choice: choice, Method: "logits");
        }

        return new ParsedVerdict(VerdictStatus.Parsed, result.Verdict, Score: ScoreOf(rubric, result.Verdict), Method: "logits");
    }

    private static double ScoreOf(Rubric rubric, string label) =>
        rubric.Output.Labels.FirstOrDefault(l => string.Equals(l.Key, label, StringComparison.OrdinalIgnoreCase)).Value is { } mapped
            ? double.Parse(mapped, CultureInfo.InvariantCulture)
            : double.Parse(label, CultureInfo.InvariantCulture);
}

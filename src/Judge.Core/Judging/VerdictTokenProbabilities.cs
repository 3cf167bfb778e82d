using System.Text.Json;
using Judge.Rubrics;
using Microsoft.Extensions.AI;

namespace Judge.Judging;

/// <summary>
/// Reads the probability of a verdict written as text from the token log-probabilities a hosted API returned
/// (<c>logprobs</c>/<c>top_logprobs</c>; OpenAI, Azure, vLLM and llama.cpp's server offer them). Providers put them in
/// <see cref="ChatResponse.AdditionalProperties"/> under <see cref="PropertyKey"/> as JSON text:
/// <c>[{"token":"A","logprob":-0.01,"top":[{"token":"A","logprob":-0.01},…]},…]</c>.
/// </summary>
public static class VerdictTokenProbabilities
{
    /// <summary>The additional-property key holding the response's token log-probabilities.</summary>
    public const string PropertyKey = "judge.logprobs";

    private static readonly char[] Wrapping = [' ', '\t', '\n', '\r', '"', '\'', '[', ']', '(', ')', '*', ':', ',', '.', '{', '}'];

    /// <summary>
    /// The allowed labels' distribution at the verdict token: the last token whose text (without spaces, quotes and
    /// brackets) is the verdict; its top alternatives that spell an allowed label, summed per label and renormalised
    /// over the labels (under a JSON schema the API reports the unconstrained distribution, so renormalising is what
    /// makes it a distribution over the verdicts). <see langword="null"/> when the response has no log-probabilities,
    /// the verdict is not one of the rubric's labels, or no token spells it.
    /// </summary>
    internal static (IReadOnlyDictionary<string, double> Probabilities, double LabelMass, double Confidence)? Read(ChatResponse response, Rubric rubric, string? verdict)
    {
        if (verdict is null || response.AdditionalProperties?.TryGetValue(PropertyKey, out var value) != true || value is not string json)
        {
            return null;
        }

        var labels = LogitVerdicts.LabelsOf(rubric);
        var chosen = labels.FirstOrDefault(l => string.Equals(l, verdict.Trim(), StringComparison.OrdinalIgnoreCase));
        if (chosen is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        var tokens = doc.RootElement.EnumerateArray().ToList();
        var at = tokens.FindLastIndex(t => string.Equals(Strip(t.GetProperty("token").GetString()), chosen, StringComparison.OrdinalIgnoreCase));
        if (at < 0)
        {
            return null;
        }

        var mass = new Dictionary<string, double>(StringComparer.Ordinal);
        var token = tokens[at];
        var alternatives = token.TryGetProperty("top", out var top) && top.GetArrayLength() > 0 ? top.EnumerateArray().ToList() : [token];
        if (!alternatives.Any(a => a.GetProperty("token").GetString() == token.GetProperty("token").GetString()))
        {
            alternatives.Add(token);
        }

        foreach (var alternative in alternatives)
        {
            var label = labels.FirstOrDefault(l => string.Equals(l, Strip(alternative.GetProperty("token").GetString()), StringComparison.OrdinalIgnoreCase));
            if (label is not null)
            {
                mass[label] = mass.GetValueOrDefault(label) + Math.Exp(alternative.GetProperty("logprob").GetDouble());
            }
        }

        var total = mass.Values.Sum();
        if (total <= 0)
        {
            return null;
        }

        var probabilities = labels.Where(mass.ContainsKey).ToDictionary(l => l, l => mass[l] / total, StringComparer.Ordinal);
        return (probabilities, Math.Min(1, total), probabilities[chosen]);
    }

    private static string Strip(string? token) => (token ?? string.Empty).Trim(Wrapping);
}

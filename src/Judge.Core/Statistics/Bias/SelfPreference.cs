using Judge.Data;

namespace Judge.Statistics.Bias;

/// <summary>
/// Which family (vendor lineage) a model belongs to, for self-preference: a default table of name
/// prefixes plus explicit overrides. Immutable; thread-safe.
/// </summary>
public sealed class ModelFamilies
{
    /// <summary>The default prefixes (matched case-insensitively against the start of a model id), longest first.</summary>
    public static IReadOnlyList<(string Prefix, string Family)> DefaultPrefixes { get; } =
    [
        ("gpt", "openai"), ("o1", "openai"), ("o3", "openai"), ("chatgpt", "openai"), ("text-davinci", "openai"),
        ("claude", "anthropic"),
        ("vicuna", "llama"), ("llama", "llama"), ("alpaca", "llama"), ("koala", "llama"), ("wizardlm", "llama"), ("guanaco", "llama"),
        ("gemini", "google"), ("palm", "google"), ("bard", "google"), ("gemma", "google"),
        ("mistral", "mistral"), ("mixtral", "mistral"),
        ("qwen", "qwen"), ("deepseek", "deepseek"),
    ];

    private readonly IReadOnlyDictionary<string, string> _overrides;

    /// <summary>Creates the lookup; <paramref name="overrides"/> maps exact model ids to families and wins over the prefixes.</summary>
    public ModelFamilies(IReadOnlyDictionary<string, string>? overrides = null)
    {
        _overrides = overrides ?? new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>The family of a model id: the override, else the first matching prefix, else the id itself.</summary>
    public string Of(string model)
    {
        if (_overrides.TryGetValue(model, out var family))
        {
            return family;
        }

        foreach (var (prefix, f) in DefaultPrefixes.OrderByDescending(p => p.Prefix.Length))
        {
            if (model.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return f;
            }
        }

        return model;
    }
}

/// <summary>A judge's preference for its own family against a reference rater on the same items.</summary>
/// <param name="Family">The judge's family.</param>
/// <param name="Items">Items (question, pair, turn) with one family candidate and one other, judged by both.</param>
/// <param name="JudgeWinRate">The judge's win rate for the family candidate (ties half).</param>
/// <param name="ReferenceWinRate">The reference's win rate for the same candidates on the same items (several votes on an item are averaged).</param>
/// <param name="Gap">JudgeWinRate − ReferenceWinRate; positive means the judge favours its own family more than the reference does.</param>
/// <param name="GapInterval">Percentile bootstrap interval of the gap over items, when asked for.</param>
/// <param name="FamilyModels">The candidate models counted as the judge's family.</param>
public sealed record SelfPreferenceResult(string Family, int Items, double? JudgeWinRate, double? ReferenceWinRate, double? Gap, ConfidenceInterval? GapInterval, IReadOnlyList<string> FamilyModels);

/// <summary>
/// Self-preference (Zheng et al. 2023 §3.3; Panickssery et al. 2024): over items where exactly one
/// candidate belongs to the judge's family, compares how often the judge picks that candidate with
/// how often a reference rater (humans, or another judge) does on the same items. Pure and thread-safe.
/// </summary>
public static class SelfPreference
{
    /// <summary>Computes the gap; <paramref name="turn"/> restricts both sides to one turn.</summary>
    public static SelfPreferenceResult Compute(
        IReadOnlyList<PairwiseLabel> judge,
        IReadOnlyList<PairwiseLabel> reference,
        string judgeFamily,
        ModelFamilies families,
        int? turn = null,
        int resamples = Bootstrap.DefaultResamples,
        int seed = 0,
        double level = Bootstrap.DefaultLevel)
    {
        ArgumentNullException.ThrowIfNull(families);
        var familyModels = new SortedSet<string>(StringComparer.Ordinal);
        Dictionary<(string, string, string, int), (double Sum, int Count)> Scores(IReadOnlyList<PairwiseLabel> labels)
        {
            var map = new Dictionary<(string, string, string, int), (double, int)>();
            foreach (var l in labels)
            {
                if (turn is int t && l.Turn != t)
                {
                    continue;
                }

                var aIn = string.Equals(families.Of(l.ModelA), judgeFamily, StringComparison.OrdinalIgnoreCase);
                var bIn = string.Equals(families.Of(l.ModelB), judgeFamily, StringComparison.OrdinalIgnoreCase);
                if (aIn == bIn)
                {
                    continue;
                }

                var own = aIn ? l.ModelA : l.ModelB;
                var other = aIn ? l.ModelB : l.ModelA;
                familyModels.Add(own);
                var score = (aIn ? l.Winner : l.Winner.Mirror()).CreditOfA();
                var key = (l.QuestionId, own, other, l.Turn);
                var (sum, count) = map.GetValueOrDefault(key);
                map[key] = (sum + score, count + 1);
            }

            return map;
        }

        var judged = Scores(judge);
        var referenced = Scores(reference);
        var pairs = new List<(double Judge, double Reference)>();
        // Ordinal order, so the bootstrap draws (by index) do not depend on dictionary or culture order.
        var ordered = judged
            .OrderBy(k => k.Key.Item1, StringComparer.Ordinal)
            .ThenBy(k => k.Key.Item2, StringComparer.Ordinal)
            .ThenBy(k => k.Key.Item3, StringComparer.Ordinal)
            .ThenBy(k => k.Key.Item4);
        foreach (var (key, (sum, count)) in ordered)
        {
            if (referenced.TryGetValue(key, out var r))
            {
                pairs.Add((sum / count, r.Sum / r.Count));
            }
        }

        if (pairs.Count == 0)
        {
            return new SelfPreferenceResult(judgeFamily, 0, null, null, null, null, [.. familyModels]);
        }

        var judgeRate = pairs.Average(p => p.Judge);
        var referenceRate = pairs.Average(p => p.Reference);
        ConfidenceInterval? interval = null;
        if (resamples > 0)
        {
            interval = Bootstrap.Percentile(pairs.Count, idx =>
            {
                double d = 0;
                foreach (var i in idx)
                {
                    d += pairs[i].Judge - pairs[i].Reference;
                }

                return d / idx.Length;
            }, seed, resamples, level);
        }

        return new SelfPreferenceResult(judgeFamily, pairs.Count, judgeRate, referenceRate, judgeRate - referenceRate, interval, [.. familyModels]);
    }
}

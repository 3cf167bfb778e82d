using System.Globalization;

namespace Judge.Feedback;

/// <summary>
/// Near-duplicate detection by word n-gram shingles and exact Jaccard similarity, within groups
/// (all rubrics; the instructions of one rubric; the responses and feedback of one instruction).
/// Groups stay small at any scale, so exact Jaccard is affordable and needs no MinHash approximation.
/// Not thread-safe.
/// </summary>
internal sealed class NearDuplicateFilter
{
    private readonly Dictionary<string, List<(string Key, HashSet<ulong> Shingles)>> _groups = new(StringComparer.Ordinal);

    /// <summary>Creates a filter.</summary>
    /// <param name="threshold">Jaccard similarity at or above which a text is a near-duplicate (0 to 1).</param>
    /// <param name="shingleSize">Words per shingle.</param>
    public NearDuplicateFilter(double threshold, int shingleSize = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threshold, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shingleSize, 1);
        Threshold = threshold;
        ShingleSize = shingleSize;
    }

    /// <summary>The similarity at or above which texts are near-duplicates.</summary>
    public double Threshold { get; }

    /// <summary>Words per shingle.</summary>
    public int ShingleSize { get; }

    /// <summary>
    /// Compares <paramref name="text"/> with the texts kept in <paramref name="group"/>; keeps it when
    /// it is not a near-duplicate. Returns the most similar kept text's key and similarity when it is one.
    /// </summary>
    public (string Key, double Similarity)? Add(string group, string key, string text)
    {
        var shingles = Shingles(text, ShingleSize);
        if (!_groups.TryGetValue(group, out var kept))
        {
            _groups[group] = kept = [];
        }

        (string Key, double Similarity)? best = null;
        foreach (var (otherKey, other) in kept)
        {
            var similarity = Jaccard(shingles, other);
            if (similarity >= Threshold && (best is null || similarity > best.Value.Similarity))
            {
                best = (otherKey, similarity);
            }
        }

        if (best is null)
        {
            kept.Add((key, shingles));
        }

        return best;
    }

    /// <summary>The lower-cased words of a text: runs of letters and digits.</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }

        return words;
    }

    /// <summary>Hashed word n-grams; a text shorter than <paramref name="size"/> words is one shingle.</summary>
    public static HashSet<ulong> Shingles(string text, int size)
    {
        var words = Words(text);
        var set = new HashSet<ulong>();
        if (words.Count == 0)
        {
            return set;
        }

        for (var i = 0; i + size <= Math.Max(words.Count, size); i++)
        {
            set.Add(Fnv1a(string.Join(' ', words.Skip(i).Take(size))));
        }

        return set;
    }

    /// <summary>|A ∩ B| / |A ∪ B|; two empty sets are identical (1).</summary>
    public static double Jaccard(IReadOnlySet<ulong> a, IReadOnlySet<ulong> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count == 0 && b.Count == 0)
        {
            return 1;
        }

        var (small, large) = a.Count <= b.Count ? (a, b) : (b, a);
        var common = small.Count(large.Contains);
        return (double)common / (a.Count + b.Count - common);
    }

    private static ulong Fnv1a(string s)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in s)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}

/// <summary>Words per score level: a data set whose higher levels are much longer teaches "longer is better".</summary>
/// <param name="Level">The score.</param>
/// <param name="Count">Responses at that score.</param>
/// <param name="MeanWords">Mean words per response.</param>
/// <param name="MedianWords">Median words per response.</param>
public sealed record LevelLength(int Level, int Count, double MeanWords, double MedianWords)
{
    /// <summary>Length statistics for scores 1-5 (levels with no response have zero counts and lengths).</summary>
    public static IReadOnlyList<LevelLength> Compute(IEnumerable<(int Level, string Text)> items)
    {
        var byLevel = items.GroupBy(i => i.Level).ToDictionary(g => g.Key, g => g.Select(i => NearDuplicateFilter.Words(i.Text).Count).Order().ToList());
        return Enumerable.Range(1, 5).Select(level =>
        {
            var words = byLevel.GetValueOrDefault(level) ?? [];
            if (words.Count == 0)
            {
                return new LevelLength(level, 0, 0, 0);
            }

            var median = words.Count % 2 == 1 ? words[words.Count / 2] : (words[(words.Count / 2) - 1] + words[words.Count / 2]) / 2.0;
            return new LevelLength(level, words.Count, words.Average(), median);
        }).ToList();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Level}: n={Count} mean={MeanWords:0.0} median={MedianWords:0.0}");
}

/// <summary>Downsamples so every score level is equally represented.</summary>
internal static class LevelBalancer
{
    /// <summary>
    /// Keeps, at each of <paramref name="levels"/>, as many items as the smallest level has, chosen by a
    /// shuffle seeded with <paramref name="seed"/>; the kept items stay in their input order. A level with
    /// no items empties the set: an unbalanced set is not silently passed off as balanced.
    /// </summary>
    public static IReadOnlyList<T> Balance<T>(IReadOnlyList<T> items, Func<T, int> level, IReadOnlyCollection<int> levels, int seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(level);
        ArgumentNullException.ThrowIfNull(levels);
        var groups = levels.ToDictionary(l => l, _ => new List<int>());
        for (var i = 0; i < items.Count; i++)
        {
            if (groups.TryGetValue(level(items[i]), out var g))
            {
                g.Add(i);
            }
        }

        var target = groups.Values.Min(g => g.Count);
        var random = new Random(seed);
        var keep = new List<int>();
        foreach (var l in levels.Order())
        {
            var indices = groups[l].ToArray();
            random.Shuffle(indices);
            keep.AddRange(indices.Take(target));
        }

        return keep.Order().Select(i => items[i]).ToList();
    }
}

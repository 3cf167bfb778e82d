using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics;

/// <summary>The mean score of one group of absolute grades.</summary>
/// <param name="Model">The model graded.</param>
/// <param name="Turn">The turn, or <see langword="null"/> for all turns together.</param>
/// <param name="Category">The question category, or <see langword="null"/> for all categories.</param>
/// <param name="Mean">The mean of the parsed scores; <see langword="null"/> when none parsed.</param>
/// <param name="Scored">How many items had a score (repeats of an item averaged first).</param>
/// <param name="Unscored">How many items had none in any repeat (unparsed, out of range, error), left out of the mean.</param>
public sealed record MeanScore(string Model, int? Turn, string? Category, double? Mean, int Scored, int Unscored);

/// <summary>A group's grades averaged per item: the one mean of absolute grades (see <see cref="MeanScores.PerItem"/>).</summary>
/// <param name="Items">Items graded (each once, however many repeats).</param>
/// <param name="Means">Each scored item's mean over its scored repeats, in the order the items first appear.</param>
/// <param name="Missing">Items with no score in any repeat, by why.</param>
public sealed record ItemScores(int Items, IReadOnlyList<double> Means, MissingVerdicts Missing)
{
    /// <summary>The mean of the item means; <see langword="null"/> when no item was scored.</summary>
    public double? Mean => Means.Count == 0 ? null : Means.Average();
}

/// <summary>MT-Bench's score table: per model overall, per model and turn, per model and category.</summary>
/// <param name="Overall">One row per model over every turn and category.</param>
/// <param name="ByTurn">One row per model and turn.</param>
/// <param name="ByCategory">One row per model and category (empty when no categories were given).</param>
public sealed record MeanScoreTable(IReadOnlyList<MeanScore> Overall, IReadOnlyList<MeanScore> ByTurn, IReadOnlyList<MeanScore> ByCategory);

/// <summary>
/// MT-Bench-style mean scores (FastChat's <c>show_result.py</c>): the average of the parsed grades,
/// grades without a score counted separately and never averaged in; an item's repeats are averaged first.
/// The one definition of a mean score: score tables, run aggregates and gates use it. Pure and thread-safe.
/// </summary>
public static class MeanScores
{
    /// <summary>Whether a grade counts toward a mean: its verdict parsed and it has a score.</summary>
    public static bool Counts(AbsoluteVerdict grade)
    {
        ArgumentNullException.ThrowIfNull(grade);
        return grade.Status == VerdictStatus.Parsed && grade.Score is not null;
    }

    /// <summary>
    /// <paramref name="grades"/> averaged per item (<see cref="JudgmentRecord.Item"/>): an item judged three times
    /// weighs as much as one judged once; an item with no counted grade in any repeat is left out and counted in
    /// <see cref="ItemScores.Missing"/> by the status of its first repeat. <paramref name="value"/> maps a score
    /// before averaging (a pass mark's 1 or 0); default the score itself.
    /// </summary>
    public static ItemScores PerItem(IEnumerable<AbsoluteVerdict> grades, Func<double, double>? value = null)
    {
        ArgumentNullException.ThrowIfNull(grades);
        var means = new List<double>();
        var without = new List<VerdictStatus>();
        var items = 0;
        foreach (var item in grades.GroupBy(g => g.Item, StringComparer.Ordinal))
        {
            items++;
            var scored = item.Where(Counts).Select(g => value is null ? g.Score!.Value : value(g.Score!.Value)).ToList();
            if (scored.Count == 0)
            {
                without.Add(MissingVerdicts.Reason(item));
            }
            else
            {
                means.Add(scored.Average());
            }
        }

        return new ItemScores(items, means, MissingVerdicts.Count(without));
    }

    /// <summary>
    /// Averages <paramref name="grades"/>; when <paramref name="questions"/> is given, categories come
    /// from it by question id. Rows are in ordinal order of model, then turn, then category.
    /// </summary>
    public static MeanScoreTable Compute(IEnumerable<AbsoluteVerdict> grades, IEnumerable<Question>? questions = null)
    {
        var categories = questions?.ToDictionary(q => q.Id, q => q.Category, StringComparer.Ordinal);
        var list = grades.ToList();
        var overall = Aggregate(list, g => (g.Model, (int?)null, (string?)null));
        var byTurn = Aggregate(list, g => (g.Model, (int?)g.Turn, (string?)null));
        var byCategory = categories is null
            ? []
            : Aggregate(list, g => (g.Model, (int?)null, (string?)categories.GetValueOrDefault(g.QuestionId, string.Empty)));
        return new MeanScoreTable(overall, byTurn, byCategory);
    }

    private static MeanScore[] Aggregate(List<AbsoluteVerdict> grades, Func<AbsoluteVerdict, (string Model, int? Turn, string? Category)> key) =>
        grades.GroupBy(key)
            .OrderBy(g => g.Key.Model, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Turn)
            .ThenBy(g => g.Key.Category, StringComparer.Ordinal)
            .Select(g =>
            {
                var items = PerItem(g);
                return new MeanScore(g.Key.Model, g.Key.Turn, g.Key.Category, items.Mean, items.Means.Count, items.Missing.Total);
            })
            .ToArray();
}

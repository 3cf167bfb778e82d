using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics;

/// <summary>The mean score of one group of absolute grades.</summary>
/// <param name="Model">The model graded.</param>
/// <param name="Turn">The turn, or <see langword="null"/> for all turns together.</param>
/// <param name="Category">The question category, or <see langword="null"/> for all categories.</param>
/// <param name="Mean">The mean of the parsed scores; <see langword="null"/> when none parsed.</param>
/// <param name="Scored">How many grades had a score.</param>
/// <param name="Unscored">How many grades had none (unparsed, out of range, error), left out of the mean.</param>
public sealed record MeanScore(string Model, int? Turn, string? Category, double? Mean, int Scored, int Unscored);

/// <summary>MT-Bench's score table: per model overall, per model and turn, per model and category.</summary>
/// <param name="Overall">One row per model over every turn and category.</param>
/// <param name="ByTurn">One row per model and turn.</param>
/// <param name="ByCategory">One row per model and category (empty when no categories were given).</param>
public sealed record MeanScoreTable(IReadOnlyList<MeanScore> Overall, IReadOnlyList<MeanScore> ByTurn, IReadOnlyList<MeanScore> ByCategory);

/// <summary>
/// MT-Bench-style mean scores (FastChat's <c>show_result.py</c>): the average of the parsed grades,
/// grades without a score counted separately and never averaged in. Pure and thread-safe.
/// </summary>
public static class MeanScores
{
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
                double sum = 0;
                int scored = 0, unscored = 0;
                foreach (var grade in g)
                {
                    if (grade.Status == VerdictStatus.Parsed && grade.Score is double s)
                    {
                        sum += s;
                        scored++;
                    }
                    else
                    {
                        unscored++;
                    }
                }

                return new MeanScore(g.Key.Model, g.Key.Turn, g.Key.Category, scored == 0 ? null : sum / scored, scored, unscored);
            })
            .ToArray();
}

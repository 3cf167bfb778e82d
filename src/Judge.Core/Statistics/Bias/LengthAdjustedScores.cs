namespace Judge.Statistics.Bias;

/// <summary>One absolute score with what was graded.</summary>
/// <param name="Model">The model graded.</param>
/// <param name="QuestionId">The question.</param>
/// <param name="Turn">The turn.</param>
/// <param name="Score">The parsed score (unscored grades are not passed in).</param>
internal sealed record ScoredAnswer(string Model, string QuestionId, int Turn, double Score);

/// <summary>One model's mean score before and after the length adjustment.</summary>
/// <param name="Model">The model.</param>
/// <param name="Scored">Grades with both a score and a known answer length.</param>
/// <param name="MeanScore">The plain mean.</param>
/// <param name="MeanLength">The mean answer length in characters.</param>
/// <param name="AdjustedMean">The mean the model would have at the overall mean length: mean − slope · (its mean length − overall mean length).</param>
public sealed record AdjustedScore(string Model, int Scored, double MeanScore, double MeanLength, double AdjustedMean);

/// <summary>The result of <see cref="LengthAdjustedScores.Compute"/>.</summary>
/// <param name="SlopePer1000Chars">Score points per 1,000 characters within a model (pooled within-model least squares).</param>
/// <param name="Models">One row per model, in ordinal order.</param>
/// <param name="SkippedWithoutAnswer">Scores whose answer text was not found.</param>
public sealed record LengthAdjustedResult(double SlopePer1000Chars, IReadOnlyList<AdjustedScore> Models, int SkippedWithoutAnswer);

/// <summary>
/// Length-adjusted mean scores for absolute grading: score = αₘ + β·length + ε, fitted by least
/// squares with a free intercept per model, so β is the pooled within-model slope
/// Σ (sᵢ − s̄ₘ)(lᵢ − l̄ₘ) / Σ (lᵢ − l̄ₘ)²: how much more a longer answer scores than a shorter answer
/// of the same model, not that better models write longer. A model's adjusted mean is αₘ + β·l̄,
/// its predicted mean at the overall mean length. Pure and thread-safe.
/// </summary>
internal static class LengthAdjustedScores
{
    /// <summary>Fits the pooled slope and adjusts each model's mean.</summary>
    public static LengthAdjustedResult Compute(IEnumerable<ScoredAnswer> scores, AnswerTexts answers)
    {
        var rows = new List<(string Model, double Score, double Length)>();
        var skipped = 0;
        foreach (var s in scores)
        {
            if (answers.Length(s.QuestionId, s.Model, s.Turn) is int length)
            {
                rows.Add((s.Model, s.Score, length));
            }
            else
            {
                skipped++;
            }
        }

        var groups = rows.GroupBy(r => r.Model, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        double sxy = 0, sxx = 0;
        foreach (var g in groups)
        {
            var ms = g.Average(r => r.Score);
            var ml = g.Average(r => r.Length);
            foreach (var r in g)
            {
                sxy += (r.Score - ms) * (r.Length - ml);
                sxx += (r.Length - ml) * (r.Length - ml);
            }
        }

        var slope = sxx == 0 ? 0 : sxy / sxx;
        var overall = rows.Count == 0 ? 0 : rows.Average(r => r.Length);
        var models = groups.Select(g =>
        {
            var ms = g.Average(r => r.Score);
            var ml = g.Average(r => r.Length);
            return new AdjustedScore(g.Key, g.Count(), ms, ml, ms - (slope * (ml - overall)));
        }).ToArray();
        return new LengthAdjustedResult(slope * 1000, models, skipped);
    }
}

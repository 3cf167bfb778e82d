using Judge.Verdicts;

namespace Judge.Statistics.Bias;

/// <summary>Two sets of absolute grades correlated over the answers both scored.</summary>
/// <param name="Correlation">Pearson, Spearman and Kendall's tau-b over matched scores.</param>
/// <param name="Unmatched">Answers graded on one side only, or without a parsed score on either side.</param>
public sealed record ScoreAgreementResult(CorrelationSummary Correlation, int Unmatched);

/// <summary>Agreement of absolute grades between two runs or judges. Pure and thread-safe.</summary>
public static class ScoreAgreement
{
    /// <summary>
    /// Matches grades by (question, turn, model); several parsed grades of one answer on one side are
    /// averaged. Grades without a parsed score are never matched (they are counted as unmatched).
    /// </summary>
    public static ScoreAgreementResult Compute(IEnumerable<AbsoluteVerdict> grades, IEnumerable<AbsoluteVerdict> reference, int? turn = null)
    {
        Dictionary<(string, int, string), (double Sum, int Count)> Index(IEnumerable<AbsoluteVerdict> records, HashSet<(string, int, string)> all)
        {
            var map = new Dictionary<(string, int, string), (double, int)>();
            foreach (var r in records)
            {
                if (turn is int t && r.Turn != t)
                {
                    continue;
                }

                var key = (r.QuestionId, r.Turn, r.Model);
                all.Add(key);
                if (r.Status == VerdictStatus.Parsed && r.Score is double s)
                {
                    var (sum, count) = map.GetValueOrDefault(key);
                    map[key] = (sum + s, count + 1);
                }
            }

            return map;
        }

        var keys = new HashSet<(string, int, string)>();
        var a = Index(grades, keys);
        var b = Index(reference, keys);
        var x = new List<double>();
        var y = new List<double>();
        foreach (var (key, (sum, count)) in a)
        {
            if (b.TryGetValue(key, out var other))
            {
                x.Add(sum / count);
                y.Add(other.Sum / other.Count);
            }
        }

        return new ScoreAgreementResult(Correlation.Summarize(x, y), keys.Count - x.Count);
    }
}

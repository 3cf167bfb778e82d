using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics.Bias;

/// <summary>How often a judge's calls chose each presentation position.</summary>
/// <param name="Calls">Pairwise calls (order AB or BA).</param>
/// <param name="First">Parsed calls that chose the answer shown first.</param>
/// <param name="Second">Parsed calls that chose the answer shown second.</param>
/// <param name="Ties">Parsed calls that said tie.</param>
/// <param name="WithoutVerdict">Calls not parsed (unparsed, out of range, error).</param>
public sealed record PositionCounts(int Calls, int First, int Second, int Ties, int WithoutVerdict)
{
    /// <summary>P(first) over decisive calls: First / (First + Second); <see langword="null"/> with none.</summary>
    public double? FirstRate => First + Second == 0 ? null : (double)First / (First + Second);

    /// <summary>Calls without a verdict / calls; <see langword="null"/> with no calls.</summary>
    public double? ParseFailureRate => Calls == 0 ? null : (double)WithoutVerdict / Calls;
}

/// <summary>How often the two presentation orders of an item disagreed.</summary>
/// <param name="Items">Items whose consistency is known.</param>
/// <param name="Flipped">Items whose two orders gave different verdicts.</param>
public sealed record FlipCounts(int Items, int Flipped)
{
    /// <summary>Flipped / items; <see langword="null"/> with none.</summary>
    public double? Rate => Items == 0 ? null : (double)Flipped / Items;
}

/// <summary>How often a decisive verdict went to the longer answer.</summary>
/// <param name="Decisive">Verdicts with a winner (no tie) whose two answers are known and differ in length.</param>
/// <param name="Longer">Of those, verdicts for the longer answer.</param>
/// <param name="EqualLength">Decisive verdicts left out because the answers had the same length.</param>
/// <param name="WithoutAnswer">Decisive verdicts left out because an answer was not found.</param>
public sealed record LongerCounts(int Decisive, int Longer, int EqualLength, int WithoutAnswer)
{
    /// <summary>Longer / decisive; <see langword="null"/> with none.</summary>
    public double? Rate => Decisive == 0 ? null : (double)Longer / Decisive;
}

/// <summary>Position and length preferences of a judge. Pure and thread-safe.</summary>
internal static class PositionBias
{
    /// <summary>Counts the positions chosen by pairwise call records (calls of order <c>single</c> are ignored).</summary>
    public static PositionCounts FromCalls(IEnumerable<JudgeCall> calls)
    {
        int total = 0, first = 0, second = 0, ties = 0, failed = 0;
        foreach (var c in calls)
        {
            if (c.Order is not ("AB" or "BA"))
            {
                continue;
            }

            total++;
            if (c.Status != VerdictStatus.Parsed)
            {
                failed++;
                continue;
            }

            switch (c.Choice)
            {
                case PairOutcome.A:
                    first++;
                    break;
                case PairOutcome.B:
                    second++;
                    break;
                default:
                    ties++;
                    break;
            }
        }

        return new PositionCounts(total, first, second, ties, failed);
    }

    /// <summary>Flip rate from pairwise records that say whether they flipped.</summary>
    public static FlipCounts FromRecords(IEnumerable<PairwiseVerdict> records)
    {
        int items = 0, flipped = 0;
        foreach (var r in records)
        {
            if (r.Flipped is bool f)
            {
                items++;
                flipped += f ? 1 : 0;
            }
        }

        return new FlipCounts(items, flipped);
    }

    /// <summary>
    /// Flip rate from verdict labels alone (MT-Bench files, which combine both orders): an
    /// "tie (inconsistent)" verdict is an item whose orders disagreed. Valid only for labels judged in both orders.
    /// </summary>
    public static FlipCounts FromLabels(IEnumerable<PairwiseLabel> labels)
    {
        int items = 0, flipped = 0;
        foreach (var l in labels)
        {
            items++;
            flipped += l.Winner == PairOutcome.InconsistentTie ? 1 : 0;
        }

        return new FlipCounts(items, flipped);
    }

    /// <summary>P(the longer answer wins) over decisive verdicts, lengths in characters.</summary>
    public static LongerCounts PrefersLonger(IEnumerable<PairwiseLabel> labels, AnswerTexts answers)
    {
        int decisive = 0, longer = 0, equal = 0, missing = 0;
        foreach (var l in labels)
        {
            if (l.Winner.IsTie())
            {
                continue;
            }

            if (answers.Length(l.QuestionId, l.ModelA, l.Turn) is not int a || answers.Length(l.QuestionId, l.ModelB, l.Turn) is not int b)
            {
                missing++;
                continue;
            }

            if (a == b)
            {
                equal++;
                continue;
            }

            decisive++;
            longer += (l.Winner == PairOutcome.A) == (a > b) ? 1 : 0;
        }

        return new LongerCounts(decisive, longer, equal, missing);
    }
}

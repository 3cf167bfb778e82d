using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics;

/// <summary>Per-order agreement under one tie protocol (with ties as an outcome, or every vote involving a tie dropped).</summary>
/// <param name="Ab">Agreement of the verdicts given with model A shown first.</param>
/// <param name="Ba">Agreement of the verdicts given with model B shown first.</param>
/// <param name="Mean">The mean of the two orders' rates (LLMBar's headline accuracy); <see langword="null"/> when either is undefined.</param>
/// <param name="BothOrders">Votes that both orders agree with (Auto-J's agreement, "correct in both orders").</param>
public sealed record OrderFigures(AgreementCount Ab, AgreementCount Ba, double? Mean, AgreementCount BothOrders);

/// <summary>
/// Agreement of a judge's two presentation orders with reference votes, and with each other. This
/// record is the JSON shape (snake_case). Immutable.
/// </summary>
/// <param name="Items">Items with a record for both orders (each may be without a verdict).</param>
/// <param name="SingleOrderItems">Items with a record for only one order: left out of every figure here.</param>
/// <param name="WithoutVerdictAb">Items whose AB order has no verdict: in every denominator below, as a wrong answer.</param>
/// <param name="WithoutVerdictBa">Items whose BA order has no verdict: likewise.</param>
/// <param name="WithTies">Per-order agreement with ties as an outcome.</param>
/// <param name="WithoutTies">Per-order agreement over votes where neither the reference nor the order's verdict is a tie.</param>
/// <param name="PositionalConsistency">Items whose two orders gave the same verdict (by model), over the items with a verdict in both orders.</param>
public sealed record OrderAgreementReport(
    int Items,
    int SingleOrderItems,
    int WithoutVerdictAb,
    int WithoutVerdictBa,
    OrderFigures WithTies,
    OrderFigures WithoutTies,
    AgreementCount PositionalConsistency)
{
    /// <summary>
    /// Positional agreement as benchmark publishers that report it over their whole set compute it: an item agrees when
    /// its two orders gave the same verdict or both gave none, over every item judged in both orders. Beside
    /// <see cref="PositionalConsistency"/> (Judge's own, over items with a verdict in both orders) it counts a judge that
    /// fails in both orders as consistent; the two differ whenever an order is without a verdict.
    /// </summary>
    public AgreementCount PositionalAgreementAllItems { get; init; } = new(0, 0);
}

/// <summary>
/// Per-order metrics of a judge whose items were judged in both presentation orders (its call
/// records, or an imported file's per-order records): accuracy in each order and their mean (LLMBar,
/// Zeng et al. 2024), "correct in both orders" (Auto-J, Li et al. 2024), and positional consistency
/// (the two orders agree). Reference votes are matched by the agreement's own integer-coded groups
/// (<see cref="PairwiseAgreement"/>'s protocol: question, unordered pair, turn; every vote counts) under the same rater
/// and turn filters; with
/// ties, a tie is an outcome; without ties, a vote is dropped when the reference or the order's verdict
/// is a tie (for "both orders": either order's). An order without a verdict is never a default: it
/// is counted as wrong, so it stays in every denominator, and counted apart. Pure and thread-safe.
/// </summary>
public static class OrderAgreement
{
    /// <summary>
    /// Computes the per-order figures; <see langword="null"/> when no item has a record for both orders
    /// (MT-Bench's combined verdicts, a run judged in one order).
    /// </summary>
    /// <param name="items">The judge's pairwise records (for each item's question, models and turn).</param>
    /// <param name="calls">The judge's per-order records (<c>AB</c>, <c>BA</c>).</param>
    /// <param name="reference">Reference votes (human labels, or gold labels).</param>
    /// <param name="options">Rater and turn filters; the interval settings are not used.</param>
    public static OrderAgreementReport? Compute(IReadOnlyList<PairwiseVerdict> items, IReadOnlyList<JudgeCall> calls, IReadOnlyList<PairwiseLabel> reference, AgreementOptions options)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(options);
        var orders = new Dictionary<(string, int?), (JudgeCall? Ab, JudgeCall? Ba)>();
        foreach (var call in calls)
        {
            if (call.Order is not ("AB" or "BA"))
            {
                continue;
            }

            var key = (call.Item, call.Repeat);
            var pair = orders.GetValueOrDefault(key);
            orders[key] = call.Order == "AB" ? pair with { Ab = pair.Ab ?? call } : pair with { Ba = pair.Ba ?? call };
        }

        // Items and reference votes coded through one book, matched by the agreement's own groups (VoteGroups).
        var book = new CodeBook();
        var probes = new CodedLabels(book, items.Count);
        var orderOf = new List<(PairOutcome? Ab, PairOutcome? Ba)>();
        var seen = new HashSet<(int, int, int, int)>();
        int single = 0, missingAb = 0, missingBa = 0, consistent = 0, bothParsed = 0, bothMissing = 0;
        foreach (var item in items)
        {
            if (!orders.TryGetValue((item.Item, item.Repeat), out var pair) || (pair.Ab is null && pair.Ba is null))
            {
                continue;
            }

            if (options.Turn is int t && item.Turn != t)
            {
                continue;
            }

            if (pair.Ab is null || pair.Ba is null)
            {
                single++;
                continue;
            }

            var swapped = string.CompareOrdinal(item.ModelA, item.ModelB) > 0;
            var question = book.Questions.Code(item.QuestionId);
            var first = book.Models.Code(swapped ? item.ModelB : item.ModelA);
            var second = book.Models.Code(swapped ? item.ModelA : item.ModelB);
            if (!seen.Add((question, first, second, item.Turn)))
            {
                // A second repeat of the same item: the first one stands, as in agreement.
                continue;
            }

            var ab = Oriented(item, pair.Ab);
            var ba = Oriented(item, pair.Ba);
            missingAb += ab is null ? 1 : 0;
            missingBa += ba is null ? 1 : 0;
            if (ab is not null && ba is not null)
            {
                bothParsed++;
                consistent += ab == ba ? 1 : 0;
            }
            else if (ab is null && ba is null)
            {
                bothMissing++;
            }

            probes.Add(question, first, second, book.Raters.Code(item.Judge), item.Turn, PairOutcome.Tie);
            orderOf.Add((ab, ba));
        }

        if (orderOf.Count == 0)
        {
            return null;
        }

        var groups = new VoteGroups(CodedLabels.From(reference, book), options, book.Models.OrdinalRanks());
        var counts = new int[2, 3, 2];
        for (var p = 0; p < probes.Count; p++)
        {
            var group = groups.Find(probes.Question[p], probes.ModelA[p], probes.ModelB[p], probes.Turn[p]);
            if (group < 0)
            {
                continue;
            }

            var (ab, ba) = orderOf[p];
            foreach (var v in groups.Votes(group))
            {
                var human = groups.Outcome[v];
                Tally(counts, 0, human, ab, ab, correct: ab == human);
                Tally(counts, 1, human, ba, ba, correct: ba == human);
                Tally(counts, 2, human, ab, ba, correct: ab == human && ba == human);
            }
        }

        OrderFigures Figures(int protocol)
        {
            var abFigure = new AgreementCount(counts[protocol, 0, 0], counts[protocol, 0, 1]);
            var baFigure = new AgreementCount(counts[protocol, 1, 0], counts[protocol, 1, 1]);
            var mean = abFigure.Rate is double x && baFigure.Rate is double y ? (x + y) / 2 : (double?)null;
            return new OrderFigures(abFigure, baFigure, mean, new AgreementCount(counts[protocol, 2, 0], counts[protocol, 2, 1]));
        }

        return new OrderAgreementReport(orderOf.Count, single, missingAb, missingBa, Figures(0), Figures(1), new AgreementCount(consistent, bothParsed))
        {
            PositionalAgreementAllItems = new AgreementCount(consistent + bothMissing, orderOf.Count),
        };
    }

    private static void Tally(int[,,] counts, int figure, PairOutcome human, PairOutcome? a, PairOutcome? b, bool correct)
    {
        counts[0, figure, 1]++;
        counts[0, figure, 0] += correct ? 1 : 0;
        if (human != PairOutcome.Tie && a != PairOutcome.Tie && b != PairOutcome.Tie)
        {
            counts[1, figure, 1]++;
            counts[1, figure, 0] += correct ? 1 : 0;
        }
    }

    /// <summary>The order's verdict as an <see cref="PairOutcome"/> of the item's ordinally sorted pair; <see langword="null"/> without a verdict.</summary>
    private static PairOutcome? Oriented(PairwiseVerdict item, JudgeCall call)
    {
        if (call.ChoiceByModel() is not { } winner)
        {
            return null;
        }

        return PairwiseAgreement.Normalize(new PairwiseLabel(item.QuestionId, item.ModelA, item.ModelB, winner, item.Judge, item.Turn), out _, out _);
    }
}

using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Runs;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Core.Tests.Statistics;

public class OrderAgreementTests
{
    private static readonly AgreementOptions AllRaters = new() { HumanRaterPrefix = null, BootstrapResamples = 0 };

    private static PairwiseVerdict Item(string q) => new()
    {
        Item = $"q{q}/t1/x|y",
        Judge = "j",
        Rubric = "r",
        QuestionId = q,
        Turn = 1,
        ModelA = "x",
        ModelB = "y",
        Status = VerdictStatus.Parsed,
    };

    private static JudgeCall Call(string q, string order, string? choice) => new()
    {
        Item = $"q{q}/t1/x|y",
        Judge = "j",
        Rubric = "r",
        Order = order,
        PromptHash = string.Empty,
        Status = choice is null ? VerdictStatus.Unparsed : VerdictStatus.Parsed,
        Choice = PairOutcomes.FromPosition(choice),
    };

    private static PairwiseLabel Vote(string q, PairOutcome winner, string rater = "h") => new(q, "x", "y", winner, rater, 1);

    // q1 consistent, q2 inconsistent, q3 one order without a verdict, q4 neither order with one.
    // Judge's consistency: 1 of the 2 items with both verdicts. The publishers' positional agreement counts q4
    // (both missing) as agreeing and divides by all 4 items: (1 + 1) / 4.
    [Fact]
    public void Compute_BothOrdersMissing_AgreeInThePublishersDefinitionOnly()
    {
        PairwiseVerdict[] items = [Item("1"), Item("2"), Item("3"), Item("4")];
        JudgeCall[] calls = [Call("1", "AB", "first"), Call("1", "BA", "second"), Call("2", "AB", "first"), Call("2", "BA", "first"), Call("3", "AB", "tie"), Call("3", "BA", null), Call("4", "AB", null), Call("4", "BA", null)];

        var r = OrderAgreement.Compute(items, calls, [Vote("1", PairOutcome.A)], AllRaters)!;

        Assert.Equal((1, 2), (r.PositionalConsistency.Agree, r.PositionalConsistency.Total));
        Assert.Equal((2, 4), (r.PositionalAgreementAllItems.Agree, r.PositionalAgreementAllItems.Total));
    }

    // q1: AB first (x), BA second (x): x both times; human x. Both orders right, consistent.
    // q2: AB first (x), BA first (y): the first shown wins; human y. AB wrong, BA right, inconsistent.
    // q3: AB tie, BA no verdict; human x. Both wrong; not in consistency (one order has no verdict).
    // With ties:    AB 1/3, BA 2/3, mean 1/2, both 1/3; consistency 1/2.
    // Without ties: q3's AB is a tie, so AB 1/2; BA keeps q3 (no verdict is no tie) 2/3; mean 7/12;
    //               both drops q3 (an order said tie): 1/2.
    [Fact]
    public void Compute_HandDerivedCase_PerOrderBothOrdersAndConsistency()
    {
        PairwiseVerdict[] items = [Item("1"), Item("2"), Item("3")];
        JudgeCall[] calls = [Call("1", "AB", "first"), Call("1", "BA", "second"), Call("2", "AB", "first"), Call("2", "BA", "first"), Call("3", "AB", "tie"), Call("3", "BA", null)];
        PairwiseLabel[] human = [Vote("1", PairOutcome.A), Vote("2", PairOutcome.B), Vote("3", PairOutcome.A)];

        var r = OrderAgreement.Compute(items, calls, human, AllRaters)!;

        Assert.Equal((3, 0, 0, 1), (r.Items, r.SingleOrderItems, r.WithoutVerdictAb, r.WithoutVerdictBa));
        Assert.Equal((1, 3), (r.WithTies.Ab.Agree, r.WithTies.Ab.Total));
        Assert.Equal((2, 3), (r.WithTies.Ba.Agree, r.WithTies.Ba.Total));
        Assert.Equal(0.5, r.WithTies.Mean!.Value, 12);
        Assert.Equal((1, 3), (r.WithTies.BothOrders.Agree, r.WithTies.BothOrders.Total));
        Assert.Equal((1, 2), (r.PositionalConsistency.Agree, r.PositionalConsistency.Total));
        Assert.Equal((1, 2), (r.WithoutTies.Ab.Agree, r.WithoutTies.Ab.Total));
        Assert.Equal((2, 3), (r.WithoutTies.Ba.Agree, r.WithoutTies.Ba.Total));
        Assert.Equal(7.0 / 12, r.WithoutTies.Mean!.Value, 12);
        Assert.Equal((1, 2), (r.WithoutTies.BothOrders.Agree, r.WithoutTies.BothOrders.Total));
    }

    // Two raters on q1 count twice (the MT-Bench protocol); a human tie drops the vote without ties;
    // q2 has only its AB order: left out and counted.
    [Fact]
    public void Compute_SeveralVotesAndASingleOrderItem_EveryVoteCountsAndTheSingleOrderIsLeftOut()
    {
        PairwiseVerdict[] items = [Item("1"), Item("2")];
        JudgeCall[] calls = [Call("1", "AB", "first"), Call("1", "BA", "second"), Call("2", "AB", "first")];
        PairwiseLabel[] human = [Vote("1", PairOutcome.A, "h1"), Vote("1", PairOutcome.Tie, "h2"), Vote("2", PairOutcome.A)];

        var r = OrderAgreement.Compute(items, calls, human, AllRaters)!;

        Assert.Equal(1, r.SingleOrderItems);
        Assert.Equal((1, 2), (r.WithTies.BothOrders.Agree, r.WithTies.BothOrders.Total));
        Assert.Equal((1, 1), (r.WithoutTies.Ab.Agree, r.WithoutTies.Ab.Total));
    }

    [Fact]
    public void Compute_NoItemInBothOrders_IsNull()
    {
        Assert.Null(OrderAgreement.Compute([Item("1")], [], [Vote("1", PairOutcome.A)], AllRaters));
    }

    [Fact]
    public void Compute_ImportedPerOrderFile_SameFiguresAsTheRecordsItHolds()
    {
        var path = Path.Combine(Path.GetTempPath(), $"orders-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path,
        [
            """{"question_id": "1", "model_a": "x", "model_b": "y", "order": "AB", "winner": "model_a", "judge": "j"}""",
            """{"question_id": "1", "model_a": "x", "model_b": "y", "order": "BA", "winner": "model_a", "judge": "j"}""",
            """{"question_id": "2", "model_a": "x", "model_b": "y", "order": "AB", "winner": "model_a", "judge": "j"}""",
            """{"question_id": "2", "model_a": "x", "model_b": "y", "order": "BA", "winner": "model_b", "judge": "j"}""",
        ]);
        try
        {
            var imported = VerdictImport.Read(path, PairwiseLayout.Parse(null, "order=order,winner=winner"));

            var r = OrderAgreement.Compute(imported.Items, imported.Calls, [Vote("1", PairOutcome.A), Vote("2", PairOutcome.B)], AllRaters)!;

            // q2: AB says x (wrong), BA says y (right).
            Assert.Equal((1, 2), (r.WithTies.Ab.Agree, r.WithTies.Ab.Total));
            Assert.Equal((2, 2), (r.WithTies.Ba.Agree, r.WithTies.Ba.Total));
            Assert.Equal((1, 2), (r.PositionalConsistency.Agree, r.PositionalConsistency.Total));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

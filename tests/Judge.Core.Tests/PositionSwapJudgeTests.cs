using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Tests;

public sealed class PositionSwapJudgeTests
{
    private const string GoodText = "09:40 to 13:05 is 3 h 25 min, so the journey takes 205 minutes.";
    private const string BadText = "It takes 3 hours and 65 minutes, which is 245 minutes.";

    private static readonly FixedRubricSelector Rubric = new(TestPaths.Rubric("pairwise-general"));

    private static PairwiseItem Item(string questionId = "7", bool goodIsA = true)
    {
        var q = Samples.MathQuestion with { Id = questionId };
        var good = new ModelAnswer(questionId, "assistant-large", [GoodText]);
        var bad = new ModelAnswer(questionId, "assistant-tiny", [BadText]);
        return goodIsA ? new PairwiseItem(q, good, bad, 1) : new PairwiseItem(q, bad, good, 1);
    }

    private static bool GoodShownFirst(IReadOnlyList<ChatMessage> messages)
    {
        var user = FakeChatClient.UserText(messages);
        return user.IndexOf(GoodText, StringComparison.Ordinal) < user.IndexOf(BadText, StringComparison.Ordinal);
    }

    /// <summary>A fair judge: always picks the correct answer, wherever it is shown.</summary>
    private static string Fair(IReadOnlyList<ChatMessage> messages) => GoodShownFirst(messages) ? "The first is right. [[A]]" : "The second is right. [[B]]";

    private static PositionSwapJudge Swap(FakeChatClient client, PositionSwapOptions? options = null) =>
        new(new ChatPairwiseJudge("fake", client, Rubric), options);

    [Theory]
    [InlineData(true, PairOutcome.A)]
    [InlineData(false, PairOutcome.B)]
    public async Task JudgeAsync_ConsistentVerdicts_GiveTheWinnerUnflipped(bool goodIsA, PairOutcome expected)
    {
        var client = new FakeChatClient(Fair);

        var verdict = await Swap(client).JudgeAsync(Item(goodIsA: goodIsA));

        Assert.Equal(VerdictStatus.Parsed, verdict.Status);
        Assert.Equal(expected, verdict.Winner);
        Assert.False(verdict.Flipped);
        Assert.Null(verdict.Error);
        Assert.Equal(goodIsA ? "assistant-large" : "assistant-tiny", verdict.ModelA);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public async Task JudgeAsync_BothOrdersWhicheverIsAskedFirst_FairJudgeNeverFlips(int seed)
    {
        // Which order is asked first is a seeded coin per item; over 20 items both sides of the coin occur.
        var judge = Swap(new FakeChatClient(Fair), new PositionSwapOptions { Seed = seed });

        foreach (var i in Enumerable.Range(1, 20))
        {
            var goodIsA = i % 2 == 0;
            var verdict = await judge.JudgeAsync(Item(i.ToString(System.Globalization.CultureInfo.InvariantCulture), goodIsA));

            Assert.Equal(goodIsA ? PairOutcome.A : PairOutcome.B, verdict.Winner);
            Assert.False(verdict.Flipped);
            Assert.Equal(["AB", "BA"], verdict.Calls.Select(c => c.Order));
        }
    }

    [Fact]
    public async Task JudgeAsync_BothOrders_RecordsTwoCallsWithOrdersABAndBA()
    {
        var client = new FakeChatClient(Fair);
        var item = Item();

        var verdict = await Swap(client).JudgeAsync(item);

        Assert.Equal(["AB", "BA"], verdict.Calls.Select(c => c.Order));
        Assert.All(verdict.Calls, c => Assert.Equal(item.Key, c.Item));
        Assert.Equal([PairOutcome.A, PairOutcome.B], verdict.Calls.Select(c => c.Choice));
        Assert.NotEqual(verdict.Calls[0].PromptHash, verdict.Calls[1].PromptHash);
        Assert.Equal(2, client.Requests.Count);
        Assert.Equal(1, client.Requests.Count(GoodShownFirst));
    }

    [Fact]
    public async Task JudgeAsync_JudgeAlwaysPrefersFirstPosition_GivesInconsistentTieFlipped()
    {
        var client = new FakeChatClient(_ => "The first one reads better. [[A]]");

        var verdict = await Swap(client).JudgeAsync(Item());

        Assert.Equal(VerdictStatus.Parsed, verdict.Status);
        Assert.Equal(PairOutcome.InconsistentTie, verdict.Winner);
        Assert.Equal("tie (inconsistent)", verdict.Winner!.Value.ToWire());
        Assert.True(verdict.Flipped);
    }

    [Fact]
    public async Task JudgeAsync_DisagreementWithDropPolicy_IsDroppedWithoutWinner()
    {
        var client = new FakeChatClient(_ => "[[B]]");

        var verdict = await Swap(client, new PositionSwapOptions { OnDisagreement = DisagreementPolicy.Drop }).JudgeAsync(Item());

        Assert.Equal(VerdictStatus.Dropped, verdict.Status);
        Assert.Null(verdict.Winner);
        Assert.True(verdict.Flipped);
        Assert.Contains("disagree", verdict.Error);
        Assert.Equal(2, verdict.Calls.Count);
    }

    [Fact]
    public async Task JudgeAsync_OneSideUnparsed_LeavesItemUnparsedWithBothCalls()
    {
        var client = new FakeChatClient(m => GoodShownFirst(m) ? "[[A]]" : "Both have merits; I cannot choose.");

        var verdict = await Swap(client).JudgeAsync(Item());

        Assert.Equal(VerdictStatus.Unparsed, verdict.Status);
        Assert.Null(verdict.Winner);
        Assert.Null(verdict.Flipped);
        Assert.Equal(2, verdict.Calls.Count);
        Assert.Equal([VerdictStatus.Parsed, VerdictStatus.Unparsed], verdict.Calls.Select(c => c.Status));
        Assert.StartsWith("BA:", verdict.Error);
    }

    [Fact]
    public async Task JudgeAsync_OneSideErrorOtherUnparsed_ReportsError()
    {
        var client = new FakeChatClient(m => GoodShownFirst(m) ? throw new HttpRequestException("503 Service Unavailable") : "no idea");

        var verdict = await Swap(client).JudgeAsync(Item());

        Assert.Equal(VerdictStatus.Error, verdict.Status);
        Assert.Contains("503", verdict.Error);
        Assert.Equal(2, verdict.Calls.Count);
    }

    [Fact]
    public async Task JudgeAsync_SwapModeNone_MakesOneCallInTheGivenOrder()
    {
        var client = new FakeChatClient(Fair);

        var verdict = await Swap(client, new PositionSwapOptions { Mode = SwapMode.None }).JudgeAsync(Item());

        Assert.Equal(PairOutcome.A, verdict.Winner);
        Assert.Equal(["AB"], verdict.Calls.Select(c => c.Order));
        Assert.Null(verdict.Flipped);
    }

    [Fact]
    public async Task JudgeAsync_SwapModeRandomSameSeed_PicksTheSameOrderTwice()
    {
        var items = Enumerable.Range(1, 40).Select(i => Item(i.ToString(System.Globalization.CultureInfo.InvariantCulture), goodIsA: i % 2 == 0)).ToList();

        var first = await Orders(items, seed: 42);
        var second = await Orders(items, seed: 42);

        Assert.Equal(first, second);

        // Both orders occur: the draw is a coin, not a constant.
        Assert.Contains("AB", first);
        Assert.Contains("BA", first);
    }

    [Fact]
    public async Task JudgeAsync_SwapModeRandomDifferentSeeds_PickDifferentOrders()
    {
        var items = Enumerable.Range(1, 40).Select(i => Item(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();

        var a = await Orders(items, seed: 1);
        var b = await Orders(items, seed: 2);

        // With 40 fair coins, identical sequences would have probability 2^-40.
        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task JudgeAsync_SwapModeRandomEitherOrder_MapsTheVerdictBackToTheGivenPair()
    {
        var client = new FakeChatClient(Fair);
        var judge = Swap(client, new PositionSwapOptions { Mode = SwapMode.Random, Seed = 3 });

        foreach (var i in Enumerable.Range(1, 20))
        {
            var item = Item(i.ToString(System.Globalization.CultureInfo.InvariantCulture), goodIsA: i % 3 != 0);
            var verdict = await judge.JudgeAsync(item);

            Assert.Single(verdict.Calls);
            Assert.Equal(item.ModelA, verdict.ModelA);
            Assert.Equal(item.ModelB, verdict.ModelB);
            Assert.Equal(item.Key, verdict.Item);
            Assert.Equal(i % 3 != 0 ? PairOutcome.A : PairOutcome.B, verdict.Winner);
        }
    }

    private static async Task<List<string>> Orders(IEnumerable<PairwiseItem> items, int seed)
    {
        var judge = Swap(new FakeChatClient(Fair), new PositionSwapOptions { Mode = SwapMode.Random, Seed = seed });
        var orders = new List<string>();
        foreach (var item in items)
        {
            var verdict = await judge.JudgeAsync(item);
            orders.Add(Assert.Single(verdict.Calls).Order);
        }

        return orders;
    }
}

using Judge.Feedback;

namespace Judge.Tests.Feedback;

public class DataQualityTests
{
    [Fact]
    public void Jaccard_HandCounted_MatchesDerivation()
    {
        // "a b c d" has 3-grams {abc, bcd}; "a b c e" has {abc, bce}: 1 shared of 3 distinct = 1/3.
        var a = NearDuplicateFilter.Shingles("a b c d", 3);
        var b = NearDuplicateFilter.Shingles("A, b; c e", 3);
        Assert.Equal(1.0 / 3, NearDuplicateFilter.Jaccard(a, b), 10);
        Assert.Equal(1.0, NearDuplicateFilter.Jaccard(a, NearDuplicateFilter.Shingles("A B C D!", 3)));
    }

    [Fact]
    public void Shingles_TextShorterThanShingle_IsOneShingle()
    {
        Assert.Single(NearDuplicateFilter.Shingles("two words", 3));
        Assert.Empty(NearDuplicateFilter.Shingles("  ...  ", 3));
    }

    [Fact]
    public void Add_NearDuplicateInSameGroup_IsReportedWithTheKeptKey()
    {
        var filter = new NearDuplicateFilter(0.7);
        const string text = "Explain how a heat pump moves heat from the cold outdoor air into a warm house in winter";
        Assert.Null(filter.Add("g", "first", text));

        // 18 words give 16 3-grams; changing the last word changes one: 15 shared of 17 distinct = 0.88.
        var duplicate = filter.Add("g", "second", text.Replace("winter", "January", StringComparison.Ordinal));
        Assert.NotNull(duplicate);
        Assert.Equal("first", duplicate.Value.Key);
        Assert.Equal(15.0 / 17, duplicate.Value.Similarity, 10);

        // The same text in another group is not compared.
        Assert.Null(filter.Add("other", "third", text));

        // A different text is kept.
        Assert.Null(filter.Add("g", "fourth", "Write a limerick about a cat who is afraid of cucumbers and lives on a boat"));
    }

    [Fact]
    public void Add_ThresholdOne_KeepsAllButExactShingleCopies()
    {
        var filter = new NearDuplicateFilter(1.0);
        Assert.Null(filter.Add("g", "a", "the cat sat on the mat"));
        Assert.Null(filter.Add("g", "b", "the cat sat on the hat"));
        Assert.NotNull(filter.Add("g", "c", "The cat sat on the mat."));
    }

    [Fact]
    public void Balance_UnequalLevels_DownsamplesToSmallestKeepingOrder()
    {
        // Levels 1..5 with 3, 2, 4, 2, 5 items: every level keeps 2, 10 in all.
        var items = new List<(string Id, int Level)>();
        foreach (var (level, n) in new[] { (1, 3), (2, 2), (3, 4), (4, 2), (5, 5) })
        {
            for (var i = 0; i < n; i++)
            {
                items.Add(($"{level}-{i}", level));
            }
        }

        var balanced = LevelBalancer.Balance(items, i => i.Level, [1, 2, 3, 4, 5], seed: 42);
        Assert.Equal(10, balanced.Count);
        Assert.All(balanced.GroupBy(i => i.Level), g => Assert.Equal(2, g.Count()));
        Assert.Equal(balanced.OrderBy(i => items.IndexOf(i)), balanced);
        Assert.Equal(balanced, LevelBalancer.Balance(items, i => i.Level, [1, 2, 3, 4, 5], seed: 42));
    }

    [Fact]
    public void Balance_MissingLevel_GivesEmptySet()
    {
        var items = new[] { 1, 2, 3, 4, 4 };
        Assert.Empty(LevelBalancer.Balance(items, i => i, [1, 2, 3, 4, 5], seed: 0));
    }

    [Fact]
    public void LevelLength_MeanAndMedian_ByHand()
    {
        // Level 2: 1, 3 and 8 words: mean 4, median 3. Level 5: 2 and 5 words: mean 3.5, median 3.5.
        var stats = LevelLength.Compute([(2, "one"), (2, "one two three"), (2, "a b c d e f g h"), (5, "x y"), (5, "p q r s t")]);
        Assert.Equal(new LevelLength(2, 3, 4, 3), stats[1]);
        Assert.Equal(new LevelLength(5, 2, 3.5, 3.5), stats[4]);
        Assert.Equal(new LevelLength(1, 0, 0, 0), stats[0]);
    }

    [Theory]
    [InlineData("{\"response\": \"hi\"}", "hi")]
    [InlineData("```json\n{\"response\": \"fenced\"}\n```", "fenced")]
    [InlineData("Sure! Here it is:\n{\"response\": \"a {brace} inside\"}\nHope this helps.", "a {brace} inside")]
    [InlineData("{\"note\": 1} then {\"response\": \"second object\"}", "second object")]
    [InlineData("{\"response\": \"escaped \\\" quote }\"}", "escaped \" quote }")]
    public void Find_ObjectInText_IsFound(string raw, string expected)
    {
        var (obj, problem) = JsonExtraction.Find(raw, "response");
        Assert.Null(problem);
        Assert.Equal(expected, JsonExtraction.String(obj!.Value, "response"));
    }

    [Theory]
    [InlineData("", "the output is empty")]
    [InlineData("Once upon a time there was a little dog.", "no JSON object in the output")]
    [InlineData("{\"answer\": \"wrong key\"}", "no JSON object with \"response\"")]
    [InlineData("{\"response\": \"unterminated", "no JSON object in the output")]
    public void Find_NoUsableObject_SaysWhy(string raw, string expected)
    {
        var (obj, problem) = JsonExtraction.Find(raw, "response");
        Assert.Null(obj);
        Assert.Equal(expected, problem);
    }
}

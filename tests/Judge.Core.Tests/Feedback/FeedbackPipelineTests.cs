using System.Text.Json;
using System.Text.RegularExpressions;
using Judge.Feedback;
using Judge.Judging;
using Judge.Tests.Support;

namespace Judge.Tests.Feedback;

public partial class FeedbackPipelineTests
{
    private static readonly FeedbackStage[] AllStages = Enum.GetValues<FeedbackStage>();

    private static FeedbackPrompts Prompts => FeedbackPrompts.LoadDirectory(Path.Combine(TestPaths.Rubrics, "feedback"));

    /// <summary>Three of the shipped seeds.</summary>
    private static IReadOnlyList<FeedbackRubric> Seeds => FeedbackPrompts.LoadSeeds(Path.Combine(TestPaths.Rubrics, "feedback", "seeds")).Take(3).ToList();

    private static FeedbackOptions Options => new() { NewRubrics = 3, RubricsPerCall = 2, InstructionsPerRubric = 4, ResponsesPerLevel = 1, Concurrency = 3 };

    private static FeedbackPipeline Pipeline(string dir, FakeChatClient generator, FakeChatClient judge, FeedbackOptions? options = null, FakeChatClient? second = null) =>
        new(Prompts, TestPaths.Rubric("prometheus-absolute"), new FeedbackModels
        {
            Generator = new(JudgeSpec.Parse("fake:generator"), generator),
            Judge = new(JudgeSpec.Parse("fake:judge"), judge),
            SecondJudge = second is null ? null : new(JudgeSpec.Parse("fake:second"), second),
        }, options ?? Options, dir);

    private static List<JsonElement> Lines(string dir, string file) =>
        File.ReadLines(Path.Combine(dir, file)).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public async Task RunAsync_FakeGeneratorThreeSeeds_GivesBalancedDeduplicatedDataSet()
    {
        using var temp = new TempDir();
        var generator = FakeGenerator.Create();
        var judge = FakeGenerator.Create();

        var result = await Pipeline(temp.Path, generator, judge).RunAsync(Seeds, AllStages);

        var s = result.Stages.ToDictionary(x => x.Stage);
        Assert.Equal(AllStages, result.Stages.Select(x => x.Stage));

        // Rubrics: 2 calls (2 + 1 asked); the first returns a near-copy, which is rejected.
        Assert.Equal((3, 3, 2), (s[FeedbackStage.Rubrics].ItemsIn, s[FeedbackStage.Rubrics].ItemsOut, s[FeedbackStage.Rubrics].ModelCalls));
        Assert.Equal(1, s[FeedbackStage.Rubrics].Rejected["near-duplicate"]);

        // Instructions: 3 rubrics x 4; per rubric variant 2 repeats variant 1 and variant 3 is prose.
        Assert.Equal((3, 6, 12), (s[FeedbackStage.Instructions].ItemsIn, s[FeedbackStage.Instructions].ItemsOut, s[FeedbackStage.Instructions].ModelCalls));
        Assert.Equal(3, s[FeedbackStage.Instructions].Rejected["near-duplicate"]);
        Assert.Equal(3, s[FeedbackStage.Instructions].Rejected["unparsable"]);
        var unparsable = Lines(temp.Path, "instructions.rejected.jsonl").First(r => r.GetProperty("reason").GetString() == "unparsable");
        Assert.Equal("no JSON object in the output", unparsable.GetProperty("detail").GetString());
        Assert.StartsWith("What a lovely rubric", unparsable.GetProperty("raw").GetString(), StringComparison.Ordinal);

        // Responses: 6 instructions x 5 levels, all kept; the judge misses some targets.
        Assert.Equal((6, 30, 30), (s[FeedbackStage.Responses].ItemsIn, s[FeedbackStage.Responses].ItemsOut, s[FeedbackStage.Responses].ModelCalls));
        var feedback = s[FeedbackStage.Feedback];
        Assert.Equal(30, feedback.ModelCalls);
        Assert.True(feedback.Rejected["off-target"] > 0);
        Assert.Equal(30, feedback.ItemsOut + feedback.RejectedCount);
        Assert.All(Lines(temp.Path, "feedback.jsonl"), f => Assert.Equal(f.GetProperty("target_score").GetInt32(), f.GetProperty("score").GetInt32()));

        // Export: balanced to the smallest level.
        var exported = Lines(temp.Path, FeedbackPipeline.FeedbackCollectionFile);
        var perLevel = exported.GroupBy(e => e.GetProperty("orig_score").GetInt32()).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([1, 2, 3, 4, 5], perLevel.Keys.Order());
        Assert.Single(perLevel.Values.Distinct());
        Assert.Equal(exported.Count, s[FeedbackStage.Export].ItemsOut);
        Assert.Equal(feedback.ItemsOut - exported.Count, s[FeedbackStage.Export].Rejected.GetValueOrDefault("balanced-out"));
        Assert.All(exported, FeedbackSchema.AssertFeedbackRecord);
        Assert.Equal(exported.Select(e => e.GetProperty("response_id").GetString()).Distinct().Count(), exported.Count);

        // Preference pairs: every pair of exported responses to one instruction with different scores.
        var expectedPairs = exported.GroupBy(e => e.GetProperty("instruction_id").GetString()).Sum(g =>
        {
            var scores = g.Select(e => e.GetProperty("orig_score").GetInt32()).ToList();
            return scores.SelectMany((a, i) => scores.Skip(i + 1).Where(b => b != a)).Count();
        });
        var pairs = Lines(temp.Path, FeedbackPipeline.PreferenceCollectionFile);
        Assert.Equal(expectedPairs, pairs.Count);
        Assert.NotEmpty(pairs);
        Assert.All(pairs, FeedbackSchema.AssertPreferenceRecord);

        // Length by level: the fake writes longer responses for higher levels, and the statistics show it.
        Assert.True(result.LengthsBeforeBalance[4].MeanWords > result.LengthsBeforeBalance[0].MeanWords);
        Assert.Equal(exported.Count, result.Lengths.Sum(l => l.Count));
    }

    [Fact]
    public async Task RunAsync_RerunSameFolder_MakesNoModelCalls()
    {
        using var temp = new TempDir();
        var generator = FakeGenerator.Create();
        var judge = FakeGenerator.Create();
        await Pipeline(temp.Path, generator, judge).RunAsync(Seeds, AllStages);
        var (g, j) = (generator.Requests.Count, judge.Requests.Count);
        var exported = File.ReadAllText(Path.Combine(temp.Path, FeedbackPipeline.FeedbackCollectionFile));

        var again = await Pipeline(temp.Path, generator, judge).RunAsync(Seeds, AllStages);

        Assert.Equal((g, j), (generator.Requests.Count, judge.Requests.Count));
        Assert.All(again.Stages, s => Assert.Equal(0, s.ModelCalls));
        Assert.Equal(g + j, again.Stages.Sum(s => s.JournalCalls));
        Assert.Equal(exported, File.ReadAllText(Path.Combine(temp.Path, FeedbackPipeline.FeedbackCollectionFile)));
    }

    [Fact]
    public async Task RunAsync_KilledMidStage_ResumesWithoutPayingTwice()
    {
        using var temp = new TempDir();
        using var cts = new CancellationTokenSource();
        var calls = 0;
        var dying = new FakeChatClient(m =>
        {
            // The 20th response arrives, then the process "dies".
            if (Interlocked.Increment(ref calls) == 20)
            {
                cts.Cancel();
            }

            return FakeGenerator.Respond(m);
        });
        var options = Options;
        options.Concurrency = 1;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Pipeline(temp.Path, dying, dying, options).RunAsync(Seeds, AllStages, cancellationToken: cts.Token));

        var fresh = FakeGenerator.Create();
        var result = await Pipeline(temp.Path, fresh, fresh, options).RunAsync(Seeds, AllStages);

        // Every response paid for before the kill is served from the journal.
        Assert.Equal(20, result.Stages.Sum(s => s.JournalCalls));
        Assert.Equal(2 + 12 + 30 + 30 - 20, fresh.Requests.Count);
    }

    [Fact]
    public async Task RunAsync_EditedStageFile_TakesEffectInTheNextStage()
    {
        using var temp = new TempDir();
        var generator = FakeGenerator.Create();
        await Pipeline(temp.Path, generator, generator).RunAsync(Seeds, [FeedbackStage.Rubrics, FeedbackStage.Instructions]);
        var path = Path.Combine(temp.Path, "instructions.jsonl");
        var lines = File.ReadAllLines(path);
        var first = JsonSerializer.Deserialize(lines[0], FeedbackJsonContext.Default.FeedbackInstruction)!;
        lines[0] = JsonSerializer.Serialize(first with { Instruction = "Explain photosynthesis to a ten-year-old." }, FeedbackJsonContext.Default.FeedbackInstruction);
        File.WriteAllLines(path, lines);

        await Pipeline(temp.Path, generator, generator).RunAsync(Seeds, [FeedbackStage.Responses]);

        Assert.Equal(5, generator.Requests.Count(r => FakeChatClient.UserText(r).Contains("Explain photosynthesis to a ten-year-old.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RunAsync_LaterStageWithoutEarlierFile_SaysWhichStageToRun()
    {
        using var temp = new TempDir();
        var fake = FakeGenerator.Create();
        var ex = await Assert.ThrowsAsync<InputException>(() => Pipeline(temp.Path, fake, fake).RunAsync(Seeds, [FeedbackStage.Responses]));
        Assert.Contains("rubrics.jsonl", ex.Message, StringComparison.Ordinal);
        Assert.Contains("run the rubrics stage first", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_SecondJudgeAgrees_KeepsOffTargetResponsesWithTheAgreedScore()
    {
        using var temp = new TempDir();
        var generator = FakeGenerator.Create();
        var second = FakeGenerator.Create();
        var options = Options;
        options.Balance = false;

        var result = await Pipeline(temp.Path, generator, FakeGenerator.Create(), options, second).RunAsync(Seeds, AllStages);

        var feedback = result.Stages.Single(s => s.Stage == FeedbackStage.Feedback);
        Assert.False(feedback.Rejected.ContainsKey("off-target"));
        var items = Lines(temp.Path, "feedback.jsonl");
        var agreed = items.Where(i => i.GetProperty("kept_because").GetString() == "judges-agree").ToList();
        Assert.Equal(second.Requests.Count, agreed.Count);
        Assert.NotEmpty(agreed);
        Assert.All(agreed, i => Assert.NotEqual(i.GetProperty("target_score").GetInt32(), i.GetProperty("score").GetInt32()));
        Assert.Equal(30, items.Count);
    }

    [Fact]
    public async Task RunAsync_ToleranceOne_KeepsOffByOne()
    {
        using var temp = new TempDir();
        var fake = FakeGenerator.Create();
        var options = Options;
        options.ScoreTolerance = 1;
        var result = await Pipeline(temp.Path, fake, fake, options).RunAsync(Seeds, AllStages);
        Assert.Equal(30, result.Stages.Single(s => s.Stage == FeedbackStage.Feedback).ItemsOut);
    }

    [Fact]
    public void Plan_Counts_FollowTheOptions()
    {
        var options = new FeedbackOptions { NewRubrics = 1000, RubricsPerCall = 5, InstructionsPerRubric = 20, ResponsesPerLevel = 1 };
        var plan = FeedbackPlanner.Plan(Prompts, TestPaths.Rubric("prometheus-absolute"), Seeds, options, new FeedbackPlanAssumptions(), m => m.Sum(x => (long)x.Text.Length / 4), "g", "j", "s");
        Assert.Equal([200L, 20_000, 100_000, 100_000, 30_000, 0], plan.Select(p => p.Calls));
        Assert.All(plan.Where(p => p.Calls > 0), p => Assert.True(p.InputTokens > p.Calls * 100));
    }

    [GeneratedRegex(@"^Feedback: (.+) \[RESULT\] ([1-5])$", RegexOptions.Singleline)]
    internal static partial Regex OutputRegex();
}

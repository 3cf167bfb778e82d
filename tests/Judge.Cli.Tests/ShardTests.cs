using System.Text.Json.Nodes;

namespace Judge.Cli.Tests;

/// <summary><c>judge run --shard K/N</c> and <c>judge merge</c>.</summary>
public class ShardTests
{
    /// <summary>The judgments of a folder without what timing makes differ between runs (latency).</summary>
    private static List<string> Judgments(string folder) =>
        File.ReadLines(Path.Combine(folder, "judgments.jsonl")).Select(l =>
        {
            var node = JsonNode.Parse(l)!.AsObject();
            node.Remove("latency_ms");
            return node.ToJsonString();
        }).ToList();

    [Fact]
    public async Task ShardsThenMerge_ReproduceTheUnshardedRunsJudgmentsAndReports()
    {
        // Concurrency 1: the unsharded run writes in plan order, the order a merge restores.
        var config = RunConfigs.Write("compare", "mock:3", "options:\n  turns: [1, 2]\n  concurrency: 1");
        var folder = Path.GetDirectoryName(config)!;
        string Dir(string name) => Path.Combine(folder, name);

        Assert.Equal(0, (await CliRunner.RunAsync("run", config, "--out", Dir("whole"), "--quiet")).Exit);
        var one = await CliRunner.RunAsync("run", config, "--out", Dir("s1"), "--shard", "1/3", "--quiet");
        var two = await CliRunner.RunAsync("run", config, "--out", Dir("s2"), "--shard", "2/3", "--quiet");
        var three = await CliRunner.RunAsync("run", config, "--out", Dir("s3"), "--shard", "3/3", "--quiet");
        Assert.True(one.Exit is 0 or 1 && two.Exit is 0 or 1 && three.Exit is 0 or 1, one.Output + two.Output + three.Output);
        var shardSizes = new[] { "s1", "s2", "s3" }.Select(s => Judgments(Dir(s)).Count(l => l.Contains("\"type\":\"pairwise\"", StringComparison.Ordinal))).ToList();
        Assert.Equal(36, shardSizes.Sum());
        Assert.All(shardSizes, n => Assert.InRange(n, 1, 35));

        var (exit, output) = await CliRunner.RunAsync("merge", config, Dir("s1"), Dir("s2"), Dir("s3"), "--out", Dir("merged"));

        Assert.True(exit == 0, output);
        Assert.Equal(Judgments(Dir("whole")), Judgments(Dir("merged")));
        foreach (var report in new[] { "summary.md", "verdicts.csv" })
        {
            Assert.Equal(File.ReadAllText(Path.Combine(Dir("whole"), report)), File.ReadAllText(Path.Combine(Dir("merged"), report)));
        }
    }

    [Fact]
    public async Task Merge_AShardMissing_IsAnInputErrorNamingTheGap()
    {
        var config = RunConfigs.Write("compare", "mock:3", "options:\n  turns: [1]");
        var folder = Path.GetDirectoryName(config)!;
        Assert.True((await CliRunner.RunAsync("run", config, "--out", Path.Combine(folder, "s1"), "--shard", "1/2", "--quiet")).Exit is 0 or 1);

        var (exit, output) = await CliRunner.RunAsync("merge", config, Path.Combine(folder, "s1"), "--out", Path.Combine(folder, "merged"));

        Assert.Equal(2, exit);
        Assert.Contains("planned judgments are in no shard", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0/2")]
    [InlineData("3/2")]
    [InlineData("1-2")]
    public async Task Run_BadShard_IsAnInputError(string shard)
    {
        var config = RunConfigs.Write("compare", "mock:3", "options:\n  turns: [1]");

        var (exit, output) = await CliRunner.RunAsync("run", config, "--shard", shard);

        Assert.Equal(2, exit);
        Assert.Contains("--shard", output, StringComparison.Ordinal);
    }
}

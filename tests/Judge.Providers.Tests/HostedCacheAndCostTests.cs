using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Hosted;
using Judge.Providers.Tests.Fakes;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Tests;

public sealed class HostedCacheAndCostTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("judge-cache-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Rerun_IsServedFromCache_ServerSeesNothing()
    {
        using var server = LoopbackOpenAIServer.Start(r => ServerReply.Completion($"Rating: [[{(r.LastUserText.Length % 10) + 1}]]"));
        var cache = Path.Combine(_dir, "c.db");
        var items = Enumerable.Range(1, 20).Select(TestHosted.Item).ToList();

        AbsoluteVerdict[] first, second;
        using (var client = TestHosted.OpenAI(server, $"&cache={cache}"))
        {
            first = await Task.WhenAll(items.Select(i => TestHosted.Judge(client).GradeAsync(i)));
        }

        Assert.Equal(20, server.RequestCount);
        using (var client = TestHosted.OpenAI(server, $"&cache={cache}"))
        {
            second = await Task.WhenAll(items.Select(i => TestHosted.Judge(client).GradeAsync(i)));
            Assert.Equal(0, client.GetService<CostMeter>()!.Report().Calls);
        }

        Assert.Equal(20, server.RequestCount);
        Assert.Equal(first.Select(r => r.Score), second.Select(r => r.Score));
        Assert.Equal(first.Select(r => (r.Calls[0].InputTokens, r.Calls[0].OutputTokens)), second.Select(r => (r.Calls[0].InputTokens, r.Calls[0].OutputTokens)));
    }

    [Fact]
    public async Task CacheKey_CoversOptionsModelAndExtraKey()
    {
        using var server = LoopbackOpenAIServer.Start();
        var cache = Path.Combine(_dir, "c.db");
        var item = TestHosted.Item(1);
        using var client = TestHosted.OpenAI(server, $"&cache={cache}");
        using var other = TestHosted.OpenAI(server, $"&cache={cache}", model: "gpt-4o-mini");

        await TestHosted.Judge(client).GradeAsync(item);
        await TestHosted.Judge(client).GradeAsync(item); // hit
        await TestHosted.Judge(client, new ChatJudgeOptions { Temperature = 0.7f }).GradeAsync(item);
        await TestHosted.Judge(client, new ChatJudgeOptions { Seed = 1 }).GradeAsync(item);
        await TestHosted.Judge(client, new ChatJudgeOptions { MaxOutputTokens = 10 }).GradeAsync(item);
        await TestHosted.Judge(client, new ChatJudgeOptions { CacheKey = "repeat-2" }).GradeAsync(item);
        await TestHosted.Judge(other).GradeAsync(item);
        await client.GetResponseAsync(item.Question.Turns[0], new ChatOptions { ResponseFormat = ChatResponseFormat.Json });

        Assert.Equal(7, server.RequestCount);
    }

    [Fact]
    public async Task CacheModes_RefreshCallsAgainAndOffNeverStores()
    {
        using var server = LoopbackOpenAIServer.Start();
        var cache = Path.Combine(_dir, "c.db");
        using (var c = TestHosted.OpenAI(server, $"&cache={cache}"))
        {
            await TestHosted.Judge(c).GradeAsync(TestHosted.Item(1));
        }

        using (var c = TestHosted.OpenAI(server, $"&cache={cache}&cache_mode=refresh"))
        {
            await TestHosted.Judge(c).GradeAsync(TestHosted.Item(1));
        }

        using (var c = TestHosted.OpenAI(server, $"&cache={cache}&cache_mode=off"))
        {
            await TestHosted.Judge(c).GradeAsync(TestHosted.Item(2));
            await TestHosted.Judge(c).GradeAsync(TestHosted.Item(2));
        }

        Assert.Equal(4, server.RequestCount);
        Assert.Equal(1, new SqliteResponseCache(cache).Count());
    }

    [Fact]
    public async Task FailedCalls_AreNotCached()
    {
        using var server = LoopbackOpenAIServer.Start(LoopbackOpenAIServer.Sequence([ServerReply.Error(400, "bad")]));
        var cache = Path.Combine(_dir, "c.db");
        using var client = TestHosted.OpenAI(server, $"&cache={cache}");

        Assert.Equal(VerdictStatus.Error, (await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1))).Status);
        Assert.Equal(VerdictStatus.Parsed, (await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1))).Status);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public void CorruptFile_IsMovedAsideAndRebuilt_OrRefused()
    {
        var path = Path.Combine(_dir, "bad.db");
        File.WriteAllText(path, "this is not a sqlite database, just some text that is long enough to look like a header........");

        var refused = Assert.Throws<CacheException>(() => new SqliteResponseCache(path, recoverCorrupt: false));
        Assert.Contains("corrupt", refused.Message, StringComparison.Ordinal);

        var cache = new SqliteResponseCache(path);
        Assert.NotNull(cache.Warning);
        Assert.Contains("moved it to", cache.Warning, StringComparison.Ordinal);
        Assert.Equal(0, cache.Count());
        Assert.Single(Directory.GetFiles(_dir, "bad.db.corrupt-*"));
    }

    [Fact]
    public async Task DamagedFile_IsReportedAndItsReadableEntriesAreCopiedIntoTheNewCache()
    {
        var path = Path.Combine(_dir, "damaged.db");
        var cache = new SqliteResponseCache(path);
        for (var i = 0; i < 400; i++)
        {
            await cache.SetAsync($"k{i}", new ChatResponse(new ChatMessage(ChatRole.Assistant, $"[[{i % 10}]] {new string('x', 200)}")));
        }

        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            checkpoint.ExecuteNonQuery();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        // Overwrite 4 KB in the middle, as a bad copy or another program may: a scan of the table stops there.
        using (var file = new FileStream(path, FileMode.Open))
        {
            file.Position = file.Length / 2;
            file.Write(Enumerable.Repeat((byte)0xFF, 4096).ToArray());
        }

        var reopened = new SqliteResponseCache(path);

        Assert.NotNull(reopened.Warning);
        Assert.Contains("was corrupt", reopened.Warning, StringComparison.Ordinal);
        var copied = reopened.Count();
        Assert.InRange(copied, 300, 399); // only the rows on the overwritten pages are lost
        Assert.Contains($"copied the {copied} entries still readable", reopened.Warning, StringComparison.Ordinal);
        Assert.NotNull(await reopened.TryGetAsync("k0"));
        Assert.NotNull(await reopened.TryGetAsync("k399"));
        Assert.Contains("the rest could not be read and stay in that file", reopened.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorruptRow_IsAMissNotAWrongAnswer()
    {
        var path = Path.Combine(_dir, "c.db");
        var cache = new SqliteResponseCache(path);
        await cache.SetAsync("k", new ChatResponse(new ChatMessage(ChatRole.Assistant, "[[7]]")));
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE responses SET response = replace(response, '7', '9')";
            command.ExecuteNonQuery();
        }

        Assert.Null(await cache.TryGetAsync("k"));
    }

    [Fact]
    public async Task ConcurrentWriters_OnOneFile_AreSafe()
    {
        var path = Path.Combine(_dir, "c.db");
        var a = new SqliteResponseCache(path);
        var b = new SqliteResponseCache(path);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() =>
            (i % 2 == 0 ? a : b).SetAsync($"k{i % 100}", new ChatResponse(new ChatMessage(ChatRole.Assistant, $"[[{i % 100}]]"))))));

        Assert.Equal(100, a.Count());
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal($"[[{i}]]", (await b.TryGetAsync($"k{i}"))!.Text);
        }
    }

    [Fact]
    public void PriceTable_MatchesLongestPrefixAndTakesOverrides()
    {
        var file = Path.Combine(_dir, "prices.yaml");
        File.WriteAllText(file, "gpt-4o: { input: 5, output: 15 }\nlocal-llama: { input: 0, output: 0 }\n");

        Assert.Equal(0.15m, PriceTable.BuiltIn.Find("gpt-4o-mini-2024-07-18")!.InputPerMillion);
        Assert.Equal(2.50m, PriceTable.BuiltIn.Find("gpt-4o-2024-08-06")!.InputPerMillion);
        Assert.Null(PriceTable.BuiltIn.Find("mystery-model"));
        var table = PriceTable.BuiltIn.WithOverrides(file);
        Assert.Equal(5m, table.Find("gpt-4o")!.InputPerMillion);
        Assert.Equal(0.15m, table.Find("gpt-4o-mini")!.InputPerMillion);
        Assert.Equal(0m, table.Find("local-llama")!.OutputPerMillion);
    }

    [Fact]
    public async Task CostMeter_CountsRealCallsAndPricesThem()
    {
        // 120 prompt + 12 completion tokens per call at gpt-4o's $2.50 / $10 per 1M:
        // 120 * 2.5 / 1e6 + 12 * 10 / 1e6 = 0.0003 + 0.00012 = $0.00042 per call; 10 calls = $0.0042, $0.42 per 1,000.
        using var server = LoopbackOpenAIServer.Start();
        using var client = TestHosted.OpenAI(server);
        var results = await Task.WhenAll(Enumerable.Range(1, 10).Select(i => TestHosted.Judge(client).GradeAsync(TestHosted.Item(i))));

        var meter = client.GetService<CostMeter>()!.Report();
        Assert.Equal(10, meter.Calls);
        Assert.Equal(1200, meter.InputTokens);
        Assert.Equal(0.0042m, meter.Usd);
        Assert.Equal(0.42m, meter.PerThousand(10));

        // The cost a run records on each call record comes from the same price table.
        var recorded = results.SelectMany(r => r.Calls).Sum(c => PriceTable.BuiltIn.Find(c.Model ?? "gpt-4o")!.Cost(c.InputTokens ?? 0, c.OutputTokens ?? 0));
        Assert.Equal(0.0042m, recorded);
    }
}

using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Hosted;
using Judge.Providers.Tests.Fakes;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Tests;

/// <summary>Hosted judges built from options objects (HostedJudges), and the budget as builder middleware.</summary>
public sealed class HostedJudgesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("judge-options-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static OpenAIJudgeOptions OpenAI(LoopbackOpenAIServer server, string? cache = null) => new()
    {
        Model = "gpt-4o",
        Endpoints = [server.BaseUrl],
        ApiKey = TestHosted.Key,
        Resilience = TestHosted.Options(),
        CachePath = cache,
    };

    [Fact]
    public async Task CreateOpenAI_FromOptions_GradesAndMetersCost()
    {
        using var server = LoopbackOpenAIServer.Start();
        using var client = HostedJudges.CreateOpenAI(OpenAI(server));

        var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Parsed, result.Status);
        Assert.Equal(7, result.Score);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer " + TestHosted.Key, request.Authorization);
        var cost = client.GetService<CostMeter>()!.Report();
        Assert.Equal(1, cost.Calls);
        Assert.Equal(120, cost.InputTokens);
        Assert.True(cost.Usd > 0m);
    }

    [Fact]
    public async Task CreateOpenAI_RetriesATransientFailureThroughTheResilienceSettings()
    {
        using var server = LoopbackOpenAIServer.Start(LoopbackOpenAIServer.Sequence([ServerReply.Error(503, "overloaded")]));
        using var client = HostedJudges.CreateOpenAI(OpenAI(server));

        var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Parsed, result.Status);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task CreateOpenAI_CacheIsSharedWithTheSpecBuiltJudge_OneComposition()
    {
        // A judge built from a spec string fills the cache; the same judge built from options reads it:
        // both paths compose the same stack, down to the cache identity.
        using var server = LoopbackOpenAIServer.Start();
        var cache = Path.Combine(_dir, "shared.db");
        var items = Enumerable.Range(1, 5).Select(TestHosted.Item).ToList();
        using (var fromSpec = TestHosted.OpenAI(server, $"&cache={cache}"))
        {
            foreach (var item in items)
            {
                await TestHosted.Judge(fromSpec).GradeAsync(item);
            }
        }

        Assert.Equal(5, server.RequestCount);
        using var fromOptions = HostedJudges.CreateOpenAI(OpenAI(server, cache));
        foreach (var item in items)
        {
            Assert.Equal(VerdictStatus.Parsed, (await TestHosted.Judge(fromOptions).GradeAsync(item)).Status);
        }

        Assert.Equal(5, server.RequestCount);
        Assert.Equal(0, fromOptions.GetService<CostMeter>()!.Report().Calls);
    }

    [Fact]
    public async Task CreateOpenAI_SharedCostMeter_AddsUpBothJudges()
    {
        using var server = LoopbackOpenAIServer.Start();
        var meter = new CostMeter(PriceTable.BuiltIn);
        var a = OpenAI(server);
        a.CostMeter = meter;
        var b = OpenAI(server);
        b.CostMeter = meter;
        b.Model = "gpt-4o-mini";
        using var first = HostedJudges.CreateOpenAI(a);
        using var second = HostedJudges.CreateOpenAI(b);

        await first.GetResponseAsync("hello");
        await second.GetResponseAsync("hello");

        Assert.Equal(2, meter.Report().Calls);
        Assert.Same(meter, first.GetService<CostMeter>());
    }

    [Fact]
    public async Task CreateAzure_FromOptions_UsesDeploymentPathApiVersionAndKey()
    {
        using var server = LoopbackOpenAIServer.Start();
        using var client = HostedJudges.CreateAzure(new AzureJudgeOptions
        {
            Model = "my-deployment",
            Endpoints = [server.Root],
            ApiKey = TestHosted.Key,
            ApiVersion = "2024-10-21",
            Resilience = TestHosted.Options(),
        });

        await client.GetResponseAsync("hello");

        var request = Assert.Single(server.Requests);
        Assert.Equal("/openai/deployments/my-deployment/chat/completions", request.Path);
        Assert.Contains("api-version=2024-10-21", request.Query, StringComparison.Ordinal);
        Assert.Equal(TestHosted.Key, request.ApiKey);
    }

    [Fact]
    public void Create_BadOptions_AreRefusedNamingTheSetting()
    {
        Assert.Throws<JudgeUnavailableException>(() => HostedJudges.CreateOpenAI(new OpenAIJudgeOptions { Model = "gpt-4o" }));
        Assert.Throws<JudgeUnavailableException>(() => HostedJudges.CreateAzure(new AzureJudgeOptions { Model = "d", ApiKey = "k" }));
        Assert.Throws<JudgeUnavailableException>(() => HostedJudges.CreateAzure(new AzureJudgeOptions { Model = "d", Endpoints = [new Uri("https://r.openai.azure.com")] }));
        Assert.Contains("Model", Assert.Throws<ArgumentException>(() => HostedJudges.CreateOpenAI(new OpenAIJudgeOptions { Model = " ", ApiKey = "k" })).Message);
        Assert.Contains("http(s)", Assert.Throws<ArgumentException>(() => HostedJudges.CreateOpenAI(new OpenAIJudgeOptions { Model = "m", Endpoints = [new Uri("ftp://x/")] })).Message);
        var attempts = Assert.Throws<ArgumentOutOfRangeException>(() => HostedJudges.CreateOpenAI(new OpenAIJudgeOptions { Model = "m", ApiKey = "k", Resilience = new HostedJudgeOptions { MaxAttempts = 0 } }));
        Assert.Contains("MaxAttempts must be at least 1", attempts.Message);
        var rpm = Assert.Throws<ArgumentOutOfRangeException>(() => HostedJudges.CreateOpenAI(new OpenAIJudgeOptions { Model = "m", ApiKey = "k", Resilience = new HostedJudgeOptions { RequestsPerMinute = 0 } }));
        Assert.Contains("RequestsPerMinute", rpm.Message);
    }

    [Fact]
    public async Task UseJudgeBudget_ConcurrencyCap_QueuesTheRest()
    {
        var inner = new GateChatClient();
        using var client = new ChatClientBuilder(inner).UseJudgeBudget(maxConcurrency: 2).Build();

        var calls = Enumerable.Range(0, 5).Select(_ => client.GetResponseAsync("hello")).ToList();
        Assert.True(await inner.Entered.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await inner.Entered.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(2, inner.InFlight);
        Assert.Equal(0, calls.Count(c => c.IsCompleted));
        inner.Release.Release(5);
        await Task.WhenAll(calls);
        Assert.Equal(2, inner.MaxInFlight);
        Assert.Equal(5, inner.Calls);
    }

    [Fact]
    public async Task UseJudgeBudget_RequestBudgetSpent_NextCallWaitsAndCanBeCancelled()
    {
        // One request per minute: the first goes through, the second waits for the next minute's permit.
        var inner = new GateChatClient();
        inner.Release.Release(10);
        using var client = new ChatClientBuilder(inner).UseJudgeBudget(requestsPerMinute: 1, utilisation: 1.0).Build();
        await client.GetResponseAsync("first");
        using var cts = new CancellationTokenSource();

        var second = client.GetResponseAsync("second", cancellationToken: cts.Token);

        Assert.False(second.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public void UseJudgeBudget_OutOfRange_NamesTheParameter()
    {
        var builder = new ChatClientBuilder(new GateChatClient());

        Assert.Equal("requestsPerMinute", Assert.Throws<ArgumentOutOfRangeException>(() => builder.UseJudgeBudget(requestsPerMinute: 0)).ParamName);
        Assert.Equal("maxConcurrency", Assert.Throws<ArgumentOutOfRangeException>(() => builder.UseJudgeBudget(maxConcurrency: 0)).ParamName);
        Assert.Equal("utilisation", Assert.Throws<ArgumentOutOfRangeException>(() => builder.UseJudgeBudget(utilisation: 1.5)).ParamName);
    }

    /// <summary>A chat client whose calls wait at a gate the test opens; counts calls in flight.</summary>
    private sealed class GateChatClient : IChatClient
    {
        private int _inFlight;
        private int _maxInFlight;
        private int _calls;

        public SemaphoreSlim Release { get; } = new(0);

        /// <summary>Released once per call that reached the gate.</summary>
        public SemaphoreSlim Entered { get; } = new(0);

        public int InFlight => Volatile.Read(ref _inFlight);

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public int Calls => Volatile.Read(ref _calls);

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            var now = Interlocked.Increment(ref _inFlight);
            int max;
            while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
            {
            }

            Entered.Release();
            await Release.WaitAsync(cancellationToken);
            Interlocked.Decrement(ref _inFlight);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, "[[7]]"));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
            Release.Dispose();
            Entered.Dispose();
        }
    }
}

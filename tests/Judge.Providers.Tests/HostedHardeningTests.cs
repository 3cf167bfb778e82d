using System.Net;
using System.Text;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Hosted;
using Judge.Providers.Tests.Fakes;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Judge.Providers.Tests;

/// <summary>Retries bounded by time, bodies cut short, adaptive concurrency, cache failures and secrets.</summary>
public sealed class HostedHardeningTests : IDisposable
{
    private const string Password = "PLANTED-pw-7f3a9c";
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello")];
    private readonly string _dir = Directory.CreateTempSubdirectory("judge-hardening-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task BodyCutShort_IsRetried()
    {
        var good = ServerReply.Completion("Fine. Rating: [[6]]");
        using var server = LoopbackOpenAIServer.Start(LoopbackOpenAIServer.Sequence([good with { CutBodyAt = 40 }], _ => good));
        using var client = TestHosted.OpenAI(server);

        var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Parsed, result.Status);
        Assert.Equal(6, result.Score);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task TruncatedJson_IsRetried()
    {
        var good = ServerReply.Completion("Fine. Rating: [[6]]");
        using var server = LoopbackOpenAIServer.Start(LoopbackOpenAIServer.Sequence([new ServerReply { Body = good.Body[..50] }], _ => good));
        using var client = TestHosted.OpenAI(server);

        var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Parsed, result.Status);
        Assert.Equal(2, server.RequestCount);
    }

    [Theory]
    [InlineData(true, "cut short")]
    [InlineData(false, "not complete JSON")]
    public async Task BodyAlwaysBroken_ErrorNamesWhatHappened(bool cut, string cause)
    {
        var good = ServerReply.Completion("Fine. Rating: [[6]]");
        var bad = cut ? good with { CutBodyAt = 40 } : new ServerReply { Body = good.Body[..50] };
        using var server = LoopbackOpenAIServer.Start(_ => bad);
        using var client = TestHosted.OpenAI(server, options: TestHosted.Options(o => o.MaxAttempts = 3));

        var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Error, result.Status);
        Assert.Equal(3, server.RequestCount);
        Assert.Contains(cause, result.Error, StringComparison.Ordinal);
        Assert.Contains("3 attempt", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("connection failed", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RateLimitStorm_HalfOfRequestsThrottled_LosesNothing()
    {
        // Every other request is a 429 with a short Retry-After: under the old fixed 4 attempts, runs of
        // 429s lost items; with retries bounded by the deadline none is lost.
        var headers = new Dictionary<string, string> { ["retry-after-ms"] = "5" };
        using var server = LoopbackOpenAIServer.Start(r =>
            (r.Index % 2 == 0) || (r.Index % 7 < 3)
                ? ServerReply.Error(429, "slow down", headers)
                : ServerReply.Completion("Good. Rating: [[8]]"));
        using var client = TestHosted.OpenAI(server, options: TestHosted.Options(o =>
        {
            o.MaxAttempts = int.MaxValue;
            o.MaxConcurrency = 8;
        }));
        var judge = TestHosted.Judge(client);

        var results = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => judge.GradeAsync(TestHosted.Item(i))));

        Assert.All(results, r => Assert.Equal(VerdictStatus.Parsed, r.Status));
        Assert.True(server.RequestCount > 20, $"{server.RequestCount} requests");
    }

    [Fact]
    public async Task Deadline_BoundsRetries_NotAnAttemptCount()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var handler = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("{\"error\":{\"message\":\"busy\"}}", Encoding.UTF8, "application/json") });
        var options = new HostedJudgeOptions
        {
            TimeProvider = clock,
            BaseDelay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(4),
            CallDeadline = TimeSpan.FromSeconds(60),
            CircuitMinimumThroughput = 100_000,
            PrimaryHandlerFactory = () => handler,
        };
        using var client = HostedChatClients.CreateOpenAI(JudgeSpec.Parse("openai:gpt-4o?base_url=http://127.0.0.1:9/v1"), options, TestHosted.Env());

        var call = client.GetResponseAsync(Hello);
        var start = clock.GetUtcNow();
        FakeClockDriver.Drive(clock, call, () => handler.Calls, options.MaxDelay, options.CallDeadline);

        var ex = await Assert.ThrowsAsync<ProviderException>(() => call);
        var waited = clock.GetUtcNow() - start;
        Assert.Equal(ProviderFailure.RetriesExhausted, ex.Failure);
        Assert.True(handler.Calls > 10, $"{handler.Calls} attempts in {waited}");
        Assert.InRange(waited, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(66));
        Assert.Contains("HTTP 503", ex.Message, StringComparison.Ordinal);
        Assert.Contains("deadline of 60 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetryAfterPastTheDeadline_EndsTheCallAtOnce()
    {
        var headers = new Dictionary<string, string> { ["Retry-After"] = "3600" };
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Error(429, "come back in an hour", headers));
        using var client = TestHosted.OpenAI(server, options: TestHosted.Options(o =>
        {
            o.MaxAttempts = int.MaxValue;
            o.MaxRetryAfter = TimeSpan.FromHours(2);
            o.CallDeadline = TimeSpan.FromMinutes(10);
        }));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => client.GetResponseAsync(Hello));

        Assert.Equal(1, server.RequestCount);
        Assert.Contains("HTTP 429", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    public async Task PermanentFailure_IsNotRetriedAndNamed(int status)
    {
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Error(status, "no"));
        using var client = TestHosted.OpenAI(server, options: TestHosted.Options(o => o.MaxAttempts = int.MaxValue));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => client.GetResponseAsync(Hello));

        Assert.Equal(1, server.RequestCount);
        Assert.Equal(ProviderFailure.HttpError, ex.Failure);
        Assert.Contains($"HTTP {status}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not retried", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdaptiveConcurrency_HalvesOncePerGenerationAndRecovers()
    {
        var limiter = new AdaptiveConcurrency(16, adaptive: true);
        var epochs = new List<long>();
        for (var i = 0; i < 16; i++)
        {
            epochs.Add(await limiter.AcquireAsync(CancellationToken.None));
        }

        // A burst of 429s from requests admitted together costs one halving.
        foreach (var epoch in epochs)
        {
            limiter.OnThrottled(epoch);
        }

        Assert.Equal(8, limiter.Limit);

        // A 429 for a request admitted after the cut halves again.
        for (var i = 0; i < 16; i++)
        {
            limiter.Release();
        }

        var next = await limiter.AcquireAsync(CancellationToken.None);
        limiter.OnThrottled(next);
        Assert.Equal(4, limiter.Limit);
        limiter.Release();

        // Additive increase: +1 per limit's worth of successes (4 + 4 + 5 + 6 + 7 + 8 ... to reach 16).
        for (var i = 0; i < 200; i++)
        {
            limiter.OnSuccess();
        }

        Assert.Equal(16, limiter.Limit);
        Assert.True(limiter.Peak <= 16);
    }

    [Fact]
    public async Task AdaptiveConcurrency_WaitersAreAdmittedInOrderAndCancellable()
    {
        var limiter = new AdaptiveConcurrency(1, adaptive: true);
        await limiter.AcquireAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var cancelled = limiter.AcquireAsync(cts.Token).AsTask();
        var second = limiter.AcquireAsync(CancellationToken.None).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.False(second.IsCompleted);

        limiter.Release();
        await second;
        Assert.Equal(1, limiter.InFlight);
    }

    [Fact]
    public async Task RateLimited_LowersTheEndpointsConcurrency()
    {
        using var server = LoopbackOpenAIServer.Start(LoopbackOpenAIServer.Sequence(
            [.. Enumerable.Repeat(ServerReply.Error(429, "slow down", new Dictionary<string, string> { ["retry-after-ms"] = "1" }), 12)]));
        using var client = TestHosted.OpenAI(server, options: TestHosted.Options(o =>
        {
            o.MaxAttempts = int.MaxValue;
            o.MaxConcurrency = 16;
        }));
        var router = client.GetService<EndpointRouterChatClient>()!;

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.GetResponseAsync(Hello)));

        Assert.True(router.Endpoints[0].Endpoint.Budget.ConcurrencyLimit < 16, $"limit {router.Endpoints[0].Endpoint.Budget.ConcurrencyLimit}");
    }

    [Fact]
    public async Task CacheWriteLocked_KeepsTheAnswerWithAWarning()
    {
        var path = Path.Combine(_dir, "cache.sqlite");
        using var server = LoopbackOpenAIServer.Start();
        using var client = TestHosted.OpenAI(server, $"&cache={path}");
        var cache = client.GetService<SqliteResponseCache>()!;
        var warnings = new List<string>();
        cache.OnWarning = w =>
        {
            lock (warnings)
            {
                warnings.Add(w);
            }
        };
        cache.WriteBusyTimeout = TimeSpan.FromMilliseconds(50);

        // Another process holds the write lock for the whole call.
        using (var holder = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            holder.Open();
            using var begin = holder.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE; INSERT INTO responses VALUES ('x', '{}', 'x', 'x');";
            begin.ExecuteNonQuery();

            var watch = System.Diagnostics.Stopwatch.StartNew();
            var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

            // Bounded by WriteBusyTimeout (rounded up to the driver's whole second), not the driver's 30 s default.
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the locked write took {watch.Elapsed}");
            Assert.Equal(VerdictStatus.Parsed, result.Status);
            Assert.Equal(7, result.Score);
            // First the wait is named as it starts, then the skipped write.
            Assert.Equal(2, warnings.Count);
            Assert.Contains("is locked by another writer", warnings[0], StringComparison.Ordinal);
            var warning = warnings[1];
            Assert.Contains("the answer is kept", warning, StringComparison.Ordinal);
            Assert.Contains("SQLite error 5", warning, StringComparison.Ordinal);
            Assert.Equal(1, cache.FailureCount);
            using var rollback = holder.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }

        // Not cached, so the next call asks again, and this time it is stored.
        await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));
        await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));
        Assert.Equal(2, server.RequestCount);
        Assert.Equal(1, cache.Count());
    }

    [Fact]
    public async Task CacheWriteWaitingOnALock_IsNamedWhenTheWaitStartsAndTheWriteLandsOnceTheLockGoes()
    {
        var path = Path.Combine(_dir, "cache-wait.sqlite");
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var cache = new SqliteResponseCache(path, clock) { WriteBusyTimeout = TimeSpan.FromSeconds(30) };
        var noticed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        cache.OnWarning = w => noticed.TrySetResult(w);

        using var holder = new SqliteConnection($"Data Source={path};Pooling=False");
        holder.Open();
        using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE; INSERT INTO responses VALUES ('x', '{}', 'x', 'x');";
            begin.ExecuteNonQuery();
        }

        // The driver's busy wait blocks its thread: the write runs on its own.
        var write = Task.Run(() => cache.SetAsync("k", new Microsoft.Extensions.AI.ChatResponse(new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant, "[[7]]"))));
        Assert.False(noticed.Task.IsCompleted);

        // The write starts its timer on a pool thread at some point: move the fake clock on until the notice comes,
        // checking in between (bounded: 400 rounds).
        for (var round = 0; round < 400 && !noticed.Task.IsCompleted && !write.IsCompleted; round++)
        {
            clock.Advance(cache.LockWaitWarningAfter);
            await Task.WhenAny(noticed.Task, write, Task.Delay(50));
        }

        var notice = await noticed.Task.WaitAsync(TimeSpan.FromSeconds(1));

        Assert.Contains($"cache {path} is locked by another writer; this write waits up to 30 s", notice, StringComparison.Ordinal);
        Assert.False(write.IsCompleted, "the write should still be waiting on the lock");
        using (var rollback = holder.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }

        await write.WaitAsync(TimeSpan.FromSeconds(40));
        Assert.Equal(1, cache.Count());
        Assert.Equal(0, cache.FailureCount);
    }

    [Fact]
    public void CachePathIsADirectory_IsAnInputErrorNamingIt()
    {
        using var server = LoopbackOpenAIServer.Start();

        var ex = Assert.Throws<InputException>(() => TestHosted.OpenAI(server, $"&cache={_dir}"));

        Assert.Contains("is a directory", ex.Message, StringComparison.Ordinal);
        Assert.Equal("cache", ex.Field);
    }

    [Theory]
    [InlineData("rmp=60", "unknown option 'rmp'")]
    [InlineData("batch=maybe", "batch must be one of on, off")]
    [InlineData("batch_poll=0", "batch_poll must be a number of seconds")]
    [InlineData("batch_requests=50001", "batch_requests must be an integer from 1 to 50000")]
    [InlineData("batch_mb=0", "batch_mb must be an integer from 1 to 200")]
    [InlineData("rpm=0", "rpm must be an integer from 1 to")]
    [InlineData("rpm=-1", "rpm must be an integer from 1 to")]
    [InlineData("tpm=0", "tpm must be an integer of at least 1")]
    [InlineData("concurrency=0", "concurrency must be an integer from 1 to 1024")]
    [InlineData("concurrency=-1", "concurrency must be an integer from 1 to 1024")]
    [InlineData("seed=abc", "seed must be an integer")]
    [InlineData("max_tokens=-5", "max_tokens must be an integer from 1 to")]
    [InlineData("timeout=abc", "timeout must be a number of seconds")]
    [InlineData("timeout=-1", "timeout must be a number of seconds")]
    [InlineData("timeout=0", "timeout must be a number of seconds")]
    [InlineData("timeout=1e30", "timeout must be a number of seconds")]
    [InlineData("deadline=0", "deadline must be a number of seconds")]
    [InlineData("temperature=hot", "temperature must be a number from 0 to 2")]
    [InlineData("logprobs=99", "logprobs must be an integer from 0 to 20")]
    [InlineData("format=xml", "format must be one of json, text")]
    [InlineData("cache_mode=sometimes", "cache_mode must be one of")]
    [InlineData("adaptive=maybe", "adaptive must be one of")]
    public void HostedSpec_BadOption_IsAnInputErrorWithKeyAndRange(string option, string expected)
    {
        using var server = LoopbackOpenAIServer.Start();

        var ex = Assert.Throws<InputException>(() => TestHosted.OpenAI(server, "&" + option));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal("judge spec", ex.Field);
        Assert.Equal(0, server.RequestCount);
    }

    [Fact]
    public void HostedSpec_UnknownOption_ListsTheKnownOnes()
    {
        using var server = LoopbackOpenAIServer.Start();

        var ex = Assert.Throws<InputException>(() => TestHosted.OpenAI(server, "&rmp=60"));

        Assert.Contains("base_url", ex.Message, StringComparison.Ordinal);
        Assert.Contains("rpm", ex.Message, StringComparison.Ordinal);
        Assert.Contains("deadline", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mock:1?latency=5", "unknown option 'latency'")]
    [InlineData("mock:1?latency_ms=-1", "latency_ms must be an integer from 0 to")]
    [InlineData("mock:1?error_rate=2", "error_rate must be a number from 0 to 1")]
    [InlineData("mock:1?min=x", "min must be an integer from")]
    [InlineData("llama:model.gguf?thread=2", "unknown option 'thread'")]
    [InlineData("llama:model.gguf?ctx=abc", "ctx must be an integer from 8 to")]
    [InlineData("llama:model.gguf?batch=0", "batch must be an integer from 1 to")]
    public void OtherSchemes_BadOption_IsAnInputError(string text, string expected)
    {
        var ex = Assert.ThrowsAny<JudgeException>(() => ChatClientRegistry.CreateDefault().Create(JudgeSpec.Parse(text)));

        Assert.IsType<InputException>(ex);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_PasswordInBaseUrlAndKey_AppearInNoRecordMessageOrCacheEntry()
    {
        var cachePath = Path.Combine(_dir, "secret-cache.sqlite");
        var echo = $"bad request from user:{Password} with key {TestHosted.Key}";
        using var server = LoopbackOpenAIServer.Start(r => r.LastUserText.Contains("number 2", StringComparison.Ordinal)
            ? ServerReply.Error(503, echo)
            : r.LastUserText.Contains("number 3", StringComparison.Ordinal) ? ServerReply.Error(400, echo)
            : ServerReply.Completion("Fine. Rating: [[6]]"));
        var url = $"http://judge-user:{Password}@127.0.0.1:{server.Port}/v1";
        var spec = JudgeSpec.Parse($"openai:gpt-4o?base_url={url}&cache={cachePath}");
        var warnings = new List<string>();
        using var client = HostedChatClients.CreateOpenAI(spec, TestHosted.Options(o => o.MaxAttempts = 2), TestHosted.Env());
        client.GetService<SqliteResponseCache>()!.OnWarning = warnings.Add;
        var judge = new ChatAbsoluteJudge(spec.Text, client, new FixedRubricSelector(TestHosted.Rubric));

        var results = new[] { await judge.GradeAsync(TestHosted.Item(1)), await judge.GradeAsync(TestHosted.Item(2)), await judge.GradeAsync(TestHosted.Item(3)) };
        var thrown = await Assert.ThrowsAsync<ProviderException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "Question number 2?")]));
        var metadata = client.GetService<ChatClientMetadata>()!;
        SqliteConnection.ClearAllPools();

        Assert.Equal(VerdictStatus.Parsed, results[0].Status);
        Assert.Equal(VerdictStatus.Error, results[1].Status);
        Assert.Equal(VerdictStatus.Error, results[2].Status);
        Assert.Equal("http://127.0.0.1:" + server.Port + "/v1", metadata.ProviderUri!.ToString().TrimEnd('/'));

        // The password reached the spec's options, for the connection, and nothing else.
        Assert.Contains(Password, spec.Option("base_url"), StringComparison.Ordinal);
        var everything = new List<string>
        {
            spec.Text, spec.ToString(), spec.WithOption("cache_mode", "refresh").Text, thrown.Message, thrown.Endpoint, thrown.ToString(),
            metadata.ProviderUri.ToString(),
        };
        everything.AddRange(results.Select(r => r.Judge));
        everything.AddRange(results.Select(r => r.Error ?? string.Empty));
        everything.AddRange(results.SelectMany(r => r.Calls).Select(c => $"{c.Judge} {c.RawOutput} {c.Error}"));
        everything.AddRange(warnings);
        everything.Add(Encoding.UTF8.GetString(File.ReadAllBytes(cachePath)));
        foreach (var text in everything)
        {
            Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
            Assert.DoesNotContain(TestHosted.Key, text, StringComparison.Ordinal);
            Assert.DoesNotContain("judge-user", text, StringComparison.Ordinal);
        }

        Assert.Contains("[redacted]", results[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void SpecErrors_NeverEchoAPassword()
    {
        var ex = Assert.Throws<InputException>(() => HostedChatClients.CreateOpenAI(
            JudgeSpec.Parse($"openai:gpt-4o?base_url=http://u:{Password}@127.0.0.1:9/v1&rpm=0"), TestHosted.Options(), TestHosted.Env()));

        Assert.DoesNotContain(Password, ex.Message, StringComparison.Ordinal);
        Assert.Contains("rpm", ex.Message, StringComparison.Ordinal);
    }

    private sealed class ScriptedHandler(Func<HttpRequestMessage, HttpResponseMessage> script) : HttpMessageHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(script(request));
        }
    }
}

public sealed class MockSpecTests
{
    [Fact]
    public void Mock_MalformedPricesFile_IsAnInputError()
    {
        var path = Path.Combine(Path.GetTempPath(), $"judge-prices-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "gpt-4o: [this is: not: a price");
        try
        {
            var ex = Assert.Throws<InputException>(() => ChatClientRegistry.CreateDefault().Create(JudgeSpec.Parse($"mock:1?prices={path}")));

            Assert.Equal(path, ex.Path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public sealed class MockLogPathTests
{
    [Fact]
    public void Mock_LogIsADirectory_IsAnInputError()
    {
        var dir = Directory.CreateTempSubdirectory("judge-mock-log-").FullName;
        try
        {
            var ex = Assert.Throws<InputException>(() => ChatClientRegistry.CreateDefault().Create(JudgeSpec.Parse($"mock:1?log={dir}")));

            Assert.Contains("is a directory", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}

/// <summary>A service that is down is named within ~30 s, not retried silently until the call deadline.</summary>
public sealed class UnreachableEndpointTests
{
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello")];

    private static async Task<(Exception Error, TimeSpan Waited, int Attempts)> CallAsync(Func<int, HttpResponseMessage> script, double deadlineMinutes = 10, TimeSpan? expectedEnd = null)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var attempts = 0;
        var handler = new FuncHandler(_ => script(Interlocked.Increment(ref attempts)));
        var options = new HostedJudgeOptions
        {
            TimeProvider = clock,
            CallDeadline = TimeSpan.FromMinutes(deadlineMinutes),
            BaseDelay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(4),
            CircuitMinimumThroughput = 100_000,
            PrimaryHandlerFactory = () => handler,
        };
        using var client = HostedChatClients.CreateOpenAI(JudgeSpec.Parse("openai:gpt-4o?base_url=http://127.0.0.1:9/v1"), options, TestHosted.Env());
        var call = client.GetResponseAsync(Hello);
        var start = clock.GetUtcNow();
        FakeClockDriver.Drive(clock, call, () => Volatile.Read(ref attempts), options.MaxDelay, expectedEnd ?? options.CallDeadline);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => call);
        return (error, clock.GetUtcNow() - start, Volatile.Read(ref attempts));
    }

    private static HttpRequestException Refused() =>
        new(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:9)", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));

    [Fact]
    public async Task NeverAnswered_ConnectionRefused_StopsWithin30sNamingEndpointAndError()
    {
        var (error, waited, attempts) = await CallAsync(_ => throw Refused(), expectedEnd: TimeSpan.FromSeconds(30));

        var down = Assert.IsType<JudgeUnreachableException>(error);
        Assert.Equal("http://127.0.0.1:9/v1", down.Endpoint);
        Assert.InRange(waited, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(32));
        Assert.True(attempts > 3, $"{attempts} attempts");
        Assert.Contains("127.0.0.1:9", down.Message, StringComparison.Ordinal);
        Assert.Contains("connection refused", down.Message, StringComparison.Ordinal);
        Assert.Contains("never answered", down.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnsweredOnce_ThenRefused_KeepsRetryingPastThirtySeconds()
    {
        // The first attempt answers 503 (the server is there); connection errors after it are an outage to wait out.
        var (error, waited, _) = await CallAsync(n => n == 1
            ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("{\"error\":{\"message\":\"busy\"}}", Encoding.UTF8, "application/json") }
            : throw Refused(), deadlineMinutes: 2);

        Assert.IsType<ProviderException>(error);
        Assert.True(waited >= TimeSpan.FromMinutes(2), $"gave up after {waited}");
    }

    private sealed class FuncHandler(Func<HttpRequestMessage, HttpResponseMessage> script) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(script(request));
    }
}

/// <summary>A verdict schema keeps its limits on the wire: the score range travels as an enum, which servers enforce.</summary>
public sealed class VerdictSchemaOnTheWireTests
{
    [Fact]
    public async Task JsonVerdict_ScoreRange_ReachesTheServerAsAnEnumNotADescription()
    {
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("{\"score\": 7, \"feedback\": \"fine\"}"));
        using var client = TestHosted.OpenAI(server);
        var judge = TestHosted.Judge(client, new ChatJudgeOptions { UseLogitVerdicts = false, ConstrainVerdict = true });

        var grade = await judge.GradeAsync(TestHosted.Item(1));

        var body = Assert.Single(server.Requests).Json!;
        var score = body["response_format"]!["json_schema"]!["schema"]!["properties"]!["score"]!;
        Assert.Equal(VerdictStatus.Parsed, grade.Status);
        Assert.Equal("[1,2,3,4,5,6,7,8,9,10]", score["enum"]!.ToJsonString());
        Assert.DoesNotContain("minimum", score.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("description", score.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonVerdict_FeedbackLength_ReachesASelfHostedServerAsMaxLengthNotADescription()
    {
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("{\"feedback\": \"fine\", \"score\": 7}"));
        using var client = TestHosted.OpenAI(server);
        var judge = TestHosted.Judge(client, new ChatJudgeOptions { UseLogitVerdicts = false, ConstrainVerdict = true, MaxOutputTokens = 300 });

        var grade = await judge.GradeAsync(TestHosted.Item(1));

        var body = Assert.Single(server.Requests).Json!;
        var schema = body["response_format"]!["json_schema"]!["schema"]!;
        Assert.Equal(VerdictStatus.Parsed, grade.Status);
        // 300 tokens less the 34 the rest of the document may take on a 1..10 scale (VerdictSchema.ReservedTokens).
        Assert.Equal(266, (int)schema["properties"]!["feedback"]!["maxLength"]!);
        Assert.DoesNotContain("description", schema.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("[\"feedback\",\"score\"]", schema["required"]!.ToJsonString());
        Assert.Equal(300, (int)body["max_completion_tokens"]!);
    }

    [Fact]
    public async Task SchemaFile_ReachesASelfHostedServerUntransformed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"judge-schema-{Guid.NewGuid():N}.json");
        const string Schema = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},\"why\":{\"type\":\"string\",\"pattern\":\"^[a-z ]+$\"}},\"required\":[\"n\"]}";
        File.WriteAllText(path, Schema);
        try
        {
            using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("{\"n\": 3}"));
            using var client = TestHosted.OpenAI(server, $"&schema={path}");

            await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]);

            var sent = Assert.Single(server.Requests).Json!["response_format"]!["json_schema"]!["schema"]!;
            Assert.Equal(System.Text.Json.Nodes.JsonNode.Parse(Schema)!.ToJsonString(), sent.ToJsonString());
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>A provider's error body is shown on one line: its type and message, not the raw text with line breaks.</summary>
public sealed class ProviderErrorBodyTests
{
    [Theory]
    [InlineData("{\"error\":{\"code\":400,\"message\":\"request (2504 tokens) exceeds the available context size (2048 tokens), try increasing it\",\"type\":\"exceed_context_size_error\"}}", "exceed_context_size_error: request (2504 tokens) exceeds the available context size (2048 tokens), try increasing it")]
    [InlineData("{\"error\":\"model 'm' not found\\n\\ntry another\"}", "model 'm' not found try another")]
    public async Task HttpError_JsonBody_ShownAsTypeAndMessageOnOneLine(string body, string shown)
    {
        using var server = LoopbackOpenAIServer.Start(_ => new ServerReply { Status = 400, Body = body, Headers = new Dictionary<string, string> { ["Content-Type"] = "application/json" } });
        using var client = TestHosted.OpenAI(server);

        var error = await Assert.ThrowsAsync<ProviderException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]));

        Assert.Contains($"HTTP 400 (BadRequest), a permanent failure, not retried: {shown}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// Drives a fake clock in 250 ms steps until a call ends, as tests of retry timing need. A retry is due at most
/// <c>maxGap</c> after the last attempt, and the call should end at <c>expectedEnd</c>: when either is overdue on the
/// fake clock, the machine is slow, so the driver waits (real time, up to 2 s) for the call to catch up before time
/// moves on; otherwise a loaded machine would race the clock past attempts and the end.
/// </summary>
internal static class FakeClockDriver
{
    public static void Drive(FakeTimeProvider clock, Task call, Func<int> attempts, TimeSpan maxGap, TimeSpan expectedEnd)
    {
        var start = clock.GetUtcNow();
        var (lastAttempts, lastAttemptAt) = (0, start);
        for (var step = 0; step < 8_000 && !call.IsCompleted; step++)
        {
            var seen = attempts();
            if (seen != lastAttempts)
            {
                (lastAttempts, lastAttemptAt) = (seen, clock.GetUtcNow());
            }

            var now = clock.GetUtcNow();
            if (now - lastAttemptAt >= maxGap || now - start >= expectedEnd)
            {
                SpinWait.SpinUntil(() => call.IsCompleted || attempts() != seen, TimeSpan.FromSeconds(2));
            }

            if (call.IsCompleted)
            {
                break;
            }

            clock.Advance(TimeSpan.FromMilliseconds(250));
            SpinWait.SpinUntil(() => call.IsCompleted || attempts() != seen, TimeSpan.FromMilliseconds(20));
        }
    }
}

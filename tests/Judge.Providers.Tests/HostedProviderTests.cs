using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Hosted;
using Judge.Providers.Tests.Fakes;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Judge.Providers.Tests;

public sealed class HostedProviderTests
{
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello")];

    [Fact]
    public async Task OpenAI_Success_ParsesVerdictAndRecordsUsage()
    {
        using var server = LoopbackOpenAIServer.Start();
        using var client = TestHosted.OpenAI(server);

        var result = await TestHosted.Judge(client, new ChatJudgeOptions { Seed = 42 }).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Parsed, result.Status);
        Assert.Equal(7, result.Score);
        var call = Assert.Single(result.Calls);
        Assert.Equal(120, call.InputTokens);
        Assert.Equal(12, call.OutputTokens);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer " + TestHosted.Key, request.Authorization);
        Assert.Equal(0, (double)request.Json!["temperature"]!);
        Assert.Equal(42, (long)request.Json!["seed"]!);
        Assert.Equal("gpt-4o", (string?)request.Json!["model"]);
    }

    [Fact]
    public async Task Azure_Request_UsesDeploymentPathApiVersionAndApiKeyHeader()
    {
        using var server = LoopbackOpenAIServer.Start();
        var spec = JudgeSpec.Parse($"azure:my-deployment?endpoint={server.Root}&api_version=2024-10-21");
        using var client = HostedChatClients.CreateAzure(spec, TestHosted.Options(), TestHosted.Env());

        var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Parsed, result.Status);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/openai/deployments/my-deployment/chat/completions", request.Path);
        Assert.Contains("api-version=2024-10-21", request.Query, StringComparison.Ordinal);
        Assert.Equal(TestHosted.Key, request.ApiKey);
    }

    [Fact]
    public async Task Azure_EndpointFromEnvironment_IsUsed()
    {
        using var server = LoopbackOpenAIServer.Start();
        using var client = HostedChatClients.CreateAzure(JudgeSpec.Parse("azure:dep"), TestHosted.Options(), TestHosted.Env(azureEndpoint: server.Root.ToString()));

        await client.GetResponseAsync(Hello);

        Assert.StartsWith("/openai/deployments/dep/", Assert.Single(server.Requests).Path, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NoKeyAndNoBaseUrl_IsUnavailable()
    {
        var ex = Assert.Throws<JudgeUnavailableException>(() => HostedChatClients.CreateOpenAI(JudgeSpec.Parse("openai:gpt-4o"), null, TestHosted.Env(key: null)));
        Assert.Contains("OPENAI_API_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_KeyInSpec_IsRefusedWithoutEchoingIt()
    {
        var ex = Assert.Throws<InputException>(() => HostedChatClients.CreateOpenAI(JudgeSpec.Parse("openai:gpt-4o?api_key=sk-leaky-value-123"), null, TestHosted.Env()));
        Assert.DoesNotContain("sk-leaky-value-123", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_Default_HasOpenAIAndAzure()
    {
        var registry = ChatClientRegistry.CreateDefault();
        Assert.True(registry.Contains("openai"));
        Assert.True(registry.Contains("azure"));
    }

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(408)]
    public async Task Transient_ThenSuccess_IsRetried(int status)
    {
        using var server = LoopbackOpenAIServer.Start(LoopbackOpenAIServer.Sequence([ServerReply.Error(status, "busy"), ServerReply.Error(status, "busy")]));
        using var client = TestHosted.OpenAI(server);

        var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Parsed, result.Status);
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public async Task Retry_AlwaysFailing_IsBoundedAndRecordedAsError()
    {
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Error(503, "overloaded"));
        using var client = TestHosted.OpenAI(server, options: TestHosted.Options(o => o.MaxAttempts = 3));

        var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Error, result.Status);
        Assert.Equal(3, server.RequestCount);
        Assert.Contains("HTTP 503", result.Error, StringComparison.Ordinal);
        Assert.Contains("3 attempt", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetryAfterSeconds_IsHonoured()
    {
        var headers = new Dictionary<string, string> { ["Retry-After"] = "1" };
        using var server = LoopbackOpenAIServer.Start(LoopbackOpenAIServer.Sequence([ServerReply.Error(429, "slow down", headers)]));
        using var client = TestHosted.OpenAI(server);

        await client.GetResponseAsync(Hello);

        var times = server.Requests.Select(r => r.Arrived).ToArray();
        Assert.Equal(2, times.Length);
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(900), $"waited {(times[1] - times[0]).TotalMilliseconds} ms");
    }

    [Fact]
    public void RetryAfter_HeaderForms_AreRead()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        seconds.Headers.TryAddWithoutValidation("Retry-After", "7");
        using var date = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        date.Headers.TryAddWithoutValidation("Retry-After", "Thu, 01 Jan 2026 12:00:30 GMT");
        using var past = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        past.Headers.TryAddWithoutValidation("Retry-After", "Thu, 01 Jan 2026 11:00:00 GMT");
        using var ms = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        ms.Headers.TryAddWithoutValidation("retry-after-ms", "250");
        using var none = new HttpResponseMessage(HttpStatusCode.TooManyRequests);

        Assert.Equal(TimeSpan.FromSeconds(7), ResilienceHandler.RetryAfter(seconds, clock));
        Assert.Equal(TimeSpan.FromSeconds(30), ResilienceHandler.RetryAfter(date, clock));
        Assert.Equal(TimeSpan.Zero, ResilienceHandler.RetryAfter(past, clock));
        Assert.Equal(TimeSpan.FromMilliseconds(250), ResilienceHandler.RetryAfter(ms, clock));
        Assert.Null(ResilienceHandler.RetryAfter(none, clock));
    }

    [Fact]
    public async Task SlowResponse_PastAttemptTimeout_IsRetried()
    {
        using var server = LoopbackOpenAIServer.Start(LoopbackOpenAIServer.Sequence([new ServerReply { Delay = TimeSpan.FromSeconds(10), Body = "{}" }]));
        using var client = TestHosted.OpenAI(server, options: TestHosted.Options(o => o.SelfHostedAttemptTimeout = TimeSpan.FromSeconds(1)));

        var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Parsed, result.Status);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task ConnectionReset_IsRetried()
    {
        using var server = LoopbackOpenAIServer.Start(LoopbackOpenAIServer.Sequence([new ServerReply { Reset = true }]));
        using var client = TestHosted.OpenAI(server);

        var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Parsed, result.Status);
        Assert.Equal(2, server.RequestCount);
    }

    public static TheoryData<string, string, string> NonTransient => new()
    {
        { "not a completion", "{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":\"oops\"}", "not a readable chat completion" },
        { "no choices", "{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[]}", "no choices" },
        { "content filter", ServerReply.Completion(string.Empty, finishReason: "content_filter").Body, "content filter" },
        { "400", "400", "HTTP 400" },
        { "401", "401", "HTTP 401" },
        { "404", "404", "HTTP 404" },
    };

    [Theory]
    [MemberData(nameof(NonTransient))]
    public async Task NonTransientFailure_IsNotRetriedAndRecordedAsErrorWithCause(string name, string body, string cause)
    {
        var reply = int.TryParse(body, out var status)
            ? ServerReply.Error(status, $"rejected; you sent key {TestHosted.Key}")
            : new ServerReply { Body = body };
        using var server = LoopbackOpenAIServer.Start(_ => reply);
        using var client = TestHosted.OpenAI(server);

        var result = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(VerdictStatus.Error, result.Status);
        Assert.Equal(1, server.RequestCount);
        Assert.True(result.Error!.Contains(cause, StringComparison.OrdinalIgnoreCase), result.Error);
        Assert.DoesNotContain(TestHosted.Key, result.Error, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Fact]
    public async Task Pairwise_Failure_IsRecordedAsErrorOnBothOrders()
    {
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Completion(string.Empty, finishReason: "content_filter"));
        using var client = TestHosted.OpenAI(server);
        var rubric = TestHosted.Rubric with
        {
            Id = "pair",
            Mode = Judge.Rubrics.RubricMode.Pairwise,
            Scale = null,
            Prompt = Judge.Rubrics.PromptTemplate.Parse("{question}\n{answer_a}\n{answer_b}"),
        };
        var judge = new PositionSwapJudge(new ChatPairwiseJudge("openai:test", client, new FixedRubricSelector(rubric)));
        var item = new PairwiseItem(TestHosted.Item(1).Question, new Judge.Data.ModelAnswer("1", "a", ["x"]), new Judge.Data.ModelAnswer("1", "b", ["y"]), 1);

        var result = await judge.JudgeAsync(item);

        Assert.Equal(VerdictStatus.Error, result.Status);
        Assert.All(result.Calls, c => Assert.Contains("content filter", c.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Key_NeverAppearsInExceptionsOrRecordedErrors()
    {
        // Every failure path, each reply echoing the key the way a careless server might.
        var echo = $"bad key {TestHosted.Key}";
        var replies = new Func<ServerRequest, ServerReply>[]
        {
            _ => ServerReply.Error(401, echo),
            _ => ServerReply.Error(400, echo),
            _ => ServerReply.Error(503, echo),
            _ => ServerReply.Error(429, echo),
            _ => new ServerReply { Body = "{\"oops\": \"" + TestHosted.Key },
            _ => new ServerReply { Reset = true },
        };
        var messages = new List<string>();
        foreach (var script in replies)
        {
            using var server = LoopbackOpenAIServer.Start(script);
            using var client = TestHosted.OpenAI(server, options: TestHosted.Options(o => o.MaxAttempts = 2));
            var ex = await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync(Hello));
            for (var e = ex; e is not null; e = e.InnerException)
            {
                messages.Add(e.ToString());
            }

            var judged = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));
            messages.Add(judged.Error ?? string.Empty);
            messages.AddRange(judged.Calls.Select(c => c.Error ?? string.Empty));
        }

        Assert.All(messages, m => Assert.DoesNotContain(TestHosted.Key, m, StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("[redacted]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CallerCancellation_IsNotRetried()
    {
        using var server = LoopbackOpenAIServer.Start(_ => new ServerReply { Delay = TimeSpan.FromSeconds(10), Body = "{}" });
        using var client = TestHosted.OpenAI(server);
        using var cts = new CancellationTokenSource();

        var grading = TestHosted.Judge(client).GradeAsync(TestHosted.Item(1), cts.Token);
        for (var i = 0; i < 500 && server.RequestCount == 0; i++)
        {
            await Task.Delay(10);
        }

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => grading);
        await Task.Delay(100);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task TemperatureRejected_IsRetriedOnceWithoutItAndRecorded()
    {
        using var server = LoopbackOpenAIServer.Start(r => r.Json!["temperature"] is not null
            ? ServerReply.Error(400, "Unsupported parameter: 'temperature' is not supported with this model.")
            : ServerReply.Completion("Rating: [[8]]"));
        using var client = TestHosted.OpenAI(server, model: "o3-mini");

        var first = await client.GetResponseAsync(Hello, new ChatOptions { Temperature = 0 });
        var second = await client.GetResponseAsync(Hello, new ChatOptions { Temperature = 0 });

        Assert.Contains("temperature", (string)first.AdditionalProperties![OptionFallbackChatClient.DegradedKey]!, StringComparison.Ordinal);
        Assert.Contains("temperature", (string)second.AdditionalProperties![OptionFallbackChatClient.DegradedKey]!, StringComparison.Ordinal);
        Assert.Equal(3, server.RequestCount); // 400, retry without it, then the second call goes straight without it.
    }

    [Fact]
    public async Task ConcurrentRun_WithScriptedFaults_LosesAndDuplicatesNothing()
    {
        var faults = new ConcurrentDictionary<string, int>();
        using var server = LoopbackOpenAIServer.Start(r =>
        {
            // The first attempt of every third item fails in a different way; retries succeed.
            var text = r.LastUserText;
            var n = int.Parse(text.Split("Question number ")[1].Split('?')[0]);
            var attempt = faults.AddOrUpdate(text, 1, (_, a) => a + 1);
            if (attempt == 1 && n % 3 == 0)
            {
                return (n / 3 % 4) switch
                {
                    0 => ServerReply.Error(429, "rate"),
                    1 => ServerReply.Error(500, "oops"),
                    2 => new ServerReply { Reset = true },
                    _ => ServerReply.Error(503, "busy", new Dictionary<string, string> { ["Retry-After"] = "0" }),
                };
            }

            return ServerReply.Completion($"Item {n}. Rating: [[{(n % 10) + 1}]]");
        });
        server.Latency = TimeSpan.FromMilliseconds(20);
        using var client = TestHosted.OpenAI(server, options: TestHosted.Options(o => o.MaxConcurrency = 8));
        var judge = TestHosted.Judge(client);

        var results = await Task.WhenAll(Enumerable.Range(1, 50).Select(i => judge.GradeAsync(TestHosted.Item(i))));

        Assert.All(results, r => Assert.Equal(VerdictStatus.Parsed, r.Status));
        Assert.Equal(50, results.Select(r => r.Item).Distinct().Count());
        Assert.All(results, r => Assert.Equal((int.Parse(r.QuestionId) % 10) + 1, r.Score));
        Assert.Equal(50 + 16, server.RequestCount); // 16 items (3, 6, …, 48) failed once each.
    }

    [Fact]
    public async Task ConcurrencyCap_IsRespected()
    {
        var inFlight = 0;
        var peak = 0;
        using var server = LoopbackOpenAIServer.Start(_ =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref peak, now);
            Thread.Sleep(30);
            Interlocked.Decrement(ref inFlight);
            return ServerReply.Completion("Rating: [[7]]");
        });
        using var client = TestHosted.OpenAI(server, "&concurrency=3");
        var judge = TestHosted.Judge(client);

        await Task.WhenAll(Enumerable.Range(1, 20).Select(i => judge.GradeAsync(TestHosted.Item(i))));

        Assert.InRange(peak, 1, 3);
    }

    [Fact]
    public async Task SeveralEndpoints_OneDown_FailsOverAndLosesNothing()
    {
        using var healthy = LoopbackOpenAIServer.Start();
        using var broken = LoopbackOpenAIServer.Start(_ => ServerReply.Error(503, "down"));
        var spec = JudgeSpec.Parse($"openai:gpt-4o?base_url={broken.BaseUrl},{healthy.BaseUrl}");
        using var client = HostedChatClients.CreateOpenAI(spec, TestHosted.Options(o =>
        {
            o.MaxAttempts = 2;
            o.CircuitMinimumThroughput = 4;
        }), TestHosted.Env());
        var judge = TestHosted.Judge(client);

        var results = await Task.WhenAll(Enumerable.Range(1, 30).Select(i => judge.GradeAsync(TestHosted.Item(i))));

        Assert.All(results, r => Assert.Equal(VerdictStatus.Parsed, r.Status));
        Assert.Equal(30, healthy.RequestCount);

        // The broken endpoint's circuit opened, so it was not tried for every item.
        Assert.True(broken.RequestCount < 60, $"broken endpoint saw {broken.RequestCount}");
    }

    [Fact]
    public async Task CircuitBreaker_OpensOnAFailingEndpointAndStopsCallingIt()
    {
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Error(500, "broken"));
        using var client = TestHosted.OpenAI(server, options: TestHosted.Options(o =>
        {
            o.MaxAttempts = 2;
            o.CircuitMinimumThroughput = 4;
            o.CircuitBreakDuration = TimeSpan.FromMinutes(1);

            // A sole endpoint's open circuit is waited out within the deadline; this break outlasts it.
            o.CallDeadline = TimeSpan.FromSeconds(30);
        }));
        var judge = TestHosted.Judge(client);

        var results = new List<AbsoluteVerdict>();
        for (var i = 1; i <= 10; i++)
        {
            results.Add(await judge.GradeAsync(TestHosted.Item(i)));
        }

        Assert.All(results, r => Assert.Equal(VerdictStatus.Error, r.Status));
        Assert.Contains(results, r => r.Error!.Contains("circuit open", StringComparison.Ordinal));
        Assert.True(server.RequestCount <= 6, $"server saw {server.RequestCount} requests after its circuit should have opened");
    }

    [Fact]
    public async Task SeveralEndpoints_Healthy_ShareTheLoad()
    {
        using var a = LoopbackOpenAIServer.Start();
        using var b = LoopbackOpenAIServer.Start();
        a.Latency = b.Latency = TimeSpan.FromMilliseconds(50);
        using var client = HostedChatClients.CreateOpenAI(JudgeSpec.Parse($"openai:gpt-4o?base_url={a.BaseUrl},{b.BaseUrl}"), TestHosted.Options(), TestHosted.Env());
        var judge = TestHosted.Judge(client);

        await Task.WhenAll(Enumerable.Range(1, 40).Select(i => judge.GradeAsync(TestHosted.Item(i))));

        Assert.Equal(40, a.RequestCount + b.RequestCount);
        Assert.InRange(a.RequestCount, 10, 30);
    }

    [Fact]
    public async Task StructuredOutputAndLogprobs_AreRequestedAndReturned()
    {
        var logprobs = JsonNode.Parse("""{"content":[{"token":"7","logprob":-0.1,"bytes":null,"top_logprobs":[{"token":"7","logprob":-0.1,"bytes":null},{"token":"8","logprob":-2.4,"bytes":null}]}]}""");
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("{\"score\": 7}", logprobs: logprobs));
        using var client = TestHosted.OpenAI(server, "&format=json&logprobs=2&max_tokens=64");

        var response = await client.GetResponseAsync(Hello);

        var request = Assert.Single(server.Requests).Json!;
        Assert.Equal("json_object", (string?)request["response_format"]!["type"]);
        Assert.True((bool)request["logprobs"]!);
        Assert.Equal(2, (int)request["top_logprobs"]!);
        Assert.Contains("\"token\":\"8\"", (string)response.AdditionalProperties![LogProbabilities.Key]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GradeAsync_EndpointReturnsLogprobs_VerdictCarriesTheLabelProbability()
    {
        // The endpoint writes "[[7]]" with top_logprobs at the verdict token 7: -0.1, 8: -2.4, "[": -3 (no label).
        // Renormalised over the scale's labels: P(7) = e^-0.1 / (e^-0.1 + e^-2.4) = 0.90484 / (0.90484 + 0.09072) = 0.90888.
        var logprobs = JsonNode.Parse("""{"content":[{"token":"[[","logprob":-0.01,"bytes":null,"top_logprobs":[]},{"token":"7","logprob":-0.1,"bytes":null,"top_logprobs":[{"token":"7","logprob":-0.1,"bytes":null},{"token":"8","logprob":-2.4,"bytes":null},{"token":"[","logprob":-3,"bytes":null}]},{"token":"]]","logprob":0,"bytes":null,"top_logprobs":[]}]}""");
        using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("Fine. [[7]]", logprobs: logprobs));
        using var client = TestHosted.OpenAI(server, "&logprobs=3&max_tokens=64");

        var verdict = await TestHosted.Judge(client).GradeAsync(TestHosted.Item(1));

        Assert.Equal(7, verdict.Score);
        Assert.Equal(Math.Exp(-0.1) / (Math.Exp(-0.1) + Math.Exp(-2.4)), verdict.Confidence!.Value, 12);
        Assert.Equal(0.90888, verdict.Confidence.Value, 5);
        Assert.Equal("logprobs", verdict.ConfidenceSource);
        Assert.Equal(["7", "8"], Assert.Single(verdict.Calls).Probabilities!.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Cascade_OfTwoHostedJudges_EscalatesOnlyWhatTheCheapOneIsUnsureOf()
    {
        // The cheap endpoint is sure of answer 1 (P(7) = 0.909) and unsure of answer 2 (P(7) = e^-0.5 / (e^-0.5 + e^-1) = 0.622);
        // the strong endpoint is sure of everything. Thresholds 0.9 and 0.9: answer 2 goes on, answer 1 stops at the cheap judge.
        static JsonNode Tokens(double seven, double eight) => JsonNode.Parse($$"""{"content":[{"token":"[[","logprob":-0.01,"bytes":null,"top_logprobs":[]},{"token":"7","logprob":{{seven}},"bytes":null,"top_logprobs":[{"token":"7","logprob":{{seven}},"bytes":null},{"token":"8","logprob":{{eight}},"bytes":null}]},{"token":"]]","logprob":0,"bytes":null,"top_logprobs":[]}]}""")!;
        using var cheapServer = LoopbackOpenAIServer.Start(r => ServerReply.Completion("[[7]]", logprobs: r.Body.Contains("Answer number 1.", StringComparison.Ordinal) ? Tokens(-0.1, -2.4) : Tokens(-0.5, -1)));
        using var strongServer = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("[[7]]", logprobs: Tokens(-0.01, -5)));
        using var cheap = TestHosted.OpenAI(cheapServer, "&logprobs=2", model: "gpt-4o-mini");
        using var strong = TestHosted.OpenAI(strongServer, "&logprobs=2");
        var cascade = new CascadeAbsoluteJudge("cascade", [new CascadeStage<IAbsoluteJudge>(TestHosted.Judge(cheap), 0.9), new CascadeStage<IAbsoluteJudge>(TestHosted.Judge(strong), 0.9)]);

        var sure = await cascade.GradeAsync(TestHosted.Item(1));
        var unsure = await cascade.GradeAsync(TestHosted.Item(2));

        Assert.Equal((1, 7.0), (sure.Stage!.Value, sure.Score!.Value));
        Assert.Equal((2, 7.0), (unsure.Stage!.Value, unsure.Score!.Value));
        Assert.Equal(Math.Exp(-0.5) / (Math.Exp(-0.5) + Math.Exp(-1)), unsure.Cascade![0].Confidence!.Value, 12);
        Assert.Equal((2, 1), (cheapServer.RequestCount, strongServer.RequestCount));
    }

    [Fact]
    public async Task Panel_OfThreeHostedJudges_TakesTheMedianAndRecordsEveryMembersCallAndConfidence()
    {
        // Three endpoints score the same answer 6, 7 and 7, each with logprobs at the verdict token: the panel's median is 7,
        // its confidence the share of members that gave it (2 of 3), and each member's call keeps its own label probability.
        static JsonNode Tokens(string label, double logprob) => JsonNode.Parse($$"""{"content":[{"token":"[[","logprob":-0.01,"bytes":null,"top_logprobs":[]},{"token":"{{label}}","logprob":{{logprob}},"bytes":null,"top_logprobs":[{"token":"{{label}}","logprob":{{logprob}},"bytes":null},{"token":"5","logprob":-3,"bytes":null}]},{"token":"]]","logprob":0,"bytes":null,"top_logprobs":[]}]}""")!;
        using var six = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("[[6]]", logprobs: Tokens("6", -0.2)));
        using var sevenA = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("[[7]]", logprobs: Tokens("7", -0.1)));
        using var sevenB = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("[[7]]", logprobs: Tokens("7", -0.3)));
        using var a = TestHosted.OpenAI(six, "&logprobs=2", model: "judge-a");
        using var b = TestHosted.OpenAI(sevenA, "&logprobs=2", model: "judge-b");
        using var c = TestHosted.OpenAI(sevenB, "&logprobs=2", model: "judge-c");
        var panel = new PanelAbsoluteJudge("panel", [TestHosted.Judge(a), TestHosted.Judge(b), TestHosted.Judge(c)]);

        var verdict = await panel.GradeAsync(TestHosted.Item(1));

        Assert.Equal((VerdictStatus.Parsed, 7.0), (verdict.Status, verdict.Score!.Value));
        Assert.Equal(2.0 / 3, verdict.Confidence!.Value, 12);
        Assert.Equal(VerdictConfidence.Panel, verdict.ConfidenceSource);
        Assert.Equal(3, verdict.Calls.Count);
        // Each member's own confidence: its label's probability renormalised over the labels the endpoint returned.
        Assert.Equal(Math.Exp(-0.2) / (Math.Exp(-0.2) + Math.Exp(-3)), verdict.Calls[0].Confidence!.Value, 9);
        Assert.Equal((1, 1, 1), (six.RequestCount, sevenA.RequestCount, sevenB.RequestCount));
    }

    [Fact]
    public async Task JsonSchemaOption_IsSentAsStructuredOutput()
    {
        var schema = Path.Combine(Path.GetTempPath(), $"verdict-{Guid.NewGuid():N}.json");
        File.WriteAllText(schema, """{"type":"object","properties":{"score":{"type":"integer"}},"required":["score"],"additionalProperties":false}""");
        try
        {
            using var server = LoopbackOpenAIServer.Start(_ => ServerReply.Completion("{\"score\": 7}"));
            using var client = TestHosted.OpenAI(server, $"&schema={schema}");

            await client.GetResponseAsync(Hello);

            var format = Assert.Single(server.Requests).Json!["response_format"]!;
            Assert.Equal("json_schema", (string?)format["type"]);
            Assert.Equal("integer", (string?)format["json_schema"]!["schema"]!["properties"]!["score"]!["type"]);
        }
        finally
        {
            File.Delete(schema);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

using System.Net;
using System.Text;
using Judge.Judging;
using Judge.Providers.Hosted;
using Judge.Providers.Tests.Fakes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Judge.Providers.Tests;

/// <summary>
/// A self-hosted server queues what it has no slot for and answers only when done, so its attempts get a longer timeout
/// (600 s) than a provider's host (120 s): a request queued past two minutes is not cancelled and sent again.
/// </summary>
public sealed class AttemptTimeoutTests
{
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello")];

    private static (IChatClient Client, QueuedServer Server, FakeTimeProvider Clock) Build(string baseUrl, string extra = "")
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var server = new QueuedServer();
        var options = new HostedJudgeOptions
        {
            TimeProvider = clock,
            BaseDelay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(2),
            CircuitMinimumThroughput = 100_000,
            PrimaryHandlerFactory = () => server,
        };
        var client = HostedChatClients.CreateOpenAI(JudgeSpec.Parse($"openai:gpt-4o?base_url={baseUrl}{extra}"), options, TestHosted.Env());
        return (client, server, clock);
    }

    /// <summary>Moves the fake clock one second at a time to <paramref name="seconds"/> after the start, giving each step's timers a moment to run.</summary>
    private static void AdvanceTo(FakeTimeProvider clock, DateTimeOffset start, int seconds, Func<bool> done)
    {
        while (clock.GetUtcNow() - start < TimeSpan.FromSeconds(seconds) && !done())
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            SpinWait.SpinUntil(done, TimeSpan.FromMilliseconds(5));
        }
    }

    [Fact]
    public async Task SelfHostedServer_QueuedPastTwoMinutes_IsNotCancelledOrSentAgain()
    {
        var (client, server, clock) = Build("http://127.0.0.1:8080/v1");
        using var _ = client;
        var start = clock.GetUtcNow();
        var call = client.GetResponseAsync(Hello);
        Assert.True(SpinWait.SpinUntil(() => server.Calls == 1, TimeSpan.FromSeconds(10)));

        AdvanceTo(clock, start, 590, () => server.Cancelled > 0);
        server.Serve();
        var response = await call;

        Assert.Equal(0, server.Cancelled);
        Assert.Equal(1, server.Calls);
        Assert.Contains("[[7]]", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SelfHostedServer_PastTenMinutes_IsCancelledAndRetriedWithinALongerDeadline()
    {
        // The default call deadline is also 600 s, so a retry needs a longer one.
        var (client, server, clock) = Build("http://127.0.0.1:8080/v1", "&deadline=1800");
        using var _ = client;
        var start = clock.GetUtcNow();
        var call = client.GetResponseAsync(Hello);
        Assert.True(SpinWait.SpinUntil(() => server.Calls == 1, TimeSpan.FromSeconds(10)));

        AdvanceTo(clock, start, 610, () => server.Cancelled > 0);
        Assert.True(SpinWait.SpinUntil(() => server.Cancelled == 1, TimeSpan.FromSeconds(10)));
        AdvanceTo(clock, start, 620, () => server.Calls > 1);
        server.Serve();
        await call;

        Assert.InRange(clock.GetUtcNow() - start, TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(620));
        Assert.Equal(2, server.Calls);
    }

    [Fact]
    public async Task ProviderHost_PastTwoMinutes_IsCancelledAndRetried()
    {
        // The handler stands in for api.openai.com: nothing leaves the machine.
        var (client, server, clock) = Build("https://api.openai.com/v1");
        using var _ = client;
        var start = clock.GetUtcNow();
        var call = client.GetResponseAsync(Hello);
        Assert.True(SpinWait.SpinUntil(() => server.Calls == 1, TimeSpan.FromSeconds(10)));

        AdvanceTo(clock, start, 119, () => server.Cancelled > 0);
        Assert.Equal(0, server.Cancelled);
        AdvanceTo(clock, start, 125, () => server.Cancelled > 0);
        Assert.True(SpinWait.SpinUntil(() => server.Cancelled == 1, TimeSpan.FromSeconds(10)));
        AdvanceTo(clock, start, 130, () => server.Calls > 1);
        server.Serve();
        await call;

        Assert.Equal(2, server.Calls);
    }

    [Fact]
    public async Task TimeoutOption_SetsTheSelfHostedAttemptTimeout()
    {
        var (client, server, clock) = Build("http://127.0.0.1:8080/v1", "&timeout=30");
        using var _ = client;
        var start = clock.GetUtcNow();
        var call = client.GetResponseAsync(Hello);
        Assert.True(SpinWait.SpinUntil(() => server.Calls == 1, TimeSpan.FromSeconds(10)));

        AdvanceTo(clock, start, 29, () => server.Cancelled > 0);
        Assert.Equal(0, server.Cancelled);
        AdvanceTo(clock, start, 35, () => server.Cancelled > 0);
        Assert.True(SpinWait.SpinUntil(() => server.Cancelled == 1, TimeSpan.FromSeconds(10)));
        AdvanceTo(clock, start, 40, () => server.Calls > 1);
        server.Serve();
        await call;

        Assert.Equal(2, server.Calls);
    }

    [Fact]
    public async Task SelfHostedServer_PastTenMinutes_UnderTheDefaultDeadline_FailsNamingTheTimeoutOption()
    {
        var (client, server, clock) = Build("http://127.0.0.1:8080/v1");
        using var _ = client;
        var start = clock.GetUtcNow();
        var call = client.GetResponseAsync(Hello);
        Assert.True(SpinWait.SpinUntil(() => server.Calls == 1, TimeSpan.FromSeconds(10)));

        AdvanceTo(clock, start, 610, () => call.IsCompleted);
        var error = await Assert.ThrowsAsync<ProviderException>(() => call);

        Assert.Equal(1, server.Calls);
        Assert.Contains("attempt timeout of 600 s (spec option timeout=SECONDS)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://api.openai.com/v1", true)]
    [InlineData("https://my-resource.openai.azure.com", true)]
    [InlineData("https://gw.azure-api.net/openai", true)]
    [InlineData("http://127.0.0.1:8080/v1", false)]
    [InlineData("http://gpu-box.local:8000/v1", false)]
    [InlineData("https://openai.com.example.org/v1", false)]
    public void IsProviderHost_TellsProvidersFromSelfHostedServers(string url, bool provider) =>
        Assert.Equal(provider, HostedJudges.IsProviderHost(new Uri(url)));

    /// <summary>A server that holds every request until <see cref="Serve"/> (as a busy llama-server queues it), then answers.</summary>
    private sealed class QueuedServer : HttpMessageHandler
    {
        private readonly TaskCompletionSource _served = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;
        private int _cancelled;

        public int Calls => Volatile.Read(ref _calls);

        public int Cancelled => Volatile.Read(ref _cancelled);

        public void Serve() => _served.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            try
            {
                await _served.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }

            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(ServerReply.Completion("Fine. Rating: [[7]]").Body, Encoding.UTF8, "application/json"),
            };
        }
    }
}

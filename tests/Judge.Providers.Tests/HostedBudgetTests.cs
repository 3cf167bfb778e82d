using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Tests.Fakes;
using Judge.Runs;
using Judge.Verdicts;

namespace Judge.Providers.Tests;

/// <summary>Runs alone: timing checks on a shared 2-core machine need the thread pool to themselves.</summary>
[CollectionDefinition(nameof(TimingCollection), DisableParallelization = true)]
public sealed class TimingCollection;

[Collection(nameof(TimingCollection))]
public sealed class HostedBudgetTests
{
    [Fact]
    public async Task RequestBudget_IsRespectedWithoutRateLimitErrors()
    {
        // 600 rpm paced at 98% = 9.8 per second, so about 20 in any 2 s window. The server answers 429 once it
        // has accepted 24 in the last 2 s: 20% slack for arrival-time jitter on a shared 2-core machine, while an
        // unbudgeted run (30 requests, 8 at a time, 50 ms each) would put all 30 in one window.
        var throttled = 0;
        var accepted = new Queue<TimeSpan>();
        using var server = LoopbackOpenAIServer.Start(r =>
        {
            lock (accepted)
            {
                while (accepted.Count > 0 && r.Arrived - accepted.Peek() >= TimeSpan.FromSeconds(2))
                {
                    accepted.Dequeue();
                }

                if (accepted.Count >= 24)
                {
                    throttled++;
                    return ServerReply.Error(429, "over budget");
                }

                accepted.Enqueue(r.Arrived);
            }

            return ServerReply.Completion("Rating: [[7]]");
        });
        server.Latency = TimeSpan.FromMilliseconds(50);
        using var client = TestHosted.OpenAI(server, "&rpm=600&concurrency=8");
        var judge = TestHosted.Judge(client);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(1, 30).Select(i => judge.GradeAsync(TestHosted.Item(i))));

        Assert.True(throttled == 0, string.Join(" ", server.Requests.Select(r => ((int)r.Arrived.TotalMilliseconds).ToString())));
        Assert.All(results, r => Assert.Equal(VerdictStatus.Parsed, r.Status));
        Assert.Equal(30, server.RequestCount);
        Assert.True(server.MaxInAnyWindow(TimeSpan.FromSeconds(2)) <= 24, $"max {server.MaxInAnyWindow(TimeSpan.FromSeconds(2))} in 2 s");
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(2.5), $"30 requests at 10/s took {started.Elapsed}");
    }
}

public sealed class EndpointBudgetTests
{
    [Fact]
    public async Task TokenBudget_WaitsForRefillAndClampsOversizedRequests()
    {
        // 6,000 tokens/min at full utilisation: 100 tokens/s, bursts up to 10 s' worth = 1,000 tokens.
        using var budget = new Judge.Providers.Hosted.EndpointBudget(null, 6000, 4, utilisation: 1.0);
        Assert.Equal(1000, budget.TokenLimit);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        using (await budget.AcquireAsync(50_000, CancellationToken.None))
        {
            // An estimate above the bucket is clamped to it rather than refused forever.
        }

        Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(500), $"first grant took {sw.Elapsed}");
        sw.Restart();
        using (await budget.AcquireAsync(100, CancellationToken.None))
        {
        }

        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(500), $"second grant after {sw.Elapsed}, bucket should have been empty");
    }

    [Fact]
    public async Task ConcurrencyBudget_QueuesBeyondTheCap()
    {
        using var budget = new Judge.Providers.Hosted.EndpointBudget(null, null, 2);
        var a = await budget.AcquireAsync(1, CancellationToken.None);
        var b = await budget.AcquireAsync(1, CancellationToken.None);
        var c = budget.AcquireAsync(1, CancellationToken.None).AsTask();

        await Task.Delay(50);
        Assert.False(c.IsCompleted);
        a.Dispose();
        (await c).Dispose();
        b.Dispose();
    }
}

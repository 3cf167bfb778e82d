using System.Threading.RateLimiting;

namespace Judge.Providers.Hosted;

/// <summary>
/// The client-side budget of one endpoint: requests per minute, estimated prompt tokens per minute and
/// requests in flight. Every attempt (retries included) draws from it, so a run with a budget stays
/// inside it rather than finding the limit by collecting 429s. Thread-safe.
/// </summary>
internal sealed class EndpointBudget : IDisposable
{
    private readonly TokenBucketRateLimiter? _requests;
    private readonly TokenBucketRateLimiter? _tokens;
    private readonly ConcurrencyLimiter _concurrency;

    public EndpointBudget(int? requestsPerMinute, int? tokensPerMinute, int maxConcurrency, double utilisation = 1.0)
    {
        // Pacing a hair under the stated budget keeps a server's own window (whose clock and arrival times
        // differ from ours by jitter) from ever seeing one request too many.
        requestsPerMinute = requestsPerMinute is > 0 ? Math.Max(1, (int)(requestsPerMinute.Value * utilisation)) : null;
        tokensPerMinute = tokensPerMinute is > 0 ? Math.Max(1, (int)(tokensPerMinute.Value * utilisation)) : null;
        _requests = requestsPerMinute is > 0 and var rpm ? Bucket(rpm, burstSeconds: 0) : null;

        // A token budget lets a minute's worth drain in bursts of up to ten seconds' worth: one prompt can be
        // far larger than a 100 ms slice, and a bucket smaller than a request could never grant it.
        _tokens = tokensPerMinute is > 0 and var tpm ? Bucket(tpm, burstSeconds: 10) : null;
        TokenLimit = _tokens is null ? int.MaxValue : Math.Max(1, tokensPerMinute!.Value / 6);
        _concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(1, maxConcurrency),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        MaxConcurrency = Math.Max(1, maxConcurrency);
    }

    /// <summary>The largest token count one request can be granted; bigger estimates are clamped to it.</summary>
    public int TokenLimit { get; }

    public int MaxConcurrency { get; }

    /// <summary>
    /// How much budget is spare now: permits available, or minus the queue length when callers wait;
    /// <see cref="int.MaxValue"/> when unlimited. Comparable between endpoints with equal budgets.
    /// </summary>
    public double SpareScore
    {
        get
        {
            var r = Fraction(_requests);
            var t = Fraction(_tokens);
            return Math.Min(r, t);
        }
    }

    /// <summary>Waits until one more request with <paramref name="estimatedTokens"/> prompt tokens fits the budget.</summary>
    public async ValueTask<IDisposable> AcquireAsync(int estimatedTokens, CancellationToken cancellationToken)
    {
        var leases = new List<RateLimitLease>(3);
        try
        {
            leases.Add(await Acquire(_concurrency, 1, cancellationToken).ConfigureAwait(false));
            if (_requests is not null)
            {
                leases.Add(await Acquire(_requests, 1, cancellationToken).ConfigureAwait(false));
            }

            if (_tokens is not null)
            {
                leases.Add(await Acquire(_tokens, Math.Clamp(estimatedTokens, 1, TokenLimit), cancellationToken).ConfigureAwait(false));
            }

            return new Leases(leases);
        }
        catch
        {
            foreach (var lease in leases)
            {
                lease.Dispose();
            }

            throw;
        }
    }

    public void Dispose()
    {
        _requests?.Dispose();
        _tokens?.Dispose();
        _concurrency.Dispose();
    }

    private static async ValueTask<RateLimitLease> Acquire(RateLimiter limiter, int permits, CancellationToken cancellationToken)
    {
        var lease = await limiter.AcquireAsync(permits, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            // Queues are unbounded, so only a disposed limiter refuses.
            lease.Dispose();
            throw new ObjectDisposedException(nameof(EndpointBudget));
        }

        return lease;
    }

    private static TokenBucketRateLimiter Bucket(int perMinute, int burstSeconds)
    {
        // Refill in small slices (at least 50 ms, at most one permit's worth of time) so permits arrive evenly
        // through the minute; with no burst allowance a window of any length never sees more than its share.
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromMinutes(1).Ticks / perMinute));
        var perPeriod = Math.Max(1, (int)Math.Round(perMinute * period.TotalMinutes));
        var limit = burstSeconds == 0 ? perPeriod : Math.Max(perPeriod, perMinute * burstSeconds / 60);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    private static double Fraction(TokenBucketRateLimiter? limiter)
    {
        if (limiter?.GetStatistics() is not { } stats)
        {
            return int.MaxValue;
        }

        return stats.CurrentQueuedCount > 0 ? -stats.CurrentQueuedCount : stats.CurrentAvailablePermits;
    }

    private sealed class Leases(List<RateLimitLease> leases) : IDisposable
    {
        public void Dispose()
        {
            foreach (var lease in leases)
            {
                lease.Dispose();
            }
        }
    }
}

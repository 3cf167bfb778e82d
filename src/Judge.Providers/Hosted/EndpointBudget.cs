using System.Threading.RateLimiting;

namespace Judge.Providers.Hosted;

/// <summary>
/// The client-side budget of one endpoint: requests per minute, estimated prompt tokens per minute and
/// requests in flight. Every attempt (retries included) draws from it, so a run with a budget stays
/// inside it rather than finding the limit by collecting 429s. Requests in flight adapt to the server
/// (<see cref="AdaptiveConcurrency"/>) when asked to. Thread-safe.
/// </summary>
internal sealed class EndpointBudget : IDisposable
{
    private readonly TokenBucketRateLimiter? _requests;
    private readonly TokenBucketRateLimiter? _tokens;
    private readonly AdaptiveConcurrency _concurrency;

    public EndpointBudget(int? requestsPerMinute, int? tokensPerMinute, int maxConcurrency, double utilisation = 1.0, bool adaptive = false)
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
        MaxConcurrency = Math.Max(1, maxConcurrency);
        _concurrency = new AdaptiveConcurrency(MaxConcurrency, adaptive);
    }

    /// <summary>The largest token count one request can be granted; bigger estimates are clamped to it.</summary>
    public int TokenLimit { get; }

    public int MaxConcurrency { get; }

    /// <summary>The requests in flight allowed now: <see cref="MaxConcurrency"/>, or less after 429s when adaptive.</summary>
    public int ConcurrencyLimit => _concurrency.Limit;

    /// <summary>The most requests this budget ever had in flight at once.</summary>
    public int PeakInFlight => _concurrency.Peak;

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
    public async ValueTask<BudgetLease> AcquireAsync(int estimatedTokens, CancellationToken cancellationToken)
    {
        var leases = new List<RateLimitLease>(2);
        var epoch = await _concurrency.AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_requests is not null)
            {
                leases.Add(await Acquire(_requests, 1, cancellationToken).ConfigureAwait(false));
            }

            if (_tokens is not null)
            {
                leases.Add(await Acquire(_tokens, Math.Clamp(estimatedTokens, 1, TokenLimit), cancellationToken).ConfigureAwait(false));
            }

            return new BudgetLease(_concurrency, epoch, leases);
        }
        catch
        {
            foreach (var lease in leases)
            {
                lease.Dispose();
            }

            _concurrency.Release();
            throw;
        }
    }

    public void Dispose()
    {
        _requests?.Dispose();
        _tokens?.Dispose();
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

}

/// <summary>
/// One attempt's hold on an endpoint budget. <see cref="Throttled"/> and <see cref="Succeeded"/> tell the
/// adaptive concurrency how the attempt went; disposing frees the slot.
/// </summary>
internal sealed class BudgetLease : IDisposable
{
    private readonly AdaptiveConcurrency _concurrency;
    private readonly long _epoch;
    private readonly List<RateLimitLease> _leases;
    private int _disposed;

    public BudgetLease(AdaptiveConcurrency concurrency, long epoch, List<RateLimitLease> leases)
    {
        _concurrency = concurrency;
        _epoch = epoch;
        _leases = leases;
    }

    /// <summary>The server answered 429: lower the concurrency (once per generation).</summary>
    public void Throttled() => _concurrency.OnThrottled(_epoch);

    /// <summary>The server answered: raise the concurrency a little.</summary>
    public void Succeeded() => _concurrency.OnSuccess();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var lease in _leases)
        {
            lease.Dispose();
        }

        _concurrency.Release();
    }
}

/// <summary>
/// A FIFO concurrency limit that adapts by AIMD when <c>adaptive</c>: sustained 429s (two in a row, with no
/// success between them) multiply the limit by 1/2 (never below 1), but only for a request admitted since the
/// last cut, so one burst of 429s from requests already in flight costs one halving, not one per request; each success adds 1/limit (one slot per
/// limit's worth of successes), up to the maximum. A run thus converges on what the server allows instead
/// of spraying it. Without <c>adaptive</c> it is a plain limit of <c>max</c>. Thread-safe.
/// </summary>
internal sealed class AdaptiveConcurrency
{
    /// <summary>429s in a row (no success between them) that count as sustained and cut the limit.</summary>
    private const int SustainedThrottles = 2;

    private readonly Lock _lock = new();
    private readonly LinkedList<TaskCompletionSource<long>> _waiters = new();
    private readonly int _max;
    private readonly bool _adaptive;
    private double _limit;
    private int _inFlight;
    private int _peak;
    private long _epoch;
    private int _consecutiveThrottles;

    public AdaptiveConcurrency(int max, bool adaptive)
    {
        _max = Math.Max(1, max);
        _adaptive = adaptive;
        _limit = _max;
    }

    public int Limit
    {
        get
        {
            lock (_lock)
            {
                return (int)_limit;
            }
        }
    }

    public int Peak => Volatile.Read(ref _peak);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Waits for a slot; returns the generation it was admitted in.</summary>
    public async ValueTask<long> AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<long> waiter;
        LinkedListNode<TaskCompletionSource<long>> node;
        lock (_lock)
        {
            if (_waiters.Count == 0 && _inFlight < (int)_limit)
            {
                Admit();
                return _epoch;
            }

            cancellationToken.ThrowIfCancellationRequested();
            waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiters.AddLast(waiter);
        }

        using (cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                // Granted already: the caller owns the slot and releases it as usual.
                if (waiter.TrySetCanceled(cancellationToken))
                {
                    _waiters.Remove(node);
                }
            }
        }))
        {
            return await waiter.Task.ConfigureAwait(false);
        }
    }

    public void Release()
    {
        lock (_lock)
        {
            _inFlight--;
            Pump();
        }
    }

    public void OnThrottled(long epoch)
    {
        if (!_adaptive)
        {
            return;
        }

        lock (_lock)
        {
            // One 429 among successes is noise (a server's random shedding); two in a row say the server is full.
            if (++_consecutiveThrottles < SustainedThrottles || epoch < _epoch)
            {
                return;
            }

            _limit = Math.Max(1, Math.Floor(_limit / 2));
            _epoch++;
        }
    }

    public void OnSuccess()
    {
        if (!_adaptive)
        {
            return;
        }

        lock (_lock)
        {
            _consecutiveThrottles = 0;
            if (_limit < _max)
            {
                _limit = Math.Min(_max, _limit + (1 / _limit));
                Pump();
            }
        }
    }

    private void Admit()
    {
        _inFlight++;
        if (_inFlight > _peak)
        {
            Volatile.Write(ref _peak, _inFlight);
        }
    }

    private void Pump()
    {
        while (_inFlight < (int)_limit && _waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            if (first.Value.TrySetResult(_epoch))
            {
                Admit();
            }
        }
    }
}

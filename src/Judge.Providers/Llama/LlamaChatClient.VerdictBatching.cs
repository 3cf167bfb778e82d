using Judge.Judging;

namespace Judge.Providers.Llama;

// Batching verdicts: the scheduler's slots filled and stepped, the retry on a full KV cache, and the loop that batches queued requests.
internal sealed partial class LlamaChatClient
{
    /// <summary>How long the loop waits, after a generation ends, for the request that continues it.</summary>
    private static readonly TimeSpan FollowUpWait = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Runs <paramref name="jobs"/> to the end on the scheduler's slots (the caller holds the turn):
    /// each free slot takes the waiting job that shares the most with what the cache holds.
    /// </summary>
    private List<LogitVerdictResult> RunToCompletion(IReadOnlyList<LlamaScheduler.Job> jobs, CancellationToken cancellationToken)
    {
        var waiting = new PrefixQueue();
        waiting.AddRange(jobs);
        try
        {
            while (waiting.Count > 0 || _scheduler.Busy)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Fill(waiting);
                var outcome = Step();

                // The queue's own jobs can be in flight beside these: hand theirs to their callers, who wait on them.
                foreach (var job in outcome.Done.Where(j => !jobs.Contains(j)))
                {
                    job.Finish();
                    Release(job);
                }

                if (outcome.Error is not null)
                {
                    if (!Retry(outcome, waiting))
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(outcome.Error);
                    }
                }
            }
        }
        catch
        {
            foreach (var job in jobs)
            {
                _scheduler.Drop(job);
            }

            throw;
        }

        return [.. jobs.Select(j => j.Result!)];
    }

    /// <summary>Starts waiting jobs on free slots, walking their prompts' prefix tree (<see cref="LlamaScheduler.TakeNext"/>).</summary>
    private void Fill(PrefixQueue waiting)
    {
        while (_scheduler.CanStart && _scheduler.TakeNext(waiting) is { } job)
        {
            _scheduler.Start(job, waiting);
        }
    }

    private LlamaScheduler.StepOutcome Step()
    {
        var outcome = _scheduler.Step();
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _scored, outcome.Done.Count);
        return outcome;
    }

    /// <summary>
    /// A pass that found no room in the KV cache (stale cells of idle slots can fragment it) starts
    /// its jobs once more on a cleared cache; anything else, or a second time, is the jobs' error.
    /// </summary>
    private bool Retry(LlamaScheduler.StepOutcome outcome, PrefixQueue waiting)
    {
        // A generation's text is already out: it is never started over.
        if (outcome.Error is not KvCacheFullException || outcome.Failed.Any(j => j.Retried || j.Generation is not null))
        {
            return false;
        }

        foreach (var job in outcome.Failed)
        {
            job.Restart();
        }

        // Busy slots' jobs lose their cells too: verdicts start over, generations fail with the error.
        var interrupted = _scheduler.Reset();
        foreach (var job in interrupted.Where(j => j.Generation is not null))
        {
            job.Fail(outcome.Error);
            job.Generation!.Dispose();
        }

        foreach (var job in interrupted.Where(j => j.Generation is null))
        {
            job.Restart();
        }

        waiting.AddRange(outcome.Failed.Concat(interrupted.Where(j => j.Generation is null)));
        return true;
    }

    /// <summary>Lets go of what a job that left the loop holds (a generation's grammar sampler); true, for <c>RemoveAll</c>.</summary>
    private static bool Release(LlamaScheduler.Job job)
    {
        job.Generation?.Dispose();
        return true;
    }

    private async Task BatchLoopAsync()
    {
        var reader = _queue!.Reader;
        var waiting = new PrefixQueue();
        var generated = false;
        while (true)
        {
            if (generated)
            {
                // A generation just ended: its caller usually follows at once with a request that continues it (the
                // verdict after the feedback). Give it a moment to arrive, so that its slot, which holds the prompt and
                // the feedback, is not given to another request first.
                using var moment = new CancellationTokenSource(FollowUpWait);
                await reader.WaitToReadAsync(moment.Token).AsTask().ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
                generated = false;
            }

            if (waiting.Count == 0 && !_scheduler.Busy && !await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                break;
            }

            while (reader.TryRead(out var job))
            {
                waiting.Add(job);
            }

            waiting.RemoveAll(j => j.Abandoned && Release(j));
            await _turn.WaitAsync().ConfigureAwait(false);
            try
            {
                foreach (var job in _scheduler.Jobs.Where(j => j.Abandoned).ToList())
                {
                    _scheduler.Drop(job);
                    Release(job);
                }

                Fill(waiting);
                if (!_scheduler.Busy)
                {
                    continue;
                }

                var outcome = Step();
                foreach (var job in outcome.Done)
                {
                    generated |= job.Generation is not null;
                    job.Finish();
                    Release(job);
                }

                if (outcome.Error is not null && !Retry(outcome, waiting))
                {
                    foreach (var job in outcome.Failed)
                    {
                        job.Fail(outcome.Error);
                        Release(job);
                    }
                }
            }
            catch (Exception ex)
            {
                // Not expected: fail everything in flight rather than leave callers waiting.
                foreach (var job in _scheduler.Jobs.Concat(waiting.All).ToList())
                {
                    job.Fail(ex);
                    Release(job);
                }

                _scheduler.Reset();
                waiting.Clear();
            }
            finally
            {
                _turn.Release();
            }
        }
    }
}

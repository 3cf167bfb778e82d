namespace Judge.Providers.Llama;

/// <summary>
/// The verdict requests waiting for a slot, kept in the order of their prompt tokens. Prompts that share
/// a prefix sit next to each other, so the queue is the run's prompts laid out as a prefix tree — the
/// rubric's system part, then the question, then the first answer shown, then the second — and taking
/// requests from it near what the cache holds walks that tree depth first: each shared prefix is decoded
/// once while the requests below it are pending, instead of once per sequence that happens to need it.
/// Requests with the same tokens keep their arrival order.
/// </summary>
internal sealed class PrefixQueue
{
    private readonly List<LlamaScheduler.Job> _jobs = [];

    /// <summary>Requests waiting.</summary>
    public int Count => _jobs.Count;

    /// <summary>The request at position <paramref name="index"/> in token order.</summary>
    public LlamaScheduler.Job this[int index] => _jobs[index];

    /// <summary>Adds a request after every waiting one whose tokens are the same or sort before its own.</summary>
    public void Add(LlamaScheduler.Job job)
    {
        var (lo, hi) = (0, _jobs.Count);
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Compare(_jobs[mid].Context, job.Context) <= 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        _jobs.Insert(lo, job);
    }

    /// <summary>Adds several requests.</summary>
    public void AddRange(IEnumerable<LlamaScheduler.Job> jobs)
    {
        foreach (var job in jobs)
        {
            Add(job);
        }
    }

    /// <summary>The first position whose tokens sort at or after <paramref name="tokens"/>.</summary>
    public int LowerBound(ReadOnlySpan<int> tokens)
    {
        var (lo, hi) = (0, _jobs.Count);
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Compare(_jobs[mid].Context, tokens) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Removes the request at <paramref name="index"/>.</summary>
    public void RemoveAt(int index) => _jobs.RemoveAt(index);

    /// <summary>Removes every request <paramref name="match"/> picks.</summary>
    public int RemoveAll(Predicate<LlamaScheduler.Job> match) => _jobs.RemoveAll(match);

    /// <summary>Empties the queue.</summary>
    public void Clear() => _jobs.Clear();

    /// <summary>Every waiting request, in token order.</summary>
    public IEnumerable<LlamaScheduler.Job> All => _jobs;

    /// <summary>Lexicographic order of token sequences; a proper prefix sorts first.</summary>
    private static int Compare(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        var n = a.CommonPrefixLength(b);
        return n < a.Length && n < b.Length ? a[n].CompareTo(b[n]) : a.Length.CompareTo(b.Length);
    }
}

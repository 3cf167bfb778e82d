using System.Globalization;
using Judge.Judging;
using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>
/// Counts a run's progress: done, without verdict, calls, tokens, cost, rate and ETA. Counts judgments of the run engine,
/// and the model calls of one batch of a feedback pipeline stage (named by <paramref name="label"/>); built by
/// <see cref="CallRunner.StartProgress"/>. Thread-safe.
/// </summary>
internal sealed class RunProgress(int total, TimeProvider time, decimal earlierCost, string? label = null)
{
    private readonly long _started = time.GetTimestamp();
    private readonly Lock _lock = new();
    private int _done;
    private int _withoutVerdict;
    private CostTotals _calls = CostTotals.None;

    public event Action<RunProgressSnapshot>? Changed;

    /// <summary>Counts one finished judgment with its calls as recorded (their tokens and costs).</summary>
    public void Add(VerdictStatus status, IReadOnlyList<JudgeCall> calls) => Add(status == VerdictStatus.Parsed, CostTotals.Of(calls));

    /// <summary>Counts one finished unit of work: whether it gave a verdict, and its calls with their tokens and costs.</summary>
    /// <remarks>
    /// Observers are told under the counter's lock, so they see the counts in the order they were made: a display
    /// never ends on an earlier snapshot that lost a race with the last one (19/20 shown after 20/20).
    /// </remarks>
    public void Add(bool withVerdict, CostTotals calls)
    {
        lock (_lock)
        {
            _done++;
            _withoutVerdict += withVerdict ? 0 : 1;
            _calls = _calls.Add(calls);
            Changed?.Invoke(Snapshot());
        }
    }

    public RunProgressSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new RunProgressSnapshot(_done, total, _withoutVerdict, _calls, earlierCost, time.GetElapsedTime(_started)) { Label = label };
        }
    }
}

/// <summary>A run's progress at one moment, for this invocation.</summary>
/// <param name="Done">Judgments finished.</param>
/// <param name="Total">Judgments to do in this invocation.</param>
/// <param name="WithoutVerdict">Finished judgments without a verdict (unparsed, out of range, dropped, error).</param>
/// <param name="Now">The calls of this invocation made or served, their tokens and what the priced ones cost.</param>
/// <param name="EarlierCost">US dollars recorded by earlier invocations of a resumed run.</param>
/// <param name="Elapsed">Time since the judging started.</param>
public sealed record RunProgressSnapshot(int Done, int Total, int WithoutVerdict, CostTotals Now, decimal EarlierCost, TimeSpan Elapsed)
{
    /// <summary>Nothing done yet, nothing to do.</summary>
    public static RunProgressSnapshot None { get; } = new(0, 0, 0, CostTotals.None, 0m, TimeSpan.Zero);

    /// <summary>Judge calls made or served in this invocation.</summary>
    public long Calls => Now.Calls;

    /// <summary>Prompt tokens reported in this invocation.</summary>
    public long InputTokens => Now.InputTokens;

    /// <summary>Completion tokens reported in this invocation.</summary>
    public long OutputTokens => Now.OutputTokens;

    /// <summary>US dollars of the priced calls of this invocation; <see langword="null"/> when nothing is priced, now or earlier.</summary>
    public decimal? Cost => Now.AnyPriced || EarlierCost > 0 ? Now.Usd : null;

    /// <summary>What is counted, shown before the counts (a feedback pipeline stage); <see langword="null"/> for a judging run.</summary>
    public string? Label { get; init; }

    /// <summary>Judgments per second.</summary>
    public double Rate => Elapsed.TotalSeconds > 0 ? Done / Elapsed.TotalSeconds : 0;

    /// <summary>Time left at the current rate; <see langword="null"/> before the first judgment.</summary>
    public TimeSpan? Eta => Rate > 0 ? TimeSpan.FromSeconds((Total - Done) / Rate) : null;

    /// <summary>The run's whole cost so far, earlier invocations included; <see langword="null"/> when nothing is priced.</summary>
    public decimal? TotalCost => Cost is null && EarlierCost == 0 ? null : (Cost ?? 0) + EarlierCost;

    /// <summary>
    /// One line of at most 80 characters for any realistic run (and a label of up to 20):
    /// <c>1200/2400 50% 31.2/s ETA 0:38 no verdict 3 $0.0123</c>, after the <see cref="Label"/> when there is one.
    /// </summary>
    public string Line()
    {
        var percent = Total == 0 ? 100 : (int)(100L * Done / Total);
        var line = string.Create(CultureInfo.InvariantCulture, $"{(Label is null ? string.Empty : Label + " ")}{Done}/{Total} {percent}% {Rate:0.0}/s ETA {Duration(Eta)} no verdict {WithoutVerdict}");
        return TotalCost is decimal cost ? line + string.Create(CultureInfo.InvariantCulture, $" ${cost:0.0000}") : line;
    }

    /// <summary><c>h:mm:ss</c>, <c>m:ss</c>, or <c>?</c> when unknown.</summary>
    public static string Duration(TimeSpan? span) => span switch
    {
        null => "?",
        { TotalHours: >= 1 } s => string.Create(CultureInfo.InvariantCulture, $"{(int)s.TotalHours}:{s.Minutes:00}:{s.Seconds:00}"),
        { } s => string.Create(CultureInfo.InvariantCulture, $"{(int)s.TotalMinutes}:{s.Seconds:00}"),
    };
}

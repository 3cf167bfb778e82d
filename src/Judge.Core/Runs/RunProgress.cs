using System.Globalization;
using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>
/// Counts a run's progress: done, without verdict, calls, tokens, cost, rate and ETA. Counts judgments of
/// the run engine, and the model calls of one batch of a feedback pipeline stage (named by <paramref name="label"/>). Thread-safe.
/// </summary>
internal sealed class RunProgress(int total, TimeProvider time, decimal earlierCost, string? label = null)
{
    private readonly long _started = time.GetTimestamp();
    private readonly Lock _lock = new();
    private int _done;
    private int _withoutVerdict;
    private int _calls;
    private long _input;
    private long _output;
    private decimal _cost;
    private bool _priced;

    public event Action<RunProgressSnapshot>? Changed;

    public void Add(VerdictStatus status, IReadOnlyList<JudgeCall> calls) =>
        Add(status == VerdictStatus.Parsed, calls.Count, calls.Sum(c => c.InputTokens ?? 0), calls.Sum(c => c.OutputTokens ?? 0), calls.Any(c => c.CostUsd is not null) ? calls.Sum(c => c.CostUsd ?? 0) : null);

    /// <summary>Counts one finished unit of work: whether it gave a verdict, its calls, their tokens, and what its priced calls cost (<see langword="null"/> when none was priced).</summary>
    public void Add(bool withVerdict, int calls, long inputTokens, long outputTokens, decimal? cost)
    {
        RunProgressSnapshot snapshot;
        lock (_lock)
        {
            _done++;
            _withoutVerdict += withVerdict ? 0 : 1;
            _calls += calls;
            _input += inputTokens;
            _output += outputTokens;
            _priced |= cost is not null;
            _cost += cost ?? 0;
            snapshot = Snapshot();
        }

        Changed?.Invoke(snapshot);
    }

    public RunProgressSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new RunProgressSnapshot(_done, total, _withoutVerdict, _calls, _input, _output, _priced || earlierCost > 0 ? _cost : null, earlierCost, time.GetElapsedTime(_started)) { Label = label };
        }
    }
}

/// <summary>A run's progress at one moment, for this invocation.</summary>
/// <param name="Done">Judgments finished.</param>
/// <param name="Total">Judgments to do in this invocation.</param>
/// <param name="WithoutVerdict">Finished judgments without a verdict (unparsed, out of range, dropped, error).</param>
/// <param name="Calls">Judge calls made or served.</param>
/// <param name="InputTokens">Prompt tokens reported.</param>
/// <param name="OutputTokens">Completion tokens reported.</param>
/// <param name="Cost">US dollars of the priced calls of this invocation; <see langword="null"/> when nothing is priced.</param>
/// <param name="EarlierCost">US dollars recorded by earlier invocations of a resumed run.</param>
/// <param name="Elapsed">Time since the judging started.</param>
public sealed record RunProgressSnapshot(int Done, int Total, int WithoutVerdict, int Calls, long InputTokens, long OutputTokens, decimal? Cost, decimal EarlierCost, TimeSpan Elapsed)
{
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

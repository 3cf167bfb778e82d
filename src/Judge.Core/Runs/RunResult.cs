using Judge.Data;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>How a run ended.</summary>
public enum RunOutcome
{
    /// <summary>Something was judged, the error rate is within bounds and every gate holds.</summary>
    Passed,

    /// <summary>A gate failed, or nothing was judged.</summary>
    GatesFailed,

    /// <summary>More judge calls failed than the error-rate bound allows.</summary>
    JudgeErrors,
}

/// <summary>Receives what a run says while it works. Callbacks may come from several threads.</summary>
public sealed class RunObserver
{
    /// <summary>A sentence for the user (a recovery, a resume, a note about the judge). Default: none.</summary>
    public Action<string>? Note { get; init; }

    /// <summary>Progress after every finished item, and once before the first. Default: none.</summary>
    public Action<RunProgressSnapshot>? Progress { get; init; }
}

/// <summary>Everything one run produced: what the reports are made from.</summary>
public sealed record RunResult
{
    /// <summary>The config the run followed.</summary>
    public required RunConfig Config { get; init; }

    /// <summary>The run's files.</summary>
    public required RunFiles Files { get; init; }

    /// <summary>The manifest as written at the end.</summary>
    public required RunManifest Manifest { get; init; }

    /// <summary>Aggregates and gates over every judgment in the file, earlier invocations included.</summary>
    public required RunAnalysis Analysis { get; init; }

    /// <summary>Every record of the judgments file, in file order.</summary>
    public required IReadOnlyList<JudgmentRecord> Records { get; init; }

    /// <summary>Agreement with the config's human labels, when it names some.</summary>
    public AgreementReport? Agreement { get; init; }

    /// <summary>The data judged.</summary>
    public required Dataset Data { get; init; }

    /// <summary>How the run ended.</summary>
    public required RunOutcome Outcome { get; init; }

    /// <summary>What this invocation did: judgments, calls, tokens, time.</summary>
    public required RunProgressSnapshot Progress { get; init; }

    /// <summary>Responses served from the journal instead of the judge in this invocation.</summary>
    public int JournalServed { get; init; }

    /// <summary>Planned items that could not be judged (a missing answer), with why.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

    /// <summary>The outcome in words: <c>passed</c>, <c>threshold failed</c> or <c>judge errors above max_error_rate</c>.</summary>
    public string OutcomeText => Outcome switch
    {
        RunOutcome.Passed => "passed",
        RunOutcome.GatesFailed => Analysis.NothingJudged ? "nothing judged" : "threshold failed",
        _ => "judge errors above max_error_rate",
    };
}

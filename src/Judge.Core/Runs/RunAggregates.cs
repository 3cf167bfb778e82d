using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Runs;

/// <summary>One model's absolute grades under one judge and rubric, repeats averaged per item.</summary>
/// <param name="Judge">The judge spec.</param>
/// <param name="Rubric">The rubric group (see <see cref="RunAnalysis.RubricGroup"/>).</param>
/// <param name="Model">The model.</param>
/// <param name="Items">Answers graded (each once, however many repeats).</param>
/// <param name="Scored">Answers with at least one parsed score.</param>
/// <param name="Missing">Answers with no parsed score in any repeat, by why.</param>
/// <param name="Mean">Mean of the per-answer mean scores; null when nothing was scored.</param>
/// <param name="MeanCi">Bootstrap interval of <paramref name="Mean"/> over answers.</param>
/// <param name="PassRate">Share of scored answers' repeats scoring at least the pass mark; null when nothing was scored or no pass mark is set.</param>
/// <param name="PassCi">Bootstrap interval of <paramref name="PassRate"/>.</param>
/// <param name="Scores">Every parsed score, for distributions.</param>
public sealed record ScoreAggregate(string Judge, string Rubric, string Model, int Items, int Scored, MissingVerdicts Missing, double? Mean, ConfidenceInterval? MeanCi, double? PassRate, ConfidenceInterval? PassCi, IReadOnlyList<double> Scores)
{
    /// <summary>Answers without a verdict.</summary>
    public int WithoutVerdict => Missing.Total;
}

/// <summary>One model's record against one opponent (or every opponent) under one judge and rubric.</summary>
/// <param name="Judge">The judge spec.</param>
/// <param name="Rubric">The rubric group.</param>
/// <param name="Model">The model.</param>
/// <param name="Opponent">The opponent; <see langword="null"/> for the record against every opponent.</param>
/// <param name="Items">Pairs judged (each once, however many repeats).</param>
/// <param name="WithVerdict">Pairs with a verdict in at least one repeat: the rate's denominator.</param>
/// <param name="Wins">Pairs won (repeats averaged, so fractional with repeats).</param>
/// <param name="Losses">Pairs lost.</param>
/// <param name="Ties">Pairs tied, consistent or not.</param>
/// <param name="Missing">Pairs without a verdict in any repeat, by why.</param>
/// <param name="Rate">The win rate (see <see cref="WinRate.TiesHalf"/>); null when no pair has a verdict.</param>
/// <param name="Ci">Bootstrap interval of <paramref name="Rate"/> over pairs.</param>
public sealed record WinRateAggregate(string Judge, string Rubric, string Model, string? Opponent, int Items, int WithVerdict, double Wins, double Losses, double Ties, MissingVerdicts Missing, double? Rate, ConfidenceInterval? Ci);

/// <summary>One gate's outcome.</summary>
/// <param name="Name">e.g. <c>min_mean_score</c>.</param>
/// <param name="Judge">The judge spec; <see langword="null"/> for run-wide gates.</param>
/// <param name="Rubric">The rubric group; <see langword="null"/> for run-wide gates.</param>
/// <param name="Model">The model gated; null for run-wide gates.</param>
/// <param name="Value">The value compared: the point estimate, or the interval's lower bound; null when there was nothing to measure (fails).</param>
/// <param name="Threshold">The threshold.</param>
/// <param name="Passed">Whether the gate holds.</param>
/// <param name="Detail">A sentence saying what was compared, with the items left out and why.</param>
public sealed record GateResult(string Name, string? Judge, string? Rubric, string? Model, double? Value, double Threshold, bool Passed, string Detail)
{
    /// <summary>Whether the gate could not be evaluated at all (nothing to measure): a failure of its own kind.</summary>
    public bool Unmeasured => Value is null;

    /// <summary>Whether the value and threshold are shares of 1 (a pass rate, a win rate), written as percentages everywhere.</summary>
    public bool IsShare { get; init; }
}

/// <summary>How stable one item's verdicts were across repeats.</summary>
/// <param name="Judge">The judge spec.</param>
/// <param name="Item">The item key.</param>
/// <param name="Verdicts">Each repeat's verdict (score, winner, or status without a verdict), in repeat order.</param>
/// <param name="Variance">Absolute: population variance of the parsed scores.</param>
/// <param name="Disagreement">Pairwise: the share of repeat pairs whose verdicts differ.</param>
/// <param name="Unstable">Whether the item is flagged.</param>
public sealed record ItemStability(string Judge, string Item, IReadOnlyList<string> Verdicts, double? Variance, double? Disagreement, bool Unstable);

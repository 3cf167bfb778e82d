using Judge.Prompts;
using Microsoft.Extensions.AI;

namespace Judge.Judging;

/// <summary>Builds judges from specs; the run engine gets its judges through it.</summary>
public interface IJudgeFactory
{
    /// <summary>Builds a pairwise judge.</summary>
    BuiltPairwiseJudge CreatePairwise(JudgeSpec spec, JudgeBuildOptions options);

    /// <summary>Builds an absolute judge.</summary>
    IAbsoluteJudge CreateAbsolute(JudgeSpec spec, JudgeBuildOptions options);

    /// <summary>
    /// The recorded pairwise verdicts a <c>replay:</c> spec names when they already combine both orders
    /// (MT-Bench's published files), so a plan can keep to the recorded pairs; <see langword="null"/> otherwise.
    /// Builds nothing that calls a model.
    /// </summary>
    RecordedPairwiseJudge? Recorded(JudgeSpec spec);

    /// <summary>
    /// The batch side of a judge whose spec asks for batch mode (<c>batch=on</c>), or <see langword="null"/> when it
    /// asks for none or its provider has no batch service. Builds nothing that calls a model.
    /// </summary>
    IBatchJudge? Batch(JudgeSpec spec) => null;

    /// <summary>
    /// Checks a spec as building its judge would — options, credentials, the files it reads — without loading a model,
    /// opening a cache or calling anything, so a run refuses a bad judge before it creates or truncates any output.
    /// Default: nothing is checked (the judge is checked when it is built).
    /// </summary>
    /// <exception cref="InputException">The spec is unusable.</exception>
    /// <exception cref="JudgeUnavailableException">The judge cannot be built here (unknown scheme, no key).</exception>
    void Check(JudgeSpec spec)
    {
    }

    /// <summary>
    /// Whether the judge a spec builds reads verdicts from the model's logits (<see cref="ILogitVerdictScorer"/>), as
    /// local models do, so a run may ask for logit verdicts only. Builds nothing. Default: <see langword="false"/>.
    /// </summary>
    bool GivesLogits(JudgeSpec spec) => false;
}

/// <summary>What a judge is built with besides its spec.</summary>
public sealed class JudgeBuildOptions
{
    /// <summary>Which rubric each item gets.</summary>
    public required IRubricSelector Rubrics { get; init; }

    /// <summary>Sampling options for chat judges. Default: temperature 0, no seed.</summary>
    public ChatJudgeOptions Chat { get; init; } = new();

    /// <summary>Position-swap options for pairwise chat judges. Default: both orders, disagreement is a tie.</summary>
    public PositionSwapOptions Swap { get; init; } = new();

    /// <summary>
    /// Middleware for model judges' chat clients (not replays), given the judge spec and the client;
    /// e.g. a run's response journal. Default: none.
    /// </summary>
    public Func<string, IChatClient, IChatClient>? WrapClient { get; init; }

    /// <summary>
    /// Answers from the judge's provider batches: calls whose request body has an answer here are served from it, the
    /// rest go live. Only for judges with a <see cref="IJudgeFactory.Batch"/> side. Default: none.
    /// </summary>
    public BatchAnswers? BatchAnswers { get; init; }
}

/// <summary>A pairwise judge and notes about how it was built, for the user.</summary>
/// <param name="Judge">The judge.</param>
/// <param name="Notes">Things the user should know (e.g. that recorded verdicts already combine both orders).</param>
/// <param name="Recorded">When the judge replays combined verdicts, the judge itself, so callers can plan only recorded pairs.</param>
public sealed record BuiltPairwiseJudge(IPairwiseJudge Judge, IReadOnlyList<string> Notes, RecordedPairwiseJudge? Recorded = null);

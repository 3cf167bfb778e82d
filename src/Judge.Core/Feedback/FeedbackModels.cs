using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Feedback;

/// <summary>One model of a feedback generation: its spec, its client, and its batch side when it is in batch mode.</summary>
/// <param name="Spec">The model's spec, parsed where it was given; its <see cref="JudgeSpec.Text"/> keys its answers in the journal.</param>
/// <param name="Client">The model's client (for a model in batch mode, one that serves <see cref="BatchSide.Answers"/>).</param>
public sealed record FeedbackModel(JudgeSpec Spec, IChatClient Client)
{
    /// <summary>
    /// The model's batch side, in batch mode: each stage's calls to it go through the provider's batch service first (the
    /// ids recorded in <see cref="FeedbackPipeline.BatchesFile"/>), and its client serves the answers. Default: none.
    /// </summary>
    public BatchSide? Batch { get; init; }
}

/// <summary>
/// The models of a run: the generator, the judge, and optionally a second judge (the same model may play several parts).
/// Disposing it disposes each distinct model's client and batch side.
/// </summary>
public sealed class FeedbackModels : IDisposable
{
    /// <summary>Writes rubrics, instructions and responses.</summary>
    public required FeedbackModel Generator { get; init; }

    /// <summary>Writes feedback and scores.</summary>
    public required FeedbackModel Judge { get; init; }

    /// <summary>Asked about off-target responses; when it gives the judge's score, the response is kept with that score.</summary>
    public FeedbackModel? SecondJudge { get; init; }

    /// <summary>
    /// Prices the calls that reach a model, for the progress's cost and each stage's summary (see <see cref="CallPricer"/>).
    /// Default <see langword="null"/>: nothing is priced.
    /// </summary>
    public PriceTable? Prices { get; init; }

    /// <summary>Status lines of batches (submitted, state, requests done and failed). Default: none.</summary>
    public Action<string>? Note { get; init; }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var model in new[] { Generator, Judge, SecondJudge }.OfType<FeedbackModel>().Distinct())
        {
            model.Client.Dispose();
            model.Batch?.Judge.Dispose();
        }
    }
}

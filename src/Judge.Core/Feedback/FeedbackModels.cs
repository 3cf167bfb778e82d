using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Feedback;

/// <summary>The models of a run: the generator, the judge, and optionally a second judge.</summary>
public sealed class FeedbackModels
{
    /// <summary>Writes rubrics, instructions and responses.</summary>
    public required IChatClient Generator { get; init; }

    /// <summary>The generator's spec, recorded in the journal.</summary>
    public required string GeneratorName { get; init; }

    /// <summary>Writes feedback and scores.</summary>
    public required IChatClient Judge { get; init; }

    /// <summary>The judge's spec.</summary>
    public required string JudgeName { get; init; }

    /// <summary>Asked about off-target responses; when it gives the judge's score, the response is kept with that score.</summary>
    public IChatClient? SecondJudge { get; init; }

    /// <summary>The second judge's spec.</summary>
    public string? SecondJudgeName { get; init; }

    /// <summary>
    /// Prices the calls that reach a model, for the progress's cost: by the model that answered, else by the
    /// spec's <c>?model=</c> or target. Default <see langword="null"/>: nothing is priced.
    /// </summary>
    public PriceTable? Prices { get; init; }

    /// <summary>
    /// Models in batch mode, by spec: each stage's calls to them go through the provider's batch service first (the ids
    /// recorded in <see cref="FeedbackPipeline.BatchesFile"/>), and their clients serve the answers. Default: none.
    /// </summary>
    public IReadOnlyDictionary<string, BatchSide> Batches { get; init; } = new Dictionary<string, BatchSide>();

    /// <summary>Status lines of batches (submitted, state, requests done and failed). Default: none.</summary>
    public Action<string>? Note { get; init; }
}

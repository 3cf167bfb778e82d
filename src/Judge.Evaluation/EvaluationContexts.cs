using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Judge.Evaluation;

/// <summary>
/// The reference answer a reference-guided rubric (<c>single-reference</c>, <c>pairwise-reference</c>, …)
/// shows the judge. One text per assistant turn, in order: a single-turn rubric reads the first, a
/// multi-turn rubric reads one for every turn up to the graded one. Immutable.
/// </summary>
public sealed class ReferenceAnswerContext : EvaluationContext
{
    /// <summary>The name under which this context is recorded in a metric's <see cref="EvaluationMetric.Context"/>.</summary>
    public const string ContextName = "Reference Answer";

    /// <summary>Creates the context from the reference answer of each turn.</summary>
    /// <param name="turns">The reference answers, turn 1 first; at least one.</param>
    public ReferenceAnswerContext(params IReadOnlyList<string> turns)
        : base(ContextName, Texts(turns, nameof(turns)))
    {
        Turns = [.. turns];
    }

    /// <summary>The reference answer of each turn, turn 1 first.</summary>
    public IReadOnlyList<string> Turns { get; }

    internal static TextContent[] Texts(IReadOnlyList<string> texts, string name)
    {
        ArgumentNullException.ThrowIfNull(texts, name);
        if (texts.Count == 0 || texts.Any(t => t is null))
        {
            throw new ArgumentException("give at least one text, none of them null", name);
        }

        return [.. texts.Select(t => new TextContent(t))];
    }
}

/// <summary>
/// The other answer a <see cref="PairwiseRubricEvaluator"/> compares the evaluated response with: the
/// baseline's reply to the same last user turn (earlier turns of the conversation are shared). Immutable.
/// </summary>
public sealed class PairwiseContext : EvaluationContext
{
    /// <summary>The name under which this context is recorded in a metric's <see cref="EvaluationMetric.Context"/>.</summary>
    public const string ContextName = "Pairwise Baseline";

    /// <summary>Creates the context.</summary>
    /// <param name="baselineResponse">The baseline's reply to the last user turn.</param>
    public PairwiseContext(string baselineResponse)
        : base(ContextName, ReferenceAnswerContext.Texts([baselineResponse], nameof(baselineResponse)))
    {
        BaselineResponse = baselineResponse;
    }

    /// <summary>The baseline's reply to the last user turn.</summary>
    public string BaselineResponse { get; }
}

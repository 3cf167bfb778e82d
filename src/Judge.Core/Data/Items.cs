namespace Judge.Data;

/// <summary>The order in which a pairwise item's answers are shown to the judge.</summary>
public enum PresentationOrder
{
    /// <summary>Model A's answer first.</summary>
    AB,

    /// <summary>Model B's answer first.</summary>
    BA,
}

/// <summary>One answer to grade on an absolute scale.</summary>
/// <param name="Question">The question.</param>
/// <param name="Answer">The answer; its turns up to <paramref name="Turn"/> are shown.</param>
/// <param name="Turn">The 1-based turn to grade.</param>
/// <param name="Reference">The reference answer, when the rubric uses one.</param>
public sealed record AbsoluteItem(Question Question, ModelAnswer Answer, int Turn, ModelAnswer? Reference = null)
{
    /// <summary>A stable key, e.g. <c>q81/t1/gpt-4</c>.</summary>
    public string Key => $"q{Question.Id}/t{Turn}/{Answer.ModelId}";
}

/// <summary>Two answers to the same question to compare.</summary>
/// <param name="Question">The question.</param>
/// <param name="AnswerA">Model A's answer.</param>
/// <param name="AnswerB">Model B's answer.</param>
/// <param name="Turn">The 1-based turn to compare.</param>
/// <param name="Reference">The reference answer, when the rubric uses one.</param>
public sealed record PairwiseItem(Question Question, ModelAnswer AnswerA, ModelAnswer AnswerB, int Turn, ModelAnswer? Reference = null)
{
    /// <summary>How the item is shown: <see cref="PresentationOrder.BA"/> once <see cref="Swapped"/>.</summary>
    public PresentationOrder Order { get; init; } = PresentationOrder.AB;

    /// <summary>The model shown first.</summary>
    public string ModelA => AnswerA.ModelId;

    /// <summary>The model shown second.</summary>
    public string ModelB => AnswerB.ModelId;

    /// <summary>
    /// A stable key for the pair as originally oriented, e.g. <c>q81/t1/gpt-4|claude-v1</c>;
    /// the same for the item and its swapped twin.
    /// </summary>
    public string Key => Order == PresentationOrder.AB ? KeyOf(Question.Id, Turn, ModelA, ModelB) : KeyOf(Question.Id, Turn, ModelB, ModelA);

    /// <summary>The key of a pair of models' answers to a question's turn, <paramref name="modelA"/> as originally first.</summary>
    public static string KeyOf(string questionId, int turn, string modelA, string modelB) => $"q{questionId}/t{turn}/{modelA}|{modelB}";

    /// <summary>The same item with the answers shown in the other order.</summary>
    public PairwiseItem Swapped() => this with
    {
        AnswerA = AnswerB,
        AnswerB = AnswerA,
        Order = Order == PresentationOrder.AB ? PresentationOrder.BA : PresentationOrder.AB,
    };
}

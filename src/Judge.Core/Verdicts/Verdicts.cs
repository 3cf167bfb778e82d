using System.Text.Json.Serialization;
using Judge.Data;

namespace Judge.Verdicts;

/// <summary>
/// What became of a judge call or an item: the one definition every count, rate, gate and report
/// uses. Written as <c>parsed</c>, <c>unparsed</c>, <c>out_of_range</c>, <c>dropped</c> or <c>error</c>.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<VerdictStatus>))]
public enum VerdictStatus
{
    /// <summary>A verdict was read and lies in the offered set.</summary>
    [JsonStringEnumMemberName("parsed")]
    Parsed,

    /// <summary>The judge answered, but no verdict could be read from it.</summary>
    [JsonStringEnumMemberName("unparsed")]
    Unparsed,

    /// <summary>A verdict was read but lies outside the offered set (a 12 on a 1-10 scale, a "D").</summary>
    [JsonStringEnumMemberName("out_of_range")]
    OutOfRange,

    /// <summary>The two presentation orders disagreed and the swap policy drops such items.</summary>
    [JsonStringEnumMemberName("dropped")]
    Dropped,

    /// <summary>The judge could not be called or gave no answer (network, quota, a missing replay record).</summary>
    [JsonStringEnumMemberName("error")]
    Error,
}

/// <summary>The wire spelling of <see cref="VerdictStatus"/>, for reports and messages.</summary>
public static class VerdictStatuses
{
    /// <summary>Every status, in the order reports list them.</summary>
    public static IReadOnlyList<VerdictStatus> All { get; } = [VerdictStatus.Parsed, VerdictStatus.Unparsed, VerdictStatus.OutOfRange, VerdictStatus.Dropped, VerdictStatus.Error];

    /// <summary>The statuses of an item without a verdict, in the order reports list them.</summary>
    public static IReadOnlyList<VerdictStatus> WithoutVerdict { get; } = [VerdictStatus.Unparsed, VerdictStatus.OutOfRange, VerdictStatus.Dropped, VerdictStatus.Error];

    /// <summary><c>parsed</c>, <c>unparsed</c>, <c>out_of_range</c>, <c>dropped</c> or <c>error</c>.</summary>
    public static string ToWire(this VerdictStatus status) => status switch
    {
        VerdictStatus.Parsed => "parsed",
        VerdictStatus.Unparsed => "unparsed",
        VerdictStatus.OutOfRange => "out_of_range",
        VerdictStatus.Dropped => "dropped",
        VerdictStatus.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>The same in words: <c>out of range</c>.</summary>
    public static string ToWords(this VerdictStatus status) => status.ToWire().Replace('_', ' ');
}

/// <summary>The pairwise choice as the judge saw it: by position, not by model.</summary>
public enum PairwiseChoice
{
    /// <summary>The answer shown first.</summary>
    First,

    /// <summary>The answer shown second.</summary>
    Second,

    /// <summary>Neither.</summary>
    Tie,
}

/// <summary>Token counts of one call, where the judge reported them.</summary>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
public sealed record TokenUsage(long? InputTokens, long? OutputTokens);

/// <summary>
/// One call to a judge model: what was asked (by hash), what came back, and what was read from it.
/// Recorded whatever the outcome, so a failed or unparsed call is visible in the results.
/// </summary>
public sealed record JudgeCall
{
    /// <summary>The item key the call was for.</summary>
    public required string ItemKey { get; init; }

    /// <summary>The judge's id (its spec).</summary>
    public required string JudgeId { get; init; }

    /// <summary>The rubric id and version.</summary>
    public required string RubricKey { get; init; }

    /// <summary><c>AB</c>, <c>BA</c>, or <c>single</c> for an absolute grade.</summary>
    public required string Order { get; init; }

    /// <summary>The SHA-256 of the rendered messages: equal prompts, equal hashes.</summary>
    public required string PromptHash { get; init; }

    /// <summary>What the judge wrote; <see langword="null"/> when the call failed.</summary>
    public string? RawOutput { get; init; }

    /// <summary>Whether a verdict was read.</summary>
    public required VerdictStatus Status { get; init; }

    /// <summary>The verdict text as matched (e.g. <c>7</c>, <c>A</c>), also when out of range.</summary>
    public string? Verdict { get; init; }

    /// <summary>The score, for an absolute rubric whose verdict parsed.</summary>
    public double? Score { get; init; }

    /// <summary>The positional choice, for a pairwise rubric whose verdict parsed.</summary>
    public PairwiseChoice? Choice { get; init; }

    /// <summary>The judge's feedback or explanation, where one could be separated from the verdict.</summary>
    public string? Feedback { get; init; }

    /// <summary>How the verdict was read: <c>json</c>, <c>tag</c>, <c>replay</c> or <c>logits</c>.</summary>
    public string? Method { get; init; }

    /// <summary>Token usage, where reported.</summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>Wall-clock time of the call in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>The model that answered, as the provider named it.</summary>
    public string? ModelId { get; init; }

    /// <summary>The provider's finish reason (stop, length, content_filter, …).</summary>
    public string? FinishReason { get; init; }

    /// <summary>Why the call failed, when <see cref="Status"/> is <see cref="VerdictStatus.Error"/>.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// For a verdict read from logits (<see cref="Method"/> <c>logits</c>): each allowed label's probability,
    /// renormalised over the labels. <see langword="null"/> for verdicts read from text.
    /// </summary>
    public IReadOnlyDictionary<string, double>? Probabilities { get; init; }

    /// <summary>For a verdict read from logits on an absolute rubric: Σ p·score over <see cref="Probabilities"/>.</summary>
    public double? ExpectedScore { get; init; }

    /// <summary>For a verdict read from logits: the probability the model gave the labels at all, before renormalising.</summary>
    public double? LabelMass { get; init; }
}

/// <summary>The verdict on one pairwise item, with every call that produced it.</summary>
public sealed record PairwiseJudgment
{
    /// <summary>The item key (<see cref="PairwiseItem.Key"/>).</summary>
    public required string ItemKey { get; init; }

    /// <summary>The question id.</summary>
    public required string QuestionId { get; init; }

    /// <summary>The turn judged.</summary>
    public required int Turn { get; init; }

    /// <summary>Model A of the item as given (not as shown).</summary>
    public required string ModelA { get; init; }

    /// <summary>Model B of the item as given.</summary>
    public required string ModelB { get; init; }

    /// <summary>The winner when <see cref="Status"/> is <see cref="VerdictStatus.Parsed"/>; otherwise <see langword="null"/>.</summary>
    public PairwiseWinner? Winner { get; init; }

    /// <summary>Whether a verdict was obtained.</summary>
    public required VerdictStatus Status { get; init; }

    /// <summary>Whether the two orders gave different verdicts; <see langword="null"/> when only one order was judged or a side has no verdict.</summary>
    public bool? Flipped { get; init; }

    /// <summary>The judge id.</summary>
    public required string JudgeId { get; init; }

    /// <summary>The rubric id and version, or the replayed file's judge label.</summary>
    public required string RubricKey { get; init; }

    /// <summary>The calls behind the verdict (none for a replay of combined verdicts).</summary>
    public IReadOnlyList<JudgeCall> Calls { get; init; } = [];

    /// <summary>Why there is no verdict, when there is none.</summary>
    public string? Error { get; init; }
}

/// <summary>The grade of one answer, with the calls that produced it.</summary>
public sealed record AbsoluteJudgment
{
    /// <summary>The item key (<see cref="AbsoluteItem.Key"/>).</summary>
    public required string ItemKey { get; init; }

    /// <summary>The question id.</summary>
    public required string QuestionId { get; init; }

    /// <summary>The turn graded.</summary>
    public required int Turn { get; init; }

    /// <summary>The model whose answer was graded.</summary>
    public required string Model { get; init; }

    /// <summary>The score when <see cref="Status"/> is <see cref="VerdictStatus.Parsed"/>.</summary>
    public double? Score { get; init; }

    /// <summary>Whether a score was obtained.</summary>
    public required VerdictStatus Status { get; init; }

    /// <summary>The judge id.</summary>
    public required string JudgeId { get; init; }

    /// <summary>The rubric id and version.</summary>
    public required string RubricKey { get; init; }

    /// <summary>The calls behind the grade.</summary>
    public IReadOnlyList<JudgeCall> Calls { get; init; } = [];

    /// <summary>Why there is no score, when there is none.</summary>
    public string? Error { get; init; }
}

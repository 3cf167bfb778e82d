using System.Text.Json.Serialization;
using Judge.Data;

namespace Judge.Verdicts;

/// <summary>
/// One line of a judgments file. Its <c>type</c> field says which: <c>call</c> (one judge call),
/// <c>pairwise</c> or <c>absolute</c> (one item's verdict). The README documents every field.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(CallRecord), "call")]
[JsonDerivedType(typeof(PairwiseRecord), "pairwise")]
[JsonDerivedType(typeof(AbsoluteRecord), "absolute")]
public abstract record JudgmentRecord
{
    /// <summary>The item key, shared by an item's verdict and its calls.</summary>
    [JsonPropertyOrder(-3)]
    public required string Item { get; init; }

    /// <summary>The judge id (its spec).</summary>
    [JsonPropertyOrder(-2)]
    public required string Judge { get; init; }

    /// <summary>The rubric id and version.</summary>
    [JsonPropertyOrder(-1)]
    public required string Rubric { get; init; }

    /// <summary>
    /// Which repeat of the item this is (1, 2, … under <c>judge run</c> with repeats &gt; 1); absent
    /// (<see langword="null"/>) for a single judgment, which reads as repeat 0.
    /// </summary>
    public int? Repeat { get; init; }
}

/// <summary>One judge call.</summary>
public sealed record CallRecord : JudgmentRecord
{
    /// <summary><c>AB</c>, <c>BA</c> or <c>single</c>.</summary>
    public required string Order { get; init; }

    /// <summary>SHA-256 of the messages sent.</summary>
    public required string PromptHash { get; init; }

    /// <summary>parsed, unparsed, out_of_range or error.</summary>
    public required VerdictStatus Status { get; init; }

    /// <summary>The verdict text as matched.</summary>
    public string? Verdict { get; init; }

    /// <summary>The score of a parsed absolute verdict.</summary>
    public double? Score { get; init; }

    /// <summary>first, second or tie, for a parsed pairwise verdict.</summary>
    public string? Choice { get; init; }

    /// <summary>How the verdict was read: json or tag.</summary>
    public string? Method { get; init; }

    /// <summary>The judge's explanation.</summary>
    public string? Feedback { get; init; }

    /// <summary>The judge's whole output.</summary>
    public string? RawOutput { get; init; }

    /// <summary>Prompt tokens, where reported.</summary>
    public long? InputTokens { get; init; }

    /// <summary>Completion tokens, where reported.</summary>
    public long? OutputTokens { get; init; }

    /// <summary>Wall-clock time of the call.</summary>
    public double LatencyMs { get; init; }

    /// <summary>
    /// What the call's tokens cost in US dollars at the price table's list price; absent when the judge
    /// reported no usage or no price is known for its model (a local or replayed judge).
    /// </summary>
    public decimal? CostUsd { get; init; }

    /// <summary>The model that answered.</summary>
    public string? Model { get; init; }

    /// <summary>The provider's finish reason.</summary>
    public string? FinishReason { get; init; }

    /// <summary>Why no verdict was read, or why the call failed.</summary>
    public string? Error { get; init; }

    /// <summary>Label probabilities, for a verdict read from logits.</summary>
    public IReadOnlyDictionary<string, double>? Probabilities { get; init; }

    /// <summary>Expected score under <see cref="Probabilities"/>, for an absolute verdict read from logits.</summary>
    public double? ExpectedScore { get; init; }

    /// <summary>The probability the model put on the labels before renormalising, for a verdict read from logits.</summary>
    public double? LabelMass { get; init; }

    /// <summary>
    /// A soft verdict: the probability that the answer shown second wins, in [0, 1] (AlpacaEval's
    /// preference − 1); absent for a hard verdict. Read from imported files; Judge's own calls do not write it.
    /// </summary>
    public double? PSecond { get; init; }

    /// <summary>
    /// A five-level verdict by position (<c>A&gt;&gt;B</c>, <c>A&gt;B</c>, <c>A=B</c>, <c>B&gt;A</c>, <c>B&gt;&gt;A</c>,
    /// A the answer shown first), as Arena-Hard's judges give it; absent for a three-way verdict.
    /// </summary>
    public string? StrongVerdict { get; init; }

    /// <summary>Builds the record for a call.</summary>
    public static CallRecord From(JudgeCall call) => new()
    {
        Item = call.ItemKey,
        Judge = call.JudgeId,
        Rubric = call.RubricKey,
        Order = call.Order,
        PromptHash = call.PromptHash,
        Status = call.Status,
        Verdict = call.Verdict,
        Score = call.Score,
        Choice = call.Choice?.ToString().ToLowerInvariant(),
        Method = call.Method,
        Feedback = call.Feedback,
        RawOutput = call.RawOutput,
        InputTokens = call.Usage?.InputTokens,
        OutputTokens = call.Usage?.OutputTokens,
        LatencyMs = Math.Round(call.LatencyMs, 3),
        Model = call.ModelId,
        FinishReason = call.FinishReason,
        Error = call.Error,
        Probabilities = call.Probabilities,
        ExpectedScore = call.ExpectedScore,
        LabelMass = call.LabelMass,
    };
}

/// <summary>The verdict on one pairwise item.</summary>
public sealed record PairwiseRecord : JudgmentRecord
{
    /// <summary>The question id.</summary>
    public required string QuestionId { get; init; }

    /// <summary>The turn compared.</summary>
    public required int Turn { get; init; }

    /// <summary>Model A (as the item was given, not as shown).</summary>
    public required string ModelA { get; init; }

    /// <summary>Model B.</summary>
    public required string ModelB { get; init; }

    /// <summary>model_a, model_b, tie or "tie (inconsistent)"; null without a verdict.</summary>
    public string? Winner { get; init; }

    /// <summary>parsed, unparsed, out_of_range, dropped or error.</summary>
    public required VerdictStatus Status { get; init; }

    /// <summary>Whether the two orders disagreed; null when not known.</summary>
    public bool? Flipped { get; init; }

    /// <summary>Why there is no verdict.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// A soft verdict: the probability that model B wins, in [0, 1] (for both orders, the mean of the
    /// orders'); absent for a hard verdict. Read from imported files.
    /// </summary>
    public double? PSecond { get; init; }

    /// <summary>A five-level verdict by model (<c>A&gt;&gt;B</c> … <c>B&gt;&gt;A</c>, A being model A), for a single verdict that had one; otherwise absent.</summary>
    public string? StrongVerdict { get; init; }

    /// <summary>Builds the record for a judgment.</summary>
    public static PairwiseRecord From(PairwiseJudgment j) => new()
    {
        Item = j.ItemKey,
        Judge = j.JudgeId,
        Rubric = j.RubricKey,
        QuestionId = j.QuestionId,
        Turn = j.Turn,
        ModelA = j.ModelA,
        ModelB = j.ModelB,
        Winner = j.Winner?.ToWire(),
        Status = j.Status,
        Flipped = j.Flipped,
        Error = j.Error,
    };
}

/// <summary>The grade of one answer.</summary>
public sealed record AbsoluteRecord : JudgmentRecord
{
    /// <summary>The question id.</summary>
    public required string QuestionId { get; init; }

    /// <summary>The turn graded.</summary>
    public required int Turn { get; init; }

    /// <summary>The model graded.</summary>
    public required string Model { get; init; }

    /// <summary>The score; null without a verdict.</summary>
    public double? Score { get; init; }

    /// <summary>parsed, unparsed, out_of_range or error.</summary>
    public required VerdictStatus Status { get; init; }

    /// <summary>Why there is no score.</summary>
    public string? Error { get; init; }

    /// <summary>Builds the record for a judgment.</summary>
    public static AbsoluteRecord From(AbsoluteJudgment j) => new()
    {
        Item = j.ItemKey,
        Judge = j.JudgeId,
        Rubric = j.RubricKey,
        QuestionId = j.QuestionId,
        Turn = j.Turn,
        Model = j.Model,
        Score = j.Score,
        Status = j.Status,
        Error = j.Error,
    };
}

/// <summary>Source-generated JSON for judgments files: snake_case, nulls omitted, one line per record.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(JudgmentRecord))]
public sealed partial class JudgmentJsonContext : JsonSerializerContext;

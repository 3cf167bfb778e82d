using System.Text.Json;
using System.Text.Json.Serialization;
using Judge.Data;

namespace Judge.Verdicts;

/// <summary>
/// One line of a judgments file and the same record in memory: judges return these, the run engine writes them as
/// they are, and statistics, reports, replay and import read them back. Its <c>type</c> field says which:
/// <c>call</c> (<see cref="JudgeCall"/>), <c>pairwise</c> (<see cref="PairwiseVerdict"/>) or <c>absolute</c>
/// (<see cref="AbsoluteVerdict"/>). docs/file-formats.md documents every field.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(JudgeCall), "call")]
[JsonDerivedType(typeof(PairwiseVerdict), "pairwise")]
[JsonDerivedType(typeof(AbsoluteVerdict), "absolute")]
public abstract record JudgmentRecord
{
    /// <summary>The item key (<see cref="PairwiseItem.Key"/>, <see cref="AbsoluteItem.Key"/>), shared by an item's verdict and its calls.</summary>
    [JsonPropertyOrder(-3)]
    public required string Item { get; init; }

    /// <summary>The judge id: its spec, without URL passwords.</summary>
    [JsonPropertyOrder(-2)]
    public required string Judge { get; init; }

    /// <summary>The rubric id and version (<c>pairwise-general@1</c>), or a replayed file's label.</summary>
    [JsonPropertyOrder(-1)]
    public required string Rubric { get; init; }

    /// <summary>
    /// Which repeat of the item this is (1, 2, … under <c>judge run</c> with repeats &gt; 1); absent
    /// (<see langword="null"/>) for a single judgment, which reads as repeat 0.
    /// </summary>
    public int? Repeat { get; init; }

    /// <summary>What became of the call or the item: whether a verdict was read, and if not, why.</summary>
    public abstract VerdictStatus Status { get; init; }

    /// <summary>
    /// How sure the judge was of this verdict, in [0, 1], as <see cref="ConfidenceSource"/> measured it; absent
    /// (<see langword="null"/>) when no source gave one (a verdict read from text without token probabilities, a
    /// file written before confidences were recorded, a record without a verdict). Never a default.
    /// </summary>
    public double? Confidence { get; init; }

    /// <summary>Where <see cref="Confidence"/> came from: one of <see cref="VerdictConfidence"/>'s sources (<c>logits</c>, <c>logprobs</c>, <c>orders</c>, …).</summary>
    public string? ConfidenceSource { get; init; }
}

/// <summary>
/// One call to a judge model: what was asked (by hash), what came back, and what was read from it. Recorded
/// whatever the outcome, so a failed or unparsed call is visible in the results.
/// </summary>
public sealed record JudgeCall : JudgmentRecord
{
    /// <summary><c>AB</c>, <c>BA</c>, or <c>single</c> for an absolute grade.</summary>
    public required string Order { get; init; }

    /// <summary>The SHA-256 of the rendered messages: equal prompts, equal hashes.</summary>
    public required string PromptHash { get; init; }

    /// <summary>Whether a verdict was read: parsed, unparsed, out_of_range or error.</summary>
    public required override VerdictStatus Status { get; init; }

    /// <summary>The verdict text as matched (e.g. <c>7</c>, <c>A</c>), also when out of range.</summary>
    public string? Verdict { get; init; }

    /// <summary>The score, for an absolute rubric whose verdict parsed.</summary>
    public double? Score { get; init; }

    /// <summary>
    /// The side chosen by position, for a pairwise rubric whose verdict parsed: <see cref="PairOutcome.A"/> is the
    /// answer shown first. Written <c>first</c>, <c>second</c> or <c>tie</c>.
    /// </summary>
    [JsonConverter(typeof(PositionJsonConverter))]
    public PairOutcome? Choice { get; init; }

    /// <summary>How the verdict was read: <c>json</c>, <c>tag</c>, <c>replay</c> or <c>logits</c>.</summary>
    public string? Method { get; init; }

    /// <summary>
    /// The call's choice in terms of its item's models (A is <c>model_a</c>): in the <c>BA</c> order the answer shown
    /// first is model B's. <see langword="null"/> when the call has no parsed pairwise verdict.
    /// </summary>
    public PairOutcome? ChoiceByModel() =>
        Status == VerdictStatus.Parsed && Choice is { } choice ? (Order == "BA" ? choice.Mirror() : choice) : null;

    /// <summary>The judge's feedback or explanation, where one could be separated from the verdict.</summary>
    public string? Feedback { get; init; }

    /// <summary>What the judge wrote; <see langword="null"/> when the call failed.</summary>
    public string? RawOutput { get; init; }

    /// <summary>Prompt tokens, where the judge reported them.</summary>
    public long? InputTokens { get; init; }

    /// <summary>Completion tokens, where the judge reported them.</summary>
    public long? OutputTokens { get; init; }

    /// <summary>Wall-clock time of the call in milliseconds, to the microsecond.</summary>
    public double LatencyMs { get; init; }

    /// <summary>
    /// What the call's tokens cost in US dollars at the price table's price (the batch price for a call a provider
    /// batch answered); absent when the judge reported no usage or no price is known for its model.
    /// </summary>
    public decimal? CostUsd { get; init; }

    /// <summary>The model that answered, as the provider named it.</summary>
    public string? Model { get; init; }

    /// <summary>The provider's finish reason (stop, length, content_filter, …).</summary>
    public string? FinishReason { get; init; }

    /// <summary>Why no verdict was read, or why the call failed.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// Each allowed label's probability, renormalised over the labels: for a verdict read from logits
    /// (<see cref="Method"/> <c>logits</c>), or for a text verdict whose API returned token log-probabilities at
    /// the verdict token (<see cref="JudgmentRecord.ConfidenceSource"/> <c>logprobs</c>; labels absent from the
    /// API's top list are absent here). <see langword="null"/> otherwise.
    /// </summary>
    public IReadOnlyDictionary<string, double>? Probabilities { get; init; }

    /// <summary>For a verdict read from logits on an absolute rubric: Σ p·score over <see cref="Probabilities"/>.</summary>
    public double? ExpectedScore { get; init; }

    /// <summary>With <see cref="Probabilities"/>: the probability the model gave the labels at all, before renormalising.</summary>
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
}

/// <summary>The verdict on one item (a pair, or one answer), with the calls that produced it.</summary>
public abstract record ItemVerdict : JudgmentRecord
{
    /// <summary>The calls behind the verdict, in the order written (none for a replay of combined verdicts). On disk they are the call lines before it.</summary>
    [JsonIgnore]
    public IReadOnlyList<JudgeCall> Calls { get; init; } = [];

    /// <summary>
    /// For a cascade's verdict: every stage that judged the item, in order, with its verdict, confidence and threshold;
    /// absent for any other judge.
    /// </summary>
    public IReadOnlyList<CascadeStep>? Cascade { get; init; }

    /// <summary>For a cascade's verdict: the 1-based stage that decided it; absent when no stage did (abstained, or unguaranteed) or for any other judge.</summary>
    public int? Stage { get; init; }

    /// <summary>
    /// For a cascade's verdict: whether a calibrated stage decided it (its agreement guaranteed); <see langword="false"/> for
    /// the last stage's verdict kept without reaching its threshold (<c>on_abstain: last</c>). Absent for any other judge.
    /// </summary>
    public bool? Guaranteed { get; init; }
}

/// <summary>One stage of a cascade on one item: what its judge said, how sure it was, and whether that was enough.</summary>
/// <param name="Judge">The stage's judge id.</param>
/// <param name="Status">The stage verdict's status.</param>
/// <param name="Verdict">Its verdict: a winner (<c>model_a</c>, <c>model_b</c>, <c>tie</c>, …) or a score; absent without one.</param>
/// <param name="Confidence">Its confidence; absent when it had none.</param>
/// <param name="Threshold">The stage's calibrated threshold; absent when calibration certified none (the stage never decides).</param>
/// <param name="Decided">Whether the stage decided the item (a verdict with confidence at least the threshold).</param>
public sealed record CascadeStep(string Judge, VerdictStatus Status, string? Verdict, double? Confidence, double? Threshold, bool Decided);

/// <summary>The verdict on one pairwise item (both orders combined), with the calls that produced it.</summary>
public sealed record PairwiseVerdict : ItemVerdict
{
    /// <summary>The question id.</summary>
    public required string QuestionId { get; init; }

    /// <summary>The turn compared.</summary>
    public required int Turn { get; init; }

    /// <summary>Model A of the item as given (not as shown).</summary>
    public required string ModelA { get; init; }

    /// <summary>Model B of the item as given.</summary>
    public required string ModelB { get; init; }

    /// <summary>
    /// The winner by model when <see cref="Status"/> is <see cref="VerdictStatus.Parsed"/>, otherwise <see langword="null"/>.
    /// Written <c>model_a</c>, <c>model_b</c>, <c>tie</c> or <c>tie (inconsistent)</c>.
    /// </summary>
    [JsonConverter(typeof(WinnerJsonConverter))]
    public PairOutcome? Winner { get; init; }

    /// <summary>Whether a verdict was obtained: parsed, unparsed, out_of_range, dropped or error.</summary>
    public required override VerdictStatus Status { get; init; }

    /// <summary>Whether the two orders gave different verdicts; <see langword="null"/> when only one order was judged or a side has no verdict.</summary>
    public bool? Flipped { get; init; }

    /// <summary>Why there is no verdict, when there is none.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// A soft verdict: the probability that model B wins, in [0, 1] (for both orders, the mean of the
    /// orders'); absent for a hard verdict. Read from imported files.
    /// </summary>
    public double? PSecond { get; init; }

    /// <summary>A five-level verdict by model (<c>A&gt;&gt;B</c> … <c>B&gt;&gt;A</c>, A being model A), for a single verdict that had one; otherwise absent.</summary>
    public string? StrongVerdict { get; init; }

    /// <summary>The verdict as a label (rater = the judge), for agreement statistics; <see langword="null"/> without a verdict.</summary>
    public PairwiseLabel? ToLabel() =>
        Winner is { } winner ? new PairwiseLabel(QuestionId, ModelA, ModelB, winner, Judge, Turn) { PSecond = PSecond } : null;
}

/// <summary>The grade of one answer, with the calls that produced it.</summary>
public sealed record AbsoluteVerdict : ItemVerdict
{
    /// <summary>The question id.</summary>
    public required string QuestionId { get; init; }

    /// <summary>The turn graded.</summary>
    public required int Turn { get; init; }

    /// <summary>The model whose answer was graded.</summary>
    public required string Model { get; init; }

    /// <summary>The score when <see cref="Status"/> is <see cref="VerdictStatus.Parsed"/>, otherwise <see langword="null"/>.</summary>
    public double? Score { get; init; }

    /// <summary>Whether a score was obtained: parsed, unparsed, out_of_range or error.</summary>
    public required override VerdictStatus Status { get; init; }

    /// <summary>Why there is no score, when there is none.</summary>
    public string? Error { get; init; }

}

/// <summary>Source-generated JSON for judgments files: snake_case, nulls omitted, one line per record.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(JudgmentRecord))]
internal sealed partial class JudgmentJsonContext : JsonSerializerContext;

/// <summary>An item's winner as MT-Bench writes it (<see cref="PairOutcomes.ToWire"/>); reads any spelling <see cref="PairOutcomes.TryParse"/> takes.</summary>
internal sealed class WinnerJsonConverter : JsonConverter<PairOutcome>
{
    public override PairOutcome Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        PairOutcomes.TryParse(reader.TokenType == JsonTokenType.String ? reader.GetString() : null)
            ?? throw new JsonException("winner must be model_a, model_b, tie or \"tie (inconsistent)\"");

    public override void Write(Utf8JsonWriter writer, PairOutcome value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToWire());
}

/// <summary>A call's choice by position (<see cref="PairOutcomes.ToPosition"/>): <c>first</c>, <c>second</c> or <c>tie</c>.</summary>
internal sealed class PositionJsonConverter : JsonConverter<PairOutcome>
{
    public override PairOutcome Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        PairOutcomes.FromPosition(reader.TokenType == JsonTokenType.String ? reader.GetString() : null)
            ?? throw new JsonException("choice must be first, second or tie");

    public override void Write(Utf8JsonWriter writer, PairOutcome value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToPosition());
}

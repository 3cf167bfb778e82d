using System.Text.Json.Serialization;

namespace Judge.Verdicts;

/// <summary>
/// What became of a judge call or an item: the one definition every count, rate, gate and report
/// uses. Written as <c>parsed</c>, <c>unparsed</c>, <c>out_of_range</c>, <c>dropped</c>, <c>error</c> or <c>abstained</c>.
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

    /// <summary>A selective judge or cascade was not confident enough to decide: no stage's confidence reached its calibrated threshold.</summary>
    [JsonStringEnumMemberName("abstained")]
    Abstained,
}

/// <summary>The wire spelling of <see cref="VerdictStatus"/>, for reports and messages.</summary>
public static class VerdictStatuses
{
    /// <summary>Every status, in the order reports list them.</summary>
    public static IReadOnlyList<VerdictStatus> All { get; } = [VerdictStatus.Parsed, VerdictStatus.Unparsed, VerdictStatus.OutOfRange, VerdictStatus.Dropped, VerdictStatus.Error, VerdictStatus.Abstained];

    /// <summary>The statuses of an item without a verdict, in the order reports list them.</summary>
    public static IReadOnlyList<VerdictStatus> WithoutVerdict { get; } = [VerdictStatus.Unparsed, VerdictStatus.OutOfRange, VerdictStatus.Dropped, VerdictStatus.Error, VerdictStatus.Abstained];

    /// <summary><c>parsed</c>, <c>unparsed</c>, <c>out_of_range</c>, <c>dropped</c>, <c>error</c> or <c>abstained</c>.</summary>
    public static string ToWire(this VerdictStatus status) => status switch
    {
        VerdictStatus.Parsed => "parsed",
        VerdictStatus.Unparsed => "unparsed",
        VerdictStatus.OutOfRange => "out_of_range",
        VerdictStatus.Dropped => "dropped",
        VerdictStatus.Error => "error",
        VerdictStatus.Abstained => "abstained",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>The same in words: <c>out of range</c>.</summary>
    public static string ToWords(this VerdictStatus status) => status.ToWire().Replace('_', ' ');
}

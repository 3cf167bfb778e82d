using System.Text.Json;
using System.Text.Json.Serialization;

namespace Judge.Statistics;

/// <summary>
/// The one JSON convention for a statistic that does not exist or is unbounded in every report (agreement,
/// bias, arena, judges): NaN and ±∞ are written as <c>null</c> (which way a rating is unbounded is
/// said beside it, in its <c>bound</c>); <c>null</c> reads back as NaN.
/// </summary>
internal sealed class NonFiniteAsNull : JsonConverter<double>
{
    public override bool HandleNull => true;

    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

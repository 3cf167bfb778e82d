using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace Judge.Judging;

/// <summary>The one key that identifies a judge request's answer, for caches and journals.</summary>
public static class ResponseKey
{
    /// <summary>
    /// The key of a request: a SHA-256 over who answers (<paramref name="identity"/>: a judge spec, or a
    /// provider, endpoint and model), the messages, and every option that changes the answer (model,
    /// temperature, seed, max tokens, top-p/k, penalties, stop sequences, response format and schema,
    /// raw-request factory) plus the caller's extra key under <see cref="ChatJudgeOptions.CacheKeyProperty"/>
    /// (rubric, order, repeat). The one key of the response cache and the run journal: a response is
    /// reused only for a request that would have been answered the same way.
    /// </summary>
    public static string Of(string identity, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var o = new StringBuilder();
        if (options is not null)
        {
            o.Append(CultureInfo.InvariantCulture, $"model={options.ModelId};t={options.Temperature?.ToString("R", CultureInfo.InvariantCulture)};seed={options.Seed};max={options.MaxOutputTokens};");
            o.Append(CultureInfo.InvariantCulture, $"top_p={options.TopP?.ToString("R", CultureInfo.InvariantCulture)};top_k={options.TopK};fp={options.FrequencyPenalty?.ToString("R", CultureInfo.InvariantCulture)};pp={options.PresencePenalty?.ToString("R", CultureInfo.InvariantCulture)};");
            o.Append("stop=").AppendJoin("\u001f", options.StopSequences ?? []).Append(';');
            o.Append("format=").Append(options.ResponseFormat switch
            {
                null => string.Empty,
                ChatResponseFormatText => "text",
                ChatResponseFormatJson { Schema: { } schema } json => $"schema:{json.SchemaName}:{schema.GetRawText()}",
                ChatResponseFormatJson => "json",
                var other => other.GetType().Name,
            }).Append(';');
            o.Append("raw=").Append(options.RawRepresentationFactory is null ? "0" : "1").Append(';');
            if (options.AdditionalProperties?.TryGetValue(ChatJudgeOptions.CacheKeyProperty, out var extra) == true)
            {
                o.Append("extra=").Append(Convert.ToString(extra, CultureInfo.InvariantCulture));
            }
        }

        return AIJsonUtilities.HashDataToString([identity, messages as IList<ChatMessage> ?? [.. messages], o.ToString()], AIJsonUtilities.DefaultOptions);
    }
}

using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI.Chat;

namespace Judge.Providers.Hosted;

/// <summary>
/// Carries token log-probabilities, where the judge asked for them, from the SDK's raw completion into
/// <see cref="ChatResponse.AdditionalProperties"/> under <see cref="Key"/>, as JSON text
/// (<c>[{"token":"7","logprob":-0.01,"top":[{"token":"7","logprob":-0.01},…]},…]</c>) so it survives the cache.
/// </summary>
public static class LogProbabilities
{
    /// <summary>The additional-property key.</summary>
    public const string Key = Judge.Judging.VerdictTokenProbabilities.PropertyKey;

    internal static void Copy(ChatResponse response)
    {
        if (response.RawRepresentation is not ChatCompletion { ContentTokenLogProbabilities: { Count: > 0 } tokens })
        {
            return;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var token in tokens)
            {
                json.WriteStartObject();
                json.WriteString("token", token.Token);
                json.WriteNumber("logprob", token.LogProbability);
                json.WriteStartArray("top");
                foreach (var top in token.TopLogProbabilities)
                {
                    json.WriteStartObject();
                    json.WriteString("token", top.Token);
                    json.WriteNumber("logprob", top.LogProbability);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        (response.AdditionalProperties ??= [])[Key] = Encoding.UTF8.GetString(buffer.ToArray());
    }
}

using Microsoft.Extensions.AI;
using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;

namespace Judge.Providers.Hosted;

/// <summary>
/// Sends a request's JSON schema to a self-hosted OpenAI-compatible server as it was given. The OpenAI adapter
/// otherwise rewrites the keywords OpenAI's structured output does not take (<c>maxLength</c>, <c>minimum</c>,
/// <c>pattern</c>, …) into the schema's <c>description</c>, where llama-server, vLLM and Ollama do not enforce them:
/// a verdict's feedback then runs to the token limit and the verdict is cut off. Provider hosts keep the rewrite,
/// which matches their rules. Thread-safe.
/// </summary>
internal sealed class VerbatimSchemaChatClient : DelegatingChatClient
{
    public VerbatimSchemaChatClient(IChatClient inner)
        : base(inner)
    {
    }

    /// <inheritdoc/>
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, Verbatim(options), cancellationToken);

    /// <inheritdoc/>
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, Verbatim(options), cancellationToken);

    /// <summary>
    /// A copy of <paramref name="options"/> whose raw SDK options carry the JSON schema untransformed (the adapter uses a
    /// raw response format as it is); options without a JSON schema, or whose raw options are not the SDK's, are returned unchanged.
    /// </summary>
    internal static ChatOptions? Verbatim(ChatOptions? options)
    {
        if (options?.ResponseFormat is not ChatResponseFormatJson { Schema: { } schema } json)
        {
            return options;
        }

        var copy = options.Clone();
        var previous = options.RawRepresentationFactory;
        var bytes = BinaryData.FromString(schema.GetRawText());
        copy.RawRepresentationFactory = client =>
        {
            var raw = previous?.Invoke(client);
            if (raw is not null and not ChatCompletionOptions)
            {
                return raw;
            }

            var completion = raw as ChatCompletionOptions ?? new ChatCompletionOptions();
            completion.ResponseFormat ??= OpenAI.Chat.ChatResponseFormat.CreateJsonSchemaFormat(json.SchemaName ?? "response", bytes, json.SchemaDescription);
            return completion;
        };
        return copy;
    }
}

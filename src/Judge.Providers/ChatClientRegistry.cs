using Judge.Judging;
using Judge.Providers.Hosted;
using Judge.Providers.Llama;
using Microsoft.Extensions.AI;

namespace Judge.Providers;

/// <summary>
/// The judge schemes that are served by a chat model, each with a factory for its
/// <see cref="IChatClient"/>. Item-level schemes (replay) are handled by the judge factory.
/// </summary>
public sealed class ChatClientRegistry
{
    private readonly Dictionary<string, (string Description, Func<JudgeSpec, IChatClient> Create)> _schemes = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The registry with every scheme this build ships.</summary>
    public static ChatClientRegistry CreateDefault()
    {
        var registry = new ChatClientRegistry();

        // Providers register here as they land: openai:, azure:, an OpenAI-compatible base URL, llama:.
        registry.Register("openai", "OpenAI chat model, or any OpenAI-compatible server with ?base_url=http://host/v1[,http://other/v1]; key from OPENAI_API_KEY", spec => HostedChatClients.CreateOpenAI(spec));
        registry.Register("azure", "Azure OpenAI deployment; endpoint from ?endpoint= or AZURE_OPENAI_ENDPOINT, key from AZURE_OPENAI_API_KEY or ?auth=entra", spec => HostedChatClients.CreateAzure(spec));
        registry.Register("mock", MockJudge.Description, MockJudge.CreateChatClient);
        registry.Register("llama", LlamaJudge.Description, LlamaJudge.CreateChatClient);
        return registry;
    }

    /// <summary>Adds or replaces a scheme.</summary>
    public ChatClientRegistry Register(string scheme, string description, Func<JudgeSpec, IChatClient> create)
    {
        _schemes[scheme] = (description, create);
        return this;
    }

    /// <summary>The registered schemes with a one-line description each, sorted.</summary>
    public IReadOnlyList<(string Scheme, string Description)> Schemes =>
        _schemes.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Value.Description)).ToList();

    /// <summary>Whether the scheme is registered.</summary>
    public bool Contains(string scheme) => _schemes.ContainsKey(scheme);

    /// <summary>Creates the chat client for a spec; an unregistered scheme is a <see cref="JudgeUnavailableException"/>.</summary>
    public IChatClient Create(JudgeSpec spec) =>
        _schemes.TryGetValue(spec.Scheme, out var entry)
            ? entry.Create(spec)
            : throw new JudgeUnavailableException($"judge scheme '{spec.Scheme}' is not available in this build");
}

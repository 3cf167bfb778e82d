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
    private readonly Dictionary<string, (string Description, Func<JudgeSpec, IChatClient> Create, Action<JudgeSpec>? Check)> _schemes = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The registry with every scheme this build ships.</summary>
    public static ChatClientRegistry CreateDefault()
    {
        var registry = new ChatClientRegistry();

        // Providers register here as they land: openai:, azure:, an OpenAI-compatible base URL, llama:.
        registry.Register("openai", "OpenAI chat model, or any OpenAI-compatible server with ?base_url=http://host/v1[,http://other/v1]; key from OPENAI_API_KEY", spec => HostedChatClients.CreateOpenAI(spec), spec => HostedChatClients.CheckOpenAI(spec, null));
        registry.Register("azure", "Azure OpenAI deployment; endpoint from ?endpoint= or AZURE_OPENAI_ENDPOINT, key from AZURE_OPENAI_API_KEY or ?auth=entra", spec => HostedChatClients.CreateAzure(spec), spec => HostedChatClients.CheckAzure(spec, null));
        registry.Register("mock", MockJudge.Description, MockJudge.CreateChatClient, spec => MockJudge.CreateChatClient(spec).Dispose());
        registry.Register("llama", LlamaJudge.Description, LlamaJudge.CreateChatClient, LlamaJudge.Check);
        return registry;
    }

    /// <summary>Adds or replaces a scheme whose specs are checked only by building their client.</summary>
    public ChatClientRegistry Register(string scheme, string description, Func<JudgeSpec, IChatClient> create)
    {
        _schemes[scheme] = (description, create, null);
        return this;
    }

    /// <summary>Adds or replaces a scheme with a check of its specs that builds nothing (see <see cref="Check"/>).</summary>
    public ChatClientRegistry Register(string scheme, string description, Func<JudgeSpec, IChatClient> create, Action<JudgeSpec> check)
    {
        _schemes[scheme] = (description, create, check);
        return this;
    }

    /// <summary>
    /// Checks a spec as creating its client would (options, credentials, files) without loading a model, opening a cache
    /// or calling anything; a scheme registered without a check is not checked here.
    /// </summary>
    /// <exception cref="InputException">The spec is unusable.</exception>
    /// <exception cref="JudgeUnavailableException">The scheme is not registered, or what it needs is not set up.</exception>
    public void Check(JudgeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!_schemes.TryGetValue(spec.Scheme, out var entry))
        {
            throw new JudgeUnavailableException($"judge scheme '{spec.Scheme}' is not available in this build");
        }

        entry.Check?.Invoke(spec);
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

using System.Net;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Hosted;

/// <summary>
/// Lets a judge run on a model that rejects one of the sampling options it was given: a 400 whose message
/// names <c>temperature</c> (reasoning models), <c>response_format</c> (endpoints without structured
/// output), <c>seed</c> or <c>logprobs</c> is retried once without that option, and the response records
/// the degradation under <see cref="DegradedKey"/>. Once a model has refused an option it is not sent again.
/// Thread-safe.
/// </summary>
internal sealed class OptionFallbackChatClient : DelegatingChatClient
{
    /// <summary>The additional-property key listing options dropped for a response, e.g. <c>temperature</c>.</summary>
    public const string DegradedKey = "judge.degraded";

    private static readonly (string Name, Func<ChatOptions, bool> IsSet, Action<ChatOptions> Drop)[] Droppable =
    [
        ("temperature", o => o.Temperature is not null, o => o.Temperature = null),
        ("response_format", o => o.ResponseFormat is not null, o => o.ResponseFormat = null),
        ("seed", o => o.Seed is not null, o => o.Seed = null),
        ("logprobs", o => o.RawRepresentationFactory is not null, o => o.RawRepresentationFactory = null),
    ];

    private readonly HashSet<string> _refused = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public OptionFallbackChatClient(IChatClient inner)
        : base(inner)
    {
    }

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var dropped = new List<string>();
        if (options is not null)
        {
            lock (_gate)
            {
                if (_refused.Count > 0)
                {
                    options = options.Clone();
                    foreach (var option in Droppable.Where(d => _refused.Contains(d.Name) && d.IsSet(options)))
                    {
                        option.Drop(options);
                        dropped.Add(option.Name);
                    }
                }
            }
        }

        while (true)
        {
            try
            {
                var response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
                if (dropped.Count > 0)
                {
                    (response.AdditionalProperties ??= [])[DegradedKey] = "dropped " + string.Join(",", dropped) + ": the model rejected it";
                }

                return response;
            }
            catch (ProviderException ex) when (ex.StatusCode == HttpStatusCode.BadRequest && options is not null)
            {
                var option = Droppable.FirstOrDefault(d => !dropped.Contains(d.Name) && d.IsSet(options) && ex.Message.Contains(d.Name, StringComparison.OrdinalIgnoreCase));
                if (option.Name is null)
                {
                    throw;
                }

                options = options.Clone();
                option.Drop(options);
                dropped.Add(option.Name);
                lock (_gate)
                {
                    _refused.Add(option.Name);
                }
            }
        }
    }
}

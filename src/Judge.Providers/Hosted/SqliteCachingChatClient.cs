using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Hosted;

/// <summary>
/// Serves repeated judge calls from a <see cref="SqliteResponseCache"/>. The key covers the judge's identity
/// (provider, endpoints or deployment, model, API version), the messages, every option that changes the
/// answer (temperature, seed, max tokens, top-p, stop sequences, response format, model) and the caller's
/// extra key in <see cref="ChatOptions.AdditionalProperties"/> under <see cref="ChatJudgeOptions.CacheKeyProperty"/>
/// (rubric id and version, order, repeat index). A hit is marked with <see cref="HitKey"/>. Thread-safe.
/// </summary>
internal sealed class SqliteCachingChatClient : DelegatingChatClient
{
    /// <summary>The additional-property key set to <c>true</c> on a response served from the cache.</summary>
    public const string HitKey = "judge.cache_hit";

    private readonly SqliteResponseCache _cache;
    private readonly string _identity;
    private readonly CacheMode _mode;

    public SqliteCachingChatClient(IChatClient inner, SqliteResponseCache cache, string identity, CacheMode mode)
        : base(inner)
    {
        _cache = cache;
        _identity = identity;
        _mode = mode;
    }

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (_mode == CacheMode.Off)
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        var list = messages as IList<ChatMessage> ?? [.. messages];
        var key = Key(_identity, list, options);
        if (_mode == CacheMode.ReadWrite && await TryGetAsync(key, cancellationToken).ConfigureAwait(false) is { } hit)
        {
            (hit.AdditionalProperties ??= [])[HitKey] = true;
            return hit;
        }

        var response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);

        // The answer is paid for: a cache that cannot take it (locked, full, corrupt, read-only) costs the
        // cache entry, never the answer.
        try
        {
            await _cache.SetAsync(key, response, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsCacheFailure(ex))
        {
            _cache.Warn($"could not store an answer in the cache {_cache.Path} ({Reason(ex)}); the answer is kept, only not cached");
        }

        return response;
    }

    private async Task<ChatResponse?> TryGetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await _cache.TryGetAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsCacheFailure(ex))
        {
            _cache.Warn($"could not read the cache {_cache.Path} ({Reason(ex)}); calling the model instead");
            return null;
        }
    }

    private static bool IsCacheFailure(Exception ex) =>
        ex is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException or InvalidOperationException;

    private static string Reason(Exception ex) => ex is Microsoft.Data.Sqlite.SqliteException s ? $"SQLite error {s.SqliteErrorCode}: {s.Message}" : ex.Message;

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(SqliteResponseCache) ? _cache : base.GetService(serviceType, serviceKey);

    /// <summary>The cache key: see <see cref="ResponseKey.Of"/>.</summary>
    internal static string Key(string identity, IList<ChatMessage> messages, ChatOptions? options) => ResponseKey.Of(identity, messages, options);
}

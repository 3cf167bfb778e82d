using System.Runtime.CompilerServices;
using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Hosted;

/// <summary>The client-side budget as <see cref="ChatClientBuilder"/> middleware, for any judge's chat client.</summary>
public static partial class HostedChatClientBuilderExtensions
{
    /// <summary>
    /// Paces calls through this client to a budget: at most <paramref name="requestsPerMinute"/> calls and
    /// <paramref name="tokensPerMinute"/> estimated prompt tokens (<see cref="TokenEstimate.Of"/>) per
    /// minute, and <paramref name="maxConcurrency"/> in flight; callers over budget wait (cancellably) rather than
    /// fail. It is the same <c>EndpointBudget</c> a hosted judge draws from per endpoint and attempt under its
    /// retry layer (<see cref="HostedJudgeOptions.RequestsPerMinute"/>); use this for judges without one, e.g. a
    /// chat client built elsewhere. Add it after (inside) <see cref="UseJudgeCache"/> so cache hits spend nothing.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="requestsPerMinute">Calls per minute; <see langword="null"/> for no request budget.</param>
    /// <param name="tokensPerMinute">Estimated prompt tokens per minute; <see langword="null"/> for no token budget.</param>
    /// <param name="maxConcurrency">Calls in flight at once. Default 16.</param>
    /// <param name="utilisation">The share of the per-minute budgets actually paced, in (0, 1]. Default 0.98, as <see cref="HostedJudgeOptions.BudgetUtilisation"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A budget below 1, or a utilisation outside (0, 1].</exception>
    public static ChatClientBuilder UseJudgeBudget(this ChatClientBuilder builder, int? requestsPerMinute = null, int? tokensPerMinute = null, int maxConcurrency = 16, double utilisation = 0.98)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (requestsPerMinute is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(requestsPerMinute), requestsPerMinute, "must be at least 1, or null for no request budget");
        }

        if (tokensPerMinute is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(tokensPerMinute), tokensPerMinute, "must be at least 1, or null for no token budget");
        }

        if (maxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxConcurrency), maxConcurrency, "must be at least 1");
        }

        if (utilisation is <= 0 or > 1 || double.IsNaN(utilisation))
        {
            throw new ArgumentOutOfRangeException(nameof(utilisation), utilisation, "must lie in (0, 1]");
        }

#pragma warning disable CA2000 // The budgeted client owns and disposes its budget.
        return builder.Use(inner => new BudgetChatClient(inner, new EndpointBudget(requestsPerMinute, tokensPerMinute, maxConcurrency, utilisation)));
#pragma warning restore CA2000
    }
}

/// <summary>Draws one request and the estimated prompt tokens from an <see cref="EndpointBudget"/> per call. Thread-safe.</summary>
internal sealed class BudgetChatClient(IChatClient inner, EndpointBudget budget) : DelegatingChatClient(inner)
{
    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? [.. messages];
        using var lease = await budget.AcquireAsync(Tokens(list), cancellationToken).ConfigureAwait(false);
        return await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? [.. messages];
        using var lease = await budget.AcquireAsync(Tokens(list), cancellationToken).ConfigureAwait(false);
        await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            budget.Dispose();
        }
    }

    private static int Tokens(IList<ChatMessage> messages) => (int)Math.Min(int.MaxValue, TokenEstimate.Of(messages));
}

using Microsoft.Extensions.AI;

namespace Judge.Judging;

/// <summary>
/// Prompt tokens counted without a tokenizer, for dry runs and client-side token budgets: one token per 4
/// characters of message text (rounded up) plus 4 tokens of framing per message, the rule of thumb for English
/// with GPT-style BPE tokenizers (±25% on prose, worse on code or non-Latin scripts). Thread-safe.
/// </summary>
public static class TokenEstimate
{
    /// <summary>Estimated prompt tokens of one call's messages.</summary>
    public static long Of(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return messages.Sum(m => 4 + (((long)(m.Text?.Length ?? 0) + 3) / 4));
    }
}

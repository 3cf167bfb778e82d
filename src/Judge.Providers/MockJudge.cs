using System.Globalization;
using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Providers;

/// <summary>
/// Creates the mock judge, the entry point of the <c>mock:</c> scheme: seeded, made-up verdicts in the rubric's
/// format, with no model behind them. For testing pipelines (configs, resume, gates, reports), never for judging.
/// </summary>
public static class MockJudge
{
    /// <summary>The registry description of <c>mock:</c>.</summary>
    public const string Description =
        "mock:SEED — FOR TESTING PIPELINES, NOT FOR JUDGING: seeded made-up verdicts in the rubric's format, no model; ?latency_ms=N&error_rate=F&min=1&max=10&log=FILE";

    /// <summary>A mock judge drawing its verdicts from <paramref name="seed"/>; absolute scores lie in 1-10. Thread-safe.</summary>
    public static IChatClient CreateChatClient(int seed) =>
        CreateChatClient(JudgeSpec.Parse(string.Create(CultureInfo.InvariantCulture, $"mock:{seed}")));

    /// <summary>The mock judge of a <c>mock:</c> spec (its options: latency, error rate, score range, call log).</summary>
    /// <exception cref="InputException">The spec has an unknown option or one out of range.</exception>
    public static IChatClient CreateChatClient(JudgeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new MockChatClient(spec);
    }
}

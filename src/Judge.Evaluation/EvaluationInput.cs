using System.Globalization;
using Judge.Data;
using Judge.Verdicts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Judge.Evaluation;

/// <summary>
/// Turns an evaluator's conversation into Judge's data: the user turns become a <see cref="Question"/>, the
/// assistant's earlier replies plus the evaluated response become a <see cref="ModelAnswer"/>, graded at the
/// last turn. System and tool messages are not shown to the judge (no rubric has a place for them);
/// consecutive messages of one role are joined with a blank line.
/// </summary>
internal sealed record EvaluationInput(Question Question, IReadOnlyList<string> SharedReplies, int Turn)
{
    /// <summary>The question id the items carry; the evaluators grade one conversation at a time.</summary>
    public const string QuestionId = "1";

    /// <summary>Reads the conversation, or says why it cannot be graded.</summary>
    public static EvaluationInput? TryRead(IEnumerable<ChatMessage> messages, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var runs = new List<(ChatRole Role, List<string> Texts)>();
        foreach (var m in messages.Where(m => m.Role == ChatRole.User || m.Role == ChatRole.Assistant))
        {
            if (runs.Count > 0 && runs[^1].Role == m.Role)
            {
                runs[^1].Texts.Add(m.Text);
            }
            else
            {
                runs.Add((m.Role, [m.Text]));
            }
        }

        if (runs.Count == 0 || runs[0].Role != ChatRole.User)
        {
            problem = runs.Count == 0
                ? "the conversation has no user message for the response to answer"
                : "the conversation starts with an assistant message; it must start with the user's";
            return null;
        }

        if (runs[^1].Role != ChatRole.User)
        {
            problem = "the conversation ends with an assistant message; it must end with the user message the response answers";
            return null;
        }

        var users = runs.Where(r => r.Role == ChatRole.User).Select(r => string.Join("\n\n", r.Texts)).ToList();
        var replies = runs.Where(r => r.Role == ChatRole.Assistant).Select(r => string.Join("\n\n", r.Texts)).ToList();
        problem = null;
        return new EvaluationInput(new Question(QuestionId, string.Empty, users), replies, users.Count);
    }

    /// <summary>An answer made of the shared earlier replies and <paramref name="lastReply"/>.</summary>
    public ModelAnswer Answer(string modelId, string lastReply) => new(QuestionId, modelId, [.. SharedReplies, lastReply]);

    /// <summary>The reference answer from the context, if one was given.</summary>
    public static ModelAnswer? Reference(IEnumerable<EvaluationContext>? context) =>
        context?.OfType<ReferenceAnswerContext>().FirstOrDefault() is { } r ? new ModelAnswer(QuestionId, "reference", r.Turns) : null;
}

/// <summary>What the evaluators share in building metrics from Judge's calls.</summary>
internal static class MetricFacts
{
    public const string RubricKey = "judge.rubric";
    public const string StatusKey = "judge.status";
    public const string JudgeIdKey = "judge.judge_id";

    /// <summary>Records rubric, status, verdicts, prompt hashes and usage of <paramref name="calls"/> in the metric.</summary>
    public static void Describe(EvaluationMetric metric, string judgeId, string rubricKey, VerdictStatus status, IReadOnlyList<JudgeCall> calls)
    {
        metric.AddOrUpdateMetadata(JudgeIdKey, judgeId);
        metric.AddOrUpdateMetadata(RubricKey, rubricKey);
        metric.AddOrUpdateMetadata(StatusKey, status.ToWire());
        foreach (var call in calls)
        {
            var prefix = calls.Count == 1 ? "judge." : $"judge.{call.Order.ToLowerInvariant()}.";
            Put(metric, prefix + "status", call.Status.ToWire());
            Put(metric, prefix + "verdict", call.Verdict);
            Put(metric, prefix + "method", call.Method);
            Put(metric, prefix + "prompt_hash", call.PromptHash);
            Put(metric, prefix + "raw_output", call.RawOutput);
            Put(metric, prefix + "expected_score", call.ExpectedScore?.ToString("R", CultureInfo.InvariantCulture));
        }

        if (calls.Count > 0)
        {
            // A stand-in response carries the judge's usage and model to the standard eval-* metadata keys.
            var usage = new UsageDetails
            {
                InputTokenCount = Sum(calls.Select(c => c.InputTokens)),
                OutputTokenCount = Sum(calls.Select(c => c.OutputTokens)),
            };
            usage.TotalTokenCount = usage.InputTokenCount is { } i && usage.OutputTokenCount is { } o ? i + o : null;
            var response = new ChatResponse([]) { ModelId = calls.Select(c => c.Model).FirstOrDefault(m => m is not null), Usage = usage };
            metric.AddOrUpdateChatMetadata(response, TimeSpan.FromMilliseconds(calls.Max(c => c.LatencyMs)));
        }
    }

    /// <summary>The error diagnostic for a call or item without a verdict, naming why.</summary>
    public static EvaluationDiagnostic NoVerdict(VerdictStatus status, string? problem) => EvaluationDiagnostic.Error(status switch
    {
        VerdictStatus.Unparsed => $"the judge's verdict could not be read, so there is no score: {problem ?? "no verdict found"}",
        VerdictStatus.OutOfRange => $"the judge's verdict lies outside what the rubric offers, so there is no score: {problem ?? "out of range"}",
        VerdictStatus.Dropped => $"no verdict: {problem ?? "dropped"}",
        VerdictStatus.Abstained => $"no verdict: the judge abstained, not confident enough to decide: {problem ?? "abstained"}",
        _ => $"the judge call failed, so there is no score: {problem ?? "unknown error"}",
    });

    /// <summary>The interpretation of a metric that has no value.</summary>
    public static EvaluationMetricInterpretation Inconclusive(VerdictStatus status) =>
        new(EvaluationRating.Inconclusive, failed: true, reason: $"no verdict ({status.ToWire()}); see the diagnostics");

    private static void Put(EvaluationMetric metric, string key, string? value)
    {
        if (value is not null)
        {
            metric.AddOrUpdateMetadata(key, value);
        }
    }

    private static long? Sum(IEnumerable<long?> values)
    {
        long? total = null;
        foreach (var v in values)
        {
            if (v is { } x)
            {
                total = (total ?? 0) + x;
            }
        }

        return total;
    }
}

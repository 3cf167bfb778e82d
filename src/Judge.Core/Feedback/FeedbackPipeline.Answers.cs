using System.Text.Json;
using Judge.Judging;
using Judge.Runs;
using Microsoft.Extensions.AI;

namespace Judge.Feedback;

// Model calls: each stage's prompts sent through the call runner (journal, batches, concurrency, progress, pricing), and the answers read.
public sealed partial class FeedbackPipeline
{
    /// <summary>The generator's answers to a stage's prompts; an answer counts as read when it holds a JSON object with <paramref name="requiredKey"/>.</summary>
    private Task<CallAnswer[]> GenerateAllAsync(StageContext context, List<IReadOnlyList<ChatMessage>> prompts, string requiredKey, CancellationToken cancellationToken) =>
        CallAllAsync(
            context,
            context.Name,
            _models.Generator,
            prompts,
            new ChatOptions { Temperature = _options.GeneratorTemperature, Seed = _options.Seed },
            (_, text) => JsonExtraction.Find(text, requiredKey).Object is not null,
            cancellationToken);

    private static bool Parsed(StageContext context, string key, CallAnswer answer, string requiredKey, out JsonElement obj)
    {
        obj = default;
        if (answer.Error is { } error)
        {
            context.Reject(key, "error", error, null);
            return false;
        }

        var (found, problem) = JsonExtraction.Find(answer.Text, requiredKey);
        if (found is not { } element)
        {
            context.Reject(key, "unparsable", problem, answer.Text);
            return false;
        }

        obj = element;
        return true;
    }

    /// <summary>
    /// Sends every prompt to <paramref name="model"/> on the run's call runner, <see cref="FeedbackOptions.Concurrency"/> at
    /// a time (through its batch service first in batch mode), and reports the calls' progress under <paramref name="label"/>;
    /// <paramref name="read"/> tells whether an answer can be read.
    /// </summary>
    private Task<CallAnswer[]> CallAllAsync(StageContext context, string label, FeedbackModel model, List<IReadOnlyList<ChatMessage>> prompts, ChatOptions options, Func<int, string, bool> read, CancellationToken cancellationToken) =>
        context.Runner.CallAllAsync(
            new CallModel(model.Spec, model.Client, new CallPricer(_models.Prices, model.Spec), model.Batch),
            prompts,
            options,
            new CallProgress(label, _options.Concurrency, read, context.OnProgress, context.Spend),
            cancellationToken);

    private static string CleanFeedback(string? feedback)
    {
        var text = (feedback ?? string.Empty).Trim();
        return text.StartsWith("Feedback:", StringComparison.OrdinalIgnoreCase) ? text["Feedback:".Length..].Trim() : text;
    }
}

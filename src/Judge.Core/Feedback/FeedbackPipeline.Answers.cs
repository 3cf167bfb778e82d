using System.Globalization;
using System.Text.Json;
using Judge.Judging;
using Judge.Runs;
using Microsoft.Extensions.AI;

namespace Judge.Feedback;

// The middleware wrappers built per call hold no resources of their own; the models belong to the caller.
#pragma warning disable CA2000

// Model calls: each prompt sent through the journal, its progress reported and its cost priced, and the answers read.
public sealed partial class FeedbackPipeline
{
    /// <summary>The generator's answers to a stage's prompts; an answer counts as read when it holds a JSON object with <paramref name="requiredKey"/>.</summary>
    private Task<(string? Text, string? Error)[]> GenerateAllAsync(StageContext context, List<IReadOnlyList<ChatMessage>> prompts, string requiredKey, CancellationToken cancellationToken) =>
        CallAllAsync(
            context,
            context.Name,
            _models.GeneratorName,
            _models.Generator,
            prompts,
            new ChatOptions { Temperature = _options.GeneratorTemperature, Seed = _options.Seed },
            (_, text) => JsonExtraction.Find(text, requiredKey).Object is not null,
            cancellationToken);

    private static bool Parsed(StageContext context, string key, (string? Text, string? Error) answer, string requiredKey, out JsonElement obj)
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
    /// Sends every prompt to <paramref name="model"/> (through the journal), <see cref="FeedbackOptions.Concurrency"/> at a time,
    /// and reports the batch's progress under <paramref name="label"/>; <paramref name="read"/> tells whether an answer can be read.
    /// </summary>
    private async Task<(string? Text, string? Error)[]> CallAllAsync(StageContext context, string label, string name, IChatClient model, List<IReadOnlyList<ChatMessage>> prompts, ChatOptions options, Func<int, string, bool> read, CancellationToken cancellationToken)
    {
        var results = new (string? Text, string? Error)[prompts.Count];
        var ids = await BatchAsync(context, label, name, prompts, options, cancellationToken).ConfigureAwait(false);
        var batchAnswers = _models.Batches.GetValueOrDefault(name)?.Answers;
        var progress = context.StartProgress(label, prompts.Count, _time);
        var pricedModel = PricedModel(name);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, prompts.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Concurrency), CancellationToken = cancellationToken },
            async (i, token) =>
            {
                // Only a response that reached the model is priced: a journalled one was paid for in an earlier run.
                decimal? cost = null;
                var client = context.Wrap(name, model, r => cost = pricedModel is null || r.Usage is not { } u ? null : _models.Prices?.CostOf(r.ModelId, pricedModel, u.InputTokenCount ?? 0, u.OutputTokenCount ?? 0, ids[i] is { } id && batchAnswers?.Answered(id) == true));
                try
                {
                    var response = await client.GetResponseAsync(prompts[i], options.Clone(), token).ConfigureAwait(false);
                    results[i] = (response.Text, null);
                    progress.Add(read(i, response.Text), 1, response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0, cost);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A failed call is a visible rejection of its item, not the end of a long run.
                    results[i] = (null, $"{name}: {ex.GetType().Name}: {ex.Message}");
                    progress.Add(false, 1, 0, 0, cost);
                }
            }).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// For a model in batch mode: sends the prompts the journal has not answered through its batch service, so the
    /// calls that follow are served from the answers. Returns each prompt's custom id (null when not batched).
    /// </summary>
    private async Task<string?[]> BatchAsync(StageContext context, string label, string name, List<IReadOnlyList<ChatMessage>> prompts, ChatOptions options, CancellationToken cancellationToken)
    {
        var ids = new string?[prompts.Count];
        if (_models.Batches.GetValueOrDefault(name) is not { } side)
        {
            return ids;
        }

        var lines = new Dictionary<string, BatchRequestLine>(StringComparer.Ordinal);
        for (var i = 0; i < prompts.Count; i++)
        {
            if (context.Journal.Contains(ResponseJournal.KeyOf(name, prompts[i], options)))
            {
                continue;
            }

            var body = await side.Judge.RequestBodyAsync(prompts[i], options.Clone(), cancellationToken).ConfigureAwait(false);
            var line = new BatchRequestLine(string.Create(CultureInfo.InvariantCulture, $"{label}|{i}|{BatchAnswers.Hash(body)[..16]}"), body);
            lines[line.CustomId] = line;
            ids[i] = line.CustomId;
        }

        if (lines.Count > 0)
        {
            await new BatchDriver(_time).SendAsync(name, side.Judge, lines, BatchBook.InFile(Path.Combine(_out, BatchesFile)), _models.Note, side.Answers, cancellationToken).ConfigureAwait(false);
        }

        return ids;
    }

    /// <summary>The model a spec's calls are priced by when the response names none; <see langword="null"/> for a replayed model, paid for when it was recorded.</summary>
    private static string? PricedModel(string name)
    {
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == name.Length - 1)
        {
            return name;
        }

        var spec = JudgeSpec.Parse(name);
        return spec.Scheme == "replay" ? null : RunEngine.PricedModel(spec);
    }

    private static string CleanFeedback(string? feedback)
    {
        var text = (feedback ?? string.Empty).Trim();
        return text.StartsWith("Feedback:", StringComparison.OrdinalIgnoreCase) ? text["Feedback:".Length..].Trim() : text;
    }
}
#pragma warning restore CA2000

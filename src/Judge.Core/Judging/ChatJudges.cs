using Judge.Data;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Judging;

/// <summary>Options for judges that call a chat model.</summary>
public sealed class ChatJudgeOptions
{
    /// <summary>Sampling temperature. Default 0: judging should be as repeatable as the model allows.</summary>
    public float? Temperature { get; set; } = 0f;

    /// <summary>The seed passed to the model, where it accepts one. Default: none.</summary>
    public long? Seed { get; set; }

    /// <summary>The most tokens the judge may write. Default 1024: room for an explanation and a verdict.</summary>
    public int? MaxOutputTokens { get; set; } = 1024;

    /// <summary>
    /// Whether to read verdicts from the model's next-token probabilities when its chat client offers an
    /// <see cref="ILogitVerdictScorer"/> (local llama models do): one forward pass, deterministic, never
    /// unparsed, with the distribution recorded. Default <see langword="true"/>; set false to make such
    /// a model write its verdict as text like any other.
    /// </summary>
    public bool UseLogitVerdicts { get; set; } = true;

    /// <summary>
    /// For rubrics that ask for feedback before the verdict (<see cref="VerdictFormat.FeedbackFirst"/>), whether
    /// a logit-verdict judge first generates that feedback (up to <see cref="MaxOutputTokens"/>, stopping at
    /// the verdict marker) and then reads the verdict distribution after it, so the verdict follows the
    /// model's own assessment as the rubric intends. Default <see langword="true"/>; false reads the verdict
    /// straight after the prompt (one forward pass, much faster).
    /// </summary>
    public bool FeedbackBeforeLogitVerdict { get; set; } = true;

    /// <summary>
    /// Whether a judge that writes its verdict as text asks for it in the shape of <see cref="VerdictSchema"/>
    /// (<see cref="ChatOptions.ResponseFormat"/> set to that JSON schema): feedback and the verdict as a JSON
    /// object. A local llama model then generates under the schema's grammar, so even a model that ignores
    /// the rubric's instructions writes a verdict <see cref="VerdictParser"/> can read; hosted APIs apply it
    /// as structured output where they support it. Verdicts read from logits are not affected. Default
    /// <see langword="false"/>: the rubric's own verdict format.
    /// </summary>
    public bool ConstrainVerdict { get; set; }

    /// <summary>The clock used to time calls. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Extra text that distinguishes otherwise identical calls in a response cache, e.g. a repeat index.
    /// Default none. The rubric key and the presentation order are always part of the key.
    /// </summary>
    public string? CacheKey { get; set; }

    /// <summary>
    /// The <see cref="ChatOptions.AdditionalProperties"/> key under which a judge passes its cache key
    /// (rubric id and version, order, <see cref="CacheKey"/>) to caching middleware.
    /// </summary>
    public const string CacheKeyProperty = "judge.cache_key";

    internal ChatOptions ToChatOptions(string? cacheKey = null) => new()
    {
        Temperature = Temperature,
        Seed = Seed,
        MaxOutputTokens = MaxOutputTokens,
        AdditionalProperties = cacheKey is null && CacheKey is null ? null : new() { [CacheKeyProperty] = $"{cacheKey}|{CacheKey}" },
    };
}

/// <summary>
/// Runs one chat call for a rendered prompt and turns whatever happens into a <see cref="JudgeCall"/>:
/// an answer is parsed, an exception other than cancellation is recorded as an error.
/// </summary>
internal static class ChatCall
{
    public static async Task<JudgeCall> RunAsync(
        IChatClient client, string judgeId, Rubric rubric, string itemKey, string order, RenderedPrompt prompt, ChatJudgeOptions options, CancellationToken cancellationToken)
    {
        var clock = options.TimeProvider;
        var started = clock.GetTimestamp();

        // What every outcome of this call shares; an exception leaves it an error.
        var call = new JudgeCall
        {
            Item = itemKey,
            Judge = judgeId,
            Rubric = rubric.Key,
            Order = order,
            PromptHash = prompt.Hash,
            Status = VerdictStatus.Error,
        };

        try
        {
            call = options.UseLogitVerdicts && client.GetService(typeof(ILogitVerdictScorer)) is ILogitVerdictScorer scorer
                ? await ScoreFromLogitsAsync(client, scorer, call, rubric, order, prompt, options, cancellationToken).ConfigureAwait(false)
                : await ParseResponseAsync(client, call, rubric, order, prompt, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not JudgeUnreachableException && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            // A judge whose service never answered (JudgeUnreachableException) stops the run instead: every item would fail.
            call = call with { Error = Describe(ex) };
        }

        return call with { LatencyMs = Math.Round(clock.GetElapsedTime(started).TotalMilliseconds, 3) };
    }

    private static async Task<JudgeCall> ParseResponseAsync(
        IChatClient client, JudgeCall call, Rubric rubric, string order, RenderedPrompt prompt, ChatJudgeOptions options, CancellationToken cancellationToken)
    {
        var chatOptions = options.ToChatOptions($"{rubric.Key}|{order}");
        if (options.ConstrainVerdict)
        {
            chatOptions.ResponseFormat = ChatResponseFormat.ForJsonSchema(VerdictSchema.For(rubric, options.MaxOutputTokens), "verdict", "The judge's feedback and verdict");
        }

        var response = await client.GetResponseAsync(prompt.Messages, chatOptions, cancellationToken).ConfigureAwait(false);
        var raw = response.Text;
        var parsed = VerdictParser.Parse(rubric, raw, prompt.CandidateTexts);
        var tokens = parsed.Status == VerdictStatus.Parsed ? VerdictTokenProbabilities.Read(response, rubric, parsed.Verdict) : null;
        return call with
        {
            Probabilities = tokens?.Probabilities,
            LabelMass = tokens?.LabelMass,
            Confidence = tokens?.Confidence,
            ConfidenceSource = tokens is null ? null : VerdictConfidence.LogProbs,
            RawOutput = raw,
            Status = parsed.Status,
            Verdict = parsed.Verdict,
            Score = parsed.Score,
            Choice = parsed.Choice,
            Feedback = parsed.Feedback,
            Method = parsed.Method,
            InputTokens = response.Usage?.InputTokenCount,
            OutputTokens = response.Usage?.OutputTokenCount,
            Model = response.ModelId,
            FinishReason = response.FinishReason?.Value,
            Error = parsed.Problem,
        };
    }

    private static async Task<JudgeCall> ScoreFromLogitsAsync(
        IChatClient client, ILogitVerdictScorer scorer, JudgeCall call, Rubric rubric, string order, RenderedPrompt prompt, ChatJudgeOptions options, CancellationToken cancellationToken)
    {
        call = call with { Method = "logits" };
        var request = LogitVerdicts.RequestFor(rubric, prompt);
        string? feedback = null;
        long generated = 0;
        if (rubric.Output.FeedbackFirst && options.FeedbackBeforeLogitVerdict)
        {
            // The model writes its assessment first, stopping where the verdict marker would start; the
            // verdict is then read after "feedback + marker", as if the model had written the marker itself.
            var chatOptions = options.ToChatOptions($"{rubric.Key}|{order}|feedback");
            chatOptions.StopSequences = [request.VerdictPrefix.Trim()];
            var response = await client.GetResponseAsync(prompt.Messages, chatOptions, cancellationToken).ConfigureAwait(false);
            feedback = response.Text.Trim();
            generated = response.Usage?.OutputTokenCount ?? 0;
            if (feedback.Length > 0)
            {
                request = request with { VerdictPrefix = $"{feedback}\n{request.VerdictPrefix}" };
            }
        }

        var result = await scorer.ScoreAsync(request, cancellationToken).ConfigureAwait(false);
        var parsed = LogitVerdicts.Interpret(rubric, result);
        var tag = rubric.Output.Tag.Replace("{verdict}", result.Verdict, StringComparison.Ordinal);
        return call with
        {
            // Written as the feedback and the rubric's tag, so a replay of this call re-parses to the same verdict.
            RawOutput = string.IsNullOrEmpty(feedback) ? tag : $"{feedback}\n{tag}",
            Feedback = string.IsNullOrEmpty(feedback) ? null : feedback,
            Status = parsed.Status,
            Verdict = parsed.Verdict,
            Score = parsed.Score,
            Choice = parsed.Choice,
            Probabilities = result.Probabilities,
            Confidence = result.Probabilities.TryGetValue(result.Verdict, out var p) ? p : null,
            ConfidenceSource = result.Probabilities.ContainsKey(result.Verdict) ? VerdictConfidence.Logits : null,
            ExpectedScore = LogitVerdicts.ExpectedScore(rubric, result.Probabilities),
            LabelMass = result.LabelMass,
            InputTokens = result.PromptTokens,
            OutputTokens = generated,
            Model = result.ModelId,
        };
    }

    private static string Describe(Exception ex)
    {
        // The innermost message usually names the cause (a refused connection, a 429); keep the outer type for context.
        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return ReferenceEquals(inner, ex) ? $"{ex.GetType().Name}: {ex.Message}" : $"{ex.GetType().Name}: {ex.Message} ({inner.Message})";
    }
}

/// <summary>
/// Compares two answers in the order the item gives them, with one chat call. Wrap it in a
/// <see cref="PositionSwapJudge"/> to judge both orders. Thread-safe if the chat client is.
/// </summary>
public sealed class ChatPairwiseJudge : IPairwiseJudge
{
    private readonly IChatClient _client;
    private readonly IRubricSelector _rubrics;
    private readonly ChatJudgeOptions _options;

    /// <summary>Creates the judge.</summary>
    /// <param name="id">The judge id recorded with every verdict (usually its spec).</param>
    /// <param name="client">The model.</param>
    /// <param name="rubrics">Which rubric each item gets.</param>
    /// <param name="options">Sampling and timing options; defaults when <see langword="null"/>.</param>
    public ChatPairwiseJudge(string id, IChatClient client, IRubricSelector rubrics, ChatJudgeOptions? options = null)
    {
        Id = id;
        _client = client;
        _rubrics = rubrics;
        _options = options ?? new ChatJudgeOptions();
    }

    /// <inheritdoc/>
    public string Id { get; }

    /// <inheritdoc/>
    public async Task<PairwiseVerdict> JudgeAsync(PairwiseItem item, CancellationToken cancellationToken = default)
    {
        var rubric = _rubrics.For(item);
        var prompt = PromptRenderer.Render(rubric, item);
        var call = await ChatCall.RunAsync(_client, Id, rubric, item.Key, item.Order.ToString(), prompt, _options, cancellationToken).ConfigureAwait(false);
        return new PairwiseVerdict
        {
            Item = item.Key,
            QuestionId = item.Question.Id,
            Turn = item.Turn,
            ModelA = item.ModelA,
            ModelB = item.ModelB,
            // The item as shown: its model A is the answer shown first.
            Winner = call.Status == VerdictStatus.Parsed ? call.Choice : null,
            Status = call.Status,
            Judge = Id,
            Rubric = rubric.Key,
            Calls = [call],
            Error = call.Error,
            Confidence = call.Status == VerdictStatus.Parsed ? call.Confidence : null,
            ConfidenceSource = call.Status == VerdictStatus.Parsed ? call.ConfidenceSource : null,
        };
    }
}

/// <summary>Grades one answer with one chat call. Thread-safe if the chat client is.</summary>
public sealed class ChatAbsoluteJudge : IAbsoluteJudge
{
    private readonly IChatClient _client;
    private readonly IRubricSelector _rubrics;
    private readonly ChatJudgeOptions _options;

    /// <summary>Creates the judge.</summary>
    /// <param name="id">The judge id recorded with every grade.</param>
    /// <param name="client">The model.</param>
    /// <param name="rubrics">Which rubric each item gets.</param>
    /// <param name="options">Sampling and timing options; defaults when <see langword="null"/>.</param>
    public ChatAbsoluteJudge(string id, IChatClient client, IRubricSelector rubrics, ChatJudgeOptions? options = null)
    {
        Id = id;
        _client = client;
        _rubrics = rubrics;
        _options = options ?? new ChatJudgeOptions();
    }

    /// <inheritdoc/>
    public string Id { get; }

    /// <inheritdoc/>
    public async Task<AbsoluteVerdict> GradeAsync(AbsoluteItem item, CancellationToken cancellationToken = default)
    {
        var rubric = _rubrics.For(item);
        var prompt = PromptRenderer.Render(rubric, item);
        var call = await ChatCall.RunAsync(_client, Id, rubric, item.Key, "single", prompt, _options, cancellationToken).ConfigureAwait(false);
        return new AbsoluteVerdict
        {
            Item = item.Key,
            QuestionId = item.Question.Id,
            Turn = item.Turn,
            Model = item.Answer.ModelId,
            Score = call.Status == VerdictStatus.Parsed ? call.Score : null,
            Status = call.Status,
            Judge = Id,
            Rubric = rubric.Key,
            Calls = [call],
            Error = call.Error,
            Confidence = call.Status == VerdictStatus.Parsed ? call.Confidence : null,
            ConfidenceSource = call.Status == VerdictStatus.Parsed ? call.ConfidenceSource : null,
        };
    }
}

/// <summary>How a <see cref="PositionSwapJudge"/> orders each item.</summary>
public enum SwapMode
{
    /// <summary>Judge both orders; agreement gives the verdict. The default.</summary>
    Both,

    /// <summary>Judge only the order given (A first).</summary>
    None,

    /// <summary>Judge one order, drawn per item from the seed: position bias averages out at half the cost.</summary>
    Random,
}

/// <summary>Options for <see cref="PositionSwapJudge"/>.</summary>
public sealed class PositionSwapOptions
{
    /// <summary>Which orders to judge. Default <see cref="SwapMode.Both"/>.</summary>
    public SwapMode Mode { get; set; } = SwapMode.Both;

    /// <summary>What a disagreement becomes. Default <see cref="DisagreementPolicy.Tie"/>.</summary>
    public DisagreementPolicy OnDisagreement { get; set; } = DisagreementPolicy.Tie;

    /// <summary>
    /// The seed for <see cref="SwapMode.Random"/> and for which order is asked first. Default 0. The
    /// draw depends only on the seed and the item key, so it is the same whatever the concurrency.
    /// </summary>
    public int Seed { get; set; }
}

/// <summary>
/// Controls position bias: judges each item in both presentation orders through an inner
/// single-order judge and combines the two. Same winner: that winner. Different: an inconsistent
/// tie (or dropped). A side without a verdict leaves the item without one. Thread-safe if the inner judge is.
/// </summary>
public sealed class PositionSwapJudge : IPairwiseJudge
{
    private readonly IPairwiseJudge _inner;
    private readonly PositionSwapOptions _options;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public PositionSwapJudge(IPairwiseJudge inner, PositionSwapOptions? options = null)
    {
        _inner = inner;
        _options = options ?? new PositionSwapOptions();
    }

    /// <inheritdoc/>
    public string Id => _inner.Id;

    /// <inheritdoc/>
    public async Task<PairwiseVerdict> JudgeAsync(PairwiseItem item, CancellationToken cancellationToken = default)
    {
        var swapFirst = SeededCoin(_options.Seed, item.Key);
        switch (_options.Mode)
        {
            case SwapMode.None:
                return await _inner.JudgeAsync(item, cancellationToken).ConfigureAwait(false);
            case SwapMode.Random:
                return swapFirst ? Unswap(await _inner.JudgeAsync(item.Swapped(), cancellationToken).ConfigureAwait(false), item) : await _inner.JudgeAsync(item, cancellationToken).ConfigureAwait(false);
        }

        // The order asked first is drawn from the seed too, so any residual effect of call order (a cache, a warm server) is not systematic.
        var firstItem = swapFirst ? item.Swapped() : item;
        var firstTask = _inner.JudgeAsync(firstItem, cancellationToken);
        var secondTask = _inner.JudgeAsync(firstItem.Swapped(), cancellationToken);
        var results = await Task.WhenAll(firstTask, secondTask).ConfigureAwait(false);
        var ab = swapFirst ? results[1] : results[0];
        var ba = swapFirst ? Unswap(results[0], item) : Unswap(results[1], item);
        return BothOrders.Combine(ab with { Item = item.Key, ModelA = item.ModelA, ModelB = item.ModelB }, ba, _options.OnDisagreement);
    }

    /// <summary>Maps a judgment of the swapped item back to the original orientation.</summary>
    private static PairwiseVerdict Unswap(PairwiseVerdict swapped, PairwiseItem original) => swapped with
    {
        ModelA = original.ModelA,
        ModelB = original.ModelB,
        Winner = swapped.Winner?.Mirror(),
    };

    private static bool SeededCoin(int seed, string key)
    {
        // FNV-1a over the seed and key: stable across processes and platforms, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var b in BitConverter.GetBytes(seed).Concat(System.Text.Encoding.UTF8.GetBytes(key)))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (hash & 1) == 1;
    }
}

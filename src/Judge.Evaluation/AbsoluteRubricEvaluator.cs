using System.Globalization;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Verdicts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Judge.Evaluation;

/// <summary>Options for <see cref="AbsoluteRubricEvaluator"/>.</summary>
public sealed class AbsoluteRubricEvaluatorOptions
{
    /// <summary>The metric's name. Default: the rubric's id, e.g. <c>single-general</c>.</summary>
    public string? MetricName { get; set; }

    /// <summary>
    /// The lowest score that passes; a parsed score below it is interpreted as failed. It must lie on the
    /// rubric's scale. Default: the middle of the scale (5.5 on 1-10, so 6 passes; 3 on 1-5; 0.5 on 0-1).
    /// </summary>
    public double? PassMark { get; set; }

    /// <summary>The id recorded as the judge in the metric's metadata. Default: the chat client's model id, else <c>judge</c>.</summary>
    public string? JudgeId { get; set; }

    /// <summary>Sampling, verdict-reading and timing options of the underlying <see cref="ChatAbsoluteJudge"/>. Default: its defaults (temperature 0).</summary>
    public ChatJudgeOptions Chat { get; set; } = new();
}

/// <summary>
/// Grades a response on an absolute rubric's scale with Judge's <see cref="ChatAbsoluteJudge"/>: the
/// judge is the <see cref="ChatConfiguration.ChatClient"/>, the graded turn is the last user message of the
/// conversation, and a <see cref="ReferenceAnswerContext"/> supplies the reference answer for rubrics that
/// need one. Returns one <see cref="NumericMetric"/> named after the rubric whose value is the parsed score,
/// whose <see cref="EvaluationMetric.Reason"/> is the judge's feedback, and whose interpretation fails
/// below <see cref="AbsoluteRubricEvaluatorOptions.PassMark"/>. A verdict that cannot be read, lies off the scale,
/// or a call that fails leaves the value <see langword="null"/> — never a default score — with an error
/// diagnostic saying why; the raw output and status are in the metadata (<c>judge.*</c>). Thread-safe.
/// </summary>
public sealed class AbsoluteRubricEvaluator : IEvaluator
{
    private readonly AbsoluteRubricEvaluatorOptions _options;
    private readonly double _passMark;

    /// <summary>Creates the evaluator.</summary>
    /// <param name="rubric">An absolute rubric. Default: the standard <c>single-general</c> (1-10, single turn).</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    public AbsoluteRubricEvaluator(Rubric? rubric = null, AbsoluteRubricEvaluatorOptions? options = null)
    {
        Rubric = rubric ?? StandardRubrics.Get(StandardRubrics.SingleGeneral);
        if (Rubric.Mode != RubricMode.Absolute || Rubric.Scale is not { } scale)
        {
            throw new ArgumentException($"rubric {Rubric.Id} is {Rubric.Mode.ToString().ToLowerInvariant()}; AbsoluteRubricEvaluator needs an absolute one (use PairwiseRubricEvaluator for pairwise rubrics)", nameof(rubric));
        }

        _options = options ?? new AbsoluteRubricEvaluatorOptions();
        _passMark = _options.PassMark ?? (scale.Min + scale.Max) / 2.0;
        if (!scale.Contains(_passMark))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _passMark, $"PassMark must lie on the scale of rubric {Rubric.Id}, {scale.Min} to {scale.Max}");
        }

        MetricName = _options.MetricName ?? Rubric.Id;
        EvaluationMetricNames = [MetricName];
    }

    /// <summary>The rubric the judge is given.</summary>
    public Rubric Rubric { get; }

    /// <summary>The name of the one metric this evaluator returns.</summary>
    public string MetricName { get; }

    /// <summary>The score from which a response passes.</summary>
    public double PassMark => _passMark;

    /// <inheritdoc/>
    public IReadOnlyCollection<string> EvaluationMetricNames { get; }

    /// <inheritdoc/>
    public async ValueTask<EvaluationResult> EvaluateAsync(
        IEnumerable<ChatMessage> messages,
        ChatResponse modelResponse,
        ChatConfiguration? chatConfiguration = null,
        IEnumerable<EvaluationContext>? additionalContext = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(modelResponse);
        ArgumentNullException.ThrowIfNull(chatConfiguration);
        var metric = new NumericMetric(MetricName);
        var result = new EvaluationResult(metric);

        if (EvaluationInput.TryRead(messages, out var problem) is not { } input)
        {
            metric.AddDiagnostics(EvaluationDiagnostic.Error(problem!));
            metric.Interpretation = MetricFacts.Inconclusive(VerdictStatus.Error);
            return result;
        }

        var contexts = additionalContext?.ToList() ?? [];
        var reference = EvaluationInput.Reference(contexts);
        var item = new AbsoluteItem(input.Question, input.Answer(modelResponse.ModelId ?? "response", modelResponse.Text), input.Turn, reference);
        var judgeId = _options.JudgeId ?? chatConfiguration.ChatClient.GetService<ChatClientMetadata>()?.DefaultModelId ?? "judge";
        var judge = new ChatAbsoluteJudge(judgeId, chatConfiguration.ChatClient, new FixedRubricSelector(Rubric), _options.Chat);

        AbsoluteVerdict judgment;
        try
        {
            judgment = await judge.GradeAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (JudgeException ex)
        {
            // The rubric cannot be rendered for this input (a missing reference, a later turn on a single-turn rubric): no call was made.
            metric.AddDiagnostics(EvaluationDiagnostic.Error(ex.Message));
            metric.Interpretation = MetricFacts.Inconclusive(VerdictStatus.Error);
            metric.AddOrUpdateMetadata(MetricFacts.RubricKey, Rubric.Key);
            return result;
        }

        metric.AddOrUpdateContext(contexts.OfType<ReferenceAnswerContext>());
        MetricFacts.Describe(metric, judgeId, Rubric.Key, judgment.Status, judgment.Calls);
        metric.Reason = judgment.Calls.Select(c => c.Feedback).FirstOrDefault(f => !string.IsNullOrWhiteSpace(f));
        if (judgment.Status == VerdictStatus.Parsed && judgment.Score is { } score)
        {
            metric.Value = score;
            metric.Interpretation = Interpret(score);
        }
        else
        {
            metric.AddDiagnostics(MetricFacts.NoVerdict(judgment.Status, judgment.Error));
            metric.Interpretation = MetricFacts.Inconclusive(judgment.Status);
        }

        return result;
    }

    private EvaluationMetricInterpretation Interpret(double score)
    {
        // Five equal bands over the scale: on 1-5 each score is its own band, on 1-10 two scores share one.
        var scale = Rubric.Scale!;
        var fraction = (score - scale.Min) / (scale.Max - scale.Min);
        var rating = Math.Clamp((int)Math.Floor(fraction * 5), 0, 4) switch
        {
            0 => EvaluationRating.Unacceptable,
            1 => EvaluationRating.Poor,
            2 => EvaluationRating.Average,
            3 => EvaluationRating.Good,
            _ => EvaluationRating.Exceptional,
        };
        var failed = score < _passMark;
        var s = score.ToString(CultureInfo.InvariantCulture);
        var mark = _passMark.ToString(CultureInfo.InvariantCulture);
        return new EvaluationMetricInterpretation(rating, failed, failed ? $"{s} is below the pass mark {mark}" : $"{s} reaches the pass mark {mark}");
    }
}

using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Verdicts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Judge.Evaluation;

/// <summary>Options for <see cref="PairwiseRubricEvaluator"/>.</summary>
public sealed class PairwiseRubricEvaluatorOptions
{
    /// <summary>
    /// The prefix of the metric names: the metrics are <c>PREFIX winner</c> and <c>PREFIX win credit</c>.
    /// Default: the rubric's id, e.g. <c>pairwise-general</c>.
    /// </summary>
    public string? MetricName { get; set; }

    /// <summary>
    /// The lowest win credit that passes, 0 to 1. Default 0.5: a win or a tie (consistent or not) passes, a loss fails.
    /// </summary>
    public double PassMark { get; set; } = 0.5;

    /// <summary>The id recorded as the judge in the metrics' metadata. Default: the chat client's model id, else <c>judge</c>.</summary>
    public string? JudgeId { get; set; }

    /// <summary>Sampling, verdict-reading and timing options of the underlying <see cref="ChatPairwiseJudge"/>. Default: its defaults (temperature 0).</summary>
    public ChatJudgeOptions Chat { get; set; } = new();

    /// <summary>
    /// How the two answers are ordered (<see cref="PositionSwapJudge"/>). Default: both orders, a disagreement
    /// is an inconsistent tie, seed 0.
    /// </summary>
    public PositionSwapOptions Swap { get; set; } = new();
}

/// <summary>
/// Compares a response with a baseline answer (from a <see cref="PairwiseContext"/>) on a pairwise rubric,
/// in both presentation orders, with Judge's <see cref="ChatPairwiseJudge"/> wrapped in a
/// <see cref="PositionSwapJudge"/>. Returns two metrics: a <see cref="StringMetric"/> <c>PREFIX winner</c>
/// (<see cref="Response"/>, <see cref="Baseline"/>, <see cref="Tie"/> or <see cref="InconsistentTie"/> when the
/// orders disagreed) and a <see cref="NumericMetric"/> <c>PREFIX win credit</c> for the response (1 for a win,
/// 0.5 for either tie, 0 for a loss), with each order's verdict in the metadata (<c>judge.ab.*</c>,
/// <c>judge.ba.*</c>, <c>judge.flipped</c>) and a warning diagnostic when the orders disagreed. A side without
/// a verdict leaves both values <see langword="null"/> with an error diagnostic saying why. Thread-safe.
/// </summary>
public sealed class PairwiseRubricEvaluator : IEvaluator
{
    /// <summary>The winner when the evaluated response is better.</summary>
    public const string Response = "response";

    /// <summary>The winner when the baseline answer is better.</summary>
    public const string Baseline = "baseline";

    /// <summary>The winner when both orders call it even.</summary>
    public const string Tie = "tie";

    /// <summary>The winner when the two orders disagreed (counted as a tie, kept distinct).</summary>
    public const string InconsistentTie = "tie (inconsistent)";

    /// <summary>The metadata key saying whether the two orders disagreed: <c>true</c> or <c>false</c>.</summary>
    public const string FlippedKey = "judge.flipped";

    private readonly PairwiseRubricEvaluatorOptions _options;

    /// <summary>Creates the evaluator.</summary>
    /// <param name="rubric">A pairwise rubric. Default: the standard <c>pairwise-general</c> (A, B or tie, single turn).</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    public PairwiseRubricEvaluator(Rubric? rubric = null, PairwiseRubricEvaluatorOptions? options = null)
    {
        Rubric = rubric ?? StandardRubrics.Get(StandardRubrics.PairwiseGeneral);
        if (Rubric.Mode != RubricMode.Pairwise)
        {
            throw new ArgumentException($"rubric {Rubric.Id} is {Rubric.Mode.ToString().ToLowerInvariant()}; PairwiseRubricEvaluator needs a pairwise one (use AbsoluteRubricEvaluator for absolute rubrics)", nameof(rubric));
        }

        _options = options ?? new PairwiseRubricEvaluatorOptions();
        if (_options.PassMark is < 0 or > 1 || double.IsNaN(_options.PassMark))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.PassMark, "PassMark is a win credit and must lie between 0 and 1");
        }

        var prefix = _options.MetricName ?? Rubric.Id;
        WinnerMetricName = $"{prefix} winner";
        WinCreditMetricName = $"{prefix} win credit";
        EvaluationMetricNames = [WinnerMetricName, WinCreditMetricName];
    }

    /// <summary>The rubric the judge is given.</summary>
    public Rubric Rubric { get; }

    /// <summary>The name of the <see cref="StringMetric"/> naming the winner.</summary>
    public string WinnerMetricName { get; }

    /// <summary>The name of the <see cref="NumericMetric"/> holding the response's win credit.</summary>
    public string WinCreditMetricName { get; }

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
        var winner = new StringMetric(WinnerMetricName);
        var credit = new NumericMetric(WinCreditMetricName);
        var result = new EvaluationResult(winner, credit);
        var contexts = additionalContext?.ToList() ?? [];

        void Fail(string message)
        {
            foreach (var metric in new EvaluationMetric[] { winner, credit })
            {
                metric.AddDiagnostics(EvaluationDiagnostic.Error(message));
                metric.Interpretation = MetricFacts.Inconclusive(VerdictStatus.Error);
                metric.AddOrUpdateMetadata(MetricFacts.RubricKey, Rubric.Key);
            }
        }

        if (contexts.OfType<PairwiseContext>().FirstOrDefault() is not { } baseline)
        {
            Fail($"no {nameof(PairwiseContext)} in the additional context: give the baseline answer to compare the response with");
            return result;
        }

        if (EvaluationInput.TryRead(messages, out var problem) is not { } input)
        {
            Fail(problem!);
            return result;
        }

        var item = new PairwiseItem(
            input.Question,
            input.Answer(Response, modelResponse.Text),
            input.Answer(Baseline, baseline.BaselineResponse),
            input.Turn,
            EvaluationInput.Reference(contexts));
        var judgeId = _options.JudgeId ?? chatConfiguration.ChatClient.GetService<ChatClientMetadata>()?.DefaultModelId ?? "judge";
        var judge = new PositionSwapJudge(new ChatPairwiseJudge(judgeId, chatConfiguration.ChatClient, new FixedRubricSelector(Rubric), _options.Chat), _options.Swap);

        PairwiseVerdict judgment;
        try
        {
            judgment = await judge.JudgeAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (JudgeException ex)
        {
            Fail(ex.Message);
            return result;
        }

        Record(winner, credit, judgment, judgeId, contexts);
        return result;
    }

    /// <summary>Fills both metrics from the judgment: the winner and its win credit, or why there is none.</summary>
    private void Record(StringMetric winner, NumericMetric credit, PairwiseVerdict judgment, string judgeId, List<EvaluationContext> contexts)
    {
        var reason = Feedback(judgment.Calls);
        foreach (var metric in new EvaluationMetric[] { winner, credit })
        {
            metric.AddOrUpdateContext(contexts.Where(c => c is PairwiseContext or ReferenceAnswerContext));
            MetricFacts.Describe(metric, judgeId, Rubric.Key, judgment.Status, judgment.Calls);
            metric.Reason = reason;
            if (judgment.Flipped is { } flipped)
            {
                metric.AddOrUpdateMetadata(FlippedKey, flipped ? "true" : "false");
            }
        }

        if (judgment.Status != VerdictStatus.Parsed || judgment.Winner is not { } w)
        {
            foreach (var metric in new EvaluationMetric[] { winner, credit })
            {
                metric.AddDiagnostics(MetricFacts.NoVerdict(judgment.Status, judgment.Error));
                metric.Interpretation = MetricFacts.Inconclusive(judgment.Status);
            }

            if (judgment.Flipped == true)
            {
                // Dropped by DisagreementPolicy.Drop: say what each order chose.
                credit.AddDiagnostics(EvaluationDiagnostic.Warning(Disagreement(judgment.Calls, "so the item was dropped")));
            }

            return;
        }

        var name = w switch
        {
            PairOutcome.A => Response,
            PairOutcome.B => Baseline,
            PairOutcome.Tie => Tie,
            _ => InconsistentTie,
        };
        var value = w.CreditOfA();
        winner.Value = name;
        credit.Value = value;
        var failed = value < _options.PassMark;
        var rating = value switch { 1.0 => EvaluationRating.Good, 0.0 => EvaluationRating.Poor, _ => EvaluationRating.Average };
        var interpretation = new EvaluationMetricInterpretation(rating, failed, $"{name}: win credit {value:0.0#} {(failed ? "is below" : "reaches")} the pass mark {_options.PassMark:0.0#}");
        winner.Interpretation = interpretation;
        credit.Interpretation = interpretation;
        if (w == PairOutcome.InconsistentTie)
        {
            var warning = EvaluationDiagnostic.Warning(Disagreement(judgment.Calls, "so the result is an inconsistent tie (position bias)"));
            winner.AddDiagnostics(warning);
            credit.AddDiagnostics(warning);
        }
    }

    /// <summary>Each order's feedback, labelled with the order and which answer was shown first.</summary>
    private static string? Feedback(IReadOnlyList<JudgeCall> calls)
    {
        var parts = calls.Where(c => !string.IsNullOrWhiteSpace(c.Feedback))
            .Select(c => $"[{c.Order}: {(c.Order == nameof(PresentationOrder.BA) ? "baseline" : "response")} shown first] {c.Feedback!.Trim()}")
            .ToList();
        return parts.Count == 0 ? null : string.Join("\n\n", parts);
    }

    private static string Disagreement(IReadOnlyList<JudgeCall> calls, string consequence)
    {
        var choices = calls.Select(c => $"{c.Order} chose {Chosen(c)}");
        return $"the two presentation orders disagreed ({string.Join(", ", choices)}), {consequence}";
    }

    /// <summary>What one order's positional choice means in terms of response and baseline.</summary>
    private static string Chosen(JudgeCall call) => (call.Choice, call.Order == nameof(PresentationOrder.BA)) switch
    {
        (PairOutcome.A, false) or (PairOutcome.B, true) => Response,
        (PairOutcome.B, false) or (PairOutcome.A, true) => Baseline,
        (PairOutcome.Tie, _) => Tie,
        _ => "nothing",
    };
}

using Judge.Judging;
using Judge.Rubrics;
using Judge.Runs;

namespace Judge.Feedback;

/// <summary>One planned stage of a feedback run with what it costs and how long it takes.</summary>
/// <param name="Plan">The stage's calls and tokens (<see cref="FeedbackPlanner"/>).</param>
/// <param name="Cost">What the calls cost, or why nothing or unknown (<see cref="CostEstimate.For"/>).</param>
/// <param name="Time">Calls at the assumed requests per minute.</param>
public sealed record StageEstimate(StagePlan Plan, CostEstimate Cost, TimeSpan Time);

/// <summary>
/// What <c>judge feedback generate --dry-run</c> shows: every planned stage priced, and the totals. An upper bound:
/// nothing is assumed rejected. Stages whose model has no price are counted apart (<see cref="UnpricedStages"/>).
/// </summary>
/// <param name="Stages">The stages, in plan order.</param>
/// <param name="RequestsPerMinute">The pace the times assume, one model at a time.</param>
public sealed record FeedbackEstimate(IReadOnlyList<StageEstimate> Stages, int RequestsPerMinute)
{
    /// <summary>Model calls in all.</summary>
    public long Calls => Stages.Sum(s => s.Plan.Calls);

    /// <summary>Prompt tokens in all.</summary>
    public long InputTokens => Stages.Sum(s => s.Plan.InputTokens);

    /// <summary>Completion tokens in all.</summary>
    public long OutputTokens => Stages.Sum(s => s.Plan.OutputTokens);

    /// <summary>US dollars live, over the stages with a known cost.</summary>
    public decimal Usd => Stages.Sum(s => s.Cost.Usd);

    /// <summary>US dollars with every model that has a batch API batched, over the stages with a known cost.</summary>
    public decimal CheapestUsd => Stages.Sum(s => s.Cost.CheapestUsd);

    /// <summary>Stages that call a model without a price: left out of <see cref="Usd"/> and <see cref="CheapestUsd"/>.</summary>
    public int UnpricedStages => Stages.Count(s => !s.Cost.Known);

    /// <summary>The time of every call at <see cref="RequestsPerMinute"/>.</summary>
    public TimeSpan Time => Duration(Calls, RequestsPerMinute);

    /// <summary>
    /// Plans a feedback generation without calling anything (the real rubric prompts; later stages' prompts filled
    /// with assumed lengths; <see cref="TokenEstimate"/> tokens) and prices the stages that will run.
    /// </summary>
    /// <param name="prompts">The stage prompts.</param>
    /// <param name="judgeRubric">The judge rubric (prometheus-absolute).</param>
    /// <param name="seeds">The seed rubrics.</param>
    /// <param name="options">Counts.</param>
    /// <param name="stages">The stages that will run.</param>
    /// <param name="generator">The generator's spec.</param>
    /// <param name="judge">The judge's spec.</param>
    /// <param name="secondJudge">The second judge's spec, if any.</param>
    /// <param name="prices">The price table.</param>
    /// <param name="requestsPerMinute">The pace assumed for the times; at least 1.</param>
    public static FeedbackEstimate For(
        FeedbackPrompts prompts, Rubric judgeRubric, IReadOnlyList<FeedbackRubric> seeds, FeedbackOptions options, IReadOnlyCollection<FeedbackStage> stages,
        JudgeSpec generator, JudgeSpec judge, JudgeSpec? secondJudge, PriceTable prices, int requestsPerMinute)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(judge);
        var plan = FeedbackPlanner.Plan(prompts, judgeRubric, seeds, options, new FeedbackPlanAssumptions(), TokenEstimate.Of, generator.Text, judge.Text, secondJudge?.Text);
        JudgeSpec[] models = [generator, judge, .. secondJudge is null ? Array.Empty<JudgeSpec>() : [secondJudge]];
        return Of(plan, stages, models, prices, requestsPerMinute);
    }

    /// <summary>Prices the stages of <paramref name="plan"/> that are in <paramref name="stages"/>.</summary>
    /// <param name="plan">The plan of every stage.</param>
    /// <param name="stages">The stages that will run.</param>
    /// <param name="models">The specs the plan's models name (generator, judge, second judge).</param>
    /// <param name="prices">The price table.</param>
    /// <param name="requestsPerMinute">The pace assumed for the times; at least 1.</param>
    internal static FeedbackEstimate Of(IReadOnlyList<StagePlan> plan, IReadOnlyCollection<FeedbackStage> stages, IReadOnlyList<JudgeSpec> models, PriceTable prices, int requestsPerMinute)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentOutOfRangeException.ThrowIfLessThan(requestsPerMinute, 1);
        var priced = plan.Where(p => stages.Contains(p.Stage))
            .Select(p => new StageEstimate(p, Cost(p, models, prices), Duration(p.Calls, requestsPerMinute)))
            .ToList();
        return new FeedbackEstimate(priced, requestsPerMinute);
    }

    // A stage without calls (the export) names no model.
    private static CostEstimate Cost(StagePlan p, IReadOnlyList<JudgeSpec> models, PriceTable prices) => p.Calls == 0
        ? new CostEstimate(CostBasis.NoCalls, p.Model, 0, null)
        : CostEstimate.For(models.First(m => m.Text == p.Model), prices, p.Calls, p.InputTokens, p.OutputTokens);

    private static TimeSpan Duration(long calls, int requestsPerMinute) => TimeSpan.FromMinutes((double)calls / requestsPerMinute);
}

using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Microsoft.Extensions.AI;

namespace Judge.Runs;

/// <summary>A spend-nothing estimate of a run (<c>--dry-run</c>): per judge, the calls its plan makes, their tokens and cost.</summary>
/// <param name="Judges">One row per judge, in config order.</param>
/// <param name="ExpectedOutputTokens">Tokens each call is assumed to write.</param>
public sealed record RunEstimate(IReadOnlyList<JudgeEstimate> Judges, int ExpectedOutputTokens);

/// <summary>One judge's calls in a <see cref="RunEstimate"/>.</summary>
/// <param name="Judge">The judge spec.</param>
/// <param name="Calls">Calls its plan makes (both orders of a pair when the run swaps).</param>
/// <param name="InputTokens">Prompt tokens of the rendered prompts (<see cref="TokenEstimate"/>).</param>
/// <param name="OutputTokens">Completion tokens assumed: calls × the expected output tokens.</param>
/// <param name="Cost">What the calls cost, or why nothing or unknown.</param>
public sealed record JudgeEstimate(string Judge, long Calls, long InputTokens, long OutputTokens, CostEstimate Cost);

/// <content>Dry runs: estimate a run from its rendered prompts; nothing is sent anywhere.</content>
public sealed partial class RunEngine
{
    /// <summary>
    /// Plans <paramref name="config"/>, renders every prompt it would send and estimates the calls, tokens and
    /// cost of each judge, assuming each call writes <paramref name="expectedOutputTokens"/> tokens. Calls no judge.
    /// </summary>
    /// <exception cref="InputException">The config or its data is unusable.</exception>
    public RunEstimate Estimate(RunConfig config, RubricLibrary rubrics, int expectedOutputTokens = 200)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rubrics);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedOutputTokens);
        var plan = Plan(config, LoadData(config), rubrics);
        var prices = Prices(config);
        var orders = config.Mode == RunMode.Compare && config.Options.Swap == "both" ? 2 : 1;
        var judges = new List<JudgeEstimate>();
        // A cascade or panel is estimated per member: for a cascade an upper bound (every stage on every item), since which
        // items escalate is only known once the earlier stages have judged them.
        var perJudge = config.Cascade is null && config.Panel is null
            ? plan.Passes
            : plan.Passes.SelectMany(p => config.Judges.SelectMany(j => j.Singles).DistinctBy(j => j.Text).Select(j => p with { Judge = j.Text, Spec = j })).ToList();
        foreach (var passes in perJudge.GroupBy(p => p.Judge, StringComparer.Ordinal))
        {
            long calls = 0, input = 0;
            foreach (var messages in passes.SelectMany(p => Prompts(p, orders)))
            {
                calls++;
                input += TokenEstimate.Of(messages);
            }

            var output = calls * expectedOutputTokens;
            judges.Add(new JudgeEstimate(passes.Key, calls, input, output, CostEstimate.For(passes.First().Spec, prices, calls, input, output)));
        }

        return new RunEstimate(judges, expectedOutputTokens);
    }

    private static IEnumerable<IReadOnlyList<ChatMessage>> Prompts(RunPass pass, int orders) => pass.Pairs is { } pairs
        ? pairs.SelectMany(item => Enumerable.Range(0, orders).Select(i => PromptRenderer.Render(pass.Selector.For(item), i == 0 ? item : item.Swapped()).Messages))
        : pass.Answers!.Select(item => PromptRenderer.Render(pass.Selector.For(item), item).Messages);
}

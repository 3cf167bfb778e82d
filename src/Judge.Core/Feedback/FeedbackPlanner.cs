using Judge.Rubrics;
using Microsoft.Extensions.AI;

namespace Judge.Feedback;

/// <summary>
/// The lengths a dry run assumes for text that does not exist yet, in words. The defaults are the
/// typical sizes of Prometheus's Feedback Collection items; token counts are words × <see cref="TokensPerWord"/>.
/// </summary>
internal sealed class FeedbackPlanAssumptions
{
    /// <summary>A rubric: criterion plus five level descriptions. Default 150.</summary>
    public int RubricWords { get; set; } = 150;

    /// <summary>An instruction. Default 70.</summary>
    public int InstructionWords { get; set; } = 70;

    /// <summary>A reference answer. Default 220.</summary>
    public int ReferenceWords { get; set; } = 220;

    /// <summary>A response. Default 180.</summary>
    public int ResponseWords { get; set; } = 180;

    /// <summary>The judge's feedback. Default 110.</summary>
    public int FeedbackWords { get; set; } = 110;

    /// <summary>Tokens per English word of generated text. Default 1.35.</summary>
    public double TokensPerWord { get; set; } = 1.35;

    /// <summary>Share of responses that miss their target and go to the second judge. Default 0.3.</summary>
    public double MissRate { get; set; } = 0.3;
}

/// <summary>What one stage will cost, before anything is spent.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Role"><c>generator</c>, <c>judge</c> or <c>second judge</c>.</param>
/// <param name="Model">The spec of the model that answers.</param>
/// <param name="Calls">Model calls.</param>
/// <param name="InputTokens">Estimated prompt tokens.</param>
/// <param name="OutputTokens">Estimated completion tokens.</param>
/// <param name="Items">Items the stage would keep if nothing were rejected.</param>
public sealed record StagePlan(FeedbackStage Stage, string Role, string Model, long Calls, long InputTokens, long OutputTokens, long Items);

/// <summary>
/// Plans a run without calling a model: calls per stage from the configured counts, assuming nothing is
/// rejected (an upper bound). Rubric-stage prompts are the real ones; later stages' prompts are the real
/// templates filled with text of the assumed lengths. Thread-safe.
/// </summary>
internal static class FeedbackPlanner
{
    private static readonly string[] Filler = "the answer explains each step of the method clearly and then checks the final result against what the question asked for".Split(' ');

    /// <summary>Plans every stage.</summary>
    /// <param name="prompts">The generation prompts.</param>
    /// <param name="judgeRubric">The judge rubric (prometheus-absolute).</param>
    /// <param name="seeds">The seed rubrics.</param>
    /// <param name="options">Counts.</param>
    /// <param name="assumptions">Assumed lengths.</param>
    /// <param name="countTokens">Estimates a prompt's tokens (e.g. the hosted cost estimator's heuristic).</param>
    /// <param name="generator">The generator's spec.</param>
    /// <param name="judge">The judge's spec.</param>
    /// <param name="secondJudge">The second judge's spec, if any.</param>
    public static IReadOnlyList<StagePlan> Plan(
        FeedbackPrompts prompts,
        Rubric judgeRubric,
        IReadOnlyList<FeedbackRubric> seeds,
        FeedbackOptions options,
        FeedbackPlanAssumptions assumptions,
        Func<IEnumerable<ChatMessage>, long> countTokens,
        string generator,
        string judge,
        string? secondJudge = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(assumptions);
        ArgumentNullException.ThrowIfNull(countTokens);
        long Tokens(int words) => (long)Math.Ceiling(words * assumptions.TokensPerWord);

        var plans = new List<StagePlan>();
        var rubricCalls = (options.NewRubrics + options.RubricsPerCall - 1) / options.RubricsPerCall;
        long rubricInput = 0;
        for (var j = 0; j < rubricCalls; j++)
        {
            rubricInput += countTokens(FeedbackPipeline.RubricPrompt(prompts, seeds, options, j));
        }

        plans.Add(new StagePlan(FeedbackStage.Rubrics, "generator", generator, rubricCalls, rubricInput, ((long)options.NewRubrics * Tokens(assumptions.RubricWords)) + (rubricCalls * 20L), options.NewRubrics));

        long rubrics = options.NewRubrics + (options.IncludeSeeds ? seeds.Count : 0);
        var rubric = FillerRubric(assumptions.RubricWords);
        var instructionCalls = rubrics * options.InstructionsPerRubric;
        var instructionPrompt = countTokens(FeedbackPipeline.InstructionPrompt(prompts, rubric, 0, options.InstructionsPerRubric));
        plans.Add(new StagePlan(FeedbackStage.Instructions, "generator", generator, instructionCalls, instructionCalls * instructionPrompt, instructionCalls * (Tokens(assumptions.InstructionWords + assumptions.ReferenceWords) + 15), instructionCalls));

        var instruction = new FeedbackInstruction { Id = "plan", RubricId = rubric.Id, Instruction = Text(assumptions.InstructionWords), ReferenceAnswer = Text(assumptions.ReferenceWords) };
        var responseCalls = instructionCalls * FeedbackPipeline.Levels.Count * options.ResponsesPerLevel;
        var responsePrompt = countTokens(FeedbackPipeline.ResponsePrompt(prompts, rubric, instruction, 3, 0));
        plans.Add(new StagePlan(FeedbackStage.Responses, "generator", generator, responseCalls, responseCalls * responsePrompt, responseCalls * (Tokens(assumptions.ResponseWords) + 8), responseCalls));

        var judgePrompt = countTokens(FeedbackPipeline.RenderJudgePrompt(judgeRubric, rubric, instruction, Text(assumptions.ResponseWords)).Messages);
        var judgeOutput = Tokens(assumptions.FeedbackWords) + 8;
        plans.Add(new StagePlan(FeedbackStage.Feedback, "judge", judge, responseCalls, responseCalls * judgePrompt, responseCalls * judgeOutput, responseCalls));
        if (secondJudge is not null)
        {
            var calls = (long)Math.Ceiling(responseCalls * assumptions.MissRate);
            plans.Add(new StagePlan(FeedbackStage.Feedback, "second judge", secondJudge, calls, calls * judgePrompt, calls * judgeOutput, 0));
        }

        plans.Add(new StagePlan(FeedbackStage.Export, "-", "-", 0, 0, 0, responseCalls));
        return plans;
    }

    private static FeedbackRubric FillerRubric(int words)
    {
        var each = Math.Max(1, words / 6);
        return new FeedbackRubric
        {
            Id = "plan",
            Criteria = Text(each),
            Score1Description = Text(each),
            Score2Description = Text(each),
            Score3Description = Text(each),
            Score4Description = Text(each),
            Score5Description = Text(each),
        };
    }

    private static string Text(int words) => string.Join(' ', Enumerable.Range(0, words).Select(i => Filler[i % Filler.Length]));
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Judge.Data;
using Judge.Prompts;
using Judge.Rubrics;
using Microsoft.Extensions.AI;

namespace Judge.Feedback;

// The prompts of each stage, rendered from the stage templates and the judge rubric.
public sealed partial class FeedbackPipeline
{
    /// <summary>The judge rubric with a generated rubric's criterion and levels.</summary>
    public static Rubric JudgeRubricFor(Rubric judgeRubric, FeedbackRubric rubric)
    {
        ArgumentNullException.ThrowIfNull(judgeRubric);
        ArgumentNullException.ThrowIfNull(rubric);
        return judgeRubric with { Criteria = rubric.Criteria, Scale = new RubricScale(1, 5, rubric.Levels) };
    }

    /// <summary>The judge's prompt for a response: the absolute rubric rendered with the item's rubric, instruction, response and reference.</summary>
    public static RenderedPrompt RenderJudgePrompt(Rubric judgeRubric, FeedbackRubric rubric, FeedbackInstruction instruction, string response)
    {
        ArgumentNullException.ThrowIfNull(instruction);
        var question = new Question(instruction.Id, "feedback", [instruction.Instruction]);
        var item = new AbsoluteItem(question, new ModelAnswer(instruction.Id, "response", [response]), 1, new ModelAnswer(instruction.Id, "reference", [instruction.ReferenceAnswer]));
        return PromptRenderer.Render(JudgeRubricFor(judgeRubric, rubric), item);
    }

    /// <summary>The rubrics-stage prompt of call <paramref name="call"/>: a seeded choice of example seeds.</summary>
    internal static IReadOnlyList<ChatMessage> RubricPrompt(FeedbackPrompts prompts, IReadOnlyList<FeedbackRubric> seeds, FeedbackOptions options, int call)
    {
        var shuffled = seeds.ToArray();
        new Random(unchecked((options.Seed * 7919) + call)).Shuffle(shuffled);
        var examples = string.Join("\n\n", shuffled.Take(Math.Max(1, options.SeedsPerCall)).Select(RubricJson));
        var count = Math.Min(options.RubricsPerCall, options.NewRubrics - (call * options.RubricsPerCall));
        return prompts[FeedbackStage.Rubrics].Render(new Dictionary<string, string>
        {
            ["seed_rubrics"] = examples,
            ["count"] = count.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>The instructions-stage prompt for one instruction of a rubric.</summary>
    internal static IReadOnlyList<ChatMessage> InstructionPrompt(FeedbackPrompts prompts, FeedbackRubric rubric, int index, int count) =>
        prompts[FeedbackStage.Instructions].Render(new Dictionary<string, string>
        {
            ["criteria"] = rubric.Criteria,
            ["score_rubric"] = ScoreRubric(rubric),
            ["variant"] = (index + 1).ToString(CultureInfo.InvariantCulture),
            ["count"] = count.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>The responses-stage prompt for one response aimed at <paramref name="level"/>.</summary>
    internal static IReadOnlyList<ChatMessage> ResponsePrompt(FeedbackPrompts prompts, FeedbackRubric rubric, FeedbackInstruction instruction, int level, int variant) =>
        prompts[FeedbackStage.Responses].Render(new Dictionary<string, string>
        {
            ["criteria"] = rubric.Criteria,
            ["score_rubric"] = ScoreRubric(rubric),
            ["instruction"] = instruction.Instruction,
            ["reference_answer"] = instruction.ReferenceAnswer,
            ["target_score"] = level.ToString(CultureInfo.InvariantCulture),
            ["target_description"] = rubric.Levels[level],
            ["variant"] = (variant + 1).ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>The levels as "Score n: description" lines.</summary>
    public static string ScoreRubric(FeedbackRubric rubric) =>
        string.Join('\n', rubric.Levels.Select(l => $"Score {l.Key.ToString(CultureInfo.InvariantCulture)}: {l.Value}"));

    /// <summary>A rubric as the JSON object the rubrics stage asks for.</summary>
    public static string RubricJson(FeedbackRubric rubric)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("criteria", rubric.Criteria);
            foreach (var (level, text) in rubric.Levels)
            {
                writer.WriteString($"score{level.ToString(CultureInfo.InvariantCulture)}_description", text);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

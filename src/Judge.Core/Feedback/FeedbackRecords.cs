using System.Text.Json.Serialization;

namespace Judge.Feedback;

/// <summary>The stages of feedback data generation, in order.</summary>
public enum FeedbackStage
{
    /// <summary>Seed rubrics grown into new rubrics (<c>rubrics.jsonl</c>).</summary>
    Rubrics,

    /// <summary>Instructions with score-5 reference answers per rubric (<c>instructions.jsonl</c>).</summary>
    Instructions,

    /// <summary>Responses written to hit each score level (<c>responses.jsonl</c>).</summary>
    Responses,

    /// <summary>Feedback and a score from the judge model, filtered (<c>feedback.jsonl</c>).</summary>
    Feedback,

    /// <summary>Balanced Feedback Collection and Preference Collection files.</summary>
    Export,
}

/// <summary>A rubric in the Prometheus shape: a criterion and a description of each score from 1 to 5.</summary>
public sealed record FeedbackRubric
{
    /// <summary>A stable id, e.g. <c>seed-concise</c> or <c>gen-0003-1</c>.</summary>
    public required string Id { get; init; }

    /// <summary><c>seed</c> or <c>generated</c>.</summary>
    public string Origin { get; init; } = "generated";

    /// <summary>What the rubric measures, as a question.</summary>
    public required string Criteria { get; init; }

    /// <summary>What a score of 1 means.</summary>
    public required string Score1Description { get; init; }

    /// <summary>What a score of 2 means.</summary>
    public required string Score2Description { get; init; }

    /// <summary>What a score of 3 means.</summary>
    public required string Score3Description { get; init; }

    /// <summary>What a score of 4 means.</summary>
    public required string Score4Description { get; init; }

    /// <summary>What a score of 5 means.</summary>
    public required string Score5Description { get; init; }

    /// <summary>The five descriptions keyed by score.</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<int, string> Levels => new Dictionary<int, string>
    {
        [1] = Score1Description,
        [2] = Score2Description,
        [3] = Score3Description,
        [4] = Score4Description,
        [5] = Score5Description,
    };

    /// <summary>The text compared for near-duplicates: the criterion and every level.</summary>
    [JsonIgnore]
    public string Text => string.Join('\n', Criteria, Score1Description, Score2Description, Score3Description, Score4Description, Score5Description);
}

/// <summary>An instruction written for a rubric, with a reference answer that would earn a 5.</summary>
public sealed record FeedbackInstruction
{
    /// <summary>A stable id, <c>RUBRIC/iNN</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The rubric it was written for.</summary>
    public required string RubricId { get; init; }

    /// <summary>The instruction a user would give an assistant.</summary>
    public required string Instruction { get; init; }

    /// <summary>A score-5 answer.</summary>
    public required string ReferenceAnswer { get; init; }
}

/// <summary>A response written to deserve one score level.</summary>
internal sealed record FeedbackResponse
{
    /// <summary>A stable id, <c>INSTRUCTION/sLvV</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The instruction answered.</summary>
    public required string InstructionId { get; init; }

    /// <summary>The score it was written to deserve, 1 to 5.</summary>
    public required int TargetScore { get; init; }

    /// <summary>The response text.</summary>
    public required string Response { get; init; }
}

/// <summary>A judged response that passed the filters.</summary>
internal sealed record FeedbackItem
{
    /// <summary>The response judged.</summary>
    public required string ResponseId { get; init; }

    /// <summary>The instruction answered.</summary>
    public required string InstructionId { get; init; }

    /// <summary>The score the response was written for.</summary>
    public required int TargetScore { get; init; }

    /// <summary>The judge's feedback.</summary>
    public required string Feedback { get; init; }

    /// <summary>The judge's score: the label of the item.</summary>
    public required int Score { get; init; }

    /// <summary>The second judge's score, when it was asked.</summary>
    public int? SecondScore { get; init; }

    /// <summary><c>on-target</c> (within tolerance of the target) or <c>judges-agree</c> (off target, but both judges gave the same score).</summary>
    public required string KeptBecause { get; init; }
}

/// <summary>A generation, item or judgment a stage did not keep, with why and the raw model output.</summary>
internal sealed record FeedbackRejection
{
    /// <summary>The stage that rejected it.</summary>
    public required string Stage { get; init; }

    /// <summary>The item or call it concerns.</summary>
    public required string Key { get; init; }

    /// <summary>A short reason class, e.g. <c>unparsable</c>, <c>near-duplicate</c>, <c>off-target</c>, the summary counts these.</summary>
    public required string Reason { get; init; }

    /// <summary>The details.</summary>
    public string? Detail { get; init; }

    /// <summary>The model's raw output, when the rejection is about one.</summary>
    public string? Raw { get; init; }
}

/// <summary>One line of the Feedback Collection export: the originals and a ready-to-train prompt/output pair.</summary>
internal sealed record FeedbackCollectionRecord
{
    /// <summary>The full absolute-grading prompt (system and user message), rendered from prometheus-absolute.</summary>
    public required string Instruction { get; init; }

    /// <summary>The training target: <c>Feedback: … [RESULT] n</c>.</summary>
    public required string Output { get; init; }

    /// <summary>The instruction the response answers.</summary>
    public required string OrigInstruction { get; init; }

    /// <summary>The response graded.</summary>
    public required string OrigResponse { get; init; }

    /// <summary>The score-5 reference answer.</summary>
    public required string OrigReferenceAnswer { get; init; }

    /// <summary>The rubric's criterion.</summary>
    public required string OrigCriteria { get; init; }

    /// <summary>Level 1 description.</summary>
    public required string OrigScore1Description { get; init; }

    /// <summary>Level 2 description.</summary>
    public required string OrigScore2Description { get; init; }

    /// <summary>Level 3 description.</summary>
    public required string OrigScore3Description { get; init; }

    /// <summary>Level 4 description.</summary>
    public required string OrigScore4Description { get; init; }

    /// <summary>Level 5 description.</summary>
    public required string OrigScore5Description { get; init; }

    /// <summary>The judge's feedback.</summary>
    public required string OrigFeedback { get; init; }

    /// <summary>The score, 1 to 5.</summary>
    public required int OrigScore { get; init; }

    /// <summary>The rubric id.</summary>
    public required string RubricId { get; init; }

    /// <summary>The instruction id.</summary>
    public required string InstructionId { get; init; }

    /// <summary>The response id.</summary>
    public required string ResponseId { get; init; }
}

/// <summary>One line of the Preference Collection export: two responses to one instruction with different scores.</summary>
internal sealed record PreferenceCollectionRecord
{
    /// <summary>The instruction both responses answer.</summary>
    public required string OrigInstruction { get; init; }

    /// <summary>The score-5 reference answer.</summary>
    public required string OrigReferenceAnswer { get; init; }

    /// <summary>The rubric's criterion.</summary>
    public required string OrigCriteria { get; init; }

    /// <summary>Level 1 description.</summary>
    public required string OrigScore1Description { get; init; }

    /// <summary>Level 2 description.</summary>
    public required string OrigScore2Description { get; init; }

    /// <summary>Level 3 description.</summary>
    public required string OrigScore3Description { get; init; }

    /// <summary>Level 4 description.</summary>
    public required string OrigScore4Description { get; init; }

    /// <summary>Level 5 description.</summary>
    public required string OrigScore5Description { get; init; }

    /// <summary>The higher-scored response.</summary>
    public required string Chosen { get; init; }

    /// <summary>The lower-scored response.</summary>
    public required string Rejected { get; init; }

    /// <summary>The chosen response's score.</summary>
    public required int ChosenScore { get; init; }

    /// <summary>The rejected response's score.</summary>
    public required int RejectedScore { get; init; }

    /// <summary>The judge's feedback on the chosen response.</summary>
    public required string ChosenFeedback { get; init; }

    /// <summary>The judge's feedback on the rejected response.</summary>
    public required string RejectedFeedback { get; init; }

    /// <summary>The rubric id.</summary>
    public required string RubricId { get; init; }

    /// <summary>The instruction id.</summary>
    public required string InstructionId { get; init; }

    /// <summary>The chosen response's id.</summary>
    public required string ChosenId { get; init; }

    /// <summary>The rejected response's id.</summary>
    public required string RejectedId { get; init; }
}

/// <summary>Source-generated JSON for the feedback stage files (snake_case, one record per line).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FeedbackRubric))]
[JsonSerializable(typeof(FeedbackInstruction))]
[JsonSerializable(typeof(FeedbackResponse))]
[JsonSerializable(typeof(FeedbackItem))]
[JsonSerializable(typeof(FeedbackRejection))]
[JsonSerializable(typeof(FeedbackCollectionRecord))]
[JsonSerializable(typeof(PreferenceCollectionRecord))]
internal sealed partial class FeedbackJsonContext : JsonSerializerContext;

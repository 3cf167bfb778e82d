using System.Globalization;

namespace Judge.Feedback;

// The export: the Feedback Collection, balanced by score level, and the Preference Collection of its pairs.
public sealed partial class FeedbackPipeline
{
    private (IReadOnlyList<LevelLength> After, IReadOnlyList<LevelLength> Before) Export(StageContext context)
    {
        var rubrics = ReadJsonl(FeedbackStage.Rubrics, FeedbackJsonContext.Default.FeedbackRubric).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var instructions = ReadJsonl(FeedbackStage.Instructions, FeedbackJsonContext.Default.FeedbackInstruction).ToDictionary(i => i.Id, StringComparer.Ordinal);
        var responses = ReadJsonl(FeedbackStage.Responses, FeedbackJsonContext.Default.FeedbackResponse).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var items = ReadJsonl(FeedbackStage.Feedback, FeedbackJsonContext.Default.FeedbackItem);
        context.ItemsIn = items.Count;
        var path = Path.Combine(_out, FileOf(FeedbackStage.Feedback));
        var joined = items.Select(item =>
        {
            var response = responses.TryGetValue(item.ResponseId, out var r) ? r : throw new InputException(path, null, "response_id", $"'{item.ResponseId}' is not in {FileOf(FeedbackStage.Responses)}");
            var instruction = instructions.TryGetValue(item.InstructionId, out var i) ? i : throw new InputException(path, null, "instruction_id", $"'{item.InstructionId}' is not in {FileOf(FeedbackStage.Instructions)}");
            return (Item: item, Response: response, Instruction: instruction, Rubric: RubricOf(rubrics, instruction));
        }).ToList();

        var before = LevelLength.Compute(joined.Select(j => (j.Item.Score, j.Response.Response)));
        var balanced = _options.Balance ? LevelBalancer.Balance(joined, j => j.Item.Score, [.. Levels], _options.Seed) : joined;
        var keptIds = balanced.Select(b => b.Item.ResponseId).ToHashSet(StringComparer.Ordinal);
        foreach (var j in joined.Where(j => !keptIds.Contains(j.Item.ResponseId)))
        {
            context.Reject(j.Item.ResponseId, "balanced-out", $"score {j.Item.Score.ToString(CultureInfo.InvariantCulture)} has more items than the smallest level", null);
        }

        var records = balanced.Select(b =>
        {
            var prompt = RenderJudgePrompt(_judgeRubric, b.Rubric, b.Instruction, b.Response.Response);
            return new FeedbackCollectionRecord
            {
                Instruction = string.Join("\n\n", prompt.Messages.Select(m => m.Text)),
                Output = $"Feedback: {b.Item.Feedback} [RESULT] {b.Item.Score.ToString(CultureInfo.InvariantCulture)}",
                OrigInstruction = b.Instruction.Instruction,
                OrigResponse = b.Response.Response,
                OrigReferenceAnswer = b.Instruction.ReferenceAnswer,
                OrigCriteria = b.Rubric.Criteria,
                OrigScore1Description = b.Rubric.Score1Description,
                OrigScore2Description = b.Rubric.Score2Description,
                OrigScore3Description = b.Rubric.Score3Description,
                OrigScore4Description = b.Rubric.Score4Description,
                OrigScore5Description = b.Rubric.Score5Description,
                OrigFeedback = b.Item.Feedback,
                OrigScore = b.Item.Score,
                RubricId = b.Rubric.Id,
                InstructionId = b.Instruction.Id,
                ResponseId = b.Response.Id,
            };
        }).ToList();
        WriteJsonl(Path.Combine(_out, FeedbackCollectionFile), records, FeedbackJsonContext.Default.FeedbackCollectionRecord);

        var pairs = PreferencePairs(records);
        WriteJsonl(Path.Combine(_out, PreferenceCollectionFile), pairs, FeedbackJsonContext.Default.PreferenceCollectionRecord);
        context.ItemsOut = records.Count;
        return (LevelLength.Compute(balanced.Select(j => (j.Item.Score, j.Response.Response))), before);
    }

    /// <summary>The Preference Collection: every pair of exported responses to one instruction with different scores, the higher chosen.</summary>
    private static List<PreferenceCollectionRecord> PreferencePairs(List<FeedbackCollectionRecord> records)
    {
        var pairs = new List<PreferenceCollectionRecord>();
        foreach (var group in records.GroupBy(r => r.InstructionId, StringComparer.Ordinal))
        {
            var list = group.ToList();
            for (var a = 0; a < list.Count; a++)
            {
                for (var b = a + 1; b < list.Count; b++)
                {
                    if (list[a].OrigScore == list[b].OrigScore)
                    {
                        continue;
                    }

                    var (chosen, rejected) = list[a].OrigScore > list[b].OrigScore ? (list[a], list[b]) : (list[b], list[a]);
                    pairs.Add(new PreferenceCollectionRecord
                    {
                        OrigInstruction = chosen.OrigInstruction,
                        OrigReferenceAnswer = chosen.OrigReferenceAnswer,
                        OrigCriteria = chosen.OrigCriteria,
                        OrigScore1Description = chosen.OrigScore1Description,
                        OrigScore2Description = chosen.OrigScore2Description,
                        OrigScore3Description = chosen.OrigScore3Description,
                        OrigScore4Description = chosen.OrigScore4Description,
                        OrigScore5Description = chosen.OrigScore5Description,
                        Chosen = chosen.OrigResponse,
                        Rejected = rejected.OrigResponse,
                        ChosenScore = chosen.OrigScore,
                        RejectedScore = rejected.OrigScore,
                        ChosenFeedback = chosen.OrigFeedback,
                        RejectedFeedback = rejected.OrigFeedback,
                        RubricId = chosen.RubricId,
                        InstructionId = chosen.InstructionId,
                        ChosenId = chosen.ResponseId,
                        RejectedId = rejected.ResponseId,
                    });
                }
            }
        }

        return pairs;
    }
}

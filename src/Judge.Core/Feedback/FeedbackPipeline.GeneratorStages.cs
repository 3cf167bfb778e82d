using System.Globalization;
using System.Text.Json;

namespace Judge.Feedback;

// The generator's stages: new rubrics from seeds, instructions with reference answers, responses aimed at each score.
public sealed partial class FeedbackPipeline
{
    private static readonly string[] RubricKeys = ["criteria", "score1_description", "score2_description", "score3_description", "score4_description", "score5_description"];

    private async Task RubricsAsync(StageContext context, IReadOnlyList<FeedbackRubric> seeds, CancellationToken cancellationToken)
    {
        if (seeds.Count == 0)
        {
            throw new InputException(null, null, null, "the rubrics stage needs at least one seed rubric");
        }

        context.ItemsIn = seeds.Count;
        var wanted = _options.NewRubrics;
        var calls = (wanted + _options.RubricsPerCall - 1) / _options.RubricsPerCall;
        var prompts = Enumerable.Range(0, calls).Select(j => RubricPrompt(_prompts, seeds, _options, j)).ToList();
        var answers = await GenerateAllAsync(context, prompts, "rubrics", cancellationToken).ConfigureAwait(false);

        var dedupe = new NearDuplicateFilter(_options.DuplicateThreshold, _options.ShingleSize);
        foreach (var seed in seeds)
        {
            dedupe.Add("rubrics", seed.Id, seed.Text);
        }

        var kept = new List<FeedbackRubric>();
        for (var j = 0; j < calls; j++)
        {
            var callKey = $"call-{j.ToString("D4", CultureInfo.InvariantCulture)}";
            if (!Parsed(context, callKey, answers[j], "rubrics", out var obj))
            {
                continue;
            }

            if (obj.GetProperty("rubrics") is not { ValueKind: JsonValueKind.Array } array)
            {
                context.Reject(callKey, "unparsable", "\"rubrics\" is not an array", answers[j].Text);
                continue;
            }

            var k = 0;
            foreach (var element in array.EnumerateArray())
            {
                var id = $"gen-{j.ToString("D4", CultureInfo.InvariantCulture)}-{(k++).ToString(CultureInfo.InvariantCulture)}";
                var missing = RubricKeys.Where(key => JsonExtraction.String(element, key) is null).ToList();
                if (missing.Count > 0)
                {
                    context.Reject(id, "incomplete", "missing or empty: " + string.Join(", ", missing), element.GetRawText());
                    continue;
                }

                var rubric = new FeedbackRubric
                {
                    Id = id,
                    Criteria = JsonExtraction.String(element, "criteria")!,
                    Score1Description = JsonExtraction.String(element, "score1_description")!,
                    Score2Description = JsonExtraction.String(element, "score2_description")!,
                    Score3Description = JsonExtraction.String(element, "score3_description")!,
                    Score4Description = JsonExtraction.String(element, "score4_description")!,
                    Score5Description = JsonExtraction.String(element, "score5_description")!,
                };
                if (kept.Count >= wanted)
                {
                    context.Reject(id, "surplus", $"{wanted} new rubrics were asked for", null);
                }
                else if (dedupe.Add("rubrics", id, rubric.Text) is { } duplicate)
                {
                    context.Reject(id, "near-duplicate", Similar(duplicate), rubric.Criteria);
                }
                else
                {
                    kept.Add(rubric);
                }
            }
        }

        var output = _options.IncludeSeeds ? [.. seeds, .. kept] : kept;
        WriteJsonl(Path.Combine(_out, FileOf(FeedbackStage.Rubrics)), output, FeedbackJsonContext.Default.FeedbackRubric);
        context.ItemsOut = output.Count;
    }

    private async Task InstructionsAsync(StageContext context, CancellationToken cancellationToken)
    {
        var rubrics = ReadJsonl(FeedbackStage.Rubrics, FeedbackJsonContext.Default.FeedbackRubric);
        context.ItemsIn = rubrics.Count;
        var jobs = rubrics.SelectMany(r => Enumerable.Range(0, _options.InstructionsPerRubric).Select(i => (Rubric: r, Index: i))).ToList();
        var prompts = jobs.Select(j => InstructionPrompt(_prompts, j.Rubric, j.Index, _options.InstructionsPerRubric)).ToList();
        var answers = await GenerateAllAsync(context, prompts, "instruction", cancellationToken).ConfigureAwait(false);
        var dedupe = new NearDuplicateFilter(_options.DuplicateThreshold, _options.ShingleSize);
        var kept = new List<FeedbackInstruction>();
        for (var n = 0; n < jobs.Count; n++)
        {
            var (rubric, index) = jobs[n];
            var id = $"{rubric.Id}/i{index.ToString("D2", CultureInfo.InvariantCulture)}";
            if (!Parsed(context, id, answers[n], "instruction", out var obj))
            {
                continue;
            }

            var instruction = JsonExtraction.String(obj, "instruction");
            var reference = JsonExtraction.String(obj, "reference_answer");
            if (instruction is null || reference is null)
            {
                context.Reject(id, "incomplete", instruction is null ? "empty instruction" : "no reference_answer", answers[n].Text);
            }
            else if (dedupe.Add(rubric.Id, id, instruction) is { } duplicate)
            {
                context.Reject(id, "near-duplicate", Similar(duplicate), instruction);
            }
            else
            {
                kept.Add(new FeedbackInstruction { Id = id, RubricId = rubric.Id, Instruction = instruction, ReferenceAnswer = reference });
            }
        }

        WriteJsonl(Path.Combine(_out, FileOf(FeedbackStage.Instructions)), kept, FeedbackJsonContext.Default.FeedbackInstruction);
        context.ItemsOut = kept.Count;
    }

    private async Task ResponsesAsync(StageContext context, CancellationToken cancellationToken)
    {
        var rubrics = ReadJsonl(FeedbackStage.Rubrics, FeedbackJsonContext.Default.FeedbackRubric).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var instructions = ReadJsonl(FeedbackStage.Instructions, FeedbackJsonContext.Default.FeedbackInstruction);
        context.ItemsIn = instructions.Count;
        var jobs = (from i in instructions
                    from level in Levels
                    from v in Enumerable.Range(0, _options.ResponsesPerLevel)
                    select (Instruction: i, Level: level, Variant: v)).ToList();
        var prompts = jobs.Select(j => ResponsePrompt(_prompts, RubricOf(rubrics, j.Instruction), j.Instruction, j.Level, j.Variant)).ToList();
        var answers = await GenerateAllAsync(context, prompts, "response", cancellationToken).ConfigureAwait(false);
        var dedupe = new NearDuplicateFilter(_options.DuplicateThreshold, _options.ShingleSize);
        var kept = new List<FeedbackResponse>();
        for (var n = 0; n < jobs.Count; n++)
        {
            var (instruction, level, variant) = jobs[n];
            var id = $"{instruction.Id}/s{level.ToString(CultureInfo.InvariantCulture)}v{variant.ToString(CultureInfo.InvariantCulture)}";
            if (!Parsed(context, id, answers[n], "response", out var obj))
            {
                continue;
            }

            if (JsonExtraction.String(obj, "response") is not { } response)
            {
                context.Reject(id, "incomplete", "empty response", answers[n].Text);
            }
            else if (dedupe.Add(instruction.Id, id, response) is { } duplicate)
            {
                context.Reject(id, "near-duplicate", Similar(duplicate), response);
            }
            else
            {
                kept.Add(new FeedbackResponse { Id = id, InstructionId = instruction.Id, TargetScore = level, Response = response });
            }
        }

        WriteJsonl(Path.Combine(_out, FileOf(FeedbackStage.Responses)), kept, FeedbackJsonContext.Default.FeedbackResponse);
        context.ItemsOut = kept.Count;
    }
}

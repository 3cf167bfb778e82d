using System.Globalization;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Feedback;

// The judge's stage: feedback and a score per response, a second judge on misses, and the on-target filter.
public sealed partial class FeedbackPipeline
{
    private async Task FeedbackAsync(StageContext context, CancellationToken cancellationToken)
    {
        var rubrics = ReadJsonl(FeedbackStage.Rubrics, FeedbackJsonContext.Default.FeedbackRubric).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var instructions = ReadJsonl(FeedbackStage.Instructions, FeedbackJsonContext.Default.FeedbackInstruction).ToDictionary(i => i.Id, StringComparer.Ordinal);
        var responses = ReadJsonl(FeedbackStage.Responses, FeedbackJsonContext.Default.FeedbackResponse);
        context.ItemsIn = responses.Count;
        var items = responses.Select(r =>
        {
            var instruction = instructions.TryGetValue(r.InstructionId, out var i) ? i : throw new InputException(Path.Combine(_out, FileOf(FeedbackStage.Responses)), null, "instruction_id", $"response {r.Id} names instruction '{r.InstructionId}', which is not in {FileOf(FeedbackStage.Instructions)}");
            var rubric = RubricOf(rubrics, instruction);
            return new JudgedResponse(r, JudgeRubricFor(_judgeRubric, rubric), RenderJudgePrompt(_judgeRubric, rubric, instruction, r.Response));
        }).ToList();
        var judgeOptions = new ChatOptions { Temperature = 0 };
        bool Verdict(int n, string text) => VerdictParser.Parse(items[n].Rubric, text, items[n].Prompt.CandidateTexts).Status == VerdictStatus.Parsed;
        var first = await CallAllAsync(context, "feedback", _models.Judge, items.Select(i => i.Prompt.Messages).ToList(), judgeOptions, Verdict, cancellationToken).ConfigureAwait(false);

        var (verdicts, misses) = Verdicts(context, items, first);
        var second = new Dictionary<int, CallAnswer>();
        if (_models.SecondJudge is { } secondJudge && misses.Count > 0)
        {
            var answers = await CallAllAsync(context, "feedback, 2nd judge", secondJudge, misses.Select(n => items[n].Prompt.Messages).ToList(), judgeOptions, (m, text) => Verdict(misses[m], text), cancellationToken).ConfigureAwait(false);
            for (var m = 0; m < misses.Count; m++)
            {
                second[misses[m]] = answers[m];
            }
        }

        var kept = Keep(context, items, first, verdicts, second);
        WriteJsonl(Path.Combine(_out, FileOf(FeedbackStage.Feedback)), kept, FeedbackJsonContext.Default.FeedbackItem);
        context.ItemsOut = kept.Count;
    }

    /// <summary>The first judge's verdicts: a score with feedback per response it judged, and the responses whose score misses their target.</summary>
    private ((int Score, string Feedback)?[] Verdicts, List<int> Misses) Verdicts(StageContext context, List<JudgedResponse> items, CallAnswer[] first)
    {
        var verdicts = new (int Score, string Feedback)?[items.Count];
        var misses = new List<int>();
        for (var n = 0; n < items.Count; n++)
        {
            var (response, rubric, prompt) = items[n];
            if (first[n].Error is { } error)
            {
                context.Reject(response.Id, "error", error, null);
                continue;
            }

            var parsed = VerdictParser.Parse(rubric, first[n].Text, prompt.CandidateTexts);
            if (parsed.Status != VerdictStatus.Parsed || parsed.Score is not { } score)
            {
                context.Reject(response.Id, parsed.Status == VerdictStatus.OutOfRange ? "out-of-range" : "unparsable", parsed.Problem ?? parsed.Status.ToString(), first[n].Text);
                continue;
            }

            var feedback = CleanFeedback(parsed.Feedback);
            if (feedback.Length == 0)
            {
                context.Reject(response.Id, "no-feedback", "the judge gave a score without feedback", first[n].Text);
                continue;
            }

            verdicts[n] = ((int)score, feedback);
            if (Math.Abs((int)score - response.TargetScore) > _options.ScoreTolerance)
            {
                misses.Add(n);
            }
        }

        return (verdicts, misses);
    }

    /// <summary>The responses kept: on target, or confirmed by the second judge; and not a near-duplicate of another's feedback.</summary>
    private List<FeedbackItem> Keep(StageContext context, List<JudgedResponse> items, CallAnswer[] first, (int Score, string Feedback)?[] verdicts, Dictionary<int, CallAnswer> second)
    {
        var dedupe = new NearDuplicateFilter(_options.DuplicateThreshold, _options.ShingleSize);
        var kept = new List<FeedbackItem>();
        for (var n = 0; n < items.Count; n++)
        {
            if (verdicts[n] is not var (score, feedback))
            {
                continue;
            }

            var response = items[n].Response;
            string because;
            int? secondScore = null;
            if (Math.Abs(score - response.TargetScore) <= _options.ScoreTolerance)
            {
                because = "on-target";
            }
            else if (second.TryGetValue(n, out var answer))
            {
                var parsed = answer.Error is null ? VerdictParser.Parse(items[n].Rubric, answer.Text, items[n].Prompt.CandidateTexts) : null;
                secondScore = parsed is { Status: VerdictStatus.Parsed, Score: { } s } ? (int)s : null;
                if (secondScore != score)
                {
                    var said = answer.Error ?? (secondScore is { } s2 ? $"said {s2.ToString(CultureInfo.InvariantCulture)}" : "gave no score: " + parsed?.Problem);
                    context.Reject(response.Id, "off-target", $"judged {score.ToString(CultureInfo.InvariantCulture)}, written for {response.TargetScore.ToString(CultureInfo.InvariantCulture)}; the second judge {said}", answer.Text);
                    continue;
                }

                because = "judges-agree";
            }
            else
            {
                context.Reject(response.Id, "off-target", $"judged {score.ToString(CultureInfo.InvariantCulture)}, written for {response.TargetScore.ToString(CultureInfo.InvariantCulture)} (tolerance {_options.ScoreTolerance.ToString(CultureInfo.InvariantCulture)})", first[n].Text);
                continue;
            }

            if (dedupe.Add(response.InstructionId, response.Id, feedback) is { } duplicate)
            {
                context.Reject(response.Id, "near-duplicate", "feedback " + Similar(duplicate), feedback);
                continue;
            }

            kept.Add(new FeedbackItem { ResponseId = response.Id, InstructionId = response.InstructionId, TargetScore = response.TargetScore, Feedback = feedback, Score = score, SecondScore = secondScore, KeptBecause = because });
        }

        return kept;
    }

    /// <summary>A response with the judge rubric for it and the judge's prompt.</summary>
    private sealed record JudgedResponse(FeedbackResponse Response, Rubric Rubric, RenderedPrompt Prompt);
}

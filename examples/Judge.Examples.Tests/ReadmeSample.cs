using Judge.Evaluation;
using Judge.Providers;
using Judge.Rubrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Judge.Examples;

public sealed class ReadmeSample
{
    [Fact]
    public async Task TheAnswerIsGradedOnTheStandardRubric()
    {
        // The mock judge makes up seeded verdicts (for wiring only); a real one is any IChatClient,
        // e.g. HostedJudges.CreateOpenAI(new OpenAIJudgeOptions { Model = "gpt-4o" }).
        using IChatClient judge = MockJudge.CreateChatClient(seed: 7);
        var grader = new AbsoluteRubricEvaluator(StandardRubrics.Get(StandardRubrics.SingleGeneral));

        EvaluationResult result = await grader.EvaluateAsync(
            "How long is a train journey from 09:40 to 13:05?",
            "3 h 25 min: 205 minutes.",
            new ChatConfiguration(judge));

        NumericMetric score = result.Get<NumericMetric>("single-general");
        Assert.Equal("parsed", score.Metadata!["judge.status"]);   // never a default score
        Assert.InRange(score.Value!.Value, 1, 10);
    }
}

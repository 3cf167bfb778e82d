using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Providers.Hosted;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Tests.Fakes;

/// <summary>Builders shared by the hosted-provider tests.</summary>
public static class TestHosted
{
    public const string Key = "sk-loopback-SECRET-0123456789abcdef";

    public static Rubric Rubric { get; } = new()
    {
        Id = "single-test",
        Version = 3,
        Title = "Test rubric",
        Mode = RubricMode.Absolute,
        Scale = new RubricScale(1, 10, new Dictionary<int, string>()),
        Output = new VerdictFormat { Tag = "[[{verdict}]]", FeedbackFirst = true },
        System = PromptTemplate.Parse("You are a strict judge."),
        Prompt = PromptTemplate.Parse("Rate the answer from {scale_min} to {scale_max}.\n{question}\n{answer}"),
    };

    public static AbsoluteItem Item(int i) =>
        new(new Question($"{i}", "writing", [$"Question number {i}?"]), new ModelAnswer($"{i}", "model-x", [$"Answer number {i}."]), 1);

    public static HostedJudgeOptions Options(Action<HostedJudgeOptions>? configure = null)
    {
        var options = new HostedJudgeOptions
        {
            MaxAttempts = 4,
            BaseDelay = TimeSpan.FromMilliseconds(5),
            MaxDelay = TimeSpan.FromMilliseconds(50),
            MaxRetryAfter = TimeSpan.FromSeconds(2),
            AttemptTimeout = TimeSpan.FromSeconds(5),
            SelfHostedAttemptTimeout = TimeSpan.FromSeconds(5),
            MaxConcurrency = 16,
        };
        configure?.Invoke(options);
        return options;
    }

    public static Func<string, string?> Env(string? key = Key, string? azureEndpoint = null) => name => name switch
    {
        "OPENAI_API_KEY" or "AZURE_OPENAI_API_KEY" => key,
        "AZURE_OPENAI_ENDPOINT" => azureEndpoint,
        _ => null,
    };

    public static IChatClient OpenAI(LoopbackOpenAIServer server, string extra = "", HostedJudgeOptions? options = null, string model = "gpt-4o") =>
        HostedChatClients.CreateOpenAI(JudgeSpec.Parse($"openai:{model}?base_url={server.BaseUrl}{extra}"), options ?? Options(), Env());

    public static ChatAbsoluteJudge Judge(IChatClient client, ChatJudgeOptions? options = null) =>
        new("openai:test", client, new FixedRubricSelector(Rubric), options);
}

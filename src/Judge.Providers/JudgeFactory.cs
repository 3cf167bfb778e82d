using Judge.Grading;
using Judge.Judges;
using Judge.Replay;
using Judge.Results;
using Microsoft.Extensions.AI;

namespace Judge.Providers;

/// <summary>What a judge is built with besides its spec.</summary>
public sealed class JudgeBuildOptions
{
    /// <summary>Which rubric each item gets.</summary>
    public required IRubricSelector Rubrics { get; init; }

    /// <summary>Sampling options for chat judges. Default: temperature 0, no seed.</summary>
    public ChatJudgeOptions Chat { get; init; } = new();

    /// <summary>Position-swap options for pairwise chat judges. Default: both orders, disagreement is a tie.</summary>
    public PositionSwapOptions Swap { get; init; } = new();

    /// <summary>
    /// Middleware for model judges' chat clients (not replays), given the judge spec and the client;
    /// e.g. a run's response journal. Default: none.
    /// </summary>
    public Func<string, IChatClient, IChatClient>? WrapClient { get; init; }
}

/// <summary>A pairwise judge and notes about how it was built, for the user.</summary>
/// <param name="Judge">The judge.</param>
/// <param name="Notes">Things the user should know (e.g. that recorded verdicts already combine both orders).</param>
/// <param name="Recorded">When the judge replays combined verdicts, the judge itself, so callers can plan only recorded pairs.</param>
public sealed record BuiltPairwiseJudge(IPairwiseJudge Judge, IReadOnlyList<string> Notes, RecordedPairwiseJudge? Recorded = null);

/// <summary>
/// Builds judges from specs. <c>replay:</c> is handled here (MT-Bench verdict files, or our own
/// judgments files replayed call by call); every other scheme comes from the <see cref="ChatClientRegistry"/>.
/// </summary>
// The chat clients built here live as long as the judge that holds them, which is the whole run.
#pragma warning disable CA2000
public sealed class JudgeFactory
{
    private static readonly string[] ReplayOptions = ["judge", "prices", "model", "cache_mode"];

    private readonly ChatClientRegistry _registry;

    /// <summary>Creates a factory over a registry (default: <see cref="ChatClientRegistry.CreateDefault"/>).</summary>
    public JudgeFactory(ChatClientRegistry? registry = null)
    {
        _registry = registry ?? ChatClientRegistry.CreateDefault();
    }

    /// <summary>The schemes this factory knows, with descriptions, for help and error messages.</summary>
    public IReadOnlyList<(string Scheme, string Description)> Schemes =>
        [("replay", "replay:PATH — verdicts recorded in a judgments file (ours, or MT-Bench's gpt4_pair_judgments.jsonl); ?judge=NAME picks one judge of several"), .. _registry.Schemes];

    /// <summary>Builds a pairwise judge.</summary>
    public BuiltPairwiseJudge CreatePairwise(JudgeSpec spec, JudgeBuildOptions options)
    {
        if (spec.Scheme == "replay")
        {
            spec.RequireKnownOptions(ReplayOptions);
            if (!JudgmentsReader.IsJudgmentsFile(spec.Target))
            {
                var recorded = new RecordedPairwiseJudge(spec.Text, spec.Target, spec.Option("judge"));
                return new BuiltPairwiseJudge(recorded, [$"replaying {recorded.Count} recorded verdicts that already combine both orders; --swap does not apply"], recorded);
            }

            var replay = new ReplayChatClient(spec.Target);
            return new BuiltPairwiseJudge(Swapped(spec, replay, options), [$"replaying {replay.Count} recorded judge outputs, re-parsed with the current rubric"]);
        }

        return new BuiltPairwiseJudge(Swapped(spec, Wrap(spec, CreateChatClient(spec), options), options), []);
    }

    /// <summary>Builds an absolute judge.</summary>
    public IAbsoluteJudge CreateAbsolute(JudgeSpec spec, JudgeBuildOptions options)
    {
        if (spec.Scheme == "replay")
        {
            spec.RequireKnownOptions(ReplayOptions);
            if (!JudgmentsReader.IsJudgmentsFile(spec.Target))
            {
                throw new InputException(spec.Target, null, null, "absolute grading replays only judgments files written by Judge (records with a \"type\" field)");
            }

            return new ChatAbsoluteJudge(spec.Text, new ReplayChatClient(spec.Target), options.Rubrics, options.Chat);
        }

        return new ChatAbsoluteJudge(spec.Text, Wrap(spec, CreateChatClient(spec), options), options.Rubrics, options.Chat);
    }

    private static IChatClient Wrap(JudgeSpec spec, IChatClient client, JudgeBuildOptions options) =>
        options.WrapClient is { } wrap ? wrap(spec.Text, client) : client;

    private IChatClient CreateChatClient(JudgeSpec spec)
    {
        if (_registry.Contains(spec.Scheme))
        {
            return _registry.Create(spec);
        }

        var known = string.Join(", ", Schemes.Select(s => s.Scheme));
        var planned = spec.Scheme is "llama" or "openai" or "azure"
            ? $"; '{spec.Scheme}:' judges are planned but not in this build"
            : string.Empty;
        throw new JudgeUnavailableException($"unknown judge scheme '{spec.Scheme}' in '{spec.Text}'; available: {known}{planned}");
    }

    private static PositionSwapJudge Swapped(JudgeSpec spec, IChatClient client, JudgeBuildOptions options) =>
        new(new ChatPairwiseJudge(spec.Text, client, options.Rubrics, options.Chat), options.Swap);
}
#pragma warning restore CA2000

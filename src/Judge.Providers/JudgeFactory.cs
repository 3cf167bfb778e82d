using Judge.Feedback;
using Judge.Judging;
using Judge.Providers.Hosted;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Providers;

/// <summary>
/// Builds judges from specs. <c>replay:</c> is handled here (MT-Bench verdict files, or our own
/// judgments files replayed call by call); every other scheme comes from the <see cref="ChatClientRegistry"/>.
/// </summary>
// The chat clients built here live as long as the judge that holds them, which is the whole run.
#pragma warning disable CA2000
public sealed class JudgeFactory : IJudgeFactory
{
    private static readonly string[] ReplayOptions = ["judge", "prices", "model", "cache_mode"];

    private readonly ChatClientRegistry _registry;
    private readonly Func<string, string?>? _environment;
    private readonly string? _batchResults;

    /// <summary>Creates a factory over a registry (default: <see cref="ChatClientRegistry.CreateDefault"/>).</summary>
    /// <param name="registry">The chat-model schemes.</param>
    /// <param name="environment">Reads the environment variables of batch-mode judges (keys, endpoints). Default: the process environment.</param>
    /// <param name="batchResults">
    /// An OpenAI-batch-format output file (e.g. from vLLM's <c>run_batch</c>) that answers batch-mode judges instead of
    /// their provider's batch service (<c>judge batch import</c>). Default: none.
    /// </param>
    public JudgeFactory(ChatClientRegistry? registry = null, Func<string, string?>? environment = null, string? batchResults = null)
    {
        _registry = registry ?? ChatClientRegistry.CreateDefault();
        _environment = environment;
        _batchResults = batchResults;
    }

    /// <summary>The schemes this factory knows, with descriptions, for help and error messages.</summary>
    public IReadOnlyList<(string Scheme, string Description)> Schemes =>
        [("replay", "replay:PATH — verdicts recorded in a judgments file (ours, or MT-Bench's gpt4_pair_judgments.jsonl); ?judge=NAME picks one judge of several"), .. _registry.Schemes];

    /// <inheritdoc/>
    public BuiltPairwiseJudge CreatePairwise(JudgeSpec spec, JudgeBuildOptions options)
    {
        if (spec.Scheme == "replay")
        {
            spec.RequireKnownOptions(ReplayOptions);
            if (!JudgmentsReader.IsJudgmentsFile(spec.Target))
            {
                var recorded = new RecordedPairwiseJudge(spec.Text, spec.Target, spec.Option("judge"));
                return new BuiltPairwiseJudge(recorded, [$"replaying {recorded.Count} recorded verdicts that already combine both orders; position swap does not apply to them"], recorded);
            }

            var replay = new ReplayChatClient(spec.Target);
            return new BuiltPairwiseJudge(Swapped(spec, replay, options), [$"replaying {replay.Count} recorded judge outputs, re-parsed with the current rubric"]);
        }

        return new BuiltPairwiseJudge(Swapped(spec, Wrap(spec, CreateChatClient(spec, options.BatchAnswers), options), options), []);
    }

    /// <inheritdoc/>
    public RecordedPairwiseJudge? Recorded(JudgeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Scheme != "replay")
        {
            return null;
        }

        spec.RequireKnownOptions(ReplayOptions);
        return !JudgmentsReader.IsJudgmentsFile(spec.Target) ? new RecordedPairwiseJudge(spec.Text, spec.Target, spec.Option("judge")) : null;
    }

    /// <inheritdoc/>
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

        return new ChatAbsoluteJudge(spec.Text, Wrap(spec, CreateChatClient(spec, options.BatchAnswers), options), options.Rubrics, options.Chat);
    }

    /// <inheritdoc/>
    public void Check(JudgeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Scheme == "replay")
        {
            spec.RequireKnownOptions(ReplayOptions);
            if (!File.Exists(spec.Target))
            {
                throw new InputException(spec.Target, null, "judge spec", $"file not found: '{spec.Text}' replays the verdicts recorded there");
            }

            return;
        }

        if (HostedBatches.Wanted(spec))
        {
            // A judge in batch mode is built here, with this factory's environment, not by the registry.
            if (spec.Scheme == "azure")
            {
                HostedChatClients.CheckAzure(spec, _environment);
            }
            else
            {
                HostedChatClients.CheckOpenAI(spec, _environment);
            }

            return;
        }

        if (!_registry.Contains(spec.Scheme))
        {
            throw UnknownScheme(spec);
        }

        _registry.Check(spec);
    }

    /// <inheritdoc/>
    public bool GivesLogits(JudgeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Scheme == "llama" && !HostedBatches.Wanted(spec);
    }

    private static IChatClient Wrap(JudgeSpec spec, IChatClient client, JudgeBuildOptions options) =>
        options.WrapClient is { } wrap ? wrap(spec.Text, client) : client;

    /// <inheritdoc/>
    public IBatchJudge? Batch(JudgeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!HostedBatches.Wanted(spec))
        {
            return null;
        }

        var service = _batchResults is null ? null : new BatchResultsFile(_batchResults);
        return spec.Scheme == "azure" ? HostedBatches.CreateAzure(spec, _environment, service) : HostedBatches.CreateOpenAI(spec, _environment, service);
    }

    /// <summary>
    /// The live client of a judge or model in batch mode (<see cref="Batch"/>), its HTTP transport answering from
    /// <paramref name="answers"/>: a call whose request body a batch answered gets that answer; any other goes live.
    /// </summary>
    public IChatClient CreateServing(JudgeSpec spec, BatchAnswers answers)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Scheme == "azure"
            ? HostedChatClients.CreateAzure(spec, HostedBatches.Serving(answers), _environment)
            : HostedChatClients.CreateOpenAI(spec, HostedBatches.Serving(answers), _environment);
    }

    /// <summary>
    /// The model of a feedback generation for <paramref name="spec"/>: its chat client, and, for a model in batch mode
    /// (<see cref="Batch"/>), a batch side whose answers that client serves. Dispose it through <see cref="FeedbackModels"/>.
    /// </summary>
    public FeedbackModel CreateFeedbackModel(JudgeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Batch(spec) is not { } side)
        {
            return new FeedbackModel(spec, CreateChatClient(spec, null));
        }

        var answers = new BatchAnswers();
        return new FeedbackModel(spec, CreateServing(spec, answers)) { Batch = new BatchSide(side, answers) };
    }

    private IChatClient CreateChatClient(JudgeSpec spec, BatchAnswers? batchAnswers)
    {
        if (batchAnswers is { } answers && HostedBatches.Wanted(spec))
        {
            return CreateServing(spec, answers);
        }

        if (_registry.Contains(spec.Scheme))
        {
            return _registry.Create(spec);
        }

        throw UnknownScheme(spec);
    }

    private JudgeUnavailableException UnknownScheme(JudgeSpec spec)
    {
        var known = string.Join(", ", Schemes.Select(s => s.Scheme));
        var planned = spec.Scheme is "llama" or "openai" or "azure"
            ? $"; '{spec.Scheme}:' judges are planned but not in this build"
            : string.Empty;
        return new JudgeUnavailableException($"unknown judge scheme '{spec.Scheme}' in '{spec.Text}'; available: {known}{planned}");
    }

    private static PositionSwapJudge Swapped(JudgeSpec spec, IChatClient client, JudgeBuildOptions options) =>
        new(new ChatPairwiseJudge(spec.Text, client, options.Rubrics, options.Chat), options.Swap);
}
#pragma warning restore CA2000

using System.Globalization;
using Judge.Rubrics;
using Judge.Runs;

namespace Judge.Feedback;

/// <summary>
/// Generates a Prometheus-style feedback data set in stages: seed rubrics to new rubrics, instructions
/// with reference answers, responses aimed at each score, then feedback and a score from the judge,
/// and an export. Each stage reads the previous stage's JSONL from the output folder (so edits there take
/// effect) and writes its own, with its rejections beside it. Its model calls run on the same call runner as a judge
/// run's: every model response is journalled by request key in <c>journal.jsonl</c>, so a re-run after a kill pays for
/// nothing twice; models in batch mode go through their provider's batch service; every call is priced by the one rule.
/// Not thread-safe; one run at a time per output folder.
/// </summary>
// This file: construction, file names and the run's order of stages. Each stage and each shared job has its own FeedbackPipeline.*.cs.
public sealed partial class FeedbackPipeline
{
    /// <summary>The score levels.</summary>
    public static readonly IReadOnlyList<int> Levels = [1, 2, 3, 4, 5];

    private readonly FeedbackPrompts _prompts;
    private readonly Rubric _judgeRubric;
    private readonly FeedbackModels _models;
    private readonly FeedbackOptions _options;
    private readonly string _out;
    private readonly TimeProvider _time;

    /// <summary>Creates a pipeline writing to <paramref name="outputDirectory"/>.</summary>
    /// <param name="prompts">The generation prompts.</param>
    /// <param name="judgeRubric">An absolute 1-5 rubric with a reference (prometheus-absolute); its criteria and levels are replaced per item.</param>
    /// <param name="models">The models.</param>
    /// <param name="options">Counts and filters.</param>
    /// <param name="outputDirectory">Where the stage files and the journal live.</param>
    /// <param name="time">The clock of the progress's elapsed time and rate; default the system clock.</param>
    public FeedbackPipeline(FeedbackPrompts prompts, Rubric judgeRubric, FeedbackModels models, FeedbackOptions options, string outputDirectory, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(judgeRubric);
        if (judgeRubric.Mode != RubricMode.Absolute || judgeRubric.Scale is not { Min: 1, Max: 5 } || !judgeRubric.UsesReference)
        {
            throw new RubricException(judgeRubric.Id, "the feedback judge needs an absolute 1-5 rubric with a reference answer");
        }

        _prompts = prompts;
        _judgeRubric = judgeRubric;
        _models = models;
        _options = options;
        _out = outputDirectory;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The file a stage writes its kept items to (the export writes <see cref="FeedbackCollectionFile"/> and <see cref="PreferenceCollectionFile"/>).</summary>
    public static string FileOf(FeedbackStage stage) => stage.ToString().ToLowerInvariant() + ".jsonl";

    /// <summary>The file a stage writes its rejections to.</summary>
    public static string RejectedFileOf(FeedbackStage stage) => stage.ToString().ToLowerInvariant() + ".rejected.jsonl";

    /// <summary>The Feedback Collection export.</summary>
    public const string FeedbackCollectionFile = "feedback-collection.jsonl";

    /// <summary>The Preference Collection export.</summary>
    public const string PreferenceCollectionFile = "preference-collection.jsonl";

    /// <summary>The journal of every model response.</summary>
    public const string JournalFile = "journal.jsonl";

    /// <summary>The ledger of provider batches of models in batch mode (see <see cref="FeedbackModel.Batch"/>).</summary>
    public const string BatchesFile = "batches.json";

    /// <summary>
    /// Every file a pipeline writing into <paramref name="outputDirectory"/> may create or replace: each stage's kept and
    /// rejected items (and the temporary file each is written through), the exports, the journal and the batch ledger.
    /// </summary>
    public static IEnumerable<string> OutputFiles(string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(outputDirectory);
        var names = Enum.GetValues<FeedbackStage>().SelectMany(s => new[] { FileOf(s), RejectedFileOf(s) })
            .Concat([FeedbackCollectionFile, PreferenceCollectionFile, JournalFile, BatchesFile])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return names.Concat(names.Select(n => n + ".tmp")).Select(n => Path.Combine(outputDirectory, n));
    }

    /// <summary>Runs <paramref name="stages"/> (in pipeline order) from <paramref name="seeds"/>.</summary>
    /// <param name="seeds">The seed rubrics (used by the rubrics stage).</param>
    /// <param name="stages">The stages to run; the others' files are read from the output folder as needed.</param>
    /// <param name="onStage">Called as each stage finishes.</param>
    /// <param name="onProgress">
    /// Called as each batch of model calls starts and after each call, from the calling threads: the stage (its
    /// <see cref="RunProgressSnapshot.Label"/>), calls done of the batch, calls whose answer could not be read
    /// (without verdict), tokens, and the cost of the priced calls that reached a model (journalled ones were paid for earlier).
    /// </param>
    /// <param name="cancellationToken">Stops the run; the journal keeps what was paid for, and the files of the stages finished stay.</param>
    public async Task<FeedbackRunResult> RunAsync(IReadOnlyList<FeedbackRubric> seeds, IReadOnlyCollection<FeedbackStage> stages, Action<StageSummary>? onStage = null, Action<RunProgressSnapshot>? onProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(stages);
        Directory.CreateDirectory(_out);

        // A feedback generation is always a resume (RunStart.Resume) of its journal: what was paid for is served from there,
        // and each stage asked for remakes its file. The batch ledger is read when a model in batch mode first needs it.
        using var runner = CallRunner.Open(Path.Combine(_out, JournalFile), resume: true, () => BatchBook.InFile(Path.Combine(_out, BatchesFile)), _time, _models.Note);
        var summaries = new List<StageSummary>();
        IReadOnlyList<LevelLength> lengths = [], before = [];
        foreach (var stage in stages.Distinct().Order())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var context = new StageContext(stage, runner, onProgress);
            switch (stage)
            {
                case FeedbackStage.Rubrics:
                    await RubricsAsync(context, seeds, cancellationToken).ConfigureAwait(false);
                    break;
                case FeedbackStage.Instructions:
                    await InstructionsAsync(context, cancellationToken).ConfigureAwait(false);
                    break;
                case FeedbackStage.Responses:
                    await ResponsesAsync(context, cancellationToken).ConfigureAwait(false);
                    break;
                case FeedbackStage.Feedback:
                    await FeedbackAsync(context, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    (lengths, before) = Export(context);
                    break;
            }

            var summary = context.Finish();
            WriteJsonl(Path.Combine(_out, RejectedFileOf(stage)), context.Rejections, FeedbackJsonContext.Default.FeedbackRejection);
            summaries.Add(summary);
            onStage?.Invoke(summary);
        }

        return new FeedbackRunResult(summaries, lengths, before);
    }

    /// <summary>The detail of a near-duplicate rejection.</summary>
    private static string Similar((string Key, double Similarity) duplicate) =>
        string.Create(CultureInfo.InvariantCulture, $"of {duplicate.Key} (jaccard {duplicate.Similarity:0.00})");
}

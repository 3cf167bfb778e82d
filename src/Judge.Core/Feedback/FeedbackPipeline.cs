using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Judge.Data;
using Judge.Grading;
using Judge.Judges;
using Judge.Rubrics;
using Judge.Runs;
using Microsoft.Extensions.AI;

namespace Judge.Feedback;

// The middleware wrappers built per stage hold no resources of their own; the models belong to the caller.
#pragma warning disable CA2000

/// <summary>How much to generate and how to filter it. Mutable; read once when a run starts.</summary>
public sealed class FeedbackOptions
{
    /// <summary>New rubrics to keep. Default 10.</summary>
    public int NewRubrics { get; set; } = 10;

    /// <summary>New rubrics asked for per generator call. Default 5.</summary>
    public int RubricsPerCall { get; set; } = 5;

    /// <summary>Seed rubrics shown per rubric call as examples. Default 3.</summary>
    public int SeedsPerCall { get; set; } = 3;

    /// <summary>Whether the seed rubrics also get instructions (besides the new ones). Default false.</summary>
    public bool IncludeSeeds { get; set; }

    /// <summary>Instructions per rubric. Default 20.</summary>
    public int InstructionsPerRubric { get; set; } = 20;

    /// <summary>Responses per instruction and score level. Default 1.</summary>
    public int ResponsesPerLevel { get; set; } = 1;

    /// <summary>How far the judged score may miss the target level and still keep the response. Default 0.</summary>
    public int ScoreTolerance { get; set; }

    /// <summary>Jaccard similarity of word shingles at or above which a text is a near-duplicate. Default 0.7.</summary>
    public double DuplicateThreshold { get; set; } = 0.7;

    /// <summary>Words per shingle. Default 3.</summary>
    public int ShingleSize { get; set; } = 3;

    /// <summary>Whether the export downsamples every score level to the smallest level's count. Default true.</summary>
    public bool Balance { get; set; } = true;

    /// <summary>Seeds the choice of example seeds, the generator's sampling seed and the balancing. Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>Model calls in flight at once. Default 4.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>The generator's temperature. Default 0.7 (varied generations).</summary>
    public float GeneratorTemperature { get; set; } = 0.7f;
}

/// <summary>The models of a run: the generator, the judge, and optionally a second judge.</summary>
public sealed class FeedbackModels
{
    /// <summary>Writes rubrics, instructions and responses.</summary>
    public required IChatClient Generator { get; init; }

    /// <summary>The generator's spec, recorded in the journal.</summary>
    public required string GeneratorName { get; init; }

    /// <summary>Writes feedback and scores.</summary>
    public required IChatClient Judge { get; init; }

    /// <summary>The judge's spec.</summary>
    public required string JudgeName { get; init; }

    /// <summary>Asked about off-target responses; when it gives the judge's score, the response is kept with that score.</summary>
    public IChatClient? SecondJudge { get; init; }

    /// <summary>The second judge's spec.</summary>
    public string? SecondJudgeName { get; init; }

    /// <summary>
    /// Prices the calls that reach a model, for the progress's cost: by the model that answered, else by the
    /// spec's <c>?model=</c> or target. Default <see langword="null"/>: nothing is priced.
    /// </summary>
    public PriceTable? Prices { get; init; }
}

/// <summary>What one stage did.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="ItemsIn">Items read (seeds, rubrics, instructions, responses, judged items).</param>
/// <param name="ItemsOut">Items written to the stage's file.</param>
/// <param name="Rejected">Rejections by reason.</param>
/// <param name="ModelCalls">Calls that reached a model.</param>
/// <param name="JournalCalls">Calls answered from the journal (paid for in an earlier run).</param>
public sealed record StageSummary(FeedbackStage Stage, int ItemsIn, int ItemsOut, IReadOnlyDictionary<string, int> Rejected, int ModelCalls, int JournalCalls)
{
    /// <summary>Rejections in all.</summary>
    public int RejectedCount => Rejected.Values.Sum();
}

/// <summary>What a run did.</summary>
/// <param name="Stages">Each stage run, in order.</param>
/// <param name="Lengths">Words per score level in the export (empty when the export did not run).</param>
/// <param name="LengthsBeforeBalance">The same before balancing.</param>
public sealed record FeedbackRunResult(IReadOnlyList<StageSummary> Stages, IReadOnlyList<LevelLength> Lengths, IReadOnlyList<LevelLength> LengthsBeforeBalance);

/// <summary>
/// Generates a Prometheus-style feedback data set in stages: seed rubrics to new rubrics, instructions
/// with reference answers, responses aimed at each score, then feedback and a score from the judge,
/// and an export. Each stage reads the previous stage's JSONL from the output folder (so edits there take
/// effect) and writes its own, with its rejections beside it. Every model response is journalled by
/// prompt hash in <c>journal.jsonl</c>, so a re-run after a kill pays for nothing twice.
/// Not thread-safe; one run at a time per output folder.
/// </summary>
public sealed class FeedbackPipeline
{
    /// <summary>The score levels.</summary>
    public static readonly IReadOnlyList<int> Levels = [1, 2, 3, 4, 5];

    private static readonly string[] RubricKeys = ["criteria", "score1_description", "score2_description", "score3_description", "score4_description", "score5_description"];

    private static readonly FeedbackJsonContext Readable = new(new JsonSerializerOptions(FeedbackJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

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
        using var journal = ResponseJournal.Open(Path.Combine(_out, JournalFile), resume: true);
        var summaries = new List<StageSummary>();
        IReadOnlyList<LevelLength> lengths = [], before = [];
        foreach (var stage in stages.Distinct().Order())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var context = new StageContext(stage, journal, onProgress);
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
            return (Response: r, Rubric: JudgeRubricFor(_judgeRubric, rubric), Prompt: RenderJudgePrompt(_judgeRubric, rubric, instruction, r.Response));
        }).ToList();
        var judgeOptions = new ChatOptions { Temperature = 0 };
        bool Verdict(int n, string text) => VerdictParser.Parse(items[n].Rubric, text, items[n].Prompt.CandidateTexts).Status == VerdictStatus.Parsed;
        var first = await CallAllAsync(context, "feedback", _models.JudgeName, _models.Judge, items.Select(i => i.Prompt.Messages).ToList(), judgeOptions, Verdict, cancellationToken).ConfigureAwait(false);

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

        var second = new Dictionary<int, (string? Text, string? Error)>();
        if (_models.SecondJudge is { } secondJudge && misses.Count > 0)
        {
            var name = _models.SecondJudgeName ?? "second-judge";
            var answers = await CallAllAsync(context, "feedback, 2nd judge", name, secondJudge, misses.Select(n => items[n].Prompt.Messages).ToList(), judgeOptions, (m, text) => Verdict(misses[m], text), cancellationToken).ConfigureAwait(false);
            for (var m = 0; m < misses.Count; m++)
            {
                second[misses[m]] = answers[m];
            }
        }

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

        WriteJsonl(Path.Combine(_out, FileOf(FeedbackStage.Feedback)), kept, FeedbackJsonContext.Default.FeedbackItem);
        context.ItemsOut = kept.Count;
    }

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

        WriteJsonl(Path.Combine(_out, PreferenceCollectionFile), pairs, FeedbackJsonContext.Default.PreferenceCollectionRecord);
        context.ItemsOut = records.Count;
        return (LevelLength.Compute(balanced.Select(j => (j.Item.Score, j.Response.Response))), before);
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

    private static string CleanFeedback(string? feedback)
    {
        var text = (feedback ?? string.Empty).Trim();
        return text.StartsWith("Feedback:", StringComparison.OrdinalIgnoreCase) ? text["Feedback:".Length..].Trim() : text;
    }

    private static string Similar((string Key, double Similarity) duplicate) =>
        string.Create(CultureInfo.InvariantCulture, $"of {duplicate.Key} (jaccard {duplicate.Similarity:0.00})");

    private FeedbackRubric RubricOf(Dictionary<string, FeedbackRubric> rubrics, FeedbackInstruction instruction) =>
        rubrics.TryGetValue(instruction.RubricId, out var r)
            ? r
            : throw new InputException(Path.Combine(_out, FileOf(FeedbackStage.Instructions)), null, "rubric_id", $"instruction {instruction.Id} names rubric '{instruction.RubricId}', which is not in {FileOf(FeedbackStage.Rubrics)}");

    /// <summary>The generator's answers to a stage's prompts; an answer counts as read when it holds a JSON object with <paramref name="requiredKey"/>.</summary>
    private Task<(string? Text, string? Error)[]> GenerateAllAsync(StageContext context, List<IReadOnlyList<ChatMessage>> prompts, string requiredKey, CancellationToken cancellationToken) =>
        CallAllAsync(
            context,
            context.Name,
            _models.GeneratorName,
            _models.Generator,
            prompts,
            new ChatOptions { Temperature = _options.GeneratorTemperature, Seed = _options.Seed },
            (_, text) => JsonExtraction.Find(text, requiredKey).Object is not null,
            cancellationToken);

    private static bool Parsed(StageContext context, string key, (string? Text, string? Error) answer, string requiredKey, out JsonElement obj)
    {
        obj = default;
        if (answer.Error is { } error)
        {
            context.Reject(key, "error", error, null);
            return false;
        }

        var (found, problem) = JsonExtraction.Find(answer.Text, requiredKey);
        if (found is not { } element)
        {
            context.Reject(key, "unparsable", problem, answer.Text);
            return false;
        }

        obj = element;
        return true;
    }

    /// <summary>
    /// Sends every prompt to <paramref name="model"/> (through the journal), <see cref="FeedbackOptions.Concurrency"/> at a time,
    /// and reports the batch's progress under <paramref name="label"/>; <paramref name="read"/> tells whether an answer can be read.
    /// </summary>
    private async Task<(string? Text, string? Error)[]> CallAllAsync(StageContext context, string label, string name, IChatClient model, List<IReadOnlyList<ChatMessage>> prompts, ChatOptions options, Func<int, string, bool> read, CancellationToken cancellationToken)
    {
        var results = new (string? Text, string? Error)[prompts.Count];
        var progress = context.StartProgress(label, prompts.Count, _time);
        var pricedModel = PricedModel(name);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, prompts.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Concurrency), CancellationToken = cancellationToken },
            async (i, token) =>
            {
                // Only a response that reached the model is priced: a journalled one was paid for in an earlier run.
                decimal? cost = null;
                var client = context.Wrap(name, model, r => cost = pricedModel is null || r.Usage is not { } u ? null : _models.Prices?.CostOf(r.ModelId, pricedModel, u.InputTokenCount ?? 0, u.OutputTokenCount ?? 0));
                try
                {
                    var response = await client.GetResponseAsync(prompts[i], options.Clone(), token).ConfigureAwait(false);
                    results[i] = (response.Text, null);
                    progress.Add(read(i, response.Text), 1, response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0, cost);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A failed call is a visible rejection of its item, not the end of a long run.
                    results[i] = (null, $"{name}: {ex.GetType().Name}: {ex.Message}");
                    progress.Add(false, 1, 0, 0, cost);
                }
            }).ConfigureAwait(false);
        return results;
    }

    /// <summary>The model a spec's calls are priced by when the response names none; <see langword="null"/> for a replayed model, paid for when it was recorded.</summary>
    private static string? PricedModel(string name)
    {
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == name.Length - 1)
        {
            return name;
        }

        var spec = JudgeSpec.Parse(name);
        return spec.Scheme == "replay" ? null : RunEngine.PricedModel(spec);
    }

    private List<T> ReadJsonl<T>(FeedbackStage stage, JsonTypeInfo<T> type)
    {
        var path = Path.Combine(_out, FileOf(stage));
        if (!File.Exists(path))
        {
            throw new InputException(path, null, null, $"not found: run the {stage.ToString().ToLowerInvariant()} stage first");
        }

        var list = new List<T>();
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            try
            {
                list.Add(JsonSerializer.Deserialize(text, type) ?? throw new JsonException("null"));
            }
            catch (JsonException ex)
            {
                throw new InputException(path, line, null, $"not a {typeof(T).Name} record: {ex.Message}", ex);
            }
        }

        return list;
    }

    private static void WriteJsonl<T>(string path, IEnumerable<T> records, JsonTypeInfo<T> type)
    {
        // Stage files are meant to be read and edited by people: keep quotes and accents readable.
        type = (JsonTypeInfo<T>)Readable.GetTypeInfo(type.Type)!;
        var temp = path + ".tmp";
        using (var writer = new StreamWriter(temp, append: false, new UTF8Encoding(false)))
        {
            foreach (var record in records)
            {
                writer.Write(JsonSerializer.Serialize(record, type));
                writer.Write('\n');
            }
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>One stage's counters, rejections and progress.</summary>
    private sealed class StageContext(FeedbackStage stage, ResponseJournal journal, Action<RunProgressSnapshot>? onProgress)
    {
        private readonly int _servedBefore = journal.Served;
        private int _modelCalls;

        public List<FeedbackRejection> Rejections { get; } = [];

        public int ItemsIn { get; set; }

        public int ItemsOut { get; set; }

        /// <summary>The stage's name in files and progress.</summary>
        public string Name => stage.ToString().ToLowerInvariant();

        /// <summary>The client for one call: journalled, and counting (and handing <paramref name="onModelResponse"/>) the response when the call reaches the model.</summary>
        public IChatClient Wrap(string name, IChatClient client, Action<ChatResponse> onModelResponse) =>
            journal.Wrap(name, new CountingChatClient(client, () => Interlocked.Increment(ref _modelCalls), onModelResponse));

        /// <summary>A progress counter for a batch of <paramref name="total"/> calls, reported at once and after each call.</summary>
        public RunProgress StartProgress(string label, int total, TimeProvider time)
        {
            var progress = new RunProgress(total, time, 0m, label);
            if (onProgress is not null)
            {
                progress.Changed += onProgress;
                onProgress(progress.Snapshot());
            }

            return progress;
        }

        public void Reject(string key, string reason, string? detail, string? raw) =>
            Rejections.Add(new FeedbackRejection { Stage = Name, Key = key, Reason = reason, Detail = detail, Raw = raw });

        public StageSummary Finish() => new(
            stage,
            ItemsIn,
            ItemsOut,
            Rejections.GroupBy(r => r.Reason, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            _modelCalls,
            journal.Served - _servedBefore);
    }

    /// <summary>Counts the calls that get past the journal to the model, and hands on the model's responses.</summary>
    private sealed class CountingChatClient(IChatClient inner, Action onCall, Action<ChatResponse> onResponse) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            onCall();
            var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            onResponse(response);
            return response;
        }
    }
}
#pragma warning restore CA2000

using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Runs;

/// <summary>
/// The one engine under every producer of model calls: the judging of <c>judge run</c>, <c>compare</c> and <c>grade</c>
/// (<see cref="RunEngine"/>) and the stages of <c>feedback generate</c>. It holds the response journal, so a stopped or
/// killed producer resumes paying for nothing twice; sends the calls of models in batch mode through their provider's
/// batch service (the ids in a ledger the moment they exist) before they are made; runs work with bounded concurrency;
/// and counts progress, every call priced by the one rule (<see cref="CallPricer"/>). Thread-safe; disposing closes the journal.
/// </summary>
internal sealed class CallRunner : IDisposable
{
    private readonly Lazy<BatchBook> _book;
    private readonly Action<string>? _note;
    private int _modelCalls;

    private CallRunner(ResponseJournal journal, Func<BatchBook> book, TimeProvider time, Action<string>? note)
    {
        Journal = journal;
        _book = new Lazy<BatchBook>(book);
        Time = time;
        _note = note;
    }

    /// <summary>The journal of every model response.</summary>
    public ResponseJournal Journal { get; }

    /// <summary>The clock of progress and batch polls.</summary>
    public TimeProvider Time { get; }

    /// <summary>Calls that got past the journal to a model, in this process.</summary>
    public int ModelCalls => Volatile.Read(ref _modelCalls);

    /// <summary>
    /// Opens the journal at <paramref name="journal"/>: a resume (<see cref="RunStartDecision.Resume"/>) keeps and serves
    /// what is there, anything else starts it afresh. <paramref name="book"/> opens the batch ledger on first use.
    /// </summary>
    public static CallRunner Open(string journal, bool resume, Func<BatchBook> book, TimeProvider time, Action<string>? note) =>
        new(ResponseJournal.Open(journal, resume), book, time, note);

    /// <summary>
    /// The client a model's calls go through: answered from the journal when it holds the request's answer (under
    /// <paramref name="identity"/>, the model's recorded id), else sent to <paramref name="model"/>, counted, handed to
    /// <paramref name="onModelResponse"/> and journalled.
    /// </summary>
    public IChatClient Client(string identity, IChatClient model, Action<ChatResponse>? onModelResponse = null)
    {
        // The middleware holds no resources of its own; the model's client belongs to the caller.
#pragma warning disable CA2000
        return Journal.Wrap(identity, new CountingChatClient(model, this, onModelResponse));
#pragma warning restore CA2000
    }

    /// <summary>A collector of a batch-mode model's request lines, leaving out what the journal answers.</summary>
    public BatchCollector Collector(string identity, IBatchJudge batch) => new(Journal, batch, identity);

    /// <summary>Sends collected lines through the model's batch service (<see cref="BatchDriver"/>) and returns the answers, added to <paramref name="answers"/> when given.</summary>
    public Task<BatchAnswers> SendAsync(string owner, BatchCollector collected, BatchAnswers? answers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collected);
        return new BatchDriver(Time).SendAsync(owner, collected.Batch, collected.Lines, _book.Value, _note, answers, cancellationToken);
    }

    /// <summary>A progress counter for <paramref name="total"/> units of work, reported to <paramref name="observer"/> at once and after each unit.</summary>
    public RunProgress StartProgress(int total, decimal earlierCost, string? label, Action<RunProgressSnapshot>? observer)
    {
        var progress = new RunProgress(total, Time, earlierCost, label);
        if (observer is not null)
        {
            progress.Changed += observer;
            observer(progress.Snapshot());
        }

        return progress;
    }

    /// <summary>The one concurrency loop: runs <paramref name="work"/> over <paramref name="items"/>, at most <paramref name="concurrency"/> at once.</summary>
    public static Task ForEachAsync<T>(IEnumerable<T> items, int concurrency, Func<T, CancellationToken, ValueTask> work, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken }, work);

    /// <summary>
    /// Sends every prompt to one model and returns the answers in order: a model in batch mode has the prompts the journal
    /// does not answer sent through its batch service first (each line's custom id <c>label|index|hash</c>), and its calls
    /// are then served from the answers. Calls run <see cref="CallProgress.Concurrency"/> at a time, counted under
    /// <see cref="CallProgress.Label"/>; a call that reaches the model is priced (at the batch price when a batch answered
    /// it) and handed to <see cref="CallProgress.OnModelCall"/>; a journalled one was paid for before and is not priced
    /// again. A failed call is an answer with its error, not the end of the work.
    /// </summary>
    public async Task<CallAnswer[]> CallAllAsync(CallModel model, IReadOnlyList<IReadOnlyList<ChatMessage>> prompts, ChatOptions options, CallProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(progress);
        var ids = await BatchAsync(model, prompts, options, progress.Label, cancellationToken).ConfigureAwait(false);
        var answers = new CallAnswer[prompts.Count];
        var counter = StartProgress(prompts.Count, 0m, progress.Label, progress.Observer);
        await ForEachAsync(Enumerable.Range(0, prompts.Count), progress.Concurrency, async (i, token) =>
        {
            decimal? cost = null;
            var client = Client(model.Spec.Text, model.Client, r =>
            {
                cost = model.Pricer.CostOf(r.ModelId, r.Usage?.InputTokenCount, r.Usage?.OutputTokenCount, ids[i] is { } id && model.Batch?.Answers.Answered(id) == true);
                progress.OnModelCall?.Invoke(CostTotals.None.Add(r.Usage?.InputTokenCount, r.Usage?.OutputTokenCount, cost));
            });
            try
            {
                var response = await client.GetResponseAsync(prompts[i], options.Clone(), token).ConfigureAwait(false);
                answers[i] = new CallAnswer(response.Text, null);
                counter.Add(progress.Read(i, response.Text), CostTotals.None.Add(response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0, cost));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                answers[i] = new CallAnswer(null, $"{model.Spec.Text}: {ex.GetType().Name}: {ex.Message}");
                counter.Add(false, CostTotals.None.Add(0, 0, cost));
            }
        }, cancellationToken).ConfigureAwait(false);
        return answers;
    }

    /// <inheritdoc/>
    public void Dispose() => Journal.Dispose();

    /// <summary>For a model in batch mode, sends the prompts the journal does not answer through its batch service; returns each prompt's custom id (null when not batched).</summary>
    private async Task<string?[]> BatchAsync(CallModel model, IReadOnlyList<IReadOnlyList<ChatMessage>> prompts, ChatOptions options, string label, CancellationToken cancellationToken)
    {
        var ids = new string?[prompts.Count];
        if (model.Batch is not { } side)
        {
            return ids;
        }

        var collector = Collector(model.Spec.Text, side.Judge);
        for (var i = 0; i < prompts.Count; i++)
        {
            if (await collector.CollectAsync(prompts[i], options.Clone(), cancellationToken).ConfigureAwait(false) is { } hash)
            {
                ids[i] = FormattableString.Invariant($"{label}|{i}|{hash[..16]}");
                collector.Add(ids[i]!, hash);
            }
        }

        if (collector.Lines.Count > 0)
        {
            await SendAsync(model.Spec.Text, collector, side.Answers, cancellationToken).ConfigureAwait(false);
        }

        return ids;
    }

    /// <summary>Counts the calls that get past the journal to the model, and hands on the model's responses.</summary>
    private sealed class CountingChatClient(IChatClient inner, CallRunner runner, Action<ChatResponse>? onResponse) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref runner._modelCalls);
            var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            onResponse?.Invoke(response);
            return response;
        }
    }
}

/// <summary>A model the runner calls: its spec (its recorded id and price), its client, and its batch side when it is in batch mode.</summary>
/// <param name="Spec">The model's spec; <see cref="JudgeSpec.Text"/> keys its journalled answers and names its batches.</param>
/// <param name="Client">The model's client (serving its batch answers when it has a batch side).</param>
/// <param name="Pricer">How its calls are priced.</param>
/// <param name="Batch">Its batch side, in batch mode.</param>
internal sealed record CallModel(JudgeSpec Spec, IChatClient Client, CallPricer Pricer, BatchSide? Batch);

/// <summary>How a list of calls is run and counted.</summary>
/// <param name="Label">What the progress counts (a stage's name); also the start of batch lines' custom ids.</param>
/// <param name="Concurrency">Calls in flight at once.</param>
/// <param name="Read">Whether answer <c>i</c>'s text can be read (else it counts as without verdict).</param>
/// <param name="Observer">Progress as the calls start and after each.</param>
/// <param name="OnModelCall">Each call that reached the model, with its tokens and cost.</param>
internal sealed record CallProgress(string Label, int Concurrency, Func<int, string, bool> Read, Action<RunProgressSnapshot>? Observer, Action<CostTotals>? OnModelCall);

/// <summary>A model's answer to one prompt: its text, or the error that stopped the call.</summary>
/// <param name="Text">What the model wrote.</param>
/// <param name="Error">Why the call failed.</param>
internal readonly record struct CallAnswer(string? Text, string? Error);

using Judge.Runs;
using Microsoft.Extensions.AI;

namespace Judge.Feedback;

// The middleware wrappers built per call hold no resources of their own; the models belong to the caller.
#pragma warning disable CA2000

// One stage's bookkeeping: rejections, item counts, model and journal calls, progress per batch.
public sealed partial class FeedbackPipeline
{
    /// <summary>One stage's counters, rejections and progress.</summary>
    private sealed class StageContext(FeedbackStage stage, ResponseJournal journal, Action<RunProgressSnapshot>? onProgress)
    {
        private readonly int _servedBefore = journal.Served;
        private int _modelCalls;

        public List<FeedbackRejection> Rejections { get; } = [];

        /// <summary>The run's journal, so a batch leaves out calls it already answered.</summary>
        public ResponseJournal Journal => journal;

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

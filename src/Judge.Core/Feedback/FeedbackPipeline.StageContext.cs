using Judge.Judging;
using Judge.Runs;

namespace Judge.Feedback;

// One stage's bookkeeping: rejections, item counts, the calls it made and what they cost.
public sealed partial class FeedbackPipeline
{
    /// <summary>One stage's counters, rejections, spending and progress.</summary>
    private sealed class StageContext(FeedbackStage stage, CallRunner runner, Action<RunProgressSnapshot>? onProgress)
    {
        private readonly int _servedBefore = runner.Journal.Served;
        private readonly int _modelCallsBefore = runner.ModelCalls;
        private readonly Lock _lock = new();
        private CostTotals _spent = CostTotals.None;

        public List<FeedbackRejection> Rejections { get; } = [];

        /// <summary>The run's call runner: its journal, batches and progress.</summary>
        public CallRunner Runner => runner;

        /// <summary>Progress of each batch of calls, for the caller.</summary>
        public Action<RunProgressSnapshot>? OnProgress => onProgress;

        public int ItemsIn { get; set; }

        public int ItemsOut { get; set; }

        /// <summary>The stage's name in files and progress.</summary>
        public string Name => stage.ToString().ToLowerInvariant();

        /// <summary>Adds a call that reached a model, with its tokens and cost, to what the stage spent.</summary>
        public void Spend(CostTotals call)
        {
            lock (_lock)
            {
                _spent = _spent.Add(call);
            }
        }

        public void Reject(string key, string reason, string? detail, string? raw) =>
            Rejections.Add(new FeedbackRejection { Stage = Name, Key = key, Reason = reason, Detail = detail, Raw = raw });

        public StageSummary Finish()
        {
            lock (_lock)
            {
                return new StageSummary(
                    stage,
                    ItemsIn,
                    ItemsOut,
                    Rejections.GroupBy(r => r.Reason, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
                    runner.ModelCalls - _modelCallsBefore,
                    runner.Journal.Served - _servedBefore)
                {
                    Cost = _spent,
                };
            }
        }
    }
}

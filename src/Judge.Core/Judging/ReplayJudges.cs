using Judge.Data;
using Judge.Prompts;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Judging;

/// <summary>
/// Serves pairwise verdicts recorded in an MT-Bench-style file (<c>gpt4_pair_judgments.jsonl</c>:
/// question_id, model_a, model_b, winner, judge, turn), whose verdicts already combine both orders.
/// A pair recorded the other way round is mirrored; an unrecorded pair is an error verdict, never a
/// guess. Thread-safe.
/// </summary>
public sealed class RecordedPairwiseJudge : IPairwiseJudge
{
    private readonly Dictionary<(string Question, int Turn, string First, string Second), PairwiseLabel> _verdicts;
    private readonly string _label;

    /// <summary>Loads the verdicts of one judge from <paramref name="path"/>.</summary>
    /// <param name="id">The judge id to record (usually the spec).</param>
    /// <param name="path">The file.</param>
    /// <param name="judgeName">Which of the file's judges to replay; required only when it holds several.</param>
    public RecordedPairwiseJudge(string id, string path, string? judgeName = null)
    {
        Id = id;
        var labels = VerdictImport.ReadLabels(path);
        var judges = labels.Select(l => l.Rater).Distinct(StringComparer.Ordinal).ToList();
        if (judgeName is null && judges.Count > 1)
        {
            throw new InputException(path, null, "judge", $"holds verdicts of several judges ({string.Join(", ", judges.Take(8))}{(judges.Count > 8 ? ", …" : string.Empty)}); pick one with ?judge=NAME");
        }

        _label = judgeName ?? judges.FirstOrDefault() ?? "recorded";
        _verdicts = [];
        foreach (var l in labels)
        {
            if (!string.Equals(l.Rater, _label, StringComparison.Ordinal))
            {
                continue;
            }

            var key = Key(l.QuestionId, l.Turn, l.ModelA, l.ModelB);
            if (!_verdicts.TryAdd(key, l))
            {
                throw new InputException(path, null, "question_id", $"judge '{_label}' has two verdicts for question {l.QuestionId}, turn {l.Turn}, {l.ModelA} vs {l.ModelB}");
            }
        }

        if (_verdicts.Count == 0)
        {
            throw new InputException(path, null, "judge", $"no verdicts by judge '{_label}'; the file has: {string.Join(", ", judges)}");
        }
    }

    /// <inheritdoc/>
    public string Id { get; }

    /// <summary>How many verdicts were loaded.</summary>
    public int Count => _verdicts.Count;

    /// <summary>Whether a verdict is recorded for the item's pair (in either orientation).</summary>
    public bool Has(PairwiseItem item) => _verdicts.ContainsKey(Key(item.Question.Id, item.Turn, item.ModelA, item.ModelB));

    /// <inheritdoc/>
    public Task<PairwiseVerdict> JudgeAsync(PairwiseItem item, CancellationToken cancellationToken = default)
    {
        var judgment = new PairwiseVerdict
        {
            Item = item.Key,
            QuestionId = item.Question.Id,
            Turn = item.Turn,
            ModelA = item.ModelA,
            ModelB = item.ModelB,
            Status = VerdictStatus.Error,
            Judge = Id,
            Rubric = $"recorded:{_label}",
            Error = "no recorded verdict for this pair",
        };
        if (_verdicts.TryGetValue(Key(item.Question.Id, item.Turn, item.ModelA, item.ModelB), out var recorded))
        {
            var winner = string.Equals(recorded.ModelA, item.ModelA, StringComparison.Ordinal) ? recorded.Winner : recorded.Winner.Mirror();
            judgment = judgment with
            {
                Status = VerdictStatus.Parsed,
                Winner = winner,
                // The file combined both orders: an inconsistent tie is a flip, anything else agreed.
                Flipped = winner == PairOutcome.InconsistentTie,
                Confidence = winner == PairOutcome.InconsistentTie ? 0 : 1,
                ConfidenceSource = VerdictConfidence.Orders,
                Error = null,
            };
        }

        return Task.FromResult(judgment);
    }

    private static (string, int, string, string) Key(string question, int turn, string a, string b) =>
        string.CompareOrdinal(a, b) <= 0 ? (question, turn, a, b) : (question, turn, b, a);
}

/// <summary>
/// A chat model that answers from a judgments file of ours: each prompt (by hash) gets the raw
/// output recorded for it. Re-grading through it re-parses recorded outputs with today's parser and
/// pays nothing. A prompt that was never recorded (another rubric, another version) is an error.
/// Thread-safe.
/// </summary>
public sealed class ReplayChatClient : IChatClient
{
    private readonly Dictionary<string, string> _outputs;
    private readonly string _path;

    /// <summary>Loads the recorded outputs of <paramref name="path"/>.</summary>
    public ReplayChatClient(string path)
    {
        _path = path;
        _outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var call in JudgmentsReader.Read(path).OfType<JudgeCall>())
        {
            if (call.RawOutput is not null)
            {
                _outputs.TryAdd(call.PromptHash, call.RawOutput);
            }
        }
    }

    /// <summary>How many distinct prompts have a recorded output.</summary>
    public int Count => _outputs.Count;

    /// <inheritdoc/>
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var hash = PromptRenderer.HashMessages(messages);
        return _outputs.TryGetValue(hash, out var raw)
            ? Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, raw)) { ModelId = "replay", FinishReason = ChatFinishReason.Stop })
            : throw new JudgeException($"{_path} has no recorded output for prompt {hash[..19]}… (was it judged with another rubric or rubric version?)");
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("replay serves whole responses only");

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}

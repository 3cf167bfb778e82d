using Judge.Judging;

namespace Judge.Providers.Llama;

// Verdicts from logits: a request's prompt and label paths, scored alone or queued for a batch.
internal sealed partial class LlamaChatClient
{
    /// <inheritdoc/>
    public async Task<LogitVerdictResult> ScoreAsync(LogitVerdictRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var completion = new TaskCompletionSource<LogitVerdictResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = Prepare(request, completion, cancellationToken);
        // A request already cancelled never reaches the queue.
        cancellationToken.ThrowIfCancellationRequested();
        using (cancellationToken.Register(static c => ((TaskCompletionSource<LogitVerdictResult>)c!).TrySetCanceled(), completion))
        {
            await _queue.Writer.WriteAsync(queued, cancellationToken).ConfigureAwait(false);
            return await completion.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Scores several requests together, now, on every slot (for tests and benchmarks; <see cref="ScoreAsync"/> batches on its own).</summary>
    internal async Task<IReadOnlyList<LogitVerdictResult>> ScoreManyAsync(IReadOnlyList<LogitVerdictRequest> requests, CancellationToken cancellationToken = default)
    {
        var jobs = requests.Select(r => Prepare(r, completion: null, cancellationToken)).ToList();
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => RunToCompletion(jobs, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>The prompt tokens a verdict request decodes before its label distribution is read (for tests and benchmarks).</summary>
    internal int[] VerdictPromptTokens(LogitVerdictRequest request) => Prepare(request, completion: null, CancellationToken.None).Context;

    /// <summary>
    /// Tokenises the prompt with each label appended and splits off the longest common token prefix:
    /// what follows is each label's token path (usually one token; "10" may be two). Tokenising the
    /// whole text keeps the tokenizer's merges across the prefix/label boundary exactly as they would be.
    /// </summary>
    private LlamaScheduler.Job Prepare(LogitVerdictRequest request, TaskCompletionSource<LogitVerdictResult>? completion, CancellationToken cancellationToken)
    {
        if (request.Labels.Count == 0 || request.Labels.Distinct(StringComparer.Ordinal).Count() != request.Labels.Count)
        {
            throw new ArgumentException("labels must be non-empty and distinct", nameof(request));
        }

        var text = Format(request.Messages, addAssistant: true) + request.VerdictPrefix;
        var full = request.Labels.Select(l => TokenizePrompt(text + l)).ToList();
        var common = full.Min(f => f.Length) - 1;
        for (var k = 1; k < full.Count; k++)
        {
            var n = 0;
            while (n < common && full[k][n] == full[0][n])
            {
                n++;
            }

            common = n;
        }

        if (common < 1)
        {
            throw new JudgeException("the verdict prompt tokenises to nothing before the labels");
        }

        var paths = full.Select(f => f[common..]).ToList();
        for (var i = 0; i < paths.Count; i++)
        {
            for (var j = i + 1; j < paths.Count; j++)
            {
                if (paths[i].AsSpan().SequenceEqual(paths[j]))
                {
                    throw new JudgeException($"labels '{request.Labels[i]}' and '{request.Labels[j]}' tokenise identically");
                }
            }
        }

        if (common + paths.Max(p => p.Length) > _perSequence)
        {
            throw new JudgeException($"the verdict prompt has {common} tokens, more than the context of {_perSequence} (?ctx=)");
        }

        return new LlamaScheduler.Job(request, full[0][..common], LabelTrie.Build(request.Labels, paths), cancellationToken) { Completion = completion };
    }
}

using LLama.Native;

namespace Judge.Providers.Llama;

/// <summary>
/// Greedy decoding held to a GBNF grammar, through llama.cpp's sampler chain: top-k, then the grammar,
/// then greedy. The grammar sampler checks every candidate it is given against the grammar, which on a
/// large vocabulary costs more than the forward pass of a small model (a measurement with a 152k vocabulary
/// on an H100 went from 188 to 32 tokens/s), so top-k first leaves it a few dozen candidates. When none of
/// those fits (the grammar wants a character or end-of-generation the model does not rank highly), the
/// grammar is asked about the whole vocabulary for that step. One sampler per generation: it holds
/// the grammar's parse state. Not thread-safe.
/// </summary>
/// <remarks>
/// <c>llama_sampler_sample</c> is not used: it accepts the token it picks before the caller can check it,
/// and when the grammar rejected every top-k candidate greedy still picks one, whose acceptance aborts
/// the process inside llama.cpp (<c>GGML_ABORT</c> for end-of-generation, an uncaught C++ exception
/// otherwise). Here the chain is applied to candidates this class owns, the choice is checked, and only
/// then accepted. The whole-vocabulary check is a second chain holding the grammar alone, which accepts
/// every chosen token too, so the two parse states stay the same. A grammar is parsed by llama.cpp
/// (<see cref="LlamaNativeLibrary.GrammarParses"/>) before it reaches a chain: LLamaSharp would add one
/// that fails as a NULL sampler, and the next sample would crash the process.
/// </remarks>
internal sealed class GrammarSampler : IDisposable
{
    private readonly SafeLLamaSamplerChainHandle _chain;
    private readonly SafeLLamaSamplerChainHandle? _whole;
    private readonly LLamaTokenData[] _candidates;

    private GrammarSampler(SafeLLamaSamplerChainHandle chain, SafeLLamaSamplerChainHandle? whole, int vocabSize, int topK)
    {
        _chain = chain;
        _whole = whole;
        _candidates = new LLamaTokenData[vocabSize];
        TopK = topK;
    }

    /// <summary>Candidates kept before the grammar looks at them; 0 when the grammar sees the whole vocabulary.</summary>
    public int TopK { get; }

    /// <summary>Samplers in the chain (3 with top-k, 2 without).</summary>
    public int ChainLength => _chain.Count;

    /// <summary>Steps so far where no top-k candidate fitted and the whole vocabulary was checked.</summary>
    public int WholeVocabularySteps { get; private set; }

    /// <summary>
    /// Parses <paramref name="grammar"/> (GBNF, start symbol <c>root</c>) for <paramref name="model"/>'s
    /// vocabulary; <see langword="null"/> when llama.cpp rejects it (the reason is in its log).
    /// </summary>
    /// <param name="model">The model whose vocabulary the grammar is matched against.</param>
    /// <param name="grammar">The grammar text.</param>
    /// <param name="topK">Candidates kept before the grammar; 0 or less for all.</param>
    public static GrammarSampler? TryCreate(LlamaModel model, string grammar, int topK)
    {
        if (!LlamaNativeLibrary.GrammarParses(model.Handle, grammar))
        {
            return null;
        }

        var chain = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        SafeLLamaSamplerChainHandle? whole = null;
        if (topK > 0)
        {
            chain.AddTopK(topK);
            whole = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
            whole.AddGrammar(model.Handle, grammar, "root");
        }

        chain.AddGrammar(model.Handle, grammar, "root");
        chain.AddGreedySampler();
        return new GrammarSampler(chain, whole, model.VocabSize, Math.Max(0, topK));
    }

    /// <summary>Picks the most likely token the grammar allows after <paramref name="logits"/>, and advances the grammar past it.</summary>
    /// <exception cref="JudgeException">No token of the vocabulary can continue the grammar here.</exception>
    public int Sample(ReadOnlySpan<float> logits)
    {
        int token;
        var found = Apply(_chain, logits, out var chosen);
        if (found)
        {
            token = chosen;
        }
        else
        {
            if (_whole is null || !Apply(_whole, logits, out token))
            {
                throw new JudgeException("the grammar allows no token of this model's vocabulary here: it asks for text no token spells");
            }

            WholeVocabularySteps++;
        }

        _chain.Accept(token);
        _whole?.Accept(token);
        return token;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _chain.Dispose();
        _whole?.Dispose();
    }

    /// <summary>
    /// Runs <paramref name="chain"/> over the full candidate list; the token it selected, or (a chain
    /// without greedy) the best one it left allowed. False when nothing is allowed.
    /// </summary>
    private bool Apply(SafeLLamaSamplerChainHandle chain, ReadOnlySpan<float> logits, out int token)
    {
        for (var i = 0; i < _candidates.Length; i++)
        {
            _candidates[i] = new LLamaTokenData(i, logits[i], 0);
        }

        var array = new LLamaTokenDataArray(_candidates);
        using var pin = LLamaTokenDataArrayNative.Create(array, out var cur);
        chain.Apply(ref cur);
        var data = cur.Data;
        if (cur.Selected >= 0 && cur.Selected < data.Length && !float.IsNegativeInfinity(data[(int)cur.Selected].Logit))
        {
            token = (int)data[(int)cur.Selected].ID;
            return true;
        }

        var best = -1;
        for (var i = 0; i < data.Length; i++)
        {
            if (!float.IsNegativeInfinity(data[i].Logit) && (best < 0 || data[i].Logit > data[best].Logit))
            {
                best = i;
            }
        }

        token = best < 0 ? -1 : (int)data[best].ID;
        return best >= 0 && chain == _whole;
    }
}

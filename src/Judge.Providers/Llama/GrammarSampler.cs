using Judge.Providers.Llama.Interop;

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
/// then accepted.
/// </remarks>
internal sealed unsafe class GrammarSampler : IDisposable
{
    private readonly SafeLlamaSamplerHandle _chain;
    private readonly IntPtr _grammar;
    private readonly llama_token_data[] _candidates;

    private GrammarSampler(SafeLlamaSamplerHandle chain, IntPtr grammar, int vocabSize, int topK)
    {
        _chain = chain;
        _grammar = grammar;
        _candidates = new llama_token_data[vocabSize];
        TopK = topK;
    }

    /// <summary>Candidates kept before the grammar looks at them; 0 when the grammar sees the whole vocabulary.</summary>
    public int TopK { get; }

    /// <summary>Samplers in the chain (3 with top-k, 2 without).</summary>
    public int ChainLength => NativeMethods.llama_sampler_chain_n(_chain);

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
        var chain = NativeMethods.llama_sampler_chain_init(NativeMethods.llama_sampler_chain_default_params());
        if (chain.IsInvalid)
        {
            chain.Dispose();
            throw new JudgeException("llama.cpp could not create a sampler chain");
        }

        chain.KeepAlive(model.Handle);
        var parsed = NativeMethods.llama_sampler_init_grammar(model.Vocab, grammar, "root");
        if (parsed == IntPtr.Zero)
        {
            chain.Dispose();
            return null;
        }

        // The chain owns what is added to it from here on, and frees it with itself.
        if (topK > 0)
        {
            NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_top_k(topK));
        }

        NativeMethods.llama_sampler_chain_add(chain, parsed);
        NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_greedy());
        return new GrammarSampler(chain, parsed, model.VocabSize, Math.Max(0, topK));
    }

    /// <summary>Picks the most likely token the grammar allows after <paramref name="logits"/>, and advances the grammar past it.</summary>
    /// <exception cref="JudgeException">No token of the vocabulary can continue the grammar here.</exception>
    public int Sample(ReadOnlySpan<float> logits)
    {
        int token;
        fixed (llama_token_data* data = _candidates)
        {
            var cur = Candidates(data, logits);
            NativeMethods.llama_sampler_apply(_chain, &cur);
            if (cur.selected >= 0 && (ulong)cur.selected < cur.size && !float.IsNegativeInfinity(cur.data[cur.selected].logit))
            {
                token = cur.data[cur.selected].id;
            }
            else
            {
                WholeVocabularySteps++;
                cur = Candidates(data, logits);
                NativeMethods.llama_sampler_apply(_grammar, &cur);
                var best = -1;
                for (var i = 0; i < (int)cur.size; i++)
                {
                    if (!float.IsNegativeInfinity(cur.data[i].logit) && (best < 0 || cur.data[i].logit > cur.data[best].logit))
                    {
                        best = i;
                    }
                }

                if (best < 0)
                {
                    throw new JudgeException("the grammar allows no token of this model's vocabulary here: it asks for text no token spells");
                }

                token = cur.data[best].id;
            }
        }

        NativeMethods.llama_sampler_accept(_chain, token);
        return token;
    }

    /// <inheritdoc/>
    public void Dispose() => _chain.Dispose();

    private llama_token_data_array Candidates(llama_token_data* data, ReadOnlySpan<float> logits)
    {
        for (var i = 0; i < _candidates.Length; i++)
        {
            data[i] = new llama_token_data { id = i, logit = logits[i], p = 0 };
        }

        return new llama_token_data_array { data = data, size = (nuint)_candidates.Length, selected = -1, sorted = 0 };
    }
}

using Judge.Judging;

namespace Judge.Providers.Llama;

/// <summary>Options for a local llama.cpp judge (<c>llama:PATH.gguf?key=value</c>).</summary>
public sealed class LlamaOptions
{
    /// <summary>The GGUF model file (a catalogue name in a spec is resolved to its cached file first). Required.</summary>
    public required string ModelPath { get; set; }

    /// <summary>
    /// A folder holding another llama.cpp build (spec option <c>native</c>): <c>libllama.so</c>,
    /// <c>libggml.so</c>, <c>libggml-base.so</c> and its backends, e.g. a CUDA build or a CPU build tuned
    /// for the machine. It must be llama.cpp commit 815a2a59, the one LLamaSharp 0.30.0 binds; another is
    /// refused. Default: the <c>JUDGE_LLAMA_NATIVE</c> environment variable, else LLamaSharp.Backend.Cpu's
    /// build for this CPU's AVX level under <c>runtimes/linux-x64/native</c> beside the application.
    /// </summary>
    public string? NativeDirectory { get; set; }

    /// <summary>
    /// Context length per sequence in tokens (spec option <c>ctx</c>). Default: the model's training
    /// context, at most 4096.
    /// </summary>
    public int? ContextSize { get; set; }

    /// <summary>
    /// CPU threads for prompt and generation (spec option <c>threads</c>). Default: half the logical
    /// cores, at least 1. ggml's threads spin-wait for each other, so a thread the OS deschedules
    /// stalls the rest: on a shared two-core machine 1 thread was 3-10x faster than 2 for verdicts and
    /// ~100x for generation (benchmarks/LLAMA.md). Never left to llama.cpp's own default.
    /// </summary>
    public int Threads { get; set; } = DefaultThreads;

    /// <summary>Half the logical cores, at least 1.</summary>
    public static int DefaultThreads => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// The most verdicts scored together in one forward pass (spec option <c>batch</c>): concurrent
    /// requests are coalesced into one <c>llama_decode</c>, each in its own sequence, with a common
    /// prompt prefix decoded once. Default 1 (one at a time).
    /// </summary>
    public int BatchSize { get; set; } = 1;

    /// <summary>
    /// The chat template (spec option <c>template</c>): a llama.cpp built-in name (<c>chatml</c>,
    /// <c>llama2</c>, ...), <c>none</c> for plain text, or unset for the model's own when llama.cpp
    /// knows it (plain text otherwise). llama.cpp applies only built-in templates, not arbitrary Jinja.
    /// </summary>
    public string? Template { get; set; }

    /// <summary>
    /// Flash attention (spec option <c>flash_attn</c>): <c>auto</c> (llama.cpp decides; on for CPU), <c>on</c> or
    /// <c>off</c>. Default off, because the shipped native libraries are the CPU build and there llama.cpp's
    /// auto choice (on) measured 3.3x slower on stories260K; a GPU build
    /// wants <c>on</c>.
    /// </summary>
    public string FlashAttention { get; set; } = "off";

    /// <summary>
    /// Layers offloaded to the GPU (spec option <c>gpu_layers</c>): default all (-1), which is none with
    /// the CPU build; 0 keeps a GPU build's model on the CPU.
    /// </summary>
    public int GpuLayers { get; set; } = -1;

    /// <summary>
    /// Spare sequences that keep recent prompts' KV cells for later prompts to start from (spec option
    /// <c>cache</c>, default 1): with one, pairs against a baseline model share the rubric, the question
    /// and the baseline's answer in the order that shows it first, and the question in the other. Each
    /// costs one sequence's KV memory (<c>ctx</c> cells). At least 1 when <c>batch</c> is above 1, so
    /// that generation always finds a free sequence.
    /// </summary>
    public int CacheSlots { get; set; } = 1;

    /// <summary>
    /// Whether a prompt reuses the KV cells the cache already holds of its prefix (spec option
    /// <c>reuse=on|off</c>, default on): the rubric's system part, the question both orders of a pair
    /// share, a generated feedback the verdict follows. Probabilities then differ from a fresh
    /// context's by float rounding only (the same tokens are summed in other batch shapes; measured
    /// below 1e-6); <c>off</c> decodes every prompt from scratch, so repeats are bit-identical.
    /// </summary>
    public bool KvReuse { get; set; } = true;

    /// <summary>The most tokens generated when the request sets no limit (spec option <c>max_tokens</c>). Default 512.</summary>
    public int MaxOutputTokens { get; set; } = 512;

    /// <summary>
    /// A GBNF grammar file (spec option <c>grammar</c>, start symbol <c>root</c>) that every generation must
    /// follow, unless the request asks for JSON through <see cref="Microsoft.Extensions.AI.ChatOptions.ResponseFormat"/>,
    /// which brings its own grammar. Checked by llama.cpp when the client is created: a grammar it rejects
    /// is an <see cref="InputException"/> naming the file. Default none. It applies to everything generated
    /// (also the feedback a logit-verdict judge writes before its verdict), not to verdicts read from logits.
    /// </summary>
    public string? GrammarFile { get; set; }

    /// <summary>
    /// Under a grammar, how many of the most likely tokens (spec option <c>grammar_top_k</c>) the grammar
    /// checks at each step; only when none of them fits does it check the whole vocabulary. The text is the
    /// same either way (greedy takes the best fitting token, and if any token in the top k fits, the best
    /// fitting one is among them); only the speed differs: checking a 152k vocabulary every token cut
    /// generation from 188 to 32 tokens/s in a measurement on an H100. Default 40; 0 checks the whole
    /// vocabulary every step.
    /// </summary>
    public int GrammarTopK { get; set; } = 40;

    /// <summary>
    /// Reads the options of a <c>llama:</c> spec. A target that names a catalogue model instead of a file
    /// (<c>llama:recommended</c>, <c>llama:prometheus-7b-v2</c>) resolves to its verified file in the model
    /// cache (<see cref="ModelStore.DefaultCacheDirectory"/>); nothing is downloaded here.
    /// </summary>
    /// <exception cref="InputException">An unknown option or value, or a bare name that is neither a file nor a catalogue model.</exception>
    /// <exception cref="JudgeUnavailableException">A catalogue model that is not in the cache (<c>judge models pull NAME</c> fetches it).</exception>
    public static LlamaOptions FromSpec(JudgeSpec spec) => FromSpec(spec, null);

    /// <summary>Reads the options of a <c>llama:</c> spec, resolving catalogue names in <paramref name="store"/> (default: the default cache).</summary>
    internal static LlamaOptions FromSpec(JudgeSpec spec, ModelStore? store)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.RequireKnownOptions(["native", "ctx", "threads", "batch", "template", "max_tokens", "flash_attn", "reuse", "cache", "gpu_layers", "grammar", "grammar_top_k"]);

        var options = new LlamaOptions
        {
            ModelPath = ModelCatalogue.LooksLikeName(spec.Target) ? (store ?? new ModelStore()).ResolveModelPath(spec.Target) : spec.Target,
            NativeDirectory = spec.Option("native"),
            Threads = spec.IntOption("threads", DefaultThreads, 1, 1024),
            BatchSize = spec.IntOption("batch", 1, 1, 4096),
            CacheSlots = spec.IntOption("cache", 1, 0, 1024),
            GpuLayers = spec.IntOption("gpu_layers", -1, -1, 100_000),
            Template = spec.Option("template"),
            MaxOutputTokens = spec.IntOption("max_tokens", 512, 1, 1_000_000),
            FlashAttention = spec.Option("flash_attn", "off")!.ToLowerInvariant(),
            KvReuse = spec.Option("reuse", "on")!.ToLowerInvariant() switch
            {
                "on" or "true" or "1" => true,
                "off" or "false" or "0" => false,
                var other => throw new InputException(null, null, "judge spec", $"reuse={other} in '{spec.Text}' is not on or off"),
            },
            GrammarFile = spec.Option("grammar"),
            GrammarTopK = spec.IntOption("grammar_top_k", 40, 0, 1_000_000),
            ContextSize = spec.IntOption("ctx", 8, 1_048_576),
        };

        if (options.Threads < 1 || options.BatchSize < 1 || options.MaxOutputTokens < 1 || options.ContextSize is < 8 || options.CacheSlots < (options.BatchSize > 1 ? 1 : 0) || options.GrammarTopK < 0)
        {
            throw new InputException(null, null, "judge spec", $"'{spec.Text}': threads, batch and max_tokens must be at least 1, ctx at least 8, cache at least 0 (1 with batch above 1), grammar_top_k at least 0");
        }

        _ = options.FlashAttentionType(spec.Text);
        return options;
    }

    /// <summary>The <c>llama_flash_attn_type</c> value: -1 auto, 0 disabled, 1 enabled.</summary>
    internal int FlashAttentionType(string? spec = null) => FlashAttention.ToLowerInvariant() switch
    {
        "auto" => -1,
        "off" or "false" or "0" => 0,
        "on" or "true" or "1" => 1,
        _ => throw new InputException(null, null, "judge spec", $"flash_attn={FlashAttention}{(spec is null ? string.Empty : $" in '{spec}'")} is not auto, on or off"),
    };
}

using System.Runtime.InteropServices;
using System.Text;
using LLama.Exceptions;
using LLama.Native;

namespace Judge.Providers.Llama;

/// <summary>
/// A loaded GGUF model and its vocabulary (LLamaSharp's <see cref="SafeLlamaModelHandle"/>): tokenising,
/// detokenising, chat templates. Checked with <see cref="GgufReader"/> before llama.cpp sees it, so a
/// bad file is an <see cref="InputException"/>, not a crash. Thread-safe: the model and vocabulary are
/// read-only once loaded.
/// </summary>
internal sealed unsafe class LlamaModel : IDisposable
{
    private readonly SafeLlamaModelHandle _handle;
    private readonly bool _addSpacePrefix;

    private LlamaModel(string path, GgufInfo info, SafeLlamaModelHandle handle)
    {
        Path = path;
        Info = info;
        _handle = handle;
        var vocab = handle.Vocab;
        VocabSize = vocab.Count;
        TrainContext = handle.ContextSize;
        Embedding = handle.EmbeddingSize;
        Bos = vocab.BOS is { } bos ? (int)bos : -1;
        Eos = vocab.EOS is { } eos ? (int)eos : -1;
        ChatTemplate = handle.GetTemplate(null, strict: false);
        // llama_detokenize is not public in LLamaSharp: Detokenize mirrors it, which drops the space a
        // SentencePiece tokenizer puts before the text.
        _addSpacePrefix = vocab.Type == LLamaVocabType.SentencePiece
            && !string.Equals(handle.MetadataValueByKey("tokenizer.ggml.add_space_prefix")?.ToString(), "false", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The file loaded.</summary>
    public string Path { get; }

    /// <summary>The file's header as read by <see cref="GgufReader"/>.</summary>
    public GgufInfo Info { get; }

    /// <summary>Tokens in the vocabulary.</summary>
    public int VocabSize { get; }

    /// <summary>The context length the model was trained with.</summary>
    public int TrainContext { get; }

    /// <summary>The embedding width.</summary>
    public int Embedding { get; }

    /// <summary>The beginning-of-sequence token (-1 when the vocabulary has none).</summary>
    public int Bos { get; }

    /// <summary>The end-of-sequence token (-1 when the vocabulary has none).</summary>
    public int Eos { get; }

    /// <summary>The chat template the file carries, if any.</summary>
    public string? ChatTemplate { get; }

    /// <summary>The handle, for contexts and samplers.</summary>
    internal SafeLlamaModelHandle Handle => _handle;

    /// <summary>
    /// Loads a model with llama.cpp loaded from <paramref name="nativeDirectory"/>, with up to
    /// <paramref name="gpuLayers"/> layers on the GPU (negative: all; none where the build has no GPU backend).
    /// </summary>
    /// <exception cref="InputException">The file is missing or not a readable GGUF v2/v3 file.</exception>
    /// <exception cref="JudgeUnavailableException">The native libraries are missing, or llama.cpp refused the file (with the reason it logged).</exception>
    public static LlamaModel Load(string path, string nativeDirectory, int gpuLayers = -1)
    {
        // The managed check first: llama.cpp would only log why, and some bad files are better never handed to it.
        var info = GgufReader.Read(path);
        LlamaNativeLibrary.EnsureLoaded(nativeDirectory);
        var p = LLamaModelParams.Default();
        p.n_gpu_layers = gpuLayers;
        LlamaNativeLibrary.ClearLog();
        try
        {
            return new LlamaModel(path, info, SafeLlamaModelHandle.LoadFromFile(path, p));
        }
        catch (LoadWeightsFailedException ex)
        {
            // LLamaSharp says only that loading failed; llama.cpp said why in its log.
            var why = LlamaNativeLibrary.RecentErrors();
            throw new JudgeUnavailableException($"llama.cpp could not load {path}{(why.Length > 0 ? $": {why}" : string.Empty)}", ex);
        }
    }

    /// <summary>Tokenises UTF-8 text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecial">Add BOS (and EOS) as the model's tokenizer is configured to.</param>
    /// <param name="parseSpecial">Read special-token text (e.g. <c>&lt;|im_start|&gt;</c>) as those tokens.</param>
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        var tokens = _handle.Tokenize(text, addSpecial, parseSpecial, Encoding.UTF8);
        return MemoryMarshal.Cast<LLamaToken, int>(tokens.AsSpan()).ToArray();
    }

    /// <summary>A token's bytes: possibly part of a UTF-8 character, so callers accumulate before decoding.</summary>
    public byte[] TokenBytes(int token, bool special = false) => Piece(token, lstrip: 0, special);

    /// <summary>
    /// Tokens back to text (the inverse of <see cref="Tokenize"/>), as <c>llama_detokenize</c> does it:
    /// special tokens dropped when <paramref name="removeSpecial"/>, the SentencePiece space before the text removed.
    /// </summary>
    public string Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial = true)
    {
        var bytes = new List<byte>();
        var lstrip = _addSpacePrefix ? 1 : 0;
        foreach (var t in tokens)
        {
            if (removeSpecial && (t == Bos || t == Eos))
            {
                continue;
            }

            bytes.AddRange(Piece(t, lstrip, special: false));
            lstrip = 0;
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>Whether a token ends generation (EOS, EOT, ...).</summary>
    public bool IsEndOfGeneration(int token) => ((LLamaToken)token).IsEndOfGeneration(_handle.Vocab);

    /// <summary>
    /// Renders messages with a built-in llama.cpp chat template (a name such as <c>chatml</c>, or a
    /// template string it recognises); <see langword="null"/> when llama.cpp does not know the template.
    /// </summary>
    public string? ApplyTemplate(string template, IReadOnlyList<(string Role, string Content)> messages, bool addAssistant)
    {
        var strings = new List<IntPtr>();
        try
        {
            var chat = new LLamaChatMessage[messages.Count];
            var total = 0;
            for (var i = 0; i < messages.Count; i++)
            {
                var role = Marshal.StringToCoTaskMemUTF8(messages[i].Role);
                var content = Marshal.StringToCoTaskMemUTF8(messages[i].Content);
                strings.Add(role);
                strings.Add(content);
                chat[i] = new LLamaChatMessage { role = (byte*)role, content = (byte*)content };
                total += Encoding.UTF8.GetByteCount(messages[i].Content) + 64;
            }

            var tmpl = Marshal.StringToCoTaskMemUTF8(template);
            strings.Add(tmpl);
            var capacity = (total * 2) + 256;
            while (true)
            {
                var buf = new byte[capacity];
                int n;
                fixed (LLamaChatMessage* c = chat)
                fixed (byte* b = buf)
                {
                    n = NativeApi.llama_chat_apply_template((byte*)tmpl, c, (nuint)chat.Length, addAssistant, b, capacity);
                }

                if (n < 0)
                {
                    return null;
                }

                if (n <= capacity)
                {
                    return Encoding.UTF8.GetString(buf, 0, n);
                }

                capacity = n;
            }
        }
        finally
        {
            foreach (var s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();

    private byte[] Piece(int token, int lstrip, bool special)
    {
        Span<byte> buf = stackalloc byte[64];
        var n = (int)_handle.TokenToSpan(token, buf, lstrip, special);
        if (n <= buf.Length)
        {
            return buf[..n].ToArray();
        }

        var big = new byte[n];
        n = (int)_handle.TokenToSpan(token, big, lstrip, special);
        return big[..n];
    }
}

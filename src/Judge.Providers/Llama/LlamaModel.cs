using System.Runtime.InteropServices;
using System.Text;
using Judge.Providers.Llama.Interop;

namespace Judge.Providers.Llama;

/// <summary>
/// A loaded GGUF model and its vocabulary: tokenising, detokenising, chat templates. Checked with
/// <see cref="GgufReader"/> before llama.cpp sees it, so a bad file is an <see cref="InputException"/>,
/// not a crash. Thread-safe: the model and vocabulary are read-only once loaded.
/// </summary>
internal sealed unsafe class LlamaModel : IDisposable
{
    private readonly SafeLlamaModelHandle _handle;
    private readonly IntPtr _vocab;

    private LlamaModel(string path, GgufInfo info, SafeLlamaModelHandle handle)
    {
        Path = path;
        Info = info;
        _handle = handle;
        _vocab = NativeMethods.llama_model_get_vocab(handle);
        VocabSize = NativeMethods.llama_vocab_n_tokens(_vocab);
        TrainContext = NativeMethods.llama_model_n_ctx_train(handle);
        Embedding = NativeMethods.llama_model_n_embd(handle);
        Bos = NativeMethods.llama_vocab_bos(_vocab);
        Eos = NativeMethods.llama_vocab_eos(_vocab);
        var template = NativeMethods.llama_model_chat_template(handle, null);
        ChatTemplate = template == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(template);
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

    /// <summary>The beginning-of-sequence token.</summary>
    public int Bos { get; }

    /// <summary>The end-of-sequence token.</summary>
    public int Eos { get; }

    /// <summary>The chat template the file carries, if any.</summary>
    public string? ChatTemplate { get; }

    /// <summary>The handle, for contexts.</summary>
    internal SafeLlamaModelHandle Handle => _handle;

    /// <summary>The vocabulary (owned by the model), for samplers.</summary>
    internal IntPtr Vocab => _vocab;

    /// <summary>
    /// Loads a model with llama.cpp loaded from <paramref name="nativeDirectory"/>, with up to
    /// <paramref name="gpuLayers"/> layers on the GPU (negative: all; none where the build has no GPU backend).
    /// </summary>
    /// <exception cref="InputException">The file is missing or not a readable GGUF v2/v3 file.</exception>
    /// <exception cref="JudgeUnavailableException">The native libraries are missing, or llama.cpp refused the file.</exception>
    public static LlamaModel Load(string path, string nativeDirectory, int gpuLayers = -1)
    {
        // The managed check first: llama.cpp would only log why, and some bad files are better never handed to it.
        var info = GgufReader.Read(path);
        LlamaNativeLibrary.EnsureLoaded(nativeDirectory);
        var p = NativeMethods.llama_model_default_params();
        p.n_gpu_layers = gpuLayers;
        LlamaNativeLibrary.ClearLog();
        var handle = NativeMethods.llama_model_load_from_file(path, p);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            var why = LlamaNativeLibrary.RecentErrors();
            throw new JudgeUnavailableException($"llama.cpp could not load {path}{(why.Length > 0 ? $": {why}" : string.Empty)}");
        }

        return new LlamaModel(path, info, handle);
    }

    /// <summary>Tokenises UTF-8 text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecial">Add BOS (and EOS) as the model's tokenizer is configured to.</param>
    /// <param name="parseSpecial">Read special-token text (e.g. <c>&lt;|im_start|&gt;</c>) as those tokens.</param>
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var capacity = bytes.Length + 8;
        while (true)
        {
            var tokens = new int[capacity];
            int n;
            fixed (byte* b = bytes)
            fixed (int* t = tokens)
            {
                n = NativeMethods.llama_tokenize(_vocab, b, bytes.Length, t, capacity, addSpecial, parseSpecial);
            }

            GC.KeepAlive(_handle);
            if (n == int.MinValue)
            {
                throw new JudgeException($"the text ({bytes.Length} bytes) has more tokens than llama.cpp can count");
            }

            if (n >= 0)
            {
                return tokens[..n];
            }

            capacity = -n;
        }
    }

    /// <summary>A token's bytes: possibly part of a UTF-8 character, so callers accumulate before decoding.</summary>
    public byte[] TokenBytes(int token, bool special = false)
    {
        Span<byte> buf = stackalloc byte[64];
        int n;
        fixed (byte* b = buf)
        {
            n = NativeMethods.llama_token_to_piece(_vocab, token, b, buf.Length, 0, special);
        }

        if (n >= 0)
        {
            return buf[..n].ToArray();
        }

        var big = new byte[-n];
        fixed (byte* b = big)
        {
            n = NativeMethods.llama_token_to_piece(_vocab, token, b, big.Length, 0, special);
        }

        return big[..n];
    }

    /// <summary>Tokens back to text (the inverse of <see cref="Tokenize"/>).</summary>
    public string Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial = true)
    {
        var capacity = (tokens.Length * 8) + 16;
        while (true)
        {
            var buf = new byte[capacity];
            int n;
            fixed (int* t = tokens)
            fixed (byte* b = buf)
            {
                n = NativeMethods.llama_detokenize(_vocab, t, tokens.Length, b, capacity, removeSpecial, false);
            }

            if (n >= 0)
            {
                return Encoding.UTF8.GetString(buf, 0, n);
            }

            capacity = -n;
        }
    }

    /// <summary>Whether a token ends generation (EOS, EOT, ...).</summary>
    public bool IsEndOfGeneration(int token) => NativeMethods.llama_vocab_is_eog(_vocab, token);

    /// <summary>
    /// Renders messages with a built-in llama.cpp chat template (a name such as <c>chatml</c>, or a
    /// template string it recognises); <see langword="null"/> when llama.cpp does not know the template.
    /// </summary>
    public string? ApplyTemplate(string template, IReadOnlyList<(string Role, string Content)> messages, bool addAssistant)
    {
        var strings = new List<IntPtr>();
        try
        {
            var chat = new llama_chat_message[messages.Count];
            var total = 0;
            for (var i = 0; i < messages.Count; i++)
            {
                var role = Marshal.StringToCoTaskMemUTF8(messages[i].Role);
                var content = Marshal.StringToCoTaskMemUTF8(messages[i].Content);
                strings.Add(role);
                strings.Add(content);
                chat[i] = new llama_chat_message { role = (byte*)role, content = (byte*)content };
                total += Encoding.UTF8.GetByteCount(messages[i].Content) + 64;
            }

            var tmpl = Marshal.StringToCoTaskMemUTF8(template);
            strings.Add(tmpl);
            var capacity = (total * 2) + 256;
            while (true)
            {
                var buf = new byte[capacity];
                int n;
                fixed (llama_chat_message* c = chat)
                fixed (byte* b = buf)
                {
                    n = NativeMethods.llama_chat_apply_template((byte*)tmpl, c, (nuint)chat.Length, addAssistant, b, capacity);
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
}

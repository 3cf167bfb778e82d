using System.Runtime.InteropServices;

namespace Judge.Providers.Llama.Interop;

/// <summary>
/// The llama.cpp v0.5.0 C API, names verbatim from its <c>llama.h</c> (and <c>ggml-backend.h</c>).
/// Library names are logical; <see cref="LlamaNativeLibrary"/> resolves them to files. Pointers the
/// native side owns (vocab, memory) stay <see cref="IntPtr"/> here and never leave this assembly.
/// </summary>
internal static unsafe partial class NativeMethods
{
    /// <summary>Logical name of libllama.v0.5.0.so.</summary>
    public const string LlamaLibrary = "llama";

    /// <summary>Logical name of libggml.v0.5.0.so (backend registry and loader).</summary>
    public const string GgmlLibrary = "ggml";

    // --- ggml ---------------------------------------------------------------------------------

    [LibraryImport(GgmlLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void ggml_backend_load_all_from_path(string dir_path);

    // --- setup --------------------------------------------------------------------------------

    [LibraryImport(LlamaLibrary)]
    public static partial IntPtr llama_version();

    [LibraryImport(LlamaLibrary)]
    public static partial IntPtr llama_print_system_info();

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_backend_init();

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_backend_free();

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_log_set(delegate* unmanaged[Cdecl]<int, byte*, void*, void> log_callback, void* user_data);

    [LibraryImport(LlamaLibrary)]
    public static partial llama_model_params llama_model_default_params();

    [LibraryImport(LlamaLibrary)]
    public static partial llama_context_params llama_context_default_params();

    // --- model --------------------------------------------------------------------------------

    [LibraryImport(LlamaLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial SafeLlamaModelHandle llama_model_load_from_file(string path_model, llama_model_params @params);

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_model_free(IntPtr model);

    [LibraryImport(LlamaLibrary)]
    public static partial IntPtr llama_model_get_vocab(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_model_n_ctx_train(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_model_n_embd(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibrary)]
    public static partial ulong llama_model_n_params(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibrary)]
    public static partial ulong llama_model_size(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_model_desc(SafeLlamaModelHandle model, byte* buf, nuint buf_size);

    [LibraryImport(LlamaLibrary)]
    public static partial IntPtr llama_model_chat_template(SafeLlamaModelHandle model, byte* name);

    [LibraryImport(LlamaLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int llama_model_meta_val_str(SafeLlamaModelHandle model, string key, byte* buf, nuint buf_size);

    // --- vocab --------------------------------------------------------------------------------

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_vocab_n_tokens(IntPtr vocab);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_vocab_bos(IntPtr vocab);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_vocab_eos(IntPtr vocab);

    [LibraryImport(LlamaLibrary)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_eog(IntPtr vocab, int token);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_tokenize(
        IntPtr vocab, byte* text, int text_len, int* tokens, int n_tokens_max,
        [MarshalAs(UnmanagedType.U1)] bool add_special, [MarshalAs(UnmanagedType.U1)] bool parse_special);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_token_to_piece(IntPtr vocab, int token, byte* buf, int length, int lstrip, [MarshalAs(UnmanagedType.U1)] bool special);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_detokenize(
        IntPtr vocab, int* tokens, int n_tokens, byte* text, int text_len_max,
        [MarshalAs(UnmanagedType.U1)] bool remove_special, [MarshalAs(UnmanagedType.U1)] bool unparse_special);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_chat_apply_template(byte* tmpl, llama_chat_message* chat, nuint n_msg, [MarshalAs(UnmanagedType.U1)] bool add_ass, byte* buf, int length);

    // --- context ------------------------------------------------------------------------------

    [LibraryImport(LlamaLibrary)]
    public static partial SafeLlamaContextHandle llama_init_from_model(SafeLlamaModelHandle model, llama_context_params @params);

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_free(IntPtr ctx);

    [LibraryImport(LlamaLibrary)]
    public static partial uint llama_n_ctx(SafeLlamaContextHandle ctx);

    [LibraryImport(LlamaLibrary)]
    public static partial uint llama_n_batch(SafeLlamaContextHandle ctx);

    [LibraryImport(LlamaLibrary)]
    public static partial uint llama_n_seq_max(SafeLlamaContextHandle ctx);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_n_threads(SafeLlamaContextHandle ctx);

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_set_abort_callback(SafeLlamaContextHandle ctx, delegate* unmanaged[Cdecl]<void*, byte> abort_callback, void* abort_callback_data);

    [LibraryImport(LlamaLibrary)]
    public static partial IntPtr llama_get_memory(SafeLlamaContextHandle ctx);

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_memory_clear(IntPtr mem, [MarshalAs(UnmanagedType.U1)] bool data);

    [LibraryImport(LlamaLibrary)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_memory_seq_rm(IntPtr mem, int seq_id, int p0, int p1);

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_memory_seq_cp(IntPtr mem, int seq_id_src, int seq_id_dst, int p0, int p1);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_memory_seq_pos_max(IntPtr mem, int seq_id);

    // --- batches and decoding -----------------------------------------------------------------

    [LibraryImport(LlamaLibrary)]
    public static partial llama_batch llama_batch_init(int n_tokens, int embd, int n_seq_max);

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_batch_free(llama_batch batch);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_decode(SafeLlamaContextHandle ctx, llama_batch batch);

    [LibraryImport(LlamaLibrary)]
    public static partial float* llama_get_logits_ith(SafeLlamaContextHandle ctx, int i);

    // --- samplers -----------------------------------------------------------------------------
    // Only the chain is owned by a SafeHandle: samplers added to it belong to it (llama_sampler_chain_add
    // takes ownership), so their pointers stay IntPtr and are never freed on their own.

    [LibraryImport(LlamaLibrary)]
    public static partial llama_sampler_chain_params llama_sampler_chain_default_params();

    [LibraryImport(LlamaLibrary)]
    public static partial SafeLlamaSamplerHandle llama_sampler_chain_init(llama_sampler_chain_params @params);

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_sampler_chain_add(SafeLlamaSamplerHandle chain, IntPtr smpl);

    [LibraryImport(LlamaLibrary)]
    public static partial int llama_sampler_chain_n(SafeLlamaSamplerHandle chain);

    [LibraryImport(LlamaLibrary)]
    public static partial IntPtr llama_sampler_init_greedy();

    [LibraryImport(LlamaLibrary)]
    public static partial IntPtr llama_sampler_init_top_k(int k);

    /// <summary>NULL when the grammar does not parse (the reason goes to stderr and the log).</summary>
    [LibraryImport(LlamaLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr llama_sampler_init_grammar(IntPtr vocab, string grammar_str, string grammar_root);

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_sampler_apply(SafeLlamaSamplerHandle smpl, llama_token_data_array* cur_p);

    /// <summary>Applies one sampler that a chain owns (the pointer it was created with).</summary>
    [LibraryImport(LlamaLibrary)]
    public static partial void llama_sampler_apply(IntPtr smpl, llama_token_data_array* cur_p);

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_sampler_accept(SafeLlamaSamplerHandle smpl, int token);

    [LibraryImport(LlamaLibrary)]
    public static partial void llama_sampler_free(IntPtr smpl);
}

using System.Runtime.InteropServices;

namespace Judge.Providers.Llama.Interop;

// Mirrors of the llama.cpp v0.5.0 structs, field for field; C bool is one byte, so it is a byte
// here to keep the structs blittable. Sizes and offsets are pinned by LlamaAbiTests.
#pragma warning disable SA1300, IDE1006, CA1707 // C names verbatim

/// <summary><c>struct llama_model_params</c> (80 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct llama_model_params
{
    public IntPtr devices;
    public IntPtr tensor_buft_overrides;
    public int n_gpu_layers;
    public int split_mode;
    public int load_mode;
    public int lazy_mode;
    public int main_gpu;
    public IntPtr tensor_split;
    public IntPtr progress_callback;
    public IntPtr progress_callback_user_data;
    public IntPtr kv_overrides;
    public byte vocab_only;
    public byte check_tensors;
    public byte use_extra_bufts;
    public byte no_host;
    public byte no_alloc;
    public byte load_mtp;
}

/// <summary><c>struct llama_context_params</c> (160 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct llama_context_params
{
    public uint n_ctx;
    public uint n_batch;
    public uint n_ubatch;
    public uint n_seq_max;
    public uint n_rs_seq;
    public uint n_outputs_max;
    public uint n_outputs_max_per_seq;
    public int n_threads;
    public int n_threads_batch;
    public int ctx_type;
    public int rope_scaling_type;
    public int pooling_type;
    public int attention_type;
    public int flash_attn_type;
    public float rope_freq_base;
    public float rope_freq_scale;
    public float yarn_ext_factor;
    public float yarn_attn_factor;
    public float yarn_beta_fast;
    public float yarn_beta_slow;
    public uint yarn_orig_ctx;
    public float defrag_thold;
    public IntPtr cb_eval;
    public IntPtr cb_eval_user_data;
    public int type_k;
    public int type_v;
    public IntPtr abort_callback;
    public IntPtr abort_callback_data;
    public byte embeddings;
    public byte offload_kqv;
    public byte no_perf;
    public byte op_offload;
    public byte swa_full;
    public byte kv_unified;
    public IntPtr samplers;
    public nuint n_samplers;
    public IntPtr ctx_other;
}

/// <summary><c>struct llama_batch</c> (56 bytes): arrays owned by <c>llama_batch_init</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct llama_batch
{
    public int n_tokens;
    public int* token;
    public float* embd;
    public int* pos;
    public int* n_seq_id;
    public int** seq_id;
    public sbyte* logits;
}

/// <summary><c>struct llama_chat_message</c> (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct llama_chat_message
{
    public byte* role;
    public byte* content;
}
/// <summary><c>struct llama_sampler_chain_params</c> (1 byte).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct llama_sampler_chain_params
{
    public byte no_perf;
}

/// <summary><c>struct llama_token_data</c> (12 bytes): one candidate token.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct llama_token_data
{
    public int id;
    public float logit;
    public float p;
}

/// <summary><c>struct llama_token_data_array</c> (32 bytes): candidates that samplers filter and choose from.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct llama_token_data_array
{
    public llama_token_data* data;
    public nuint size;
    public long selected;
    public byte sorted;
}
#pragma warning restore SA1300, IDE1006, CA1707

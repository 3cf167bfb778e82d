using System.Runtime.InteropServices;
using Judge.Providers.Llama.Interop;

namespace Judge.Providers.Tests.Llama;

// Expected values: /work/shared/notes/llama-v0.5.0-abi.md, measured with gcc offsetof/sizeof on v0.5.0's llama.h.
public class LlamaAbiTests
{
    [Fact]
    public void Sizes_MatchLlamaCpp050()
    {
        Assert.Equal(80, Marshal.SizeOf<llama_model_params>());
        Assert.Equal(160, Marshal.SizeOf<llama_context_params>());
        Assert.Equal(56, Marshal.SizeOf<llama_batch>());
        Assert.Equal(16, Marshal.SizeOf<llama_chat_message>());
        Assert.Equal(1, Marshal.SizeOf<llama_sampler_chain_params>());
        Assert.Equal(12, Marshal.SizeOf<llama_token_data>());
        Assert.Equal(32, Marshal.SizeOf<llama_token_data_array>());
    }

    // llama_token_data { llama_token id; float logit; float p; }
    [Theory]
    [InlineData("id", 0)]
    [InlineData("logit", 4)]
    [InlineData("p", 8)]
    public void TokenData_Offsets_MatchLlamaCpp050(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<llama_token_data>(field));

    // llama_token_data_array { llama_token_data * data; size_t size; int64_t selected; bool sorted; }
    [Theory]
    [InlineData("data", 0)]
    [InlineData("size", 8)]
    [InlineData("selected", 16)]
    [InlineData("sorted", 24)]
    public void TokenDataArray_Offsets_MatchLlamaCpp050(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<llama_token_data_array>(field));

    [Theory]
    [InlineData("devices", 0)]
    [InlineData("tensor_buft_overrides", 8)]
    [InlineData("n_gpu_layers", 16)]
    [InlineData("split_mode", 20)]
    [InlineData("load_mode", 24)]
    [InlineData("lazy_mode", 28)]
    [InlineData("main_gpu", 32)]
    [InlineData("tensor_split", 40)]
    [InlineData("progress_callback", 48)]
    [InlineData("progress_callback_user_data", 56)]
    [InlineData("kv_overrides", 64)]
    [InlineData("vocab_only", 72)]
    [InlineData("check_tensors", 73)]
    [InlineData("use_extra_bufts", 74)]
    [InlineData("no_host", 75)]
    [InlineData("no_alloc", 76)]
    [InlineData("load_mtp", 77)]
    public void ModelParams_Offsets_MatchLlamaCpp050(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<llama_model_params>(field));

    [Theory]
    [InlineData("n_ctx", 0)]
    [InlineData("n_batch", 4)]
    [InlineData("n_ubatch", 8)]
    [InlineData("n_seq_max", 12)]
    [InlineData("n_rs_seq", 16)]
    [InlineData("n_outputs_max", 20)]
    [InlineData("n_outputs_max_per_seq", 24)]
    [InlineData("n_threads", 28)]
    [InlineData("n_threads_batch", 32)]
    [InlineData("ctx_type", 36)]
    [InlineData("rope_scaling_type", 40)]
    [InlineData("pooling_type", 44)]
    [InlineData("attention_type", 48)]
    [InlineData("flash_attn_type", 52)]
    [InlineData("rope_freq_base", 56)]
    [InlineData("rope_freq_scale", 60)]
    [InlineData("yarn_ext_factor", 64)]
    [InlineData("yarn_attn_factor", 68)]
    [InlineData("yarn_beta_fast", 72)]
    [InlineData("yarn_beta_slow", 76)]
    [InlineData("yarn_orig_ctx", 80)]
    [InlineData("defrag_thold", 84)]
    [InlineData("cb_eval", 88)]
    [InlineData("cb_eval_user_data", 96)]
    [InlineData("type_k", 104)]
    [InlineData("type_v", 108)]
    [InlineData("abort_callback", 112)]
    [InlineData("abort_callback_data", 120)]
    [InlineData("embeddings", 128)]
    [InlineData("offload_kqv", 129)]
    [InlineData("no_perf", 130)]
    [InlineData("op_offload", 131)]
    [InlineData("swa_full", 132)]
    [InlineData("kv_unified", 133)]
    [InlineData("samplers", 136)]
    [InlineData("n_samplers", 144)]
    [InlineData("ctx_other", 152)]
    public void ContextParams_Offsets_MatchLlamaCpp050(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<llama_context_params>(field));

    [Theory]
    [InlineData("n_tokens", 0)]
    [InlineData("token", 8)]
    [InlineData("embd", 16)]
    [InlineData("pos", 24)]
    [InlineData("n_seq_id", 32)]
    [InlineData("seq_id", 40)]
    [InlineData("logits", 48)]
    public void Batch_Offsets_MatchLlamaCpp050(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<llama_batch>(field));

    [Fact]
    public void DefaultParams_ReadBack_MatchMeasuredDefaults()
    {
        LlamaNativeLibrary.EnsureLoaded(LlamaNativeLibrary.ResolveDirectory(null));
        var m = NativeMethods.llama_model_default_params();
        Assert.Equal(-1, m.n_gpu_layers);
        Assert.Equal(1, m.split_mode);
        Assert.Equal(-1, m.load_mode);
        Assert.Equal(1, m.lazy_mode);
        Assert.Equal(1, m.use_extra_bufts);
        Assert.Equal(0, m.load_mtp);
        var c = NativeMethods.llama_context_default_params();
        Assert.Equal(512u, c.n_ctx);
        Assert.Equal(2048u, c.n_batch);
        Assert.Equal(512u, c.n_ubatch);
        Assert.Equal(1u, c.n_seq_max);
        Assert.Equal(1u, c.n_outputs_max_per_seq);
        Assert.Equal(-1, c.flash_attn_type);
        Assert.Equal(1, c.type_k);
        Assert.Equal(1, c.offload_kqv);
        Assert.Equal(1, NativeMethods.llama_sampler_chain_default_params().no_perf);
    }
}

using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Llama;

/// <summary>Creates local llama.cpp judges: the entry point of the <c>llama:</c> scheme.</summary>
public static class LlamaJudge
{
    /// <summary>The registry description of <c>llama:</c>.</summary>
    public const string Description =
        "llama:PATH.gguf — a local GGUF model through LLamaSharp and llama.cpp 815a2a59 (CPU builds from LLamaSharp.Backend.Cpu; native=DIR for a CUDA or tuned build of that commit); verdicts read from next-token probabilities; llama:recommended or llama:NAME uses a catalogue model from the cache (judge models pull); " +
        "?ctx=N&threads=N&batch=N&cache=N&reuse=on|off&template=NAME|none&max_tokens=N&flash_attn=auto|on|off&gpu_layers=N&native=DIR";

    /// <summary>
    /// Loads a model as an <see cref="IChatClient"/> whose <see cref="IChatClient.GetService"/> also offers an
    /// <see cref="Judging.ILogitVerdictScorer"/>. Dispose it to free the model. Safe for concurrent use.
    /// </summary>
    /// <exception cref="InputException">The model file is missing, truncated, not GGUF, or GGUF v1.</exception>
    /// <exception cref="JudgeUnavailableException">The native libraries are missing or the wrong version, or llama.cpp refused the model.</exception>
    public static IChatClient CreateChatClient(LlamaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return LlamaChatClient.Create(options);
    }

    /// <summary>
    /// Checks a <c>llama:</c> spec (its options, and that its model file is there) without loading anything, so a run
    /// refuses a bad judge before it touches its output.
    /// </summary>
    /// <exception cref="InputException">An option is unknown or out of range, or the model file is missing.</exception>
    public static void Check(JudgeSpec spec)
    {
        var options = LlamaOptions.FromSpec(spec);
        if (!File.Exists(options.ModelPath))
        {
            throw new InputException(options.ModelPath, null, "judge spec", $"the model of '{spec?.Text}' is not there");
        }
    }

    /// <summary>Creates the chat client for a <c>llama:</c> spec.</summary>
    public static IChatClient CreateChatClient(JudgeSpec spec) => CreateChatClient(LlamaOptions.FromSpec(spec));
}

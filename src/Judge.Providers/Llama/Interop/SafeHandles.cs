using Microsoft.Win32.SafeHandles;

namespace Judge.Providers.Llama.Interop;

/// <summary>Owns a <c>llama_model*</c>; freed with <c>llama_model_free</c>.</summary>
internal sealed class SafeLlamaModelHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeLlamaModelHandle()
        : base(ownsHandle: true)
    {
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_model_free(handle);
        return true;
    }
}

/// <summary>
/// Owns a <c>llama_context*</c>; freed with <c>llama_free</c>. Keeps its model alive: a context
/// must never outlive the weights it points into.
/// </summary>
internal sealed class SafeLlamaContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private SafeLlamaModelHandle? _model;

    /// <summary>Used by the interop marshaller.</summary>
    public SafeLlamaContextHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Ties this context to its model (one reference, released when the context is).</summary>
    public void KeepAlive(SafeLlamaModelHandle model)
    {
        var added = false;
        model.DangerousAddRef(ref added);
        if (added)
        {
            _model = model;
        }
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_free(handle);
        _model?.DangerousRelease();
        _model = null;
        return true;
    }
}

/// <summary>
/// Owns a <c>llama_sampler*</c> (a sampler chain, with the samplers added to it); freed with
/// <c>llama_sampler_free</c>. Keeps its model alive: a grammar sampler reads the model's vocabulary.
/// </summary>
internal sealed class SafeLlamaSamplerHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private SafeLlamaModelHandle? _model;

    /// <summary>Used by the interop marshaller.</summary>
    public SafeLlamaSamplerHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Ties this sampler to the model whose vocabulary it uses (one reference, released when the sampler is).</summary>
    public void KeepAlive(SafeLlamaModelHandle model)
    {
        var added = false;
        model.DangerousAddRef(ref added);
        if (added)
        {
            _model = model;
        }
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_sampler_free(handle);
        _model?.DangerousRelease();
        _model = null;
        return true;
    }
}

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
/// A native object that points into a model's memory (its weights, its vocabulary): holds one
/// reference on the model's handle so the model is never freed first, and gives it back after
/// freeing the object.
/// </summary>
internal abstract class SafeModelBoundHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private SafeLlamaModelHandle? _model;

    /// <summary>Used by the interop marshaller.</summary>
    protected SafeModelBoundHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Ties this object to its model (one reference, released when this object is).</summary>
    public void KeepAlive(SafeLlamaModelHandle model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var added = false;
        model.DangerousAddRef(ref added);
        if (added)
        {
            _model = model;
        }
    }

    /// <inheritdoc/>
    protected sealed override bool ReleaseHandle()
    {
        Free(handle);
        _model?.DangerousRelease();
        _model = null;
        return true;
    }

    /// <summary>Frees the native object.</summary>
    protected abstract void Free(IntPtr native);
}

/// <summary>Owns a <c>llama_context*</c>; freed with <c>llama_free</c>. A context must never outlive the weights it points into.</summary>
internal sealed class SafeLlamaContextHandle : SafeModelBoundHandle
{
    /// <inheritdoc/>
    protected override void Free(IntPtr native) => NativeMethods.llama_free(native);
}

/// <summary>
/// Owns a <c>llama_sampler*</c> (a sampler chain, with the samplers added to it); freed with
/// <c>llama_sampler_free</c>. A grammar sampler reads the model's vocabulary.
/// </summary>
internal sealed class SafeLlamaSamplerHandle : SafeModelBoundHandle
{
    /// <inheritdoc/>
    protected override void Free(IntPtr native) => NativeMethods.llama_sampler_free(native);
}

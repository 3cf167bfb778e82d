using System.Globalization;
using System.Text;

namespace Judge.Providers.Llama;

/// <summary>A GGUF metadata array, summarised: its element type and length (contents are not kept).</summary>
/// <param name="ElementType">The GGUF type of the elements (e.g. <c>string</c>, <c>float32</c>).</param>
/// <param name="Count">How many elements it holds.</param>
public sealed record GgufArray(string ElementType, ulong Count)
{
    /// <inheritdoc/>
    public override string ToString() => $"[{ElementType} x {Count.ToString(CultureInfo.InvariantCulture)}]";
}

/// <summary>One tensor's description from a GGUF header.</summary>
/// <param name="Name">The tensor name.</param>
/// <param name="Dimensions">Its shape.</param>
/// <param name="Type">The ggml type number (0 F32, 1 F16, 2 Q4_0, 8 Q8_0, ...).</param>
/// <param name="Offset">Byte offset of its data from the start of the data section.</param>
public sealed record GgufTensor(string Name, IReadOnlyList<ulong> Dimensions, uint Type, ulong Offset)
{
    /// <summary>The number of elements.</summary>
    public ulong Elements => Dimensions.Aggregate(1UL, (a, d) => a * d);
}

/// <summary>
/// What a GGUF file's header says about a model: format version, metadata key/values and tensors,
/// with the commonly needed values (architecture, context length, vocabulary, quantisation, chat
/// template, parameter count) pulled out. Immutable.
/// </summary>
public sealed record GgufInfo
{
    /// <summary>The file read.</summary>
    public required string Path { get; init; }

    /// <summary>The GGUF format version (2 or 3; version 1 is rejected).</summary>
    public required uint Version { get; init; }

    /// <summary>
    /// Every metadata value by key: numbers as <see cref="long"/>, <see cref="ulong"/> or <see cref="double"/>,
    /// <see cref="bool"/>, <see cref="string"/>, or a <see cref="GgufArray"/> summary.
    /// </summary>
    public required IReadOnlyDictionary<string, object> Metadata { get; init; }

    /// <summary>The tensors described in the header.</summary>
    public required IReadOnlyList<GgufTensor> Tensors { get; init; }

    /// <summary><c>general.architecture</c>, e.g. <c>llama</c>.</summary>
    public string? Architecture => Metadata.TryGetValue("general.architecture", out var v) ? v as string : null;

    /// <summary><c>general.name</c>, where given.</summary>
    public string? Name => Metadata.TryGetValue("general.name", out var v) ? v as string : null;

    /// <summary>The training context length (<c>{arch}.context_length</c>).</summary>
    public long? ContextLength => Integer($"{Architecture}.context_length");

    /// <summary>The embedding width (<c>{arch}.embedding_length</c>).</summary>
    public long? EmbeddingLength => Integer($"{Architecture}.embedding_length");

    /// <summary>The number of layers (<c>{arch}.block_count</c>).</summary>
    public long? BlockCount => Integer($"{Architecture}.block_count");

    /// <summary>The vocabulary size: the length of <c>tokenizer.ggml.tokens</c>, else <c>{arch}.vocab_size</c>.</summary>
    public long? VocabularySize =>
        Metadata.TryGetValue("tokenizer.ggml.tokens", out var v) && v is GgufArray a ? (long)a.Count : Integer($"{Architecture}.vocab_size");

    /// <summary>The tokenizer model (<c>llama</c> for SentencePiece, <c>gpt2</c> for BPE, ...).</summary>
    public string? TokenizerModel => Metadata.TryGetValue("tokenizer.ggml.model", out var v) ? v as string : null;

    /// <summary>The Jinja chat template, where the file carries one.</summary>
    public string? ChatTemplate => Metadata.TryGetValue("tokenizer.chat_template", out var v) ? v as string : null;

    /// <summary>
    /// The quantisation: <c>general.file_type</c> as llama.cpp names it (e.g. <c>F32</c>, <c>Q4_K_M</c>); when the
    /// file does not say, the ggml type holding most of the tensors' elements.
    /// </summary>
    public string? FileType => Integer("general.file_type") is long t ? FileTypeName(t)
        : Tensors.Count == 0 ? null
        : TensorTypeName(Tensors.GroupBy(x => x.Type).OrderByDescending(g => g.Aggregate(0UL, (a, x) => a + x.Elements)).First().Key);

    /// <summary>The parameter count: the sum of every tensor's element count.</summary>
    public ulong ParameterCount => Tensors.Aggregate(0UL, (a, t) => a + t.Elements);

    /// <summary>An integer metadata value, or <see langword="null"/> when absent or not an integer.</summary>
    public long? Integer(string key) => Metadata.TryGetValue(key, out var v)
        ? v switch { long l => l, ulong u when u <= long.MaxValue => (long)u, _ => null }
        : null;

    private static string TensorTypeName(uint t) => t switch
    {
        0 => "F32", 1 => "F16", 2 => "Q4_0", 3 => "Q4_1", 6 => "Q5_0", 7 => "Q5_1", 8 => "Q8_0", 10 => "Q2_K",
        11 => "Q3_K", 12 => "Q4_K", 13 => "Q5_K", 14 => "Q6_K", 30 => "BF16",
        _ => t.ToString(CultureInfo.InvariantCulture),
    };

    private static string FileTypeName(long t) => t switch
    {
        0 => "F32", 1 => "F16", 2 => "Q4_0", 3 => "Q4_1", 7 => "Q8_0", 8 => "Q5_0", 9 => "Q5_1",
        10 => "Q2_K", 11 => "Q3_K_S", 12 => "Q3_K_M", 13 => "Q3_K_L", 14 => "Q4_K_S", 15 => "Q4_K_M",
        16 => "Q5_K_S", 17 => "Q5_K_M", 18 => "Q6_K", 32 => "BF16",
        _ => t.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// Reads GGUF headers in managed code, without llama.cpp: the checks that let a bad file be
/// reported clearly (<see cref="InputException"/> naming the file and the problem) instead of being
/// handed to native code. Rejects non-GGUF files, GGUF v1 (which llama.cpp no longer reads),
/// and files too short for the metadata or tensor data their header declares. Thread-safe (stateless).
/// </summary>
public static class GgufReader
{
    private const uint Magic = 0x46554747; // "GGUF" little-endian

    /// <summary>Reads the header of <paramref name="path"/>.</summary>
    /// <exception cref="InputException">The file is missing, not GGUF, an unsupported version, or truncated.</exception>
    public static GgufInfo Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, ex is FileNotFoundException or DirectoryNotFoundException ? "model file not found" : $"cannot open the model file: {ex.Message}", ex);
        }

        using (stream)
        {
            try
            {
                return ReadCore(path, stream);
            }
            catch (EndOfStreamException ex)
            {
                throw new InputException(path, null, null, $"the GGUF file is truncated: it ends ({stream.Length} bytes) inside its header", ex);
            }
        }
    }

    private static GgufInfo ReadCore(string path, FileStream stream)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var length = stream.Length;
        if (length < 8)
        {
            throw new InputException(path, null, null, $"not a GGUF model file: only {length} bytes");
        }

        var magic = r.ReadUInt32();
        if (magic != Magic)
        {
            throw new InputException(path, null, null, $"not a GGUF model file: it starts with 0x{magic:x8}, not the GGUF magic \"GGUF\"");
        }

        var version = r.ReadUInt32();
        if (version == 1)
        {
            throw new InputException(path, null, null, "GGUF version 1 is obsolete and not readable by llama.cpp (commit 815a2a59, which LLamaSharp 0.30.0 binds); convert the model to GGUF v3 with a current llama.cpp");
        }

        if (version is not (2 or 3))
        {
            throw new InputException(path, null, null, $"unsupported GGUF version {version} (this build reads versions 2 and 3)");
        }

        var tensorCount = r.ReadUInt64();
        var kvCount = r.ReadUInt64();
        // Every key/value and tensor takes at least 8+8+4 bytes: counts beyond that are corruption, not big models.
        if (kvCount > (ulong)length / 12 || tensorCount > (ulong)length / 24)
        {
            throw new InputException(path, null, null, $"corrupt GGUF header: it declares {kvCount} metadata entries and {tensorCount} tensors in a {length}-byte file");
        }

        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = ReadString(r, path, length);
            var type = r.ReadUInt32();
            metadata[key] = ReadValue(r, type, path, length, key);
        }

        var tensors = new List<GgufTensor>((int)tensorCount);
        for (ulong i = 0; i < tensorCount; i++)
        {
            var name = ReadString(r, path, length);
            var nDims = r.ReadUInt32();
            if (nDims > 8)
            {
                throw new InputException(path, null, null, $"corrupt GGUF header: tensor '{name}' has {nDims} dimensions");
            }

            var dims = new ulong[nDims];
            for (var d = 0; d < nDims; d++)
            {
                dims[d] = r.ReadUInt64();
            }

            tensors.Add(new GgufTensor(name, dims, r.ReadUInt32(), r.ReadUInt64()));
        }

        var alignment = metadata.TryGetValue("general.alignment", out var a) && a is ulong or long ? Convert.ToInt64(a, CultureInfo.InvariantCulture) : 32L;
        if (alignment <= 0)
        {
            alignment = 32;
        }

        // A vocabulary-only file has no tensors and need not be padded out to the data section.
        var dataStart = (stream.Position + alignment - 1) / alignment * alignment;
        long needed = tensors.Count == 0 ? stream.Position : dataStart;
        foreach (var t in tensors)
        {
            var end = (long)t.Offset + (TensorBytes(t) is long bytes ? bytes : 1);
            needed = Math.Max(needed, dataStart + end);
        }

        if (needed > length)
        {
            throw new InputException(path, null, null, $"the GGUF file is truncated: its tensors need {needed} bytes but the file has {length}");
        }

        return new GgufInfo { Path = path, Version = version, Metadata = metadata, Tensors = tensors };
    }

    private static object ReadValue(BinaryReader r, uint type, string path, long length, string key) => type switch
    {
        0 => (long)r.ReadByte(),
        1 => (long)r.ReadSByte(),
        2 => (long)r.ReadUInt16(),
        3 => (long)r.ReadInt16(),
        4 => (long)r.ReadUInt32(),
        5 => (long)r.ReadInt32(),
        6 => (double)r.ReadSingle(),
        7 => r.ReadByte() != 0,
        8 => ReadString(r, path, length),
        9 => ReadArray(r, path, length, key),
        10 => r.ReadUInt64(),
        11 => r.ReadInt64(),
        12 => r.ReadDouble(),
        _ => throw new InputException(path, null, null, $"corrupt GGUF metadata: key '{key}' has unknown value type {type}"),
    };

    private static GgufArray ReadArray(BinaryReader r, string path, long length, string key)
    {
        var elementType = r.ReadUInt32();
        var count = r.ReadUInt64();
        if (count > (ulong)length)
        {
            throw new InputException(path, null, null, $"corrupt GGUF metadata: array '{key}' declares {count} elements in a {length}-byte file");
        }

        var size = elementType switch { 0 or 1 or 7 => 1, 2 or 3 => 2, 4 or 5 or 6 => 4, 10 or 11 or 12 => 8, _ => 0 };
        if (size > 0)
        {
            var bytes = (long)count * size;
            if (r.BaseStream.Position + bytes > length)
            {
                throw new EndOfStreamException();
            }

            r.BaseStream.Seek(bytes, SeekOrigin.Current);
        }
        else
        {
            for (ulong i = 0; i < count; i++)
            {
                ReadValue(r, elementType, path, length, key);
            }
        }

        return new GgufArray(TypeName(elementType), count);
    }

    private static string ReadString(BinaryReader r, string path, long length)
    {
        var n = r.ReadUInt64();
        if (n > (ulong)(length - r.BaseStream.Position))
        {
            throw new InputException(path, null, null, n > (ulong)length
                ? $"corrupt GGUF header: a string of {n} bytes in a {length}-byte file"
                : $"the GGUF file is truncated: it ends ({length} bytes) inside its header");
        }

        return Encoding.UTF8.GetString(r.ReadBytes((int)n));
    }

    private static string TypeName(uint t) => t switch
    {
        0 => "uint8", 1 => "int8", 2 => "uint16", 3 => "int16", 4 => "uint32", 5 => "int32", 6 => "float32",
        7 => "bool", 8 => "string", 9 => "array", 10 => "uint64", 11 => "int64", 12 => "float64",
        _ => t.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Bytes of a tensor's data for the ggml types whose block layout is fixed; null for others.</summary>
    private static long? TensorBytes(GgufTensor t)
    {
        (int Block, int Bytes)? layout = t.Type switch
        {
            0 => (1, 4), 1 => (1, 2), 30 => (1, 2), 24 => (1, 1), 25 => (1, 2), 26 => (1, 4), 27 => (1, 8), 28 => (1, 8),
            2 => (32, 18), 3 => (32, 20), 6 => (32, 22), 7 => (32, 24), 8 => (32, 34),
            10 => (256, 84), 11 => (256, 110), 12 => (256, 144), 13 => (256, 176), 14 => (256, 210),
            _ => null,
        };
        return layout is var (block, bytes) ? (long)(t.Elements / (ulong)block) * bytes : null;
    }
}

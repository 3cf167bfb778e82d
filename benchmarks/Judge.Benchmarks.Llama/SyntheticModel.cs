using System.Buffers.Binary;
using System.Text;

/// <summary>
/// Writes a GGUF model with a real architecture's shape and tokenizer but random Q8_0 weights:
/// the same work per token as the real model, without downloading it. The tokenizer's metadata is
/// copied byte for byte from one of llama.cpp's vocabulary-only files (models/ggml-vocab-*.gguf in
/// a llama.cpp source checkout, --vocab). Deterministic: a fixed seed.
/// </summary>
internal static class SyntheticModel
{
    private const uint GgmlTypeF32 = 0;
    private const uint GgmlTypeQ8_0 = 8;
    private const int Alignment = 32;

    /// <summary>Qwen2.5's shapes (config.json of the released models).</summary>
    public static readonly IReadOnlyDictionary<string, Shape> Shapes = new Dictionary<string, Shape>
    {
        ["qwen2.5-0.5b"] = new("qwen2.5-0.5b", Embedding: 896, FeedForward: 4864, Layers: 24, Heads: 14, KvHeads: 2),
        ["qwen2.5-1.5b"] = new("qwen2.5-1.5b", Embedding: 1536, FeedForward: 8960, Layers: 28, Heads: 12, KvHeads: 2),
        ["qwen2.5-7b"] = new("qwen2.5-7b", Embedding: 3584, FeedForward: 18944, Layers: 28, Heads: 28, KvHeads: 4),
    };

    /// <summary>Writes <paramref name="shape"/> to <paramref name="path"/> unless it is already there; returns the path.</summary>
    public static string Ensure(string path, Shape shape, string vocabPath)
    {
        if (File.Exists(path))
        {
            return path;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var (tokenizer, vocabSize) = ReadTokenizer(vocabPath);
        var tensors = new List<(string Name, long[] Dims, uint Type)>
        {
            ("token_embd.weight", [shape.Embedding, vocabSize], GgmlTypeQ8_0),
            ("output_norm.weight", [shape.Embedding], GgmlTypeF32),
        };
        var kv = shape.Embedding / shape.Heads * shape.KvHeads;
        for (var i = 0; i < shape.Layers; i++)
        {
            tensors.Add(($"blk.{i}.attn_norm.weight", [shape.Embedding], GgmlTypeF32));
            tensors.Add(($"blk.{i}.attn_q.weight", [shape.Embedding, shape.Embedding], GgmlTypeQ8_0));
            tensors.Add(($"blk.{i}.attn_q.bias", [shape.Embedding], GgmlTypeF32));
            tensors.Add(($"blk.{i}.attn_k.weight", [shape.Embedding, kv], GgmlTypeQ8_0));
            tensors.Add(($"blk.{i}.attn_k.bias", [kv], GgmlTypeF32));
            tensors.Add(($"blk.{i}.attn_v.weight", [shape.Embedding, kv], GgmlTypeQ8_0));
            tensors.Add(($"blk.{i}.attn_v.bias", [kv], GgmlTypeF32));
            tensors.Add(($"blk.{i}.attn_output.weight", [shape.Embedding, shape.Embedding], GgmlTypeQ8_0));
            tensors.Add(($"blk.{i}.ffn_norm.weight", [shape.Embedding], GgmlTypeF32));
            tensors.Add(($"blk.{i}.ffn_gate.weight", [shape.Embedding, shape.FeedForward], GgmlTypeQ8_0));
            tensors.Add(($"blk.{i}.ffn_up.weight", [shape.Embedding, shape.FeedForward], GgmlTypeQ8_0));
            tensors.Add(($"blk.{i}.ffn_down.weight", [shape.FeedForward, shape.Embedding], GgmlTypeQ8_0));
        }

        var temp = path + ".partial";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            var meta = new List<Action>
            {
                () => Kv(w, "general.architecture", "qwen2"),
                () => Kv(w, "general.name", $"{shape.Name} shape, random Q8_0 weights (Judge benchmark)"),
                () => KvU32(w, "general.file_type", 7), // LLAMA_FTYPE_MOSTLY_Q8_0
                () => KvU32(w, "general.alignment", Alignment),
                () => KvU32(w, "qwen2.context_length", 32768),
                () => KvU32(w, "qwen2.embedding_length", (uint)shape.Embedding),
                () => KvU32(w, "qwen2.block_count", (uint)shape.Layers),
                () => KvU32(w, "qwen2.feed_forward_length", (uint)shape.FeedForward),
                () => KvU32(w, "qwen2.attention.head_count", (uint)shape.Heads),
                () => KvU32(w, "qwen2.attention.head_count_kv", (uint)shape.KvHeads),
                () => KvF32(w, "qwen2.rope.freq_base", 1_000_000f),
                () => KvF32(w, "qwen2.attention.layer_norm_rms_epsilon", 1e-6f),
            };
            w.Write(0x46554747u); // "GGUF"
            w.Write(3u);
            w.Write((ulong)tensors.Count);
            w.Write((ulong)(meta.Count + tokenizer.Count));
            meta.ForEach(m => m());
            foreach (var entry in tokenizer)
            {
                w.Write(entry);
            }

            ulong offset = 0;
            var offsets = new List<ulong>();
            foreach (var (name, dims, type) in tensors)
            {
                WriteString(w, name);
                w.Write((uint)dims.Length);
                foreach (var d in dims)
                {
                    w.Write((ulong)d);
                }

                w.Write(type);
                w.Write(offset);
                offsets.Add(offset);
                offset = Align(offset + (ulong)Bytes(dims, type));
            }

            Pad(w);
            var rng = new XorShift(0x5eed_1234_abcd_0001UL);
            var dataStart = stream.Position;
            for (var t = 0; t < tensors.Count; t++)
            {
                var (name, dims, type) = tensors[t];
                stream.Position = dataStart + (long)offsets[t];
                if (type == GgmlTypeF32)
                {
                    // Norm scales are 1 and biases 0, as in a freshly initialised model.
                    var value = name.EndsWith(".bias", StringComparison.Ordinal) ? 0f : 1f;
                    for (long i = 0; i < dims.Aggregate(1L, (a, d) => a * d); i++)
                    {
                        w.Write(value);
                    }
                }
                else
                {
                    WriteRandomQ8(w, dims.Aggregate(1L, (a, d) => a * d), rng);
                }
            }

            Pad(w);
        }

        File.Move(temp, path, overwrite: true);
        return path;
    }

    /// <summary>Q8_0: blocks of 32 weights, an fp16 scale then 32 signed bytes. Uniform bytes times
    /// the scale give weights with a standard deviation near 0.02, a usual initialisation.</summary>
    private static void WriteRandomQ8(BinaryWriter w, long elements, XorShift rng)
    {
        var block = new byte[34];
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)(0.02f / 73f));
        var buffer = new byte[34 * 4096];
        var filled = 0;
        for (long b = 0; b < elements / 32; b++)
        {
            for (var i = 2; i < 34; i += 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(i), rng.Next());
            }

            block.CopyTo(buffer, filled);
            filled += 34;
            if (filled == buffer.Length)
            {
                w.Write(buffer);
                filled = 0;
            }
        }

        w.Write(buffer, 0, filled);
    }

    private static long Bytes(long[] dims, uint type)
    {
        var elements = dims.Aggregate(1L, (a, d) => a * d);
        return type == GgmlTypeF32 ? elements * 4 : elements / 32 * 34;
    }

    private static ulong Align(ulong n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        while (w.BaseStream.Position % Alignment != 0)
        {
            w.Write((byte)0);
        }
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void Kv(BinaryWriter w, string key, string value)
    {
        WriteString(w, key);
        w.Write(8u);
        WriteString(w, value);
    }

    private static void KvU32(BinaryWriter w, string key, uint value)
    {
        WriteString(w, key);
        w.Write(4u);
        w.Write(value);
    }

    private static void KvF32(BinaryWriter w, string key, float value)
    {
        WriteString(w, key);
        w.Write(6u);
        w.Write(value);
    }

    /// <summary>The raw bytes of every <c>tokenizer.*</c> key/value of a GGUF v3 file, and its token count.</summary>
    private static (List<byte[]> Entries, long VocabSize) ReadTokenizer(string vocabPath)
    {
        using var stream = File.OpenRead(vocabPath);
        using var r = new BinaryReader(stream);
        if (r.ReadUInt32() != 0x46554747u || r.ReadUInt32() != 3)
        {
            throw new InvalidDataException($"{vocabPath} is not a GGUF v3 file");
        }

        r.ReadUInt64(); // tensors
        var count = r.ReadUInt64();
        var entries = new List<byte[]>();
        long vocab = 0;
        for (ulong i = 0; i < count; i++)
        {
            var start = stream.Position;
            var key = Encoding.UTF8.GetString(r.ReadBytes((int)r.ReadUInt64()));
            var type = r.ReadUInt32();
            if (key == "tokenizer.ggml.tokens")
            {
                r.ReadUInt32();
                vocab = (long)r.ReadUInt64();
                stream.Position -= 12;
            }

            SkipValue(r, type);
            if (key.StartsWith("tokenizer.", StringComparison.Ordinal))
            {
                var end = stream.Position;
                stream.Position = start;
                entries.Add(r.ReadBytes((int)(end - start)));
            }
        }

        return vocab > 0 ? (entries, vocab) : throw new InvalidDataException($"{vocabPath} has no tokenizer.ggml.tokens");
    }

    private static void SkipValue(BinaryReader r, uint type)
    {
        switch (type)
        {
            case 0 or 1 or 7: r.ReadByte(); break;
            case 2 or 3: r.ReadUInt16(); break;
            case 4 or 5 or 6: r.ReadUInt32(); break;
            case 10 or 11 or 12: r.ReadUInt64(); break;
            case 8:
                var length = (long)r.ReadUInt64();
                r.BaseStream.Position += length;
                break;
            case 9:
                var elementType = r.ReadUInt32();
                var n = r.ReadUInt64();
                for (ulong i = 0; i < n; i++)
                {
                    SkipValue(r, elementType);
                }

                break;
            default: throw new InvalidDataException($"unknown GGUF value type {type}");
        }
    }

    /// <summary>A model shape: the dimensions that set the work per token.</summary>
    internal sealed record Shape(string Name, int Embedding, int FeedForward, int Layers, int Heads, int KvHeads);

    private sealed class XorShift(ulong state)
    {
        public ulong Next()
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            return state;
        }
    }
}

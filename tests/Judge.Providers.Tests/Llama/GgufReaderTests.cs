using Judge.Providers.Llama;

namespace Judge.Providers.Tests.Llama;

public class GgufReaderTests
{
    [Fact]
    public void Read_Stories260K_GivesArchitectureVocabAndParameters()
    {
        var info = GgufReader.Read(SharedFiles.Stories);
        Assert.Equal(3u, info.Version);
        Assert.Equal("llama", info.Architecture);
        Assert.Equal(512, info.VocabularySize);
        Assert.Equal("F32", info.FileType);
        Assert.Equal("llama", info.TokenizerModel);
        Assert.True(info.ContextLength > 0);
        Assert.Equal(292_800UL, info.ParameterCount); // ../shared/README.md: 292,800 params
    }

    [Fact]
    public void Read_TinyRandom_GivesFullLlama2Vocab()
    {
        var info = GgufReader.Read(SharedFiles.TinyRandom);
        Assert.Equal(32000, info.VocabularySize);
        Assert.Equal(8, info.EmbeddingLength);
        Assert.Equal(1, info.BlockCount);
        Assert.Equal("F16", info.FileType);
    }

    [Fact]
    public void Read_GgufV1_IsClearInputError()
    {
        var ex = Assert.Throws<InputException>(() => GgufReader.Read(SharedFiles.GgufV1));
        Assert.Equal(SharedFiles.GgufV1, ex.Path);
        Assert.Contains("version 1", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(200)]
    [InlineData(-1)] // half the file
    public void Read_TruncatedCopy_IsClearInputError(int length)
    {
        var path = TruncatedCopy(SharedFiles.Stories, length);
        try
        {
            var ex = Assert.Throws<InputException>(() => GgufReader.Read(path));
            Assert.Equal(path, ex.Path);
            Assert.Matches("truncated|not a GGUF", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Read_NotGguf_IsClearInputError()
    {
        var path = Path.Combine(Path.GetTempPath(), $"judge-not-gguf-{Guid.NewGuid():N}.gguf");
        File.WriteAllText(path, "{\"this\": \"is json, not a model\"}");
        try
        {
            var ex = Assert.Throws<InputException>(() => GgufReader.Read(path));
            Assert.Contains("not a GGUF model file", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Read_Missing_IsClearInputError()
    {
        var ex = Assert.Throws<InputException>(() => GgufReader.Read("/nonexistent/model.gguf"));
        Assert.Contains("not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_VocabularyOnlyFileWithoutPadding_IsAcceptedAndOneWithATruncatedTensorIsNot()
    {
        // llama.cpp's models/ggml-vocab-*.gguf: metadata only, no tensors, and no padding after the header.
        static byte[] Header(ulong tensors)
        {
            using var buffer = new MemoryStream();
            using var w = new BinaryWriter(buffer);
            w.Write(0x46554747u);
            w.Write(3u);
            w.Write(tensors);
            w.Write(2UL);
            void Text(string t)
            {
                w.Write((ulong)t.Length);
                w.Write(System.Text.Encoding.UTF8.GetBytes(t));
            }

            Text("general.architecture");
            w.Write(8u);
            Text("qwen2");
            Text("tokenizer.ggml.tokens");
            w.Write(9u);
            w.Write(8u);
            w.Write(3UL);
            Text("a");
            Text("b");
            Text("ab");
            if (tensors > 0)
            {
                Text("token_embd.weight");
                w.Write(2u);
                w.Write(32UL);
                w.Write(3UL);
                w.Write(0u); // F32: 384 bytes of data that the file does not have
                w.Write(0UL);
            }

            return buffer.ToArray();
        }

        var vocab = Path.Combine(Path.GetTempPath(), $"judge-vocab-{Guid.NewGuid():N}.gguf");
        var broken = Path.Combine(Path.GetTempPath(), $"judge-vocab-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(vocab, Header(0));
        File.WriteAllBytes(broken, Header(1));
        try
        {
            var info = GgufReader.Read(vocab);
            Assert.Equal("qwen2", info.Architecture);
            Assert.Equal(3, info.VocabularySize);
            Assert.Empty(info.Tensors);
            Assert.Contains("truncated", Assert.Throws<InputException>(() => GgufReader.Read(broken)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(vocab);
            File.Delete(broken);
        }
    }

    internal static string TruncatedCopy(string source, int length)
    {
        var bytes = File.ReadAllBytes(source);
        var path = Path.Combine(Path.GetTempPath(), $"judge-truncated-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, bytes[..(length < 0 ? bytes.Length / 2 : length)]);
        return path;
    }
}

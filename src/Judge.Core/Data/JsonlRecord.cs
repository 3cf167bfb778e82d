using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Judge.Data;

/// <summary>
/// One parsed line of a JSONL file with accessors that name the file, line and field in every error.
/// </summary>
internal readonly struct JsonlRecord
{
    internal JsonlRecord(string path, int line, JsonElement root)
    {
        Path = path;
        Line = line;
        Root = root;
    }

    /// <summary>The file the record came from.</summary>
    public string Path { get; }

    /// <summary>The 1-based line number.</summary>
    public int Line { get; }

    /// <summary>The record's JSON object.</summary>
    public JsonElement Root { get; }

    /// <summary>Whether the record has <paramref name="field"/> with a non-null value.</summary>
    public bool Has(string field) => Root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>A required id: a string, or an integer written as a number (MT-Bench's question ids).</summary>
    public string RequiredId(string field)
    {
        var value = Required(field);
        return value.ValueKind switch
        {
            JsonValueKind.String when !string.IsNullOrWhiteSpace(value.GetString()) => value.GetString()!,
            JsonValueKind.Number when value.TryGetInt64(out var n) => n.ToString(CultureInfo.InvariantCulture),
            _ => throw Error(field, $"expected a non-empty string or integer id, found {Describe(value)}"),
        };
    }

    /// <summary>A required non-empty string.</summary>
    public string RequiredString(string field)
    {
        var value = Required(field);
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(value.GetString()))
        {
            throw Error(field, $"expected a non-empty string, found {Describe(value)}");
        }

        return value.GetString()!;
    }

    /// <summary>An optional string; <paramref name="fallback"/> when absent or null.</summary>
    public string OptionalString(string field, string fallback = "")
    {
        if (!Root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw Error(field, $"expected a string, found {Describe(value)}");
    }

    /// <summary>A required integer.</summary>
    public int RequiredInt(string field)
    {
        var value = Required(field);
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n))
        {
            return n;
        }

        if (value.ValueKind == JsonValueKind.String && int.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out n))
        {
            return n;
        }

        throw Error(field, $"expected an integer, found {Describe(value)}");
    }

    /// <summary>An optional integer; <paramref name="fallback"/> when absent or null.</summary>
    public int OptionalInt(string field, int fallback) => Has(field) ? RequiredInt(field) : fallback;

    /// <summary>A required non-empty array of strings, read from <paramref name="element"/> (default: the root's <paramref name="field"/>).</summary>
    public IReadOnlyList<string> RequiredStringArray(string field, JsonElement? element = null)
    {
        var value = element ?? Required(field);
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            throw Error(field, $"expected a non-empty array of strings, found {Describe(value)}");
        }

        var list = new List<string>(value.GetArrayLength());
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw Error($"{field}[{i}]", $"expected a string, found {Describe(item)}");
            }

            list.Add(item.GetString()!);
            i++;
        }

        return list;
    }

    /// <summary>A required property of any kind.</summary>
    public JsonElement Required(string field)
    {
        if (!Root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw Error(field, "is missing");
        }

        return value;
    }

    /// <summary>An <see cref="InputException"/> pointing at this record's <paramref name="field"/>.</summary>
    public InputException Error(string? field, string problem) => new(Path, Line, field, problem);

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"\"{Truncate(value.GetString()!)}\"",
        JsonValueKind.Array => $"an array of {value.GetArrayLength()}",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        _ => value.GetRawText(),
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : string.Concat(s.AsSpan(0, 40), "…");
}

/// <summary>Reads JSONL files line by line, turning malformed lines into errors that name the file and line.</summary>
internal static partial class Jsonl
{
    /// <summary>
    /// Reads every non-blank line of <paramref name="path"/> as a JSON object. The documents are
    /// disposed once the callback returns, so <paramref name="map"/> must copy what it keeps.
    /// </summary>
    public static List<T> Read<T>(string path, Func<JsonlRecord, T> map)
    {
        var results = new List<T>();
        foreach (var (line, text) in ReadLines(path))
        {
            using var doc = Parse(path, line, text);
            try
            {
                results.Add(map(new JsonlRecord(path, line, doc.RootElement)));
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("UTF-16", StringComparison.Ordinal))
            {
                // System.Text.Json accepts "\ud800" when parsing and refuses it only when the string is read.
                throw new InputException(path, line, null, "holds a string with a lone UTF-16 surrogate escape (e.g. \\ud800 without its pair); such text is not Unicode", ex);
            }
        }

        return results;
    }

    /// <summary>
    /// The records of a file with their 1-based line numbers: the non-blank lines of a JSONL file, or, when
    /// the file is one JSON array (as many published data sets are), the text of each element with the
    /// line it starts on. A missing file, a directory, or bytes that are not UTF-8 are an
    /// <see cref="InputException"/> naming the file (and the line of the first bad byte).
    /// </summary>
    public static IEnumerable<(int Line, string Text)> ReadLines(string path)
    {
        if (IsJsonArray(path))
        {
            foreach (var element in ArrayElements(path))
            {
                yield return element;
            }

            yield break;
        }

        var reader = StrictUtf8.Open(path);
        using (reader)
        {
            var number = 0;
            while (StrictUtf8.ReadLine(reader, path) is { } text)
            {
                number++;
                if (!string.IsNullOrWhiteSpace(text))
                {
                    yield return (number, text);
                }
            }
        }
    }

    /// <summary>Parses one line as a JSON object, or throws an <see cref="InputException"/> at that line.</summary>
    public static JsonDocument Parse(string path, int line, string text)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new InputException(path, line, null, $"malformed JSON ({FirstSentence(ex.Message)})", ex);
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new InputException(path, line, null, "expected a JSON object on each line");
        }

        return doc;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.');
    }
}

/// <summary>
/// Text input read as strict UTF-8: invalid bytes are an <see cref="InputException"/> that names the file and
/// the line of the first one, never silently replaced with U+FFFD. One definition for JSONL and CSV inputs.
/// </summary>
internal static class StrictUtf8
{
    private static readonly UTF8Encoding Encoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Opens <paramref name="path"/> for strict UTF-8 reading; a missing file or a directory is an <see cref="InputException"/>.</summary>
    public static StreamReader Open(string path)
    {
        if (Directory.Exists(path))
        {
            throw new InputException(path, null, null, "is a directory; expected a file");
        }

        try
        {
            RefuseUtf16(path);
            return new StreamReader(path, Encoding, detectEncodingFromByteOrderMarks: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, ex is FileNotFoundException or DirectoryNotFoundException ? "file not found" : ex.Message, ex);
        }
    }

    /// <summary>
    /// Refuses a file that starts with a UTF-16 or UTF-32 byte-order mark: the data files are UTF-8 (with or without its
    /// mark), and a file in another encoding is named, not read as something else.
    /// </summary>
    public static void RefuseUtf16(string path)
    {
        Span<byte> head = stackalloc byte[4];
        int read;
        using (var stream = File.OpenRead(path))
        {
            read = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        }

        var start = head[..read];
        var encoding = start switch
        {
            [0xFF, 0xFE, 0x00, 0x00, ..] or [0x00, 0x00, 0xFE, 0xFF, ..] => "UTF-32",
            [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..] => "UTF-16",
            _ => null,
        };
        if (encoding is not null)
        {
            throw new InputException(path, 1, null, $"is {encoding} (it starts with a {encoding} byte-order mark); save the file as UTF-8");
        }
    }

    /// <summary>One line, or <see langword="null"/> at the end; invalid UTF-8 is an <see cref="InputException"/> at its line.</summary>
    public static string? ReadLine(StreamReader reader, string path)
    {
        try
        {
            return reader.ReadLine();
        }
        catch (DecoderFallbackException ex)
        {
            throw Invalid(path, ex);
        }
    }

    /// <summary>The error for a file holding invalid UTF-8: the line and byte of the first bad sequence.</summary>
    public static InputException Invalid(string path, DecoderFallbackException ex)
    {
        // The reader decodes in blocks, so its line count is not where the bad byte is: find it in the bytes.
        var bytes = File.ReadAllBytes(path);
        var span = bytes.AsSpan();
        var offset = 0;
        var line = 1;
        var column = 1;
        while (offset < span.Length)
        {
            if (Rune.DecodeFromUtf8(span[offset..], out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                var shown = string.Join(' ', span.Slice(offset, Math.Min(4, span.Length - offset)).ToArray().Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
                return new InputException(path, line, null, $"is not valid UTF-8: bad byte sequence {shown} at character {column} of this line (save the file as UTF-8)", ex);
            }

            if (rune.Value == '\n')
            {
                line++;
                column = 0;
            }

            column++;
            offset += consumed;
        }

        return new InputException(path, null, null, "is not valid UTF-8 (save the file as UTF-8)", ex);
    }
}

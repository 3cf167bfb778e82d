using System.Text;
using System.Text.Json;

namespace Judge.Data;

/// <summary>What <see cref="Jsonl.Recover{T}"/> kept of a file an interrupted writer left behind.</summary>
/// <param name="Records">Every complete record kept, in file order.</param>
/// <param name="TruncatedBytes">Bytes cut from the end of the file (0 when it ended cleanly).</param>
/// <param name="DroppedLines">Lines cut: a torn last line, and records after the last commit point.</param>
internal sealed record JsonlRecovery<T>(IReadOnlyList<T> Records, long TruncatedBytes, int DroppedLines);

internal static partial class Jsonl
{
    /// <summary>
    /// Makes a JSONL file that an interrupted writer may have left half-written safe to append to: the
    /// one torn-tail recovery of judgments files and run journals. Records are read line by line; the
    /// file is kept up to the end of the last record for which <paramref name="commits"/> holds (an
    /// item's verdict record ends its group of lines), and everything after it — a torn last line, or
    /// records of a group that never finished — is cut from the file.
    /// </summary>
    /// <param name="path">The file; it must exist.</param>
    /// <param name="parse">Reads one line; throws <see cref="JsonException"/> or <see cref="NotSupportedException"/> for a line that is not a record.</param>
    /// <param name="commits">Whether the file may end after this record.</param>
    /// <param name="badLineEndsFile">
    /// <see langword="true"/>: a bad line anywhere ends what is kept (for a cache, where losing a line costs
    /// only a repeated call); <see langword="false"/>: only a bad last line is a torn write, and a bad
    /// line before it is an <see cref="InputException"/> naming it (the file is not ours to repair).
    /// </param>
    public static JsonlRecovery<T> Recover<T>(string path, Func<string, T?> parse, Func<T, bool> commits, bool badLineEndsFile)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(commits);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, ex is FileNotFoundException or DirectoryNotFoundException ? "file not found" : ex.Message, ex);
        }

        var records = new List<T>();
        var pending = 0;
        long keep = 0;
        var start = 0;
        var line = 0;
        var dropped = 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            line++;
            var complete = end >= 0;
            var next = complete ? end + 1 : bytes.Length;
            var text = Encoding.UTF8.GetString(bytes, start, (complete ? end : bytes.Length) - start);
            if (string.IsNullOrWhiteSpace(text))
            {
                start = next;
                if (pending == 0)
                {
                    keep = next;
                }

                continue;
            }

            T? record = null;
            if (complete)
            {
                try
                {
                    record = parse(text);
                }
                catch (Exception ex) when (ex is JsonException or NotSupportedException)
                {
                    if (!badLineEndsFile && next < bytes.Length)
                    {
                        throw new InputException(path, line, null, $"not a record, and not the last line, so not a torn write ({FirstSentence(ex.Message)})", ex);
                    }
                }
            }

            if (record is null)
            {
                // A torn line: the writer died mid-write. Records of its unfinished group go below.
                dropped++;
                break;
            }

            records.Add(record);
            if (commits(record))
            {
                pending = 0;
                keep = next;
            }
            else
            {
                pending++;
            }

            start = next;
        }

        dropped += pending;
        records.RemoveRange(records.Count - pending, pending);
        var cut = bytes.Length - keep;
        if (cut > 0)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
            stream.SetLength(keep);
        }

        return new JsonlRecovery<T>(records, cut, dropped);
    }
}

/// <summary>Reading a JSON array file element by element, for <see cref="Jsonl.ReadLines"/>.</summary>
internal static partial class Jsonl
{
    private static bool IsJsonArray(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> buffer = stackalloc byte[256];
            var n = stream.Read(buffer);
            var span = buffer[..n];
            if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                span = span[3..];
            }

            foreach (var b in span)
            {
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                {
                    continue;
                }

                return b == (byte)'[';
            }

            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // ReadLines reports the missing or unreadable file with its own message.
            return false;
        }
    }

    private static List<(int Line, string Text)> ArrayElements(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            // A byte-order mark is not JSON; spaces keep every offset, and so every line number, as it was.
            bytes[0] = bytes[1] = bytes[2] = (byte)' ';
        }

        var elements = new List<(int Line, string Text)>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new InputException(path, 1, null, "expected a JSON array");
            }

            var line = 1;
            var counted = 0L;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = reader.TokenStartIndex;
                line += bytes.AsSpan((int)counted, (int)(start - counted)).Count((byte)'\n');
                counted = start;
                reader.Skip();
                var end = reader.BytesConsumed;
                elements.Add((line, Encoding.UTF8.GetString(bytes, (int)start, (int)(end - start))));
            }

            return elements;
        }
        catch (JsonException ex)
        {
            throw new InputException(path, (int?)(ex.LineNumber + 1), null, $"malformed JSON ({FirstSentence(ex.Message)})", ex);
        }
    }
}

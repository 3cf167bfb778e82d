using System.Buffers;
using System.Text;
using System.Text.Json;
using Judge.Data;

namespace Judge.Verdicts;

/// <summary>
/// The strings of pairwise labels (questions, models, raters) as integer codes, shared by the files of one computation
/// so that equal names get equal codes. Not thread-safe.
/// </summary>
internal sealed class CodeBook
{
    public StringCodes Questions { get; } = new();

    public StringCodes Models { get; } = new();

    public StringCodes Raters { get; } = new();
}

/// <summary>One table of interned strings: code to string and back.</summary>
internal sealed class StringCodes
{
    private readonly Dictionary<string, int> _codes = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];

    public int Count => _names.Count;

    public string this[int code] => _names[code];

    public int Code(string name)
    {
        if (!_codes.TryGetValue(name, out var code))
        {
            _codes[name] = code = _names.Count;
            _names.Add(name);
        }

        return code;
    }

    public int Code(ReadOnlySpan<char> name)
    {
        var lookup = _codes.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.TryGetValue(name, out var code) ? code : Code(name.ToString());
    }

    public bool TryGet(string name, out int code) => _codes.TryGetValue(name, out code);

    /// <summary>Each code's rank in ordinal order of the strings (the order every agreement key sorts in).</summary>
    public int[] OrdinalRanks()
    {
        var order = Enumerable.Range(0, _names.Count).ToArray();
        Array.Sort(order, (x, y) => string.CompareOrdinal(_names[x], _names[y]));
        var ranks = new int[order.Length];
        for (var r = 0; r < order.Length; r++)
        {
            ranks[order[r]] = r;
        }

        return ranks;
    }
}

/// <summary>
/// Pairwise labels as parallel integer arrays (question, model A, model B, rater, turn, winner), coded through a
/// <see cref="CodeBook"/>: what <c>judge agreement</c> computes on, about 21 bytes a label instead of a record with
/// strings. Built from <see cref="PairwiseLabel"/>s (<see cref="From"/>) or streamed from a file (<see cref="CodedLabelsReader"/>).
/// </summary>
internal sealed class CodedLabels
{
    private int[] _question;
    private int[] _modelA;
    private int[] _modelB;
    private int[] _rater;
    private int[] _turn;
    private byte[] _winner;

    public CodedLabels(CodeBook book, int capacity = 16)
    {
        Book = book;
        capacity = Math.Max(capacity, 16);
        _question = new int[capacity];
        _modelA = new int[capacity];
        _modelB = new int[capacity];
        _rater = new int[capacity];
        _turn = new int[capacity];
        _winner = new byte[capacity];
    }

    public CodeBook Book { get; }

    public int Count { get; private set; }

    public ReadOnlySpan<int> Question => _question.AsSpan(0, Count);

    public ReadOnlySpan<int> ModelA => _modelA.AsSpan(0, Count);

    public ReadOnlySpan<int> ModelB => _modelB.AsSpan(0, Count);

    public ReadOnlySpan<int> Rater => _rater.AsSpan(0, Count);

    public ReadOnlySpan<int> Turn => _turn.AsSpan(0, Count);

    public ReadOnlySpan<byte> Winner => _winner.AsSpan(0, Count);

    /// <summary>The labels coded through <paramref name="book"/>.</summary>
    public static CodedLabels From(IReadOnlyList<PairwiseLabel> labels, CodeBook book)
    {
        var coded = new CodedLabels(book, labels.Count);
        foreach (var l in labels)
        {
            coded.Add(book.Questions.Code(l.QuestionId), book.Models.Code(l.ModelA), book.Models.Code(l.ModelB), book.Raters.Code(l.Rater), l.Turn, l.Winner);
        }

        return coded;
    }

    public void Add(int question, int modelA, int modelB, int rater, int turn, PairOutcome winner)
    {
        if (Count == _question.Length)
        {
            var size = Count * 2;
            Array.Resize(ref _question, size);
            Array.Resize(ref _modelA, size);
            Array.Resize(ref _modelB, size);
            Array.Resize(ref _rater, size);
            Array.Resize(ref _turn, size);
            Array.Resize(ref _winner, size);
        }

        _question[Count] = question;
        _modelA[Count] = modelA;
        _modelB[Count] = modelB;
        _rater[Count] = rater;
        _turn[Count] = turn;
        _winner[Count] = (byte)winner;
        Count++;
    }

    /// <summary>Only the labels of rater <paramref name="rater"/>.</summary>
    public CodedLabels OfRater(int rater)
    {
        var kept = new CodedLabels(Book, Count);
        for (var i = 0; i < Count; i++)
        {
            if (_rater[i] == rater)
            {
                kept.Add(_question[i], _modelA[i], _modelB[i], rater, _turn[i], (PairOutcome)_winner[i]);
            }
        }

        return kept;
    }
}

/// <summary>
/// The streamed fast path of <see cref="VerdictImport"/> for the plain case: a JSONL file in MT-Bench's field names
/// (the default layout) where every record has a question, two different models, a turn and a verdict that parses,
/// no error and no repeat. Each line is read with a <see cref="Utf8JsonReader"/> straight into integer codes, with no
/// string or document per line. Anything else (CSV, a JSON array, a judgments file, another layout, a record that is
/// malformed, lacks a verdict, repeats or conflicts) gives <see langword="null"/>, and the caller reads the file with
/// <see cref="VerdictImport"/>, which reports the problem with its file and line or keeps the record with its status:
/// the fast path never decides what a record means differently from the detailed reader.
/// </summary>
internal static class CodedLabelsReader
{
    private static readonly byte[] QuestionId = "question_id"u8.ToArray();
    private static readonly byte[] ModelAName = "model_a"u8.ToArray();
    private static readonly byte[] ModelBName = "model_b"u8.ToArray();
    private static readonly byte[] WinnerName = "winner"u8.ToArray();
    private static readonly byte[] JudgeName = "judge"u8.ToArray();
    private static readonly byte[] TurnName = "turn"u8.ToArray();
    private static readonly byte[] ErrorName = "error"u8.ToArray();
    private static readonly byte[] TypeName = "type"u8.ToArray();

    /// <summary>The file's labels, or <see langword="null"/> when it is not the plain case (read it with <see cref="VerdictImport"/>).</summary>
    public static CodedLabels? TryRead(string path, PairwiseLayout? layout, CodeBook book)
    {
        if ((layout is not null && layout != PairwiseLayout.Default) || DataFiles.IsCsv(path) || !File.Exists(path))
        {
            return null;
        }

        var labels = new CodedLabels(book, 1024);
        var seen = new HashSet<(int, int, int, int, int)>();
        var outcomes = new List<(byte[] Raw, PairOutcome Outcome)>();
        var chars = new char[256];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            var filled = 0;
            var first = true;
            while (true)
            {
                var read = stream.Read(buffer, filled, buffer.Length - filled);
                filled += read;
                var span = buffer.AsSpan(0, filled);
                if (first && span.Length >= 3 && span[..3].SequenceEqual((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
                {
                    span[..3].Fill((byte)' ');
                }

                var start = 0;
                while (true)
                {
                    var end = span[start..].IndexOf((byte)'\n');
                    if (end < 0 && read > 0)
                    {
                        break;
                    }

                    var line = end < 0 ? span[start..] : span.Slice(start, end);
                    if (!line.Trim(" \t\r"u8).IsEmpty)
                    {
                        if (first && line.TrimStart(" \t\r"u8)[0] == (byte)'[')
                        {
                            return null;
                        }

                        first = false;
                        if (!TryReadLine(line, labels, seen, outcomes, ref chars))
                        {
                            return null;
                        }
                    }

                    if (end < 0)
                    {
                        return labels.Count > 0 ? labels : null;
                    }

                    start += end + 1;
                }

                // Keep the unfinished line; grow the buffer when one line fills it.
                var rest = filled - start;
                if (start == 0)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                else
                {
                    buffer.AsSpan(start, rest).CopyTo(buffer);
                }

                filled = rest;
                first = false;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool TryReadLine(ReadOnlySpan<byte> line, CodedLabels labels, HashSet<(int, int, int, int, int)> seen, List<(byte[] Raw, PairOutcome Outcome)> outcomes, ref char[] chars)
    {
        var book = labels.Book;
        int question = -1, modelA = -1, modelB = -1, judge = -1, turn = 1;
        PairOutcome? winner = null;
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader;
                if (!reader.Read())
                {
                    return false;
                }

                if (name.ValueTextEquals(QuestionId))
                {
                    question = reader.TokenType switch
                    {
                        JsonTokenType.String => Text(ref reader, book.Questions, ref chars),
                        JsonTokenType.Number => Number(ref reader, book.Questions, ref chars),
                        _ => -1,
                    };
                }
                else if (name.ValueTextEquals(ModelAName))
                {
                    modelA = reader.TokenType == JsonTokenType.String ? Text(ref reader, book.Models, ref chars) : -1;
                }
                else if (name.ValueTextEquals(ModelBName))
                {
                    modelB = reader.TokenType == JsonTokenType.String ? Text(ref reader, book.Models, ref chars) : -1;
                }
                else if (name.ValueTextEquals(JudgeName))
                {
                    // A judge written as a number or an array is named by the detailed reader ("1", "model/prompt"): leave it to it.
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                    {
                        return false;
                    }

                    judge = reader.TokenType == JsonTokenType.String ? Text(ref reader, book.Raters, ref chars, allowBlank: true) : -1;
                }
                else if (name.ValueTextEquals(TurnName))
                {
                    turn = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var t) && t >= 1 ? t : -1;
                }
                else if (name.ValueTextEquals(WinnerName))
                {
                    winner = reader.TokenType == JsonTokenType.String ? Outcome(ref reader, outcomes) : null;
                }
                else if (name.ValueTextEquals(ErrorName))
                {
                    if (reader.TokenType is not (JsonTokenType.Null or JsonTokenType.False) && !(reader.TokenType == JsonTokenType.String && reader.GetString()!.Trim().Length == 0))
                    {
                        return false;
                    }
                }
                else if (name.ValueTextEquals(TypeName) || !reader.TrySkip())
                {
                    return false;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }

        if (question < 0 || modelA < 0 || modelB < 0 || turn < 1 || winner is not { } w || modelA == modelB)
        {
            return false;
        }

        // A record without a judge field has the empty judge, as the detailed reader gives it.
        judge = judge < 0 ? book.Raters.Code(string.Empty) : judge;
        if (!seen.Add((judge, question, modelA, modelB, turn)))
        {
            return false;
        }

        labels.Add(question, modelA, modelB, judge, turn, w);
        return true;
    }

    private static int Text(ref Utf8JsonReader reader, StringCodes codes, ref char[] chars, bool allowBlank = false)
    {
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (chars.Length < length)
        {
            chars = new char[length * 2];
        }

        var n = reader.CopyString(chars);
        var text = chars.AsSpan(0, n);
        return allowBlank || !text.IsWhiteSpace() ? codes.Code(text) : -1;
    }

    private static int Number(ref Utf8JsonReader reader, StringCodes codes, ref char[] chars)
    {
        var raw = reader.ValueSpan;
        if (chars.Length < raw.Length)
        {
            chars = new char[raw.Length * 2];
        }

        var n = Encoding.UTF8.GetChars(raw, chars);
        return codes.Code(chars.AsSpan(0, n));
    }

    /// <summary>The outcome of a winner text, parsed once per distinct spelling by <see cref="VerdictText.TryParse"/>; <see langword="null"/> when it is no verdict (or "error").</summary>
    private static PairOutcome? Outcome(ref Utf8JsonReader reader, List<(byte[] Raw, PairOutcome Outcome)> outcomes)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            foreach (var (raw, outcome) in outcomes)
            {
                if (reader.ValueSpan.SequenceEqual(raw))
                {
                    return outcome;
                }
            }
        }

        var text = reader.GetString()!;
        if (text.Trim().Equals("error", StringComparison.OrdinalIgnoreCase) || VerdictText.TryParse(text) is not { } parsed)
        {
            return null;
        }

        if (!reader.ValueIsEscaped && !reader.HasValueSequence && outcomes.Count < 32)
        {
            outcomes.Add((reader.ValueSpan.ToArray(), parsed.Winner));
        }

        return parsed.Winner;
    }
}

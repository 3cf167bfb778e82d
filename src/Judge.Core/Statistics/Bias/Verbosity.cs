using System.Globalization;
using System.Text;
using System.Text.Json;
using Judge.Data;

namespace Judge.Statistics.Bias;

/// <summary>
/// The verbosity attack set (Zheng et al. 2023 §3.3 "repetitive list" attack, generalised): each
/// answer paired with a padded copy of itself that says nothing new. A fair judge prefers the
/// original or calls a tie; every win of the padded copy is verbosity bias. Thread-safe.
/// </summary>
public static class VerbositySet
{
    /// <summary>The suffix of a padded model's id: <c>gpt-4</c> becomes <c>gpt-4-padded</c>.</summary>
    public const string PaddedSuffix = "-padded";

    /// <summary>
    /// Pads one answer: the original text unchanged, then content that restates it: the answer
    /// repeated, a "to summarise" restatement of its first sentences, or its sentences again in a
    /// shuffled order, chosen by <paramref name="random"/>. The result always starts with the
    /// original and is strictly longer.
    /// </summary>
    public static string Pad(string answer, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var sentences = Sentences(answer);
        var padding = random.Next(3) switch
        {
            0 => "\n\nTo repeat the answer in full for clarity:\n\n" + answer,
            1 => "\n\nTo summarize the key points above: " + string.Join(" ", sentences.Take(3)) + " I hope this detailed explanation is thorough and helpful.",
            _ => "\n\nIn other words: " + string.Join(" ", sentences.OrderBy(_ => random.Next())),
        };
        return answer + padding;
    }

    /// <summary>
    /// Pads every answer. Each answer's padding comes from <c>new Random</c> seeded by
    /// <paramref name="seed"/> and a stable hash of (question, model), so the result depends on the
    /// seed and the answer, not on the order the answers come in.
    /// </summary>
    public static IReadOnlyList<ModelAnswer> PadAll(IEnumerable<ModelAnswer> answers, int seed) =>
        answers.Select(a =>
        {
            var random = new Random(seed ^ StableHash(a.QuestionId + "\u0000" + a.ModelId));
            return new ModelAnswer(a.QuestionId, a.ModelId + PaddedSuffix, a.Turns.Select(t => Pad(t, random)).ToArray());
        }).ToArray();

    /// <summary>
    /// Writes the set into <paramref name="directory"/>: <c>question.jsonl</c> (the questions that have
    /// answers) and, per model, <c>model_answer/MODEL.jsonl</c> and <c>model_answer/MODEL-padded.jsonl</c>,
    /// all in MT-Bench's format. Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> Write(string directory, IReadOnlyList<Question> questions, IReadOnlyList<ModelAnswer> answers, int seed)
    {
        var answered = answers.Select(a => a.QuestionId).ToHashSet(StringComparer.Ordinal);
        var folder = Path.Combine(directory, "model_answer");
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        var questionFile = Path.Combine(directory, "question.jsonl");
        WriteLines(questionFile, questions.Where(q => answered.Contains(q.Id)), (w, q) =>
        {
            WriteId(w, q.Id);
            w.WriteString("category", q.Category);
            WriteTurns(w, "turns", q.Turns);
        });
        written.Add(questionFile);
        var padded = PadAll(answers, seed);
        foreach (var group in answers.Concat(padded).GroupBy(a => a.ModelId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var path = Path.Combine(folder, SafeFileName(group.Key) + ".jsonl");
            WriteLines(path, group, (w, a) =>
            {
                WriteId(w, a.QuestionId);
                w.WriteString("model_id", a.ModelId);
                w.WriteStartArray("choices");
                w.WriteStartObject();
                w.WriteNumber("index", 0);
                WriteTurns(w, "turns", a.Turns);
                w.WriteEndObject();
                w.WriteEndArray();
            });
            written.Add(path);
        }

        return written;
    }

    internal static int StableHash(string text)
    {
        // FNV-1a: string.GetHashCode is randomised per process and would break reproducibility.
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)hash;
    }

    private static List<string> Sentences(string text)
    {
        var sentences = new List<string>();
        var current = new StringBuilder();
        foreach (var c in text)
        {
            current.Append(c is '\n' or '\r' ? ' ' : c);
            if (c is '.' or '!' or '?' or '\n')
            {
                var s = current.ToString().Trim();
                if (s.Length > 1)
                {
                    sentences.Add(s);
                }

                current.Clear();
            }
        }

        var rest = current.ToString().Trim();
        if (rest.Length > 0)
        {
            sentences.Add(rest);
        }

        return sentences.Count == 0 ? [text] : sentences;
    }

    private static string SafeFileName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        return new string(name.Select(c => invalid.Contains(c) ? '_' : c).ToArray());
    }

    private static void WriteId(Utf8JsonWriter w, string id)
    {
        if (int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n.ToString(CultureInfo.InvariantCulture) == id)
        {
            w.WriteNumber("question_id", n);
        }
        else
        {
            w.WriteString("question_id", id);
        }
    }

    private static void WriteTurns(Utf8JsonWriter w, string name, IReadOnlyList<string> turns)
    {
        w.WriteStartArray(name);
        foreach (var t in turns)
        {
            w.WriteStringValue(t);
        }

        w.WriteEndArray();
    }

    private static void WriteLines<T>(string path, IEnumerable<T> items, Action<Utf8JsonWriter, T> write)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        var options = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        foreach (var item in items)
        {
            using (var w = new Utf8JsonWriter(stream, options))
            {
                w.WriteStartObject();
                write(w, item);
                w.WriteEndObject();
            }

            stream.WriteByte((byte)'\n');
        }
    }
}

/// <summary>How a judge treated one model's answers against their padded copies.</summary>
/// <param name="Model">The original model (without the suffix); <c>all</c> for the total row.</param>
/// <param name="Pairs">Verdicts on (original, padded) pairs.</param>
/// <param name="PaddedWins">Verdicts for the padded copy.</param>
/// <param name="OriginalWins">Verdicts for the original.</param>
/// <param name="Ties">Consistent ties.</param>
/// <param name="InconsistentTies">Ties because the two orders disagreed.</param>
public sealed record VerbosityCounts(string Model, int Pairs, int PaddedWins, int OriginalWins, int Ties, int InconsistentTies)
{
    /// <summary>PaddedWins / pairs; <see langword="null"/> with none.</summary>
    public double? PaddedWinRate => Pairs == 0 ? null : (double)PaddedWins / Pairs;
}

/// <summary>Reads verdicts over a verbosity set (see <see cref="VerbositySet"/>). Pure and thread-safe.</summary>
internal static class VerbosityAnalysis
{
    /// <summary>
    /// Counts verdicts on pairs of a model and its padded copy (other pairs are ignored), per model
    /// and in total (the last row, model <c>all</c>). Empty when no such pair was judged.
    /// </summary>
    public static IReadOnlyList<VerbosityCounts> Analyze(IEnumerable<PairwiseLabel> labels)
    {
        var tally = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var l in labels)
        {
            bool aPadded;
            string original;
            if (string.Equals(l.ModelA + VerbositySet.PaddedSuffix, l.ModelB, StringComparison.Ordinal))
            {
                aPadded = false;
                original = l.ModelA;
            }
            else if (string.Equals(l.ModelB + VerbositySet.PaddedSuffix, l.ModelA, StringComparison.Ordinal))
            {
                aPadded = true;
                original = l.ModelB;
            }
            else
            {
                continue;
            }

            if (!tally.TryGetValue(original, out var t))
            {
                tally[original] = t = new int[4];
            }

            switch (l.Winner)
            {
                case PairOutcome.A:
                    t[aPadded ? 0 : 1]++;
                    break;
                case PairOutcome.B:
                    t[aPadded ? 1 : 0]++;
                    break;
                case PairOutcome.Tie:
                    t[2]++;
                    break;
                default:
                    t[3]++;
                    break;
            }
        }

        if (tally.Count == 0)
        {
            return [];
        }

        var rows = tally.Select(kv => new VerbosityCounts(kv.Key, kv.Value.Sum(), kv.Value[0], kv.Value[1], kv.Value[2], kv.Value[3])).ToList();
        rows.Add(new VerbosityCounts("all", rows.Sum(r => r.Pairs), rows.Sum(r => r.PaddedWins), rows.Sum(r => r.OriginalWins), rows.Sum(r => r.Ties), rows.Sum(r => r.InconsistentTies)));
        return rows;
    }
}

using System.Globalization;
using System.Text.Json;
using Judge.Data;

namespace Judge.Statistics;

/// <summary>Reads a JSON file whose root is an array of objects (through <see cref="Jsonl.ReadLines"/>), with errors that name file, line, item and field.</summary>
internal static class JsonArrayFile
{
    public static List<T> Read<T>(string path, Func<Item, T> read)
    {
        var results = new List<T>();
        var i = 0;
        foreach (var (line, text) in Jsonl.ReadLines(path))
        {
            using var doc = Jsonl.Parse(path, line, text);
            results.Add(read(new Item(path, line, i, doc.RootElement)));
            i++;
        }

        return results;
    }

    internal readonly record struct Item(string Path, int Line, int Index, JsonElement Root)
    {
        public InputException Error(string field, string problem) => new(Path, Line, $"[{Index}].{field}", problem);

        public JsonElement Required(string field) =>
            Root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? v : throw Error(field, "is missing");

        /// <summary>A string, or a number written as its invariant text (these files mix the two for ids and labels).</summary>
        public string Text(string field)
        {
            var v = Required(field);
            return v.ValueKind switch
            {
                JsonValueKind.String => v.GetString()!,
                JsonValueKind.Number => v.GetRawText(),
                _ => throw Error(field, $"expected a string or number, found {v.ValueKind}"),
            };
        }

        public string OptionalText(string field) =>
            Root.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;

        public int Int(string field)
        {
            var text = Text(field);
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw Error(field, $"expected an integer, found '{text}'");
        }
    }
}

/// <summary>One PandaLM test item with its three human labels (0 tie, 1 response1 better, 2 response2 better).</summary>
/// <param name="Index">The item's <c>idx</c>.</param>
/// <param name="CompareKey">The <c>cmp_key</c> naming the two models compared (e.g. <c>bloom-7b_llama-7b</c>).</param>
/// <param name="Annotators">annotator1..3 in order.</param>
public sealed record PandaLmItem(int Index, string CompareKey, IReadOnlyList<int> Annotators)
{
    /// <summary>The label at least two of the three annotators gave; <see langword="null"/> when all three differ.</summary>
    public int? Majority => PandaLm.Majority(Annotators);
}

/// <summary>A judge's verdict on a PandaLM item as written, and the label read from it.</summary>
/// <param name="Index">The item's <c>idx</c>.</param>
/// <param name="Raw">The verdict text (<c>gpt_result</c>).</param>
/// <param name="Label">0 tie, 1 or 2; <see langword="null"/> when the text is none of "1", "2", "Tie" (e.g. "garbage").</param>
public sealed record PandaLmVerdict(int Index, string Raw, int? Label);

/// <summary>A judge against the PandaLM annotators' majority; unparsable verdicts are counted, not dropped.</summary>
/// <param name="Items">Test items.</param>
/// <param name="Agree">Items whose parsed verdict equals the majority label.</param>
/// <param name="Unparsable">Items whose verdict could not be read.</param>
/// <param name="NoMajority">Items whose three annotators all differ (no reference label); left out of both totals.</param>
/// <param name="MissingVerdicts">Items with no verdict at all in the judge's file; counted as wrong, like unparsable ones.</param>
public sealed record PandaLmAgreement(int Items, int Agree, int Unparsable, int NoMajority, int MissingVerdicts)
{
    /// <summary>Agreement over every item with a majority, an unparsable or missing verdict counting as wrong.</summary>
    public AgreementCount CountingUnparsableAsWrong => new(Agree, Items - NoMajority);

    /// <summary>Agreement over the items with a majority and a parsed verdict.</summary>
    public AgreementCount ExcludingUnparsable => new(Agree, Items - NoMajority - Unparsable - MissingVerdicts);
}

/// <summary>Readers and agreement for the PandaLM test set (<c>testset-v1.json</c> and a judge's result file). Thread-safe.</summary>
public static class PandaLm
{
    /// <summary>Reads <c>testset-v1.json</c>: <c>idx</c>, <c>cmp_key</c>, <c>annotator1..3</c> (0, 1 or 2, as numbers or strings).</summary>
    /// <exception cref="InputException">The file is missing, malformed, or a label is not 0, 1 or 2.</exception>
    public static List<PandaLmItem> ReadTestSet(string path) => JsonArrayFile.Read(path, item =>
    {
        var labels = new int[3];
        for (var a = 0; a < 3; a++)
        {
            var field = $"annotator{a + 1}";
            labels[a] = item.Int(field) is var v and >= 0 and <= 2 ? v : throw item.Error(field, $"expected 0, 1 or 2, found {item.Text(field)}");
        }

        return new PandaLmItem(item.Int("idx"), item.OptionalText("cmp_key"), labels);
    });

    /// <summary>
    /// Reads a judge's results (e.g. <c>gpt-3.5-turbo-testset-v1.json</c>): <c>idx</c> and <c>gpt_result</c>.
    /// "1" and "2" name the better response, "Tie" (any case) a tie; anything else is kept as an
    /// unparsable verdict with its raw text.
    /// </summary>
    public static List<PandaLmVerdict> ReadVerdicts(string path, string field = "gpt_result") => JsonArrayFile.Read(path, item =>
    {
        var raw = item.Text(field);
        return new PandaLmVerdict(item.Int("idx"), raw, ParseLabel(raw));
    });

    /// <summary>0 for "tie", 1 or 2 for "1" / "2"; <see langword="null"/> otherwise.</summary>
    public static int? ParseLabel(string raw) => raw.Trim() switch
    {
        "1" => 1,
        "2" => 2,
        var t when t.Equals("tie", StringComparison.OrdinalIgnoreCase) || t == "0" => 0,
        _ => null,
    };

    /// <summary>The label given by a strict majority of the labels; <see langword="null"/> when none has one.</summary>
    public static int? Majority(IReadOnlyList<int> labels)
    {
        foreach (var candidate in labels.Distinct())
        {
            if (labels.Count(l => l == candidate) * 2 > labels.Count)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Compares verdicts with the annotators' majority, matching by <c>idx</c>.</summary>
    /// <exception cref="InputException">Two verdicts share an idx.</exception>
    public static PandaLmAgreement AgreementWithMajority(IReadOnlyList<PandaLmItem> items, IReadOnlyList<PandaLmVerdict> verdicts)
    {
        var byIndex = new Dictionary<int, PandaLmVerdict>();
        foreach (var v in verdicts)
        {
            if (!byIndex.TryAdd(v.Index, v))
            {
                throw new InputException(null, null, "idx", $"two verdicts for item {v.Index}");
            }
        }

        int agree = 0, unparsable = 0, noMajority = 0, missing = 0;
        foreach (var item in items)
        {
            if (item.Majority is not int majority)
            {
                noMajority++;
            }
            else if (!byIndex.TryGetValue(item.Index, out var verdict))
            {
                missing++;
            }
            else if (verdict.Label is not int label)
            {
                unparsable++;
            }
            else if (label == majority)
            {
                agree++;
            }
        }

        return new PandaLmAgreement(items.Count, agree, unparsable, noMajority, missing);
    }

    /// <summary>The annotators' labels as rows for <see cref="Kappa.FleissFromLabels"/> (3 categories) or Krippendorff's alpha.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> AnnotatorLabels(IReadOnlyList<PandaLmItem> items) =>
        items.Select(i => i.Annotators).ToArray();

    /// <summary>The three annotators among themselves: Fleiss' kappa (3 categories) and Krippendorff's alpha (nominal).</summary>
    public static PandaLmAnnotatorAgreement AnnotatorAgreement(IReadOnlyList<PandaLmItem> items)
    {
        var labels = AnnotatorLabels(items);
        var units = labels.Select(row => (IReadOnlyList<int?>)row.Select(l => (int?)l).ToList()).ToList();
        return new PandaLmAnnotatorAgreement(Kappa.FleissFromLabels(labels, 3), Krippendorff.Alpha(units, MeasurementLevel.Nominal));
    }
}

/// <summary>How far the PandaLM annotators agree among themselves.</summary>
/// <param name="FleissKappa">Fleiss' kappa over the three labels of each item (3 categories).</param>
/// <param name="KrippendorffAlpha">Krippendorff's alpha, nominal.</param>
public sealed record PandaLmAnnotatorAgreement(double FleissKappa, double KrippendorffAlpha);

/// <summary>One Prometheus evaluation item: a graded response and GPT-4's repeated 1-5 scores.</summary>
/// <param name="Index">The item's <c>idx</c> (the question; each is answered by several models).</param>
/// <param name="ResponseSource">The model that wrote the response.</param>
/// <param name="Category">The question category, or empty.</param>
/// <param name="Gpt4Scores">GPT-4's scores, one per run, in file order.</param>
public sealed record PrometheusItem(string Index, string ResponseSource, string Category, IReadOnlyList<double> Gpt4Scores)
{
    /// <summary>The mean of GPT-4's scores; <see langword="null"/> when there are none.</summary>
    public double? Gpt4Mean => Gpt4Scores.Count == 0 ? null : Gpt4Scores.Average();
}

/// <summary>The correlation of two of GPT-4's scoring runs over the same items.</summary>
/// <param name="RunA">The first run (0-based position in <c>gpt4_score</c>).</param>
/// <param name="RunB">The second run.</param>
/// <param name="Correlation">Pearson, Spearman and Kendall between them.</param>
public sealed record RunCorrelation(int RunA, int RunB, CorrelationSummary Correlation);

/// <summary>A judge's scores correlated with reference scores, with the items it left unscored counted.</summary>
/// <param name="Correlation">Pearson, Spearman and Kendall over the scored items.</param>
/// <param name="Unscored">Items without a usable score, left out of the correlation.</param>
public sealed record ScoreCorrelation(CorrelationSummary Correlation, int Unscored);

/// <summary>Reader and correlations for the Prometheus evaluation files (<c>mt_bench_eval.json</c>, <c>vicuna_eval.json</c>). Thread-safe.</summary>
public static class Prometheus
{
    /// <summary>
    /// Reads <c>idx</c>, <c>response_source</c>, <c>category</c> and <c>gpt4_score</c> (an array of
    /// numbers, or that array written as a string).
    /// </summary>
    /// <exception cref="InputException">The file is missing or malformed, or a score is not a number.</exception>
    public static List<PrometheusItem> Read(string path) => JsonArrayFile.Read(path, item =>
    {
        var scores = item.Required("gpt4_score");
        if (scores.ValueKind == JsonValueKind.String)
        {
            try
            {
                using var inner = JsonDocument.Parse(scores.GetString()!);
                return Build(item, inner.RootElement.Clone());
            }
            catch (JsonException ex)
            {
                throw new InputException(item.Path, null, $"[{item.Index}].gpt4_score", $"is a string that is not a JSON array ({ex.Message})", ex);
            }
        }

        return Build(item, scores);
    });

    /// <summary>
    /// Correlations between every two of GPT-4's runs over the items that have both (how consistent
    /// GPT-4 is with itself when asked again).
    /// </summary>
    public static IReadOnlyList<RunCorrelation> RunCorrelations(IReadOnlyList<PrometheusItem> items)
    {
        var runs = items.Count == 0 ? 0 : items.Max(i => i.Gpt4Scores.Count);
        var result = new List<RunCorrelation>();
        for (var a = 0; a < runs; a++)
        {
            for (var b = a + 1; b < runs; b++)
            {
                var both = items.Where(i => i.Gpt4Scores.Count > b).ToArray();
                result.Add(new RunCorrelation(a, b, Correlation.Summarize(both.Select(i => i.Gpt4Scores[a]).ToArray(), both.Select(i => i.Gpt4Scores[b]).ToArray())));
            }
        }

        return result;
    }

    /// <summary>
    /// Correlates a judge's scores (one per item, in the items' order; <see langword="null"/> where the
    /// judge gave no usable score) with GPT-4's mean score. Items without a judge score are left out of
    /// the correlation and counted in <see cref="ScoreCorrelation.Unscored"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The score list and the item list differ in length.</exception>
    public static ScoreCorrelation AgainstGpt4Mean(IReadOnlyList<PrometheusItem> items, IReadOnlyList<double?> judgeScores)
    {
        if (items.Count != judgeScores.Count)
        {
            throw new ArgumentException($"{judgeScores.Count} scores for {items.Count} items", nameof(judgeScores));
        }

        var judge = new List<double>();
        var reference = new List<double>();
        var unscored = 0;
        for (var i = 0; i < items.Count; i++)
        {
            if (judgeScores[i] is double s && items[i].Gpt4Mean is double m)
            {
                judge.Add(s);
                reference.Add(m);
            }
            else
            {
                unscored++;
            }
        }

        return new ScoreCorrelation(Correlation.Summarize(judge, reference), unscored);
    }

    private static PrometheusItem Build(JsonArrayFile.Item item, JsonElement scores)
    {
        if (scores.ValueKind != JsonValueKind.Array)
        {
            throw item.Error("gpt4_score", $"expected an array of scores, found {scores.ValueKind}");
        }

        var list = new List<double>();
        foreach (var s in scores.EnumerateArray())
        {
            list.Add(s.ValueKind == JsonValueKind.Number ? s.GetDouble() : throw item.Error("gpt4_score", $"expected numbers, found {s.ValueKind}"));
        }

        return new PrometheusItem(item.Text("idx"), item.OptionalText("response_source"), item.OptionalText("category"), list);
    }
}

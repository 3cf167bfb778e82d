using System.Globalization;
using System.Text.Json;

namespace Judge.Data;

/// <summary>
/// Parses <c>key=value,key=value</c> field maps: the one syntax of the CSV column map
/// (<see cref="CsvColumnMap"/>) and the pairwise verdict map (<see cref="PairwiseLayout"/>).
/// </summary>
internal static class FieldMapSpec
{
    /// <summary>The entries of <paramref name="spec"/> in order; an entry that is not <c>key=value</c>, or names a key <paramref name="isKnown"/> refuses, is an <see cref="InputException"/> naming it and <paramref name="allowed"/>.</summary>
    public static List<(string Key, string Value)> Parse(string? spec, string what, Func<string, bool> isKnown, string allowed)
    {
        var entries = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(spec))
        {
            return entries;
        }

        foreach (var part in SplitTopLevel(spec))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == part.Length - 1)
            {
                throw new InputException(null, null, null, $"{what} entry '{part}' is not of the form field=Column");
            }

            var key = part[..eq].Trim();
            if (!isKnown(key))
            {
                throw new InputException(null, null, null, $"{what} names unknown field '{key}'; known: {allowed}");
            }

            entries.Add((key, part[(eq + 1)..].Trim()));
        }

        return entries;
    }

    /// <summary>The comma-separated parts of <paramref name="spec"/>, trimmed, empty ones dropped; commas inside <c>{…}</c> (a value recoding) do not split.</summary>
    internal static List<string> SplitTopLevel(string spec)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i <= spec.Length; i++)
        {
            if (i < spec.Length)
            {
                depth += spec[i] switch { '{' => 1, '}' => -1, _ => 0 };
                if (spec[i] != ',' || depth > 0)
                {
                    continue;
                }
            }

            var part = spec[start..i].Trim();
            if (part.Length > 0)
            {
                parts.Add(part);
            }

            start = i + 1;
        }

        return parts;
    }
}

/// <summary>Whether a verdict names the item's models or the positions the answers were shown in.</summary>
internal enum VerdictOrientation
{
    /// <summary>A, 1, model_a, first … mean the item's model A whatever the presentation order. The default.</summary>
    Model,

    /// <summary>A, 1, first … mean the answer shown first (Arena-Hard's games, LLMBar's per-order outputs).</summary>
    Position,
}

/// <summary>
/// Where each of Judge's pairwise fields is found in a published verdict or label file (JSONL or one
/// JSON array): a field map such as <c>winner=label,question_id=idx</c>, optionally starting from a
/// named layout (<see cref="Names"/>) whose entries it overrides. A source is a field name, a path
/// (<c>games[1].score</c>, <c>a.b</c>, <c>results[-1]</c> or <c>results[last]</c> for a list's last element),
/// <c>#index</c> (the record's 0-based position in the file), or a quoted literal (<c>'gpt-4-0314'</c>);
/// <c>a??b</c> takes the first that resolves, and a path may end with a value recoding
/// (<c>output{0:A,1:B,2:tie}</c>). Several winner sources joined by <c>|</c>
/// (<c>winner=annotator1|annotator2</c>) give one vote per source, the rater being the source's
/// name. Immutable once parsed; thread-safe.
/// </summary>
public sealed class PairwiseLayout
{
    private readonly Dictionary<string, string> _fields;

    private PairwiseLayout(string name, Dictionary<string, string> fields, VerdictOrientation orientation, IReadOnlySet<string> mapped)
    {
        Name = name;
        _fields = fields;
        Orientation = orientation;
        CheckedFields = fields.Keys.Where(k => mapped.Contains(k) || VerdictSources.Contains(k)).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// The fields whose sources must resolve in at least one record of a file (else the map is wrong and
    /// reading stops, naming the field): every field the user's map names and every verdict source.
    /// </summary>
    internal IReadOnlyList<string> CheckedFields { get; }

    /// <summary>
    /// The fields a map may name: <c>question_id</c>, <c>model_a</c>, <c>model_b</c>, <c>judge</c>,
    /// <c>turn</c>, <c>winner</c>, <c>order</c> (<c>AB</c>/<c>BA</c>: one record per presentation
    /// order), <c>winner_ab</c> and <c>winner_ba</c> (both orders' verdicts in one record), <c>p_second</c>
    /// (probability the second answer wins), <c>preference</c> (AlpacaEval's 1..2, p = preference − 1),
    /// <c>p_second_ab</c>/<c>p_second_ba</c>, <c>error</c> (non-empty: the verdict failed), <c>answer_a</c>
    /// and <c>answer_b</c> (the answers' texts, for length and style, turn 1), and
    /// <c>orient</c> (<c>model</c> or <c>position</c>, a setting rather than a field).
    /// </summary>
    public static IReadOnlyList<string> KnownFields { get; } =
        ["question_id", "model_a", "model_b", "judge", "turn", "winner", "order", "winner_ab", "winner_ba", "p_second", "preference", "p_second_ab", "p_second_ba", "error", "answer_a", "answer_b", "orient"];

    /// <summary>The named layouts: <c>mt-bench</c>, <c>fastchat-pair</c>, <c>llmbar</c>, <c>alpaca-eval</c>, <c>pandalm</c>, <c>pandalm-human</c>, <c>arena-hard</c>.</summary>
    public static IReadOnlyList<string> Names => Layouts.Keys.ToArray();

    private static readonly Dictionary<string, string> Layouts = new(StringComparer.OrdinalIgnoreCase)
    {
        // MT-Bench's gpt4_pair_judgments.jsonl / human_judgments.jsonl (checked against the files).
        ["mt-bench"] = "question_id=question_id,model_a=model_a,model_b=model_b,judge=judge,turn=turn,winner=winner,error=error",

        // FastChat's raw pair judgments (gen_judgment.py): g1 shows model_1 first, g2 model_2 first; both winners name models.
        ["fastchat-pair"] = "question_id=question_id,model_a=model_1,model_b=model_2,judge=judge,turn=turn,winner_ab=g1_winner,winner_ba=g2_winner",

        // LLMBar's dataset.json: no ids (the position is the id), label 1 or 2 names the better output.
        ["llmbar"] = "question_id=#index,model_a='output_1',model_b='output_2',winner=label,judge='llmbar',answer_a=output_1,answer_b=output_2",

        // AlpacaEval's annotations.json: preference in [1, 2] (1: output_1 better), null when the annotator failed.
        ["alpaca-eval"] = "question_id=instruction,model_a=generator_1,model_b=generator_2,judge=annotator,preference=preference,answer_a=output_1,answer_b=output_2",

        // PandaLM's judge results (gpt-3.5-turbo-testset-v1.json): "1", "2", "Tie"; other text is unparsed (checked against the file).
        // No judge field: each file is named by its file name, so several judges' files stay apart.
        ["pandalm"] = "question_id=idx,model_a='response1',model_b='response2',winner=gpt_result",

        // PandaLM's testset-v1.json: three annotators per item, one vote each (0 tie, 1, 2; checked against the file).
        ["pandalm-human"] = "question_id=idx,model_a='response1',model_b='response2',winner=annotator1|annotator2|annotator3,answer_a=response1,answer_b=response2",

        // Arena-Hard-Auto's model_judgment/<judge>/<model>.jsonl, both shapes (checked against gen_judgment.py and show_result.py of
        // lmarena/arena-hard-auto): v0.1 names the question question_id and fixes the baseline (gpt-4-0314); v2.0 names it uid and
        // writes the baseline in each record. Game 1 shows the baseline first, game 2 the model; scores by position.
        ["arena-hard"] = "question_id=uid??question_id,model_a=baseline??'gpt-4-0314',model_b=model,judge=judge,winner_ab=games[0].score,winner_ba=games[1].score,orient=position",
    };

    private static readonly string[] VerdictSources = ["winner", "order", "winner_ab", "winner_ba", "p_second", "preference", "p_second_ab", "p_second_ba"];

    /// <summary>The identity layout: MT-Bench's own field names.</summary>
    public static PairwiseLayout Default { get; } = Named("mt-bench");

    /// <summary>The layout's name: a named layout, <c>custom</c>, or <c>NAME+map</c>.</summary>
    public string Name { get; }

    /// <summary>How verdicts are oriented (<see cref="VerdictOrientation"/>).</summary>
    internal VerdictOrientation Orientation { get; }

    /// <summary>The mapped fields, field to source.</summary>
    public IReadOnlyDictionary<string, string> Fields => _fields;

    /// <summary>Whether the layout holds one record per order, or both orders in one record.</summary>
    public bool IsPerOrder => _fields.ContainsKey("order") || _fields.ContainsKey("winner_ab") || _fields.ContainsKey("winner_ba");

    /// <summary>A named layout.</summary>
    /// <exception cref="InputException">No layout has that name (the message lists them).</exception>
    public static PairwiseLayout Named(string name) =>
        Layouts.TryGetValue(name, out var spec)
            ? Build(name.ToLowerInvariant(), null, spec)
            : throw new InputException(null, null, "layout", $"unknown layout '{name}'; known: {string.Join(", ", Layouts.Keys)}");

    /// <summary>
    /// The layout <paramref name="layout"/> (default <c>mt-bench</c>) with the entries of
    /// <paramref name="map"/> (<c>field=source,…</c>) replacing its own.
    /// </summary>
    /// <exception cref="InputException">An unknown layout, field or orientation (the message names it and lists the allowed ones).</exception>
    public static PairwiseLayout Parse(string? layout, string? map)
    {
        if (string.IsNullOrWhiteSpace(map))
        {
            return string.IsNullOrWhiteSpace(layout) ? Default : Named(layout);
        }

        var baseName = string.IsNullOrWhiteSpace(layout) ? "mt-bench" : layout;
        var baseSpec = Layouts.TryGetValue(baseName, out var s) ? s : throw new InputException(null, null, "layout", $"unknown layout '{baseName}'; known: {string.Join(", ", Layouts.Keys)}");
        return Build(string.IsNullOrWhiteSpace(layout) ? "custom" : $"{layout.ToLowerInvariant()}+map", baseSpec, map);
    }

    private static PairwiseLayout Build(string name, string? baseSpec, string spec)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        bool Known(string key) => KnownFields.Contains(key, StringComparer.Ordinal);
        foreach (var (key, value) in FieldMapSpec.Parse(baseSpec, "layout", Known, string.Join(", ", KnownFields)))
        {
            fields[key] = value;
        }

        var user = FieldMapSpec.Parse(spec, "verdict map", Known, string.Join(", ", KnownFields));
        if (user.Any(e => VerdictSources.Contains(e.Key)))
        {
            // A map that says where verdicts are replaces every way the base layout had of reading them.
            foreach (var key in VerdictSources)
            {
                fields.Remove(key);
            }
        }

        foreach (var (key, value) in user)
        {
            fields[key] = value;
        }

        var orientation = VerdictOrientation.Model;
        if (fields.Remove("orient", out var orient))
        {
            orientation = orient.ToLowerInvariant() switch
            {
                "model" => VerdictOrientation.Model,
                "position" => VerdictOrientation.Position,
                _ => throw new InputException(null, null, "orient", $"'{orient}' is not one of model, position"),
            };
        }

        if (fields.ContainsKey("order") && (fields.ContainsKey("winner_ab") || fields.ContainsKey("winner_ba")))
        {
            throw new InputException(null, null, "order", "a layout has either order (one record per order) or winner_ab/winner_ba (both orders in one record), not both");
        }

        if (!fields.ContainsKey("winner") && !fields.ContainsKey("winner_ab") && !fields.ContainsKey("winner_ba") && !fields.ContainsKey("preference") && !fields.ContainsKey("p_second"))
        {
            throw new InputException(null, null, "winner", "the map gives no verdict: map winner, winner_ab/winner_ba, preference or p_second");
        }

        foreach (var (key, value) in fields)
        {
            foreach (var source in key == "winner" ? value.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [value])
            {
                MapSource.Parse(key, source);
            }
        }

        return new PairwiseLayout(name, fields, orientation, baseSpec is null ? new HashSet<string>() : user.Select(e => e.Key).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>The source of <paramref name="field"/>, or <see langword="null"/> when unmapped.</summary>
    public string? Source(string field) => _fields.GetValueOrDefault(field);

    /// <summary>
    /// The value at <paramref name="source"/> in <paramref name="root"/>: a literal or <c>#index</c> as a
    /// string element, a path's element (recoded when the source carries <c>{from:to,…}</c>), the first
    /// alternative of <c>a??b</c> that resolves, or <see langword="null"/> when the path leads nowhere.
    /// </summary>
    internal static JsonElement? Resolve(JsonElement root, string source, int index) =>
        MapSource.Parse(null, source).Resolve(root, index);
}

/// <summary>
/// One parsed map source: alternatives (<c>uid??question_id</c>) tried in order, each a quoted literal,
/// <c>#index</c>, or a path (<c>a.b</c>, <c>games[1].score</c>, <c>results[-1]</c> or <c>results[last]</c> for the last
/// element) with an optional value recoding <c>{0:A,1:B,2:tie}</c> applied to the value's text (a value not listed
/// is kept as written). Parsed once per source text and cached; immutable, thread-safe.
/// </summary>
internal sealed class MapSource
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, MapSource> Cache = new(StringComparer.Ordinal);

    private readonly (string? Literal, bool Index, (string Name, int[] Indexes)[] Path, Dictionary<string, string>? Recode)[] _alternatives;

    private MapSource((string?, bool, (string, int[])[], Dictionary<string, string>?)[] alternatives) => _alternatives = alternatives;

    /// <summary>The parsed <paramref name="source"/>.</summary>
    /// <exception cref="InputException">A malformed index or recoding, naming <paramref name="field"/>.</exception>
    public static MapSource Parse(string? field, string source)
    {
        if (Cache.TryGetValue(source, out var cached))
        {
            return cached;
        }

        var alternatives = source.Split("??", StringSplitOptions.TrimEntries).Select(a => Alternative(field, source, a)).ToArray();
        return Cache[source] = new MapSource(alternatives);
    }

    private static (string?, bool, (string, int[])[], Dictionary<string, string>?) Alternative(string? field, string source, string text)
    {
        InputException Bad(string problem) => new(null, null, field, $"source '{source}': {problem}");
        if (text.Length >= 2 && text[0] == '\'' && text[^1] == '\'')
        {
            return (text[1..^1], false, [], null);
        }

        if (text == "#index")
        {
            return (null, true, [], null);
        }

        Dictionary<string, string>? recode = null;
        var brace = text.IndexOf('{', StringComparison.Ordinal);
        if (brace >= 0)
        {
            if (!text.EndsWith('}'))
            {
                throw Bad("a value recoding is {from:to,…} at the end of the source");
            }

            recode = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in text[(brace + 1)..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0 || colon == pair.Length - 1 || !recode.TryAdd(pair[..colon].Trim(), pair[(colon + 1)..].Trim()))
                {
                    throw Bad($"'{pair}' in the recoding is not from:to (each value once)");
                }
            }

            text = text[..brace].Trim();
        }

        var path = new List<(string, int[])>();
        foreach (var segment in text.Split('.'))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            var indexes = new List<int>();
            if (bracket >= 0)
            {
                foreach (var part in segment[bracket..].Split('[', StringSplitOptions.RemoveEmptyEntries))
                {
                    var inner = part.TrimEnd(']');
                    if (inner == "last")
                    {
                        indexes.Add(-1);
                    }
                    else if (int.TryParse(inner, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i))
                    {
                        indexes.Add(i);
                    }
                    else
                    {
                        throw Bad($"'[{inner}]' is not an index (0, 1, …; -1, -2, … from the end; or last)");
                    }
                }
            }

            path.Add((bracket >= 0 ? segment[..bracket] : segment, indexes.ToArray()));
        }

        return (null, false, path.ToArray(), recode);
    }

    /// <summary>The value in <paramref name="root"/>, or <see langword="null"/> when no alternative resolves.</summary>
    public JsonElement? Resolve(JsonElement root, int index)
    {
        foreach (var (literal, isIndex, path, recode) in _alternatives)
        {
            if (literal is not null)
            {
                return Text(literal);
            }

            if (isIndex)
            {
                return Text(index.ToString(CultureInfo.InvariantCulture));
            }

            if (Walk(root, path) is not { } value)
            {
                continue;
            }

            if (recode is not null && value.ValueKind is not JsonValueKind.Null
                && recode.TryGetValue(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText(), out var to))
            {
                return Text(to);
            }

            return value;
        }

        return null;
    }

    private static JsonElement Text(string text) => JsonSerializer.SerializeToElement(text, JsonElementContext.Default.String);

    private static JsonElement? Walk(JsonElement root, (string Name, int[] Indexes)[] path)
    {
        // A field whose name holds a dot or bracket is found as written first.
        if (path.Length == 1 && path[0].Indexes.Length == 0 && root.ValueKind == JsonValueKind.Object && root.TryGetProperty(path[0].Name, out var direct))
        {
            return direct;
        }

        var current = root;
        foreach (var (name, indexes) in path)
        {
            if (name.Length > 0 && (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current)))
            {
                return null;
            }

            foreach (var i in indexes)
            {
                if (current.ValueKind != JsonValueKind.Array)
                {
                    return null;
                }

                var at = i < 0 ? current.GetArrayLength() + i : i;
                if (at < 0 || at >= current.GetArrayLength())
                {
                    return null;
                }

                current = current[at];
            }
        }

        return current;
    }
}

/// <summary>
/// A verdict text as a published file writes it: its winner, A and B in the file's own terms (the
/// item's models, or the positions shown; see <see cref="VerdictOrientation"/>), and whether it was a
/// strong (five-level) verdict.
/// </summary>
/// <param name="Winner">A, B, a tie or an inconsistent tie, in the file's terms.</param>
/// <param name="Strong">Whether it was A&gt;&gt;B or B&gt;&gt;A.</param>
public readonly record struct VerdictText(PairOutcome Winner, bool Strong)
{
    /// <summary>
    /// Reads a published verdict: <c>model_a</c>/<c>a</c>/<c>1</c>/<c>model_1</c>/<c>first</c>/<c>output_1</c>,
    /// the same for B/2, <c>tie</c>/<c>0</c>/<c>A=B</c>, <c>tie (inconsistent)</c>, and five-level
    /// labels <c>A&gt;&gt;B</c>, <c>A&gt;B</c>, <c>A=B</c>, <c>B&gt;A</c>, <c>B&gt;&gt;A</c> with the mirrored spellings
    /// Arena-Hard v2 also writes (<c>A&lt;B</c>, <c>A&lt;&lt;B</c>, <c>B&lt;A</c>, <c>B&lt;&lt;A</c>, <c>B=A</c>), optionally in
    /// <c>[[…]]</c>; case-insensitive. <see langword="null"/> for anything else.
    /// </summary>
    public static VerdictText? TryParse(string? text)
    {
        var t = text?.Trim().ToLowerInvariant();
        if (t is null)
        {
            return null;
        }

        if (t.StartsWith("[[", StringComparison.Ordinal) && t.EndsWith("]]", StringComparison.Ordinal))
        {
            t = t[2..^2].Trim();
        }

        return t switch
        {
            "model_a" or "a" or "1" or "model_1" or "first" or "output_1" or "a>b" or "b<a" => new VerdictText(PairOutcome.A, false),
            "a>>b" or "b<<a" => new VerdictText(PairOutcome.A, true),
            "model_b" or "b" or "2" or "model_2" or "second" or "output_2" or "b>a" or "a<b" => new VerdictText(PairOutcome.B, false),
            "b>>a" or "a<<b" => new VerdictText(PairOutcome.B, true),
            "tie" or "0" or "a=b" or "b=a" => new VerdictText(PairOutcome.Tie, false),
            "tie (inconsistent)" or "inconsistent" => new VerdictText(PairOutcome.InconsistentTie, false),
            _ => null,
        };
    }

    /// <summary>The five-level spelling of a strong or plain verdict (<c>A&gt;&gt;B</c>, <c>A&gt;B</c>, <c>A=B</c>, <c>B&gt;A</c>, <c>B&gt;&gt;A</c>).</summary>
    public string FiveLevel => (Winner, Strong) switch
    {
        (PairOutcome.A, true) => "A>>B",
        (PairOutcome.A, false) => "A>B",
        (PairOutcome.B, true) => "B>>A",
        (PairOutcome.B, false) => "B>A",
        _ => "A=B",
    };
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class JsonElementContext : System.Text.Json.Serialization.JsonSerializerContext;

using System.Globalization;
using System.Text.Json;
using Judge.Data;

namespace Judge.Verdicts;

/// <summary>
/// The pairwise verdicts of one file, whatever its format, as Judge's own records: one
/// <see cref="PairwiseVerdict"/> per item (both orders combined) and, where the file had them, one
/// <see cref="JudgeCall"/> per presentation order. Items without a verdict are kept with their status.
/// Immutable once read.
/// </summary>
/// <param name="Path">The file read.</param>
/// <param name="Layout">The layout it was read with (<c>judgments</c> for a Judge judgments file, <c>csv</c> for CSV).</param>
/// <param name="Items">Every item, with or without a verdict, in file order.</param>
/// <param name="Calls">The per-order records (a judgments file's calls, or an imported file's orders); empty when the file had none.</param>
/// <param name="Absolute">A judgments file's absolute grades; empty otherwise.</param>
/// <param name="DuplicatesDropped">Records that repeated an earlier one exactly (same key, same verdict) and were dropped.</param>
/// <param name="IsJudgmentsFile">Whether the file was a Judge judgments file.</param>
public sealed record ImportedVerdicts(
    string Path,
    string Layout,
    IReadOnlyList<PairwiseVerdict> Items,
    IReadOnlyList<JudgeCall> Calls,
    IReadOnlyList<AbsoluteVerdict> Absolute,
    int DuplicatesDropped,
    bool IsJudgmentsFile)
{
    /// <summary>The items with a verdict as labels (rater = the judge); items without one are counted in <see cref="WithoutVerdict"/>.</summary>
    public List<PairwiseLabel> Labels() => JudgmentsReader.PairwiseLabels(Items);

    /// <summary>Items without a verdict (unparsed, out of range, dropped or failed).</summary>
    public int WithoutVerdict => Items.Count(i => i.Winner is null);

    /// <summary>
    /// The answers' texts the file carried (a layout's <c>answer_a</c>/<c>answer_b</c>, turn 1; the first
    /// text of each question and model is kept), for length control and style; empty when it had none.
    /// </summary>
    public IReadOnlyList<ModelAnswer> Answers { get; init; } = [];

    /// <summary>Whether any item or call came from per-order records.</summary>
    public bool HasOrders => Calls.Any(c => c.Order is "AB" or "BA");

    /// <summary>Only the records of <paramref name="judge"/>.</summary>
    public ImportedVerdicts ForJudge(string judge) => this with
    {
        Items = Items.Where(i => string.Equals(i.Judge, judge, StringComparison.Ordinal)).ToArray(),
        Calls = Calls.Where(c => string.Equals(c.Judge, judge, StringComparison.Ordinal)).ToArray(),
        Absolute = Absolute.Where(a => string.Equals(a.Judge, judge, StringComparison.Ordinal)).ToArray(),
    };
}

/// <summary>
/// The one reader of pairwise verdict and label files: a Judge judgments file, MT-Bench-style JSONL,
/// any JSONL or JSON-array file through a <see cref="PairwiseLayout"/>, or CSV through a
/// <see cref="CsvColumnMap"/>. A UTF-8 byte-order mark is tolerated. A record without a usable
/// verdict (<c>"winner": null</c>, an <c>error</c> field, text that is no verdict) is kept with its
/// <see cref="VerdictStatus"/>, never a default; a record that repeats an earlier one exactly is
/// dropped and counted; two records with the same key (judge, question, turn, models, order) and
/// different verdicts are an <see cref="InputException"/> naming both lines. Per-order records are
/// combined by <see cref="BothOrders.Combine"/>. Thread-safe.
/// </summary>
public static class VerdictImport
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="layout">Where the fields are (default: MT-Bench's names); ignored for a judgments file and CSV.</param>
    /// <param name="columns">The column map of a CSV file.</param>
    /// <exception cref="InputException">The file is missing or malformed, a required field is missing, or two records conflict.</exception>
    public static ImportedVerdicts Read(string path, PairwiseLayout? layout = null, CsvColumnMap? columns = null) => Read(path, layout, columns, strict: false);

    /// <summary>
    /// Reads reference labels (human votes) from <paramref name="path"/> as <see cref="Read(string, PairwiseLayout?, CsvColumnMap?)"/>
    /// does, except that a vote without a usable label is an <see cref="InputException"/> naming its
    /// line and field: a reference label has no "failed" state. A judgments file gives its verdicts.
    /// </summary>
    public static List<PairwiseLabel> ReadLabels(string path, PairwiseLayout? layout = null, CsvColumnMap? columns = null) =>
        ReadReference(path, layout, columns).Labels();

    /// <summary>Reads reference labels as <see cref="ReadLabels"/> does, keeping what was read (e.g. the duplicates dropped).</summary>
    public static ImportedVerdicts ReadReference(string path, PairwiseLayout? layout = null, CsvColumnMap? columns = null) =>
        Read(path, layout, columns, strict: true);

    private static ImportedVerdicts Read(string path, PairwiseLayout? layout, CsvColumnMap? columns, bool strict)
    {
        if (DataFiles.IsCsv(path))
        {
            var labels = CsvInput.ReadPairwiseLabels(path, columns ?? new CsvColumnMap());
            var items = labels.Select(l => new PairwiseVerdict
            {
                Item = PairwiseItem.KeyOf(l.QuestionId, l.Turn, l.ModelA, l.ModelB),
                Judge = l.Rater,
                Rubric = "csv",
                QuestionId = l.QuestionId,
                Turn = l.Turn,
                ModelA = l.ModelA,
                ModelB = l.ModelB,
                Winner = l.Winner,
                Status = VerdictStatus.Parsed,
            }).ToArray();
            return new ImportedVerdicts(path, "csv", items, [], [], 0, false);
        }

        return (layout is null || layout == PairwiseLayout.Default) && JudgmentsReader.IsJudgmentsFile(path)
            ? ReadJudgments(path)
            : ReadLayout(path, layout ?? PairwiseLayout.Default, strict);
    }

    private static ImportedVerdicts ReadJudgments(string path)
    {
        var items = new List<PairwiseVerdict>();
        var calls = new List<JudgeCall>();
        var absolute = new List<AbsoluteVerdict>();
        var seen = new Dictionary<(string, string, int?, string), (int Line, string Text)>();
        var dropped = 0;
        foreach (var (line, text) in Jsonl.ReadLines(path))
        {
            var record = JudgmentsReader.ParseRecord(path, line, text);
            var (order, normalized) = record switch
            {
                JudgeCall c => (c.Order, text),
                PairwiseVerdict p => ("item", JsonSerializer.Serialize<JudgmentRecord>(p, JudgmentJsonContext.Default.JudgmentRecord)),
                AbsoluteVerdict a => ("absolute", JsonSerializer.Serialize<JudgmentRecord>(a, JudgmentJsonContext.Default.JudgmentRecord)),
                _ => ("other", text),
            };
            var key = (record.Judge, record.Item, record.Repeat, order);
            if (seen.TryGetValue(key, out var earlier))
            {
                if (earlier.Text == normalized)
                {
                    dropped++;
                    continue;
                }

                if (record is not JudgeCall)
                {
                    throw new InputException(path, line, "item", $"item '{record.Item}' of judge '{record.Judge}' has another, different verdict at line {earlier.Line}");
                }
            }
            else
            {
                seen[key] = (line, normalized);
            }

            switch (record)
            {
                case JudgeCall c:
                    calls.Add(c);
                    break;
                case PairwiseVerdict p:
                    items.Add(p);
                    break;
                case AbsoluteVerdict a:
                    absolute.Add(a);
                    break;
            }
        }

        return new ImportedVerdicts(path, "judgments", items, calls, absolute, dropped, true);
    }

    private static ImportedVerdicts ReadLayout(string path, PairwiseLayout layout, bool strict)
    {
        var items = new List<PairwiseVerdict>();
        var calls = new List<JudgeCall>();
        var orders = new Dictionary<string, Group>(StringComparer.Ordinal);
        var groups = new List<Group>();
        var single = new Dictionary<string, (int Line, PairwiseVerdict Record)>(StringComparer.Ordinal);
        var dropped = 0;
        var index = 0;
        var answers = new Dictionary<(string, string), ModelAnswer>();
        foreach (var (line, text) in Jsonl.ReadLines(path))
        {
            using var doc = Jsonl.Parse(path, line, text);
            var row = new Row(path, line, index++, doc.RootElement, layout);
            var qid = row.Id("question_id");
            var a = row.RequiredText("model_a");
            var b = row.RequiredText("model_b");
            var turn = row.Turn();
            foreach (var (field, model) in new[] { ("answer_a", a), ("answer_b", b) })
            {
                if (turn == 1 && row.OptionalText(field) is { } answer && !answers.ContainsKey((qid, model)))
                {
                    answers[(qid, model)] = new ModelAnswer(qid, model, [answer]) { Source = new SourceLocation(path, line) };
                }
            }

            if (strict && string.Equals(a, b, StringComparison.Ordinal))
            {
                throw new InputException(path, line, layout.Source("model_b"), $"compares model '{a}' with itself");
            }

            var judge = row.Judge();
            var error = row.ErrorText();
            var item = PairwiseItem.KeyOf(qid, turn, a, b);
            PairwiseVerdict Base(string rater) => new()
            {
                Item = item,
                Judge = rater,
                Rubric = layout.Name,
                QuestionId = qid,
                Turn = turn,
                ModelA = a,
                ModelB = b,
                Status = VerdictStatus.Parsed,
            };

            if (!layout.IsPerOrder)
            {
                var winnerSources = layout.Source("winner")?.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
                var votes = winnerSources.Length > 1
                    ? winnerSources.Select(s => (Rater: judge.Length > 0 ? $"{judge}/{s}" : s, Source: (string?)s)).ToArray()
                    : [(Rater: judge, Source: winnerSources.FirstOrDefault())];
                foreach (var (rater, source) in votes)
                {
                    var verdict = row.Verdict(source, layout.Source("p_second"), layout.Source("preference"), error);
                    if (strict && verdict.Status != VerdictStatus.Parsed)
                    {
                        throw new InputException(path, line, source ?? layout.Source("preference") ?? layout.Source("p_second"), $"{verdict.Error}; a reference label must be one of model_a, model_b, tie (or 1, 2, 0, A>B, …)");
                    }

                    var record = Base(rater) with
                    {
                        Status = verdict.Status,
                        Winner = verdict.Winner,
                        Error = verdict.Error,
                        PSecond = verdict.PSecond,
                        StrongVerdict = verdict.Strong ? verdict.Text!.Value.FiveLevel : null,
                    };
                    var key = $"{rater}\n{item}";
                    if (single.TryGetValue(key, out var earlier))
                    {
                        if (earlier.Record == record)
                        {
                            dropped++;
                            continue;
                        }

                        throw Conflict(path, line, earlier.Line, rater, qid, turn, a, b, null);
                    }

                    single[key] = (line, record);
                    items.Add(record);
                }

                continue;
            }

            var groupKey = $"{judge}\n{item}";
            if (!orders.TryGetValue(groupKey, out var group))
            {
                orders[groupKey] = group = new Group(Base(judge));
                groups.Add(group);
            }

            var perRow = new List<(string Order, OrderVerdict Verdict)>();
            if (layout.Source("order") is { } orderSource)
            {
                var order = row.Order(orderSource);
                perRow.Add((order, row.Verdict(layout.Source("winner"), layout.Source("p_second"), layout.Source("preference"), error)));
            }
            else
            {
                perRow.Add(("AB", row.Verdict(layout.Source("winner_ab"), layout.Source("p_second_ab"), null, error)));
                perRow.Add(("BA", row.Verdict(layout.Source("winner_ba"), layout.Source("p_second_ba"), null, error)));
            }

            foreach (var (order, verdict) in perRow)
            {
                var call = ToCall(item, judge, layout, order, verdict);
                if (group.Orders.TryGetValue(order, out var earlier))
                {
                    if (earlier.Call == call)
                    {
                        dropped++;
                        continue;
                    }

                    throw Conflict(path, line, earlier.Line, judge, qid, turn, a, b, order);
                }

                group.Orders[order] = (line, call, verdict);
                calls.Add(call);
            }
        }

        foreach (var group in groups)
        {
            items.Add(Combine(group));
        }

        return new ImportedVerdicts(path, layout.Name, items, calls, [], dropped, false) { Answers = answers.Values.ToArray() };
    }

    private static InputException Conflict(string path, int line, int earlierLine, string judge, string qid, int turn, string a, string b, string? order) =>
        new(path, line, "winner", $"conflicts with line {earlierLine}: both give judge '{judge}''s verdict on question {qid}, turn {turn}, {a} vs {b}{(order is null ? string.Empty : $", order {order}")}, but differently (an exact repeat would be dropped and counted)");

    private static JudgeCall ToCall(string item, string judge, PairwiseLayout layout, string order, OrderVerdict v)
    {
        // The call speaks of positions: first and second as shown.
        var flip = layout.Orientation == VerdictOrientation.Model && order == "BA";
        var side = v.Winner is { } w ? (flip ? w.Mirror() : w) : (PairOutcome?)null;
        return new JudgeCall
        {
            Item = item,
            Judge = judge,
            Rubric = layout.Name,
            Order = order,
            PromptHash = string.Empty,
            Status = v.Status,
            Verdict = v.Raw,
            Choice = side is { } s && s.IsTie() ? PairOutcome.Tie : side,
            Method = "import",
            Error = v.Error,
            PSecond = v.PSecond is double p ? (flip ? 1 - p : p) : null,
            StrongVerdict = v.Strong && side is { } strongSide ? new VerdictText(strongSide, true).FiveLevel : null,
        };
    }

    private static PairwiseVerdict Combine(Group group)
    {
        PairwiseVerdict Judgment(JudgeCall call) => new()
        {
            Item = group.Item.Item,
            QuestionId = group.Item.QuestionId,
            Turn = group.Item.Turn,
            ModelA = group.Item.ModelA,
            ModelB = group.Item.ModelB,
            Judge = group.Item.Judge,
            Rubric = group.Item.Rubric,
            Status = call.Status,
            Error = call.Error,
            Winner = call.ChoiceByModel(),
            Calls = [call],
        };

        var ab = group.Orders.TryGetValue("AB", out var abOrder) ? Judgment(abOrder.Call) : null;
        var ba = group.Orders.TryGetValue("BA", out var baOrder) ? Judgment(baOrder.Call) : null;
        var combined = ab is not null && ba is not null ? BothOrders.Combine(ab, ba) : (ab ?? ba)!;

        // Soft verdicts by model: P(model B wins) of each order, averaged.
        var pB = new List<double>();
        if (abOrder.Call?.PSecond is double pAb)
        {
            pB.Add(pAb);
        }

        if (baOrder.Call?.PSecond is double pBa)
        {
            pB.Add(1 - pBa);
        }

        return combined with { PSecond = pB.Count == 0 || combined.Status != VerdictStatus.Parsed ? null : pB.Average() };
    }

    private sealed class Group(PairwiseVerdict item)
    {
        public PairwiseVerdict Item { get; } = item;

        public Dictionary<string, (int Line, JudgeCall Call, OrderVerdict Verdict)> Orders { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>One verdict as read: its status, winner (in the layout's orientation), soft probability and raw text.</summary>
    private sealed record OrderVerdict(VerdictStatus Status, VerdictText? Text, string? Raw, double? PSecond, string? Error)
    {
        public PairOutcome? Winner => Text?.Winner;

        public bool Strong => Text?.Strong == true;
    }

    private readonly struct Row(string path, int line, int index, JsonElement root, PairwiseLayout layout)
    {
        private InputException Error(string field, string problem) => new(path, line, Name(field), problem);

        private string Name(string field) => layout.Source(field) is { } s && s != field ? $"{s} ({field})" : field;

        private JsonElement? Get(string field) => layout.Source(field) is { } s ? At(s) : null;

        private JsonElement? At(string source) =>
            PairwiseLayout.Resolve(root, source, index) is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } v ? v : null;

        public string Id(string field) => Get(field) switch
        {
            { ValueKind: JsonValueKind.String } v when !string.IsNullOrWhiteSpace(v.GetString()) => v.GetString()!,
            { ValueKind: JsonValueKind.Number } v => v.GetRawText(),
            null => throw Error(field, "is missing"),
            { } v => throw Error(field, $"expected a non-empty string or number, found {v.ValueKind.ToString().ToLowerInvariant()}"),
        };

        public string RequiredText(string field) => Get(field) switch
        {
            { ValueKind: JsonValueKind.String } v when !string.IsNullOrWhiteSpace(v.GetString()) => v.GetString()!,
            null => throw Error(field, "is missing"),
            { } v => throw Error(field, $"expected a non-empty string, found {v.ValueKind.ToString().ToLowerInvariant()}"),
        };

        /// <summary>An optional text; a number or boolean is taken as written (PandaLM's test set has an answer that is the JSON value true).</summary>
        public string? OptionalText(string field) => Get(field) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } v => v.GetString(),
            { ValueKind: JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } v => v.GetRawText(),
            { } v => throw Error(field, $"expected a string, found {v.ValueKind.ToString().ToLowerInvariant()}"),
        };

        public int Turn()
        {
            if (Get("turn") is not { } v)
            {
                return 1;
            }

            var text = v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText();
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var turn) && turn >= 1
                ? turn
                : throw Error("turn", $"expected a turn number from 1, found {text}");
        }

        /// <summary>The judge: a string, a number, or an array of strings (FastChat writes [model, prompt]) joined with '/'.</summary>
        public string Judge() => Get("judge") switch
        {
            null => string.Empty,
            { ValueKind: JsonValueKind.String } v => v.GetString()!,
            { ValueKind: JsonValueKind.Number } v => v.GetRawText(),
            { ValueKind: JsonValueKind.Array } v when v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) => string.Join('/', v.EnumerateArray().Select(e => e.GetString())),
            { } v => throw Error("judge", $"expected a string or an array of strings, found {v.ValueKind.ToString().ToLowerInvariant()}"),
        };

        /// <summary>The record's error, when its error field holds something (a message, or true).</summary>
        public string? ErrorText() => Get("error") switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } v => string.IsNullOrWhiteSpace(v.GetString()) ? null : v.GetString(),
            { ValueKind: JsonValueKind.False } => null,
            { ValueKind: JsonValueKind.True } => "error",
            { } v => v.GetRawText(),
        };

        public string Order(string source) => At(source) switch
        {
            { ValueKind: JsonValueKind.String } v when v.GetString()!.Trim().ToUpperInvariant() is "AB" or "BA" => v.GetString()!.Trim().ToUpperInvariant(),
            null => throw Error("order", "is missing"),
            { } v => throw Error("order", $"expected AB or BA, found {v.GetRawText()}"),
        };

        /// <summary>Reads a verdict from the winner and soft-preference sources; never throws for a bad verdict, which is kept with its status.</summary>
        public OrderVerdict Verdict(string? winnerSource, string? pSecondSource, string? preferenceSource, string? error)
        {
            if (error is not null)
            {
                return new OrderVerdict(VerdictStatus.Error, null, null, null, error);
            }

            double? p = null;
            string? pProblem = null;
            if (pSecondSource is not null && At(pSecondSource) is { } ps)
            {
                p = ps.ValueKind == JsonValueKind.Number ? ps.GetDouble() : null;
                pProblem = p is double x && x is >= 0 and <= 1 ? null : $"p_second {ps.GetRawText()} is not a probability in [0, 1]";
            }
            else if (preferenceSource is not null && At(preferenceSource) is { } pref)
            {
                p = pref.ValueKind == JsonValueKind.Number ? pref.GetDouble() - 1 : null;
                pProblem = p is double x && x is >= 0 and <= 1 ? null : $"preference {pref.GetRawText()} is not in [1, 2]";
            }

            if (pProblem is not null)
            {
                return new OrderVerdict(VerdictStatus.OutOfRange, null, null, null, pProblem);
            }

            if (winnerSource is null)
            {
                if (p is not double soft)
                {
                    return new OrderVerdict(VerdictStatus.Unparsed, null, null, null, "no verdict (the preference is missing)");
                }

                var side = soft > 0.5 ? PairOutcome.B : soft < 0.5 ? PairOutcome.A : PairOutcome.Tie;
                return new OrderVerdict(VerdictStatus.Parsed, new VerdictText(side, false), null, soft, null);
            }

            var value = At(winnerSource);
            var raw = value switch
            {
                null => null,
                { ValueKind: JsonValueKind.String } v => v.GetString(),
                { } v => v.GetRawText(),
            };
            if (raw is null)
            {
                return new OrderVerdict(VerdictStatus.Unparsed, null, null, p, "no verdict (the winner is missing or null)");
            }

            if (raw.Trim().Equals("error", StringComparison.OrdinalIgnoreCase))
            {
                return new OrderVerdict(VerdictStatus.Error, null, raw, null, "the file records an error for this verdict");
            }

            return VerdictText.TryParse(raw) is { } text
                ? new OrderVerdict(VerdictStatus.Parsed, text, raw, p, null)
                : new OrderVerdict(VerdictStatus.Unparsed, null, raw, null, $"'{Short(raw)}' is not a verdict");
        }

        private static string Short(string s) => s.Length <= 40 ? s : string.Concat(s.AsSpan(0, 40), "…");
    }
}

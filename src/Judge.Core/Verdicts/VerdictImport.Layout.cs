using System.Globalization;
using System.Text.Json;
using Judge.Data;

namespace Judge.Verdicts;

// Files read through a pairwise layout: one row per verdict, per rater or per presentation order.
public static partial class VerdictImport
{
    /// <summary>Reads one file through a layout, keeping the state that spans its rows: verdicts so far, per-order groups, duplicates.</summary>
    private sealed class LayoutReader(string path, PairwiseLayout layout, bool strict)
    {
        private readonly List<PairwiseVerdict> _items = [];
        private readonly List<JudgeCall> _calls = [];
        private readonly Dictionary<string, Group> _orders = new(StringComparer.Ordinal);
        private readonly List<Group> _groups = [];
        private readonly Dictionary<string, (int Line, PairwiseVerdict Record)> _single = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, string), ModelAnswer> _answers = [];
        private int _dropped;

        public ImportedVerdicts Read()
        {
            var index = 0;
            var unseen = layout.CheckedFields
                .SelectMany(f => (f == "winner" ? layout.Source(f)!.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [layout.Source(f)!]).Select(s => (Field: f, Source: s)))
                .ToList();
            (int Line, string Keys)? first = null;
            var fileJudge = Path.GetFileNameWithoutExtension(path);
            foreach (var (line, text) in Jsonl.ReadLines(path))
            {
                using var doc = Jsonl.Parse(path, line, text);
                var root = doc.RootElement;
                first ??= (line, root.ValueKind == JsonValueKind.Object ? string.Join(", ", root.EnumerateObject().Select(p => p.Name).Take(12)) : root.ValueKind.ToString().ToLowerInvariant());
                var at = index;
                unseen.RemoveAll(u => PairwiseLayout.Resolve(root, u.Source, at) is not null);
                ReadRow(new Row(path, line, index++, root, layout, fileJudge), line);
            }

            if (first is { } f && unseen.Count > 0)
            {
                var (field, source) = unseen[0];
                throw new InputException(path, f.Line, source == field ? field : $"{source} ({field})", $"'{source}' resolves in no record of the file, so every {field} would be missing; the first record (line {f.Line}) has: {f.Keys}");
            }

            _items.AddRange(_groups.Select(Combine));
            return new ImportedVerdicts(path, layout.Name, _items, _calls, [], _dropped, false) { Answers = _answers.Values.ToArray() };
        }

        private void ReadRow(Row row, int line)
        {
            var qid = row.Id("question_id");
            var a = row.RequiredText("model_a");
            var b = row.RequiredText("model_b");
            var turn = row.Turn();
            foreach (var (field, model) in new[] { ("answer_a", a), ("answer_b", b) })
            {
                if (turn == 1 && row.OptionalText(field) is { } answer && !_answers.ContainsKey((qid, model)))
                {
                    _answers[(qid, model)] = new ModelAnswer(qid, model, [answer]) { Source = new SourceLocation(path, line) };
                }
            }

            if (strict && string.Equals(a, b, StringComparison.Ordinal))
            {
                throw new InputException(path, line, layout.Source("model_b"), $"compares model '{a}' with itself");
            }

            var item = new PairwiseVerdict
            {
                Item = PairwiseItem.KeyOf(qid, turn, a, b),
                Judge = row.Judge(),
                Rubric = layout.Name,
                QuestionId = qid,
                Turn = turn,
                ModelA = a,
                ModelB = b,
                Status = VerdictStatus.Parsed,
            };
            if (layout.IsPerOrder)
            {
                ReadOrders(row, line, item);
            }
            else
            {
                ReadVerdicts(row, line, item);
            }
        }

        /// <summary>A row holding the item's combined verdict, or several raters' (a winner field per rater, <c>a|b|c</c>).</summary>
        private void ReadVerdicts(Row row, int line, PairwiseVerdict item)
        {
            var error = row.ErrorText();
            var winnerSources = layout.Source("winner")?.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
            var votes = winnerSources.Length > 1
                ? winnerSources.Select(s => (Rater: layout.Source("judge") is not null && item.Judge.Length > 0 ? $"{item.Judge}/{s}" : s, Source: (string?)s)).ToArray()
                : [(Rater: item.Judge, Source: winnerSources.FirstOrDefault())];
            foreach (var (rater, source) in votes)
            {
                var verdict = row.Verdict(source, layout.Source("p_second"), layout.Source("preference"), error);
                if (strict && verdict.Status != VerdictStatus.Parsed)
                {
                    throw new InputException(path, line, source ?? layout.Source("preference") ?? layout.Source("p_second"), $"{verdict.Error}; a reference label must be one of model_a, model_b, tie (or 1, 2, 0, A>B, …)");
                }

                var record = item with
                {
                    Judge = rater,
                    Status = verdict.Status,
                    Winner = verdict.Winner,
                    Error = verdict.Error,
                    PSecond = verdict.PSecond,
                    StrongVerdict = verdict.Strong ? verdict.Text!.Value.FiveLevel : null,
                };
                var key = $"{rater}\n{item.Item}";
                if (_single.TryGetValue(key, out var earlier))
                {
                    if (earlier.Record == record)
                    {
                        _dropped++;
                        continue;
                    }

                    throw Conflict(path, line, earlier.Line, record, null);
                }

                _single[key] = (line, record);
                _items.Add(record);
            }
        }

        /// <summary>A row holding one presentation order's verdict (an order field), or both (winner_ab and winner_ba).</summary>
        private void ReadOrders(Row row, int line, PairwiseVerdict item)
        {
            var error = row.ErrorText();
            var groupKey = $"{item.Judge}\n{item.Item}";
            if (!_orders.TryGetValue(groupKey, out var group))
            {
                _orders[groupKey] = group = new Group(item);
                _groups.Add(group);
            }

            var perRow = new List<(string Order, OrderVerdict Verdict)>();
            if (layout.Source("order") is { } orderSource)
            {
                perRow.Add((row.Order(orderSource), row.Verdict(layout.Source("winner"), layout.Source("p_second"), layout.Source("preference"), error)));
            }
            else
            {
                perRow.Add(("AB", row.Verdict(layout.Source("winner_ab"), layout.Source("p_second_ab"), null, error)));
                perRow.Add(("BA", row.Verdict(layout.Source("winner_ba"), layout.Source("p_second_ba"), null, error)));
            }

            foreach (var (order, verdict) in perRow)
            {
                var call = ToCall(item.Item, item.Judge, layout, order, verdict);
                if (group.Orders.TryGetValue(order, out var earlier))
                {
                    if (earlier.Call == call)
                    {
                        _dropped++;
                        continue;
                    }

                    throw Conflict(path, line, earlier.Line, item, order);
                }

                group.Orders[order] = (line, call, verdict);
                _calls.Add(call);
            }
        }
    }

    private static InputException Conflict(string path, int line, int earlierLine, PairwiseVerdict v, string? order) =>
        new(path, line, "winner", $"conflicts with line {earlierLine}: both give judge '{v.Judge}''s verdict on question {v.QuestionId}, turn {v.Turn}, {v.ModelA} vs {v.ModelB}{(order is null ? string.Empty : $", order {order}")}, but differently (an exact repeat would be dropped and counted)");

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

    private readonly struct Row(string path, int line, int index, JsonElement root, PairwiseLayout layout, string fileJudge)
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

        /// <summary>
        /// The judge: a string, a number, or an array of strings (FastChat writes [model, prompt]) joined with '/'; the file's
        /// name (without extension) when the layout maps no judge, so several files read through one layout stay apart.
        /// </summary>
        public string Judge() => Get("judge") switch
        {
            null when layout.Source("judge") is null => fileJudge,
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

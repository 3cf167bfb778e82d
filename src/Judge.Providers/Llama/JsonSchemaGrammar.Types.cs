using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Judge.Providers.Llama;

// The grammar rules of each JSON type: strings, bounded integers, objects with their properties, arrays with their counts.
internal static partial class JsonSchemaGrammar
{
    private sealed partial class Converter
    {
        private string StringBody(JsonElement schema, string pointer)
        {
            var min = Count(schema, "minLength", pointer) ?? 0;
            var max = Count(schema, "maxLength", pointer);
            if (min == 0 && max is null)
            {
                return UseShared("string");
            }

            var chars = Repeat(UseShared("char"), min, max, pointer);
            return chars.Length == 0 ? Literal("\"\"") : $"{Literal("\"")} {chars} {Literal("\"")}";
        }

        private string IntegerBody(JsonElement schema, string pointer)
        {
            var lo = Bound(schema, "minimum", "exclusiveMinimum", lower: true, pointer);
            var hi = Bound(schema, "maximum", "exclusiveMaximum", lower: false, pointer);
            if (lo is null && hi is null)
            {
                return UseShared("integer");
            }

            if (lo is { } a && hi is { } b)
            {
                if (a > b)
                {
                    throw Unsupported(pointer, $"no integer lies between {a} and {b}");
                }

                if (b - a + 1 > MaxEnumeratedIntegers)
                {
                    throw Unsupported(pointer, $"an integer range of more than {MaxEnumeratedIntegers} values ({a}..{b}) is not supported");
                }

                var values = new List<string>();
                for (var v = a; v <= b; v++)
                {
                    values.Add(Literal(v.ToString(CultureInfo.InvariantCulture)));
                }

                return string.Join(" | ", values);
            }

            return (lo, hi) switch
            {
                (0, null) => "\"0\" | [1-9] [0-9]{0,15}",
                (1, null) => "[1-9] [0-9]{0,15}",
                _ => throw Unsupported(pointer, "an integer bound on one side only is supported only as minimum 0 or 1; give both minimum and maximum"),
            };
        }

        private string ObjectBody(JsonElement schema, string rule, string pointer)
        {
            if (!schema.TryGetProperty("properties", out var properties))
            {
                if (schema.TryGetProperty("required", out _))
                {
                    throw Unsupported(pointer, "'required' without 'properties' is not supported; describe the required properties");
                }

                return schema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.False
                    ? $"{Literal("{")} {UseShared("ws")} {Literal("}")}"
                    : throw Unsupported(pointer, "an object whose values are described only by 'additionalProperties' is not supported; list its 'properties'");
            }

            if (properties.ValueKind != JsonValueKind.Object)
            {
                throw Unsupported(pointer, "'properties' must be an object");
            }

            var required = new HashSet<string>(StringComparer.Ordinal);
            if (schema.TryGetProperty("required", out var req))
            {
                if (req.ValueKind != JsonValueKind.Array || req.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
                {
                    throw Unsupported(pointer, "'required' must be a list of property names");
                }

                foreach (var r in req.EnumerateArray().Select(r => r.GetString()!))
                {
                    required.Add(properties.TryGetProperty(r, out _) ? r : throw Unsupported(pointer, $"required property '{r}' is not in 'properties'"));
                }
            }

            var ws = UseShared("ws");
            var members = new List<(string Text, bool Required)>();
            foreach (var p in properties.EnumerateObject())
            {
                var value = Visit(p.Value, $"{rule}-{RuleName(p.Name)}", $"{pointer}/properties/{p.Name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)}");
                members.Add(($"{Literal(JsonString(p.Name))} {ws} {Literal(":")} {ws} {value}", required.Contains(p.Name)));
            }

            // Properties keep the schema's order; a comma goes before every property but the first one written.
            string After(int from) => string.Join(" ", members.Skip(from).Select(m => m.Required ? $"{ws} {Literal(",")} {ws} {m.Text}" : $"( {ws} {Literal(",")} {ws} {m.Text} )?"));
            string First(int from)
            {
                if (from == members.Count)
                {
                    return string.Empty;
                }

                var withThis = Join(members[from].Text, After(from + 1));
                if (members[from].Required)
                {
                    return withThis;
                }

                var without = First(from + 1);
                return without.Length == 0 ? $"( {withThis} )?" : $"( {withThis} | {without} )";
            }

            return Join($"{Literal("{")} {ws}", First(0), $"{ws} {Literal("}")}");
        }

        private string ArrayBody(JsonElement schema, string rule, string pointer)
        {
            var item = !schema.TryGetProperty("items", out var items) ? UseShared("value")
                : items.ValueKind == JsonValueKind.Array ? throw Unsupported(pointer, "'items' as a list (tuples) is not supported")
                : Visit(items, $"{rule}-item", $"{pointer}/items");

            var min = Count(schema, "minItems", pointer) ?? 0;
            var max = Count(schema, "maxItems", pointer);
            var ws = UseShared("ws");
            var open = $"{Literal("[")} {ws}";
            var close = $"{ws} {Literal("]")}";
            if (max == 0)
            {
                return Join(open, close);
            }

            var more = Repeat($"{ws} {Literal(",")} {ws} {item}", Math.Max(0, min - 1), max - 1, pointer);
            return min == 0
                ? Join(open, $"( {Join(item, more)} )?", close)
                : Join(open, item, more, close);
        }

        private static string Join(params string[] parts) => string.Join(" ", parts.Where(p => p.Length > 0));

        private static bool Has(JsonElement schema, params string[] keywords) => keywords.Any(k => schema.TryGetProperty(k, out _));

        /// <summary><paramref name="item"/> from <paramref name="min"/> to <paramref name="max"/> times (unbounded when null) in GBNF; empty for zero times.</summary>
        private static string Repeat(string item, int min, int? max, string pointer)
        {
            if (max < min)
            {
                throw Unsupported(pointer, $"the maximum count {max} is below the minimum {min}");
            }

            if (min > MaxRepetition || max > MaxRepetition)
            {
                throw Unsupported(pointer, $"counts above {MaxRepetition} are not supported (llama.cpp's grammar repetition limit)");
            }

            if (max == 0)
            {
                return string.Empty;
            }

            var x = item.Contains(' ', StringComparison.Ordinal) ? $"( {item} )" : item;
            return (min, max) switch
            {
                (0, null) => $"{x}*",
                (1, null) => $"{x}+",
                (0, 1) => $"{x}?",
                (_, null) => $"{x}{{{min},}}",
                _ when min == max => $"{x}{{{min}}}",
                _ => $"{x}{{{min},{max}}}",
            };
        }

        private static int? Count(JsonElement schema, string keyword, string pointer)
        {
            if (!schema.TryGetProperty(keyword, out var v))
            {
                return null;
            }

            return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 0
                ? n
                : throw Unsupported(pointer, $"'{keyword}' must be a non-negative integer");
        }

        /// <summary>The smallest (or largest) integer allowed by an inclusive and an exclusive bound, either or both present.</summary>
        private static long? Bound(JsonElement schema, string inclusive, string exclusive, bool lower, string pointer)
        {
            long? result = null;
            void Tighten(long v) => result = result is not { } r ? v : lower ? Math.Max(r, v) : Math.Min(r, v);
            static double Number(JsonElement e, string keyword, string pointer) =>
                e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d) && Math.Abs(d) < 1e15 ? d : throw Unsupported(pointer, $"'{keyword}' must be a number of at most 15 digits");

            if (schema.TryGetProperty(inclusive, out var inc))
            {
                var d = Number(inc, inclusive, pointer);
                Tighten((long)(lower ? Math.Ceiling(d) : Math.Floor(d)));
            }

            if (schema.TryGetProperty(exclusive, out var exc))
            {
                if (exc.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    // Draft 4: a flag that makes the inclusive bound exclusive.
                    if (exc.ValueKind == JsonValueKind.True)
                    {
                        var d = inc.ValueKind == JsonValueKind.Number ? Number(inc, inclusive, pointer) : throw Unsupported(pointer, $"'{exclusive}': true needs '{inclusive}'");
                        result = (long)(lower ? Math.Floor(d) + 1 : Math.Ceiling(d) - 1);
                    }
                }
                else
                {
                    var d = Number(exc, exclusive, pointer);
                    Tighten((long)(lower ? Math.Floor(d) + 1 : Math.Ceiling(d) - 1));
                }
            }

            return result;
        }

        /// <summary>The JSON text of an <c>enum</c> or <c>const</c> value, or null when it does not match the declared types.</summary>
        private static string? ValueText(JsonElement value, List<string> types, string pointer)
        {
            var (text, kind) = value.ValueKind switch
            {
                JsonValueKind.String => (JsonString(value.GetString()!), "string"),
                JsonValueKind.Number => (value.GetRawText(), value.TryGetInt64(out _) || (value.TryGetDouble(out var d) && Math.Floor(d) == d) ? "integer" : "number"),
                JsonValueKind.True => ("true", "boolean"),
                JsonValueKind.False => ("false", "boolean"),
                JsonValueKind.Null => ("null", "null"),
                _ => throw Unsupported(pointer, "objects and arrays as 'enum' or 'const' values are not supported"),
            };
            var fits = types.Count == 0 || types.Contains(kind) || (kind == "integer" && types.Contains("number"));
            return fits ? text : null;
        }

        private static string RuleName(string property)
        {
            var sb = new StringBuilder();
            foreach (var c in property)
            {
                sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
            }

            return sb.Length == 0 ? "property" : sb.ToString();
        }
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Judge.Providers.Llama;

/// <summary>
/// Writes GBNF grammars (llama.cpp's grammar format) for JSON: one that accepts exactly the documents a
/// JSON schema allows, within the subset below, and one for any JSON object. Output is compact JSON,
/// properties in the schema's order, at most one space between tokens. Thread-safe (stateless).
/// </summary>
/// <remarks>
/// Supported: <c>type</c> (one name or a list), <c>properties</c> with <c>required</c> (optional
/// properties may be left out; no other properties are ever written, so <c>additionalProperties</c> is
/// satisfied whatever it says when <c>properties</c> is given), <c>items</c> with <c>minItems</c>/<c>maxItems</c>,
/// <c>enum</c> and <c>const</c> of strings, numbers, booleans and null, strings with
/// <c>minLength</c>/<c>maxLength</c>, integers with <c>minimum</c>/<c>maximum</c>/<c>exclusiveMinimum</c>/<c>exclusiveMaximum</c>
/// (a range of at most <see cref="MaxEnumeratedIntegers"/> values is listed; alone, a minimum of 0 or 1 is
/// allowed), numbers without bounds, booleans, null, and annotations (<c>title</c>, <c>description</c>, ...),
/// which are ignored. Anything else (<c>$ref</c>, <c>anyOf</c>, <c>pattern</c>, <c>format</c>, bounded
/// numbers, ...) is refused with an <see cref="InputException"/> naming the keyword and where it is.
/// </remarks>
internal static class JsonSchemaGrammar
{
    /// <summary>The widest integer range written out value by value.</summary>
    public const int MaxEnumeratedIntegers = 1000;

    /// <summary>
    /// The largest repetition count written. llama.cpp (commit 815a2a59) refuses a grammar where a repeated
    /// item's rule count times its count reaches <c>MAX_REPETITION_THRESHOLD</c> (2000), so a single symbol
    /// repeats at most 1999 times; a repeated group of several rules may still be refused, which the grammar
    /// check before sampling reports as an error.
    /// </summary>
    public const int MaxRepetition = 1999;

    private const string Where = "response_format";

    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "$schema", "$id", "$comment", "title", "description", "default", "examples", "readOnly", "writeOnly", "deprecated",
    };

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    };

    private static readonly string[] TypedKeywords = ["required", "additionalProperties", "minItems", "maxItems", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength"];

    private static readonly string[] TypeNames = ["object", "array", "string", "number", "integer", "boolean", "null"];

    // The shared rules, in the order they are written, each with the shared rules it uses.
    private static readonly (string Name, string Body, string[] Uses)[] Shared =
    [
        ("value", "object | array | string | number | boolean | null", ["object", "array", "string", "number", "boolean", "null"]),
        ("object", "\"{\" ws ( string ws \":\" ws value ( ws \",\" ws string ws \":\" ws value )* )? ws \"}\"", ["string", "value", "ws"]),
        ("array", "\"[\" ws ( value ( ws \",\" ws value )* )? ws \"]\"", ["value", "ws"]),
        ("string", "\"\\\"\" char* \"\\\"\"", ["char"]),
        ("char", "[^\"\\\\\\x7F\\x00-\\x1F] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4})", []),
        ("number", "integer (\".\" [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?", ["integer"]),
        ("integer", "\"-\"? (\"0\" | [1-9] [0-9]{0,15})", []),
        ("boolean", "\"true\" | \"false\"", []),
        ("null", "\"null\"", []),
        ("ws", "\" \"?", []),
    ];

    /// <summary>A grammar for any JSON object (<see cref="Microsoft.Extensions.AI.ChatResponseFormat.Json"/> without a schema).</summary>
    public static string AnyJsonObject { get; } = new Converter().Render("object");

    /// <summary>The grammar for documents that <paramref name="schema"/> allows.</summary>
    /// <exception cref="InputException">The schema uses something outside the supported subset, or allows nothing.</exception>
    public static string FromSchema(JsonElement schema)
    {
        var converter = new Converter();
        return converter.Render(converter.Visit(schema, "root", "#"));
    }

    /// <summary>A JSON string literal for <paramref name="text"/>: quotes, backslashes and control characters escaped.</summary>
    internal static string JsonString(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' => sb.Append("\\\""),
                '\\' => sb.Append("\\\\"),
                '\n' => sb.Append("\\n"),
                '\r' => sb.Append("\\r"),
                '\t' => sb.Append("\\t"),
                < ' ' => sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => sb.Append(c),
            };
        }

        return sb.Append('"').ToString();
    }

    /// <summary>A GBNF literal matching exactly <paramref name="text"/>.</summary>
    internal static string Literal(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static InputException Unsupported(string pointer, string problem) => new(null, null, Where, $"JSON schema at {pointer}: {problem}");

    private sealed class Converter
    {
        private readonly List<(string Name, string? Body)> _rules = [];
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);
        private readonly HashSet<string> _shared = new(StringComparer.Ordinal);

        /// <summary>The grammar text: <c>root</c>, the schema's own rules in the order they were made, then the shared rules used.</summary>
        public string Render(string root)
        {
            var sb = new StringBuilder();
            if (!_names.Contains("root"))
            {
                sb.Append("root ::= ").Append(UseShared(root)).Append('\n');
            }

            foreach (var (name, body) in _rules)
            {
                sb.Append(name).Append(" ::= ").Append(body).Append('\n');
            }

            foreach (var (name, body, _) in Shared)
            {
                if (_shared.Contains(name))
                {
                    sb.Append(name).Append(" ::= ").Append(body).Append('\n');
                }
            }

            return sb.ToString();
        }

        /// <summary>The name of a rule for <paramref name="schema"/>: a shared one when it adds no constraint, else a new one named after <paramref name="name"/>.</summary>
        public string Visit(JsonElement schema, string name, string pointer)
        {
            if (schema.ValueKind == JsonValueKind.True)
            {
                return UseShared("value");
            }

            if (schema.ValueKind == JsonValueKind.False)
            {
                throw Unsupported(pointer, "the schema 'false' allows nothing");
            }

            if (schema.ValueKind != JsonValueKind.Object)
            {
                throw Unsupported(pointer, $"a schema must be an object or a boolean, not {schema.ValueKind}");
            }

            foreach (var property in schema.EnumerateObject())
            {
                if (!Keywords.Contains(property.Name) && !Annotations.Contains(property.Name))
                {
                    throw Unsupported(pointer, $"keyword '{property.Name}' is not supported (supported: {string.Join(", ", Keywords)})");
                }
            }

            var types = Types(schema, pointer);
            if (types.Count == 0 && TypedKeywords.FirstOrDefault(k => schema.TryGetProperty(k, out _)) is { } typed && !Has(schema, "enum", "const"))
            {
                // Without a type these constrain only values of their own type and allow every other value: say which is meant.
                throw Unsupported(pointer, $"'{typed}' without 'type' is not supported; give the type it is meant for");
            }

            if (Plain(schema, types) is { } shared)
            {
                return UseShared(shared);
            }

            var rule = Reserve(name);
            string body;
            if (schema.TryGetProperty("const", out var constant))
            {
                body = Literal(ValueText(constant, types, $"{pointer}/const") ?? throw Unsupported(pointer, "'const' does not match 'type'"));
            }
            else if (schema.TryGetProperty("enum", out var values))
            {
                if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
                {
                    throw Unsupported(pointer, "'enum' must be a non-empty array");
                }

                var literals = values.EnumerateArray().Select((v, i) => ValueText(v, types, $"{pointer}/enum/{i}")).OfType<string>().Distinct(StringComparer.Ordinal).Select(Literal).ToList();
                body = literals.Count > 0 ? string.Join(" | ", literals) : throw Unsupported(pointer, "no value of 'enum' matches 'type'");
            }
            else
            {
                body = string.Join(" | ", types.Select(t => TypeBody(schema, t, rule, pointer)));
            }

            Define(rule, body);
            return rule;
        }

        private static List<string> Types(JsonElement schema, string pointer)
        {
            if (!schema.TryGetProperty("type", out var type))
            {
                // No type: what the other keywords describe, or any value.
                return schema.TryGetProperty("properties", out _) ? ["object"]
                    : schema.TryGetProperty("items", out _) ? ["array"]
                    : [];
            }

            var names = type.ValueKind switch
            {
                JsonValueKind.String => [type.GetString()!],
                JsonValueKind.Array when type.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String) => type.EnumerateArray().Select(t => t.GetString()!).ToList(),
                _ => throw Unsupported(pointer, "'type' must be a type name or a list of them"),
            };
            foreach (var n in names.Where(n => !TypeNames.Contains(n, StringComparer.Ordinal)))
            {
                throw Unsupported(pointer, $"unknown type '{n}'");
            }

            if (names.Count == 0)
            {
                throw Unsupported(pointer, "'type' is an empty list");
            }

            return [.. names.Distinct(StringComparer.Ordinal)];
        }

        /// <summary>The shared rule that says all <paramref name="schema"/> says, if there is one.</summary>
        private static string? Plain(JsonElement schema, List<string> types)
        {
            bool Has(params string[] keywords) => keywords.Any(k => schema.TryGetProperty(k, out _));
            if (Has("enum", "const"))
            {
                return null;
            }

            if (types.Count == 0)
            {
                return "value";
            }

            if (types.Count > 1)
            {
                return null;
            }

            return types[0] switch
            {
                "string" when !Has("minLength", "maxLength") => "string",
                "integer" when !Has("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") => "integer",
                "number" when !Has("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") => "number",
                "boolean" => "boolean",
                "null" => "null",
                "object" when !Has("properties", "additionalProperties", "required") => "object",
                "object" when !Has("properties", "required") && schema.GetProperty("additionalProperties").ValueKind == JsonValueKind.True => "object",
                "array" when !Has("items", "minItems", "maxItems") => "array",
                _ => null,
            };
        }

        private string TypeBody(JsonElement schema, string type, string rule, string pointer) => type switch
        {
            "string" => StringBody(schema, pointer),
            "integer" => IntegerBody(schema, pointer),
            "number" => Has(schema, "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
                ? throw Unsupported(pointer, "bounds on a 'number' are not supported (use 'integer', or no bounds)")
                : UseShared("number"),
            "boolean" => UseShared("boolean"),
            "null" => UseShared("null"),
            "object" => ObjectBody(schema, rule, pointer),
            _ => ArrayBody(schema, rule, pointer),
        };

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

        private string UseShared(string name)
        {
            if (_shared.Add(name))
            {
                foreach (var used in Shared.First(s => s.Name == name).Uses)
                {
                    UseShared(used);
                }
            }

            return name;
        }

        private string Reserve(string name)
        {
            var unique = name;
            for (var n = 2; !_names.Add(unique); n++)
            {
                unique = $"{name}{n}";
            }

            _rules.Add((unique, null));
            return unique;
        }

        private void Define(string name, string body)
        {
            var i = _rules.FindIndex(r => r.Name == name);
            _rules[i] = (name, body);
        }
    }
}

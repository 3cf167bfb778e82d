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
internal static partial class JsonSchemaGrammar
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

    private sealed partial class Converter
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

using System.Text.Json;
using Judge.Providers.Llama;

namespace Judge.Providers.Tests.Llama;

public class JsonSchemaGrammarTests
{
    // The shared rules, as the converter writes them (checked against llama.cpp's parser in GrammarSamplerTests).
    private const string Char = """char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})""";
    private const string Ws = """ws ::= " "?""";
    private const string Str = """string ::= "\"" char* "\"" """;

    private static string Convert(string schema) => JsonSchemaGrammar.FromSchema(JsonDocument.Parse(schema).RootElement);

    private static string Lines(params string[] lines) => string.Concat(lines.Select(l => l.TrimEnd() + "\n"));

    [Fact]
    public void FromSchema_ScoreAndFeedback_ExactGrammar()
    {
        var grammar = Convert("""
            {"type": "object",
             "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5},
                            "feedback": {"type": "string", "maxLength": 40}},
             "required": ["score", "feedback"]}
            """);
        Assert.Equal(
            Lines(
                """root ::= "{" ws "\"score\"" ws ":" ws root-score ws "," ws "\"feedback\"" ws ":" ws root-feedback ws "}" """,
                """root-score ::= "1" | "2" | "3" | "4" | "5" """,
                """root-feedback ::= "\"" char{0,40} "\"" """,
                Char,
                Ws),
            grammar);
    }

    [Fact]
    public void FromSchema_PlainTypes_UseSharedRules()
    {
        var grammar = Convert("""
            {"type": "object",
             "properties": {"name": {"type": "string", "description": "ignored"}, "n": {"type": "integer"},
                            "x": {"type": "number"}, "ok": {"type": "boolean"}, "none": {"type": "null"}},
             "required": ["name", "n", "x", "ok", "none"], "additionalProperties": false, "title": "T"}
            """);
        Assert.Equal(
            Lines(
                """root ::= "{" ws "\"name\"" ws ":" ws string ws "," ws "\"n\"" ws ":" ws integer ws "," ws "\"x\"" ws ":" ws number ws "," ws "\"ok\"" ws ":" ws boolean ws "," ws "\"none\"" ws ":" ws null ws "}" """,
                Str,
                Char,
                """number ::= integer ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?""",
                """integer ::= "-"? ("0" | [1-9] [0-9]{0,15})""",
                """boolean ::= "true" | "false" """,
                """null ::= "null" """,
                Ws),
            grammar);
    }

    [Fact]
    public void FromSchema_OptionalProperties_MayBeLeftOutInOrder()
    {
        // a optional, b required, c optional: "a" needs a comma after it only because b always follows.
        var grammar = Convert("""
            {"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "boolean"}, "c": {"type": "boolean"}}, "required": ["b"]}
            """);
        Assert.Equal(
            Lines(
                """root ::= "{" ws ( "\"a\"" ws ":" ws boolean ws "," ws "\"b\"" ws ":" ws boolean ( ws "," ws "\"c\"" ws ":" ws boolean )? | "\"b\"" ws ":" ws boolean ( ws "," ws "\"c\"" ws ":" ws boolean )? ) ws "}" """,
                """boolean ::= "true" | "false" """,
                Ws),
            grammar);
    }

    [Fact]
    public void FromSchema_AllOptional_AllowsTheEmptyObject()
    {
        var grammar = Convert("""{"type": "object", "properties": {"a": {"type": "null"}, "b": {"type": "null"}}}""");
        Assert.Equal(
            Lines(
                """root ::= "{" ws ( "\"a\"" ws ":" ws null ( ws "," ws "\"b\"" ws ":" ws null )? | ( "\"b\"" ws ":" ws null )? ) ws "}" """,
                """null ::= "null" """,
                Ws),
            grammar);
    }

    [Fact]
    public void FromSchema_EnumConstAndTypeLists_ExactGrammar()
    {
        var grammar = Convert("""
            {"type": "object",
             "properties": {"verdict": {"enum": ["A", "B", "tie \"C\""]}, "v": {"const": 2}, "maybe": {"type": ["integer", "null"]},
                            "flag": {"type": "boolean", "enum": [true, "no"]}},
             "required": ["verdict", "v", "maybe", "flag"]}
            """);
        Assert.Equal(
            Lines(
                """root ::= "{" ws "\"verdict\"" ws ":" ws root-verdict ws "," ws "\"v\"" ws ":" ws root-v ws "," ws "\"maybe\"" ws ":" ws root-maybe ws "," ws "\"flag\"" ws ":" ws root-flag ws "}" """,
                """root-verdict ::= "\"A\"" | "\"B\"" | "\"tie \\\"C\\\"\"" """,
                """root-v ::= "2" """,
                """root-maybe ::= integer | null""",
                """root-flag ::= "true" """,
                """integer ::= "-"? ("0" | [1-9] [0-9]{0,15})""",
                """null ::= "null" """,
                Ws),
            grammar);
    }

    [Fact]
    public void FromSchema_ArraysAndNestedObjects_ExactGrammar()
    {
        var grammar = Convert("""
            {"type": "object",
             "properties": {"tags": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}, "minItems": 1, "maxItems": 3},
                            "scores": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 2}},
                            "inner": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}},
             "required": ["tags", "scores", "inner"]}
            """);
        Assert.Equal(
            Lines(
                """root ::= "{" ws "\"tags\"" ws ":" ws root-tags ws "," ws "\"scores\"" ws ":" ws root-scores ws "," ws "\"inner\"" ws ":" ws root-inner ws "}" """,
                """root-tags ::= "[" ws root-tags-item ( ws "," ws root-tags-item ){0,2} ws "]" """,
                """root-tags-item ::= "\"x\"" | "\"y\"" """,
                """root-scores ::= "[" ws ( root-scores-item ( ws "," ws root-scores-item )* )? ws "]" """,
                """root-scores-item ::= "0" | "1" | "2" """,
                """root-inner ::= "{" ws "\"ok\"" ws ":" ws boolean ws "}" """,
                """boolean ::= "true" | "false" """,
                Ws),
            grammar);
    }

    [Theory]
    [InlineData("""{"type": "integer", "minimum": 0}""", """root ::= "0" | [1-9] [0-9]{0,15}""")]
    [InlineData("""{"type": "integer", "exclusiveMinimum": 0}""", """root ::= [1-9] [0-9]{0,15}""")]
    [InlineData("""{"type": "integer", "minimum": -1, "exclusiveMaximum": 2}""", """root ::= "-1" | "0" | "1" """)]
    [InlineData("""{"type": "integer", "minimum": 0.5, "maximum": 2.5}""", """root ::= "1" | "2" """)]
    [InlineData("""{"type": "string", "minLength": 2}""", """root ::= "\"" char{2,} "\"" """)]
    [InlineData("""{"type": "string", "minLength": 1, "maxLength": 1}""", """root ::= "\"" char{1} "\"" """)]
    [InlineData("""{"type": "array", "maxItems": 0}""", """root ::= "[" ws ws "]" """)]
    [InlineData("""{"type": "array", "items": {"type": "boolean"}, "maxItems": 1}""", """root ::= "[" ws ( boolean )? ws "]" """)]
    [InlineData("""{"type": "object", "additionalProperties": false}""", """root ::= "{" ws "}" """)]
    public void FromSchema_SmallSchemas_FirstLineExact(string schema, string root) =>
        Assert.Equal(root.TrimEnd(), Convert(schema).Split('\n')[0]);

    [Theory]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("""{"description": "anything"}""")]
    public void FromSchema_AnyValue_IsTheGenericValueRule(string schema)
    {
        var grammar = Convert(schema);
        Assert.StartsWith("root ::= value\nvalue ::= object | array | string | number | boolean | null\n", grammar, StringComparison.Ordinal);
        Assert.Contains("\nobject ::= ", grammar, StringComparison.Ordinal);
    }

    [Fact]
    public void AnyJsonObject_RootIsAnObject()
    {
        var grammar = JsonSchemaGrammar.AnyJsonObject;
        Assert.StartsWith("root ::= object\n", grammar, StringComparison.Ordinal);
        foreach (var rule in new[] { "value", "object", "array", "string", "char", "number", "integer", "boolean", "null", "ws" })
        {
            Assert.Contains($"\n{rule} ::= ", grammar, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void FromSchema_PropertyNamesThatAreNotRuleNames_AreSanitisedAndKeptApart()
    {
        var grammar = Convert("""
            {"type": "object", "properties": {"a b": {"type": "integer", "maximum": 1, "minimum": 0}, "a-b": {"const": "x"}, "": {"const": 1}}, "required": ["a b", "a-b", ""]}
            """);
        Assert.Contains("\nroot-a-b ::= \"0\" | \"1\"\n", grammar, StringComparison.Ordinal);
        Assert.Contains("\nroot-a-b2 ::= \"\\\"x\\\"\"\n", grammar, StringComparison.Ordinal);
        Assert.Contains("\nroot-property ::= \"1\"\n", grammar, StringComparison.Ordinal);
        Assert.Contains("\"\\\"a b\\\"\" ws \":\" ws root-a-b ", grammar, StringComparison.Ordinal);
        Assert.Contains("\"\\\"\\\"\" ws \":\" ws root-property ", grammar, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"$ref": "#/$defs/x"}""", "'$ref'", "#")]
    [InlineData("""{"anyOf": [{"type": "string"}]}""", "'anyOf'", "#")]
    [InlineData("""{"type": "object", "properties": {"s": {"type": "string", "pattern": "^a"}}}""", "'pattern'", "#/properties/s")]
    [InlineData("""{"type": "object", "properties": {"d": {"type": "string", "format": "date"}}}""", "'format'", "#/properties/d")]
    [InlineData("""{"type": "number", "minimum": 0, "maximum": 1}""", "bounds on a 'number'", "#")]
    [InlineData("""{"type": "integer", "minimum": 0, "maximum": 100000}""", "more than 1000 values", "#")]
    [InlineData("""{"type": "integer", "maximum": 10}""", "one side only", "#")]
    [InlineData("""{"type": "integer", "minimum": 5, "maximum": 4}""", "no integer", "#")]
    [InlineData("""{"type": "string", "maxLength": 5000}""", "above 1999", "#")]
    [InlineData("""{"type": "array", "items": [{"type": "string"}]}""", "tuples", "#")]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}""", "'b' is not in 'properties'", "#")]
    [InlineData("""{"type": "object", "additionalProperties": {"type": "integer"}}""", "'additionalProperties'", "#")]
    [InlineData("""{"type": "date"}""", "unknown type 'date'", "#")]
    [InlineData("""{"enum": [{"a": 1}]}""", "objects and arrays", "#/enum/0")]
    [InlineData("""{"type": "integer", "enum": ["a"]}""", "no value of 'enum' matches", "#")]
    [InlineData("""{"maxLength": 3}""", "without 'type'", "#")]
    [InlineData("false", "allows nothing", "#")]
    [InlineData("""{"type": "object", "properties": {"a~/b": {"type": "string", "minLength": -1}}}""", "non-negative", "#/properties/a~0~1b")]
    public void FromSchema_Unsupported_IsInputErrorNamingKeywordAndPlace(string schema, string problem, string pointer)
    {
        var ex = Assert.Throws<InputException>(() => Convert(schema));
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"JSON schema at {pointer}:", ex.Message, StringComparison.Ordinal);
        Assert.Equal("response_format", ex.Field);
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("say \"hi\"\\", "\"say \\\"hi\\\"\\\\\"")]
    [InlineData("tab\there\n", "\"tab\\there\\n\"")]
    [InlineData("bell\u0007", "\"bell\\u0007\"")]
    public void JsonString_EscapesLikeJson(string text, string expected)
    {
        var json = JsonSchemaGrammar.JsonString(text);
        Assert.Equal(expected, json);
        Assert.Equal(text, JsonSerializer.Deserialize<string>(json));
    }
}

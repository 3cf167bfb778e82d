using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Judge.Rubrics;

/// <summary>
/// Loads rubric YAML files and validates them: unknown keys, missing fields, placeholders the mode
/// does not offer, a reference rubric that never shows the reference, gaps in the scale.
/// </summary>
public static class RubricLoader
{
    /// <summary>Placeholders every rubric may use.</summary>
    private static readonly string[] Common = ["criteria", "turn", "question"];

    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    /// <summary>Loads and validates one rubric file.</summary>
    public static Rubric LoadFile(string path)
    {
        string text;
        try
        {
            using var reader = Data.StrictUtf8.Open(path);
            text = reader.ReadToEnd();
        }
        catch (InputException ex) when (ex.InnerException is IOException or UnauthorizedAccessException || ex.Problem.StartsWith("is a directory", StringComparison.Ordinal))
        {
            throw new RubricException(path, ex.Problem, ex);
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw Data.StrictUtf8.Invalid(path, ex);
        }

        return Parse(text, path);
    }

    /// <summary>
    /// Parses and validates rubric YAML; <paramref name="source"/> names it in errors. Mistakes in the file's
    /// shape (unknown keys, values of the wrong kind) are reported all at once, each with its line, the key
    /// and what is allowed, in plain words.
    /// </summary>
    public static Rubric Parse(string yaml, string source)
    {
        CheckShape(yaml, source);
        RubricDocument doc;
        try
        {
            doc = Yaml.Deserialize<RubricDocument>(yaml) ?? throw new RubricException(source, "the file is empty");
        }
        catch (YamlException ex)
        {
            var inner = ex.InnerException?.Message;
            var problem = ex.Message.Contains("not found on type", StringComparison.Ordinal)
                ? $"unknown key ({ex.Message[(ex.Message.LastIndexOf(':') + 1)..].Trim()})"
                : inner ?? ex.Message;
            throw new RubricException($"{source}:{ex.Start.Line}", problem, ex);
        }

        return Validate(doc, source);
    }

    /// <summary>The keys a rubric file may hold, by section (the top level is "").</summary>
    private static readonly Dictionary<string, string[]> SectionKeys = new(StringComparer.Ordinal)
    {
        [string.Empty] = ["id", "version", "title", "description", "mode", "turns", "reference", "scale", "criteria", "output", "system", "prompt"],
        ["scale"] = ["min", "max", "levels"],
        ["output"] = ["tag", "feedback_first", "labels"],
    };

    /// <summary>What kind of value each key takes, in words, and whether a node is one.</summary>
    private static (string Words, Func<YamlNode, bool> Fits) Kind(string key) => key switch
    {
        "version" or "scale.min" or "scale.max" => ("a whole number", n => n is YamlScalarNode { Value: { } v } && int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)),
        "scale" or "output" => ("a section of keys", n => n is YamlMappingNode),
        "scale.levels" => ("a list of 'number: description' lines", n => n is YamlMappingNode m && m.Children.All(c => c.Key is YamlScalarNode { Value: { } k } && int.TryParse(k, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) && c.Value is YamlScalarNode)),
        "output.labels" => ("a list of 'label: meaning' lines", n => n is YamlMappingNode m && m.Children.All(c => c.Key is YamlScalarNode && c.Value is YamlScalarNode)),
        "output.feedback_first" => ("true or false", n => n is YamlScalarNode { Value: { } v } && v.ToLowerInvariant() is "true" or "false" or "yes" or "no"),
        _ => ("text", n => n is YamlScalarNode),
    };

    private static void CheckShape(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new RubricException($"{source}:{ex.Start.Line}", $"not valid YAML: {(ex.InnerException ?? ex).Message}", ex);
        }

        if (stream.Documents.Count == 0)
        {
            return;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new RubricException(source, $"a rubric file is a list of keys ({string.Join(", ", SectionKeys[string.Empty])})");
        }

        var problems = new List<(long Line, string Text)>();
        void Walk(YamlMappingNode node, string section)
        {
            var allowed = SectionKeys[section];
            foreach (var (keyNode, value) in node.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
                var qualified = section.Length == 0 ? key : $"{section}.{key}";
                if (!allowed.Contains(key, StringComparer.Ordinal))
                {
                    var near = allowed.FirstOrDefault(a => Distance(a, key) <= 2);
                    problems.Add((keyNode.Start.Line, $"unknown key '{qualified}'{(near is null ? string.Empty : $" (did you mean '{near}'?)")}; the keys allowed {(section.Length == 0 ? "at the top" : $"in '{section}'")} are {string.Join(", ", allowed)}"));
                    continue;
                }

                var (words, fits) = Kind(qualified);
                if (value is YamlScalarNode { Value: null or "" } && value.Tag.IsEmpty && words != "a section of keys")
                {
                    continue; // an empty value: the checks after parsing say whether the key is required
                }

                if (!fits(value))
                {
                    problems.Add((value.Start.Line, $"'{qualified}' must be {words}, found {Describe(value)}"));
                    continue;
                }

                if (SectionKeys.ContainsKey(qualified) && value is YamlMappingNode child)
                {
                    Walk(child, qualified);
                }
            }
        }

        Walk(root, string.Empty);
        if (problems.Count == 1)
        {
            throw new RubricException($"{source}:{problems[0].Line}", problems[0].Text);
        }

        if (problems.Count > 1)
        {
            throw new RubricException(source, $"{problems.Count} mistakes:\n" + string.Join('\n', problems.Select(p => $"  line {p.Line}: {p.Text}")));
        }
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a section of keys",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: null or "" } => "nothing",
        YamlScalarNode s => $"'{s.Value}'",
        _ => node.NodeType.ToString(),
    };

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
        }

        return d[a.Length, b.Length];
    }

    private static Rubric Validate(RubricDocument d, string source)
    {
        RubricException Fail(string problem) => new(d.Id is null ? source : $"{d.Id} ({source})", problem);

        if (string.IsNullOrWhiteSpace(d.Id))
        {
            throw Fail("'id' is missing");
        }

        if (!d.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw Fail($"id '{d.Id}' may hold only letters, digits, '-', '_' and '.'");
        }

        if (d.Version is not int version || version < 1)
        {
            throw Fail("'version' must be a positive integer");
        }

        var mode = d.Mode?.ToLowerInvariant() switch
        {
            "absolute" => RubricMode.Absolute,
            "pairwise" => RubricMode.Pairwise,
            _ => throw Fail($"'mode' must be absolute or pairwise, found '{d.Mode}'"),
        };
        var turns = (d.Turns ?? "single").ToLowerInvariant() switch
        {
            "single" => TurnScope.Single,
            "multi" => TurnScope.Multi,
            _ => throw Fail($"'turns' must be single or multi, found '{d.Turns}'"),
        };
        var usesReference = (d.Reference ?? "none").ToLowerInvariant() switch
        {
            "none" => false,
            "required" => true,
            _ => throw Fail($"'reference' must be none or required, found '{d.Reference}'"),
        };

        RubricScale? scale = null;
        if (mode == RubricMode.Absolute)
        {
            if (d.Scale is null || d.Scale.Min is not int min || d.Scale.Max is not int max)
            {
                throw Fail("an absolute rubric needs 'scale' with 'min' and 'max'");
            }

            if (min >= max)
            {
                throw Fail($"scale min {min} must be below max {max}");
            }

            var levels = d.Scale.Levels ?? [];
            if (levels.Count > 0)
            {
                var missing = Enumerable.Range(min, max - min + 1).Where(l => !levels.ContainsKey(l)).ToList();
                if (missing.Count > 0)
                {
                    throw Fail($"scale levels have gaps: no description for {string.Join(", ", missing)}");
                }

                var extra = levels.Keys.Where(l => l < min || l > max).ToList();
                if (extra.Count > 0)
                {
                    throw Fail($"scale levels {string.Join(", ", extra)} lie outside {min}-{max}");
                }

                if (levels.FirstOrDefault(l => string.IsNullOrWhiteSpace(l.Value)) is { Value: not null } empty && string.IsNullOrWhiteSpace(empty.Value))
                {
                    throw Fail($"scale level {empty.Key} has an empty description");
                }
            }

            scale = new RubricScale(min, max, levels.ToDictionary(l => l.Key, l => l.Value.Trim()));
        }
        else if (d.Scale is not null)
        {
            throw Fail("a pairwise rubric has no 'scale'");
        }

        if (d.Output?.Tag is not { } tag || string.IsNullOrWhiteSpace(tag))
        {
            throw Fail("'output.tag' is missing (e.g. \"[[{verdict}]]\")");
        }

        var slots = tag.Split("{verdict}").Length - 1;
        if (slots != 1)
        {
            throw Fail($"'output.tag' must hold '{{verdict}}' exactly once, found {slots} in '{tag}'");
        }

        var labels = d.Output.Labels ?? [];
        if (mode == RubricMode.Pairwise)
        {
            if (labels.Count == 0)
            {
                labels = new Dictionary<string, string> { ["A"] = "a", ["B"] = "b", ["C"] = "tie" };
            }

            foreach (var (word, meaning) in labels)
            {
                if (meaning is not ("a" or "b" or "tie"))
                {
                    throw Fail($"pairwise label '{word}' must mean a, b or tie, found '{meaning}'");
                }
            }

            foreach (var needed in new[] { "a", "b" })
            {
                if (!labels.ContainsValue(needed))
                {
                    throw Fail($"no label means '{needed}'");
                }
            }
        }
        else
        {
            foreach (var (word, meaning) in labels)
            {
                if (!double.TryParse(meaning, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || !scale!.Contains(value))
                {
                    throw Fail($"label '{word}' must map to a score on the scale {scale!.Min}-{scale.Max}, found '{meaning}'");
                }
            }
        }

        if (string.IsNullOrWhiteSpace(d.Prompt))
        {
            throw Fail("'prompt' is missing");
        }

        PromptTemplate system, prompt;
        try
        {
            system = PromptTemplate.Parse(d.System ?? string.Empty);
        }
        catch (FormatException ex)
        {
            throw Fail($"'system': {ex.Message}");
        }

        try
        {
            prompt = PromptTemplate.Parse(d.Prompt);
        }
        catch (FormatException ex)
        {
            throw Fail($"'prompt': {ex.Message}");
        }

        var allowed = AllowedPlaceholders(mode, turns, usesReference, scale);
        var required = RequiredPlaceholders(mode, turns, usesReference);
        var used = system.Placeholders.Concat(prompt.Placeholders).ToHashSet(StringComparer.Ordinal);
        foreach (var name in used)
        {
            if (!allowed.Contains(name))
            {
                var why = name == "reference" && !usesReference
                    ? " (the rubric says 'reference: none')"
                    : KnownPlaceholders.Contains(name) ? $" in a {Describe(mode, turns)} rubric" : string.Empty;
                throw Fail($"unknown placeholder '{{{name}}}'{why}; available: {string.Join(", ", allowed.Order(StringComparer.Ordinal).Select(p => $"{{{p}}}"))}");
            }
        }

        foreach (var name in required)
        {
            if (!used.Contains(name))
            {
                throw Fail(name == "reference"
                    ? "says 'reference: required' but its prompt never shows '{reference}'"
                    : $"a {Describe(mode, turns)} rubric must show '{{{name}}}'");
            }
        }

        return new Rubric
        {
            Id = d.Id,
            Version = version,
            Title = d.Title?.Trim() ?? d.Id,
            Description = d.Description?.Trim() ?? string.Empty,
            Mode = mode,
            Turns = turns,
            UsesReference = usesReference,
            Scale = scale,
            Criteria = d.Criteria?.Trim() ?? string.Empty,
            Output = new VerdictFormat { Tag = tag, FeedbackFirst = d.Output.FeedbackFirst ?? false, Labels = labels },
            System = system,
            Prompt = prompt,
            SourcePath = source,
        };
    }

    /// <summary>Every placeholder name any rubric may use.</summary>
    public static IReadOnlySet<string> KnownPlaceholders { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "criteria", "turn", "question", "answer", "conversation", "answer_a", "answer_b", "conversation_a", "conversation_b",
        "reference", "scale_min", "scale_max", "score_rubric",
    };

    private static HashSet<string> AllowedPlaceholders(RubricMode mode, TurnScope turns, bool usesReference, RubricScale? scale)
    {
        var allowed = new HashSet<string>(Common, StringComparer.Ordinal);
        allowed.UnionWith(RequiredPlaceholders(mode, turns, usesReference));
        if (scale is not null)
        {
            allowed.UnionWith(["scale_min", "scale_max"]);
            if (scale.Levels.Count > 0)
            {
                allowed.Add("score_rubric");
            }
        }

        return allowed;
    }

    private static string[] RequiredPlaceholders(RubricMode mode, TurnScope turns, bool usesReference)
    {
        string[] answers = (mode, turns) switch
        {
            (RubricMode.Absolute, TurnScope.Single) => ["answer"],
            (RubricMode.Absolute, TurnScope.Multi) => ["conversation"],
            (RubricMode.Pairwise, TurnScope.Single) => ["answer_a", "answer_b"],
            _ => ["conversation_a", "conversation_b"],
        };
        return usesReference ? [.. answers, "reference"] : answers;
    }

    private static string Describe(RubricMode mode, TurnScope turns) =>
        $"{(turns == TurnScope.Multi ? "multi-turn" : "single-turn")} {(mode == RubricMode.Absolute ? "absolute" : "pairwise")}";

    // Public only so YamlDotNet can bind it; not part of Judge's API.
    internal sealed class RubricDocument
    {
        public string? Id { get; set; }

        public int? Version { get; set; }

        public string? Title { get; set; }

        public string? Description { get; set; }

        public string? Mode { get; set; }

        public string? Turns { get; set; }

        public string? Reference { get; set; }

        public ScaleDocument? Scale { get; set; }

        public string? Criteria { get; set; }

        public OutputDocument? Output { get; set; }

        public string? System { get; set; }

        public string? Prompt { get; set; }
    }

    internal sealed class ScaleDocument
    {
        public int? Min { get; set; }

        public int? Max { get; set; }

        public Dictionary<int, string>? Levels { get; set; }
    }

    internal sealed class OutputDocument
    {
        public string? Tag { get; set; }

        public bool? FeedbackFirst { get; set; }

        public Dictionary<string, string>? Labels { get; set; }
    }
}

using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Judge.Rubrics;

/// <summary>
/// Loads rubric YAML files and validates them: unknown keys, missing fields, placeholders the mode
/// does not offer, a reference rubric that never shows the reference, gaps in the scale.
/// </summary>
public static partial class RubricLoader
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

        var scale = ValidateScale(d, mode, Fail);

        if (d.Output?.Tag is not { } tag || string.IsNullOrWhiteSpace(tag))
        {
            throw Fail("'output.tag' is missing (e.g. \"[[{verdict}]]\")");
        }

        var slots = tag.Split("{verdict}").Length - 1;
        if (slots != 1)
        {
            throw Fail($"'output.tag' must hold '{{verdict}}' exactly once, found {slots} in '{tag}'");
        }

        if (string.IsNullOrWhiteSpace(tag.Replace("{verdict}", string.Empty, StringComparison.Ordinal)))
        {
            // A bare slot would make any word of the judge's output a verdict.
            throw Fail($"'output.tag' needs marker text around '{{verdict}}' (e.g. \"[[{{verdict}}]]\" or \"[RESULT] {{verdict}}\"), not '{tag}' alone");
        }

        var labels = ValidateLabels(d.Output.Labels ?? [], mode, scale, Fail);
        var (system, prompt) = ParseTemplates(d, Fail);
        CheckPlaceholders(system, prompt, mode, turns, usesReference, scale, Fail);

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

    /// <summary>An absolute rubric's scale: min below max, a description for every level and none outside; a pairwise rubric has none.</summary>
    private static RubricScale? ValidateScale(RubricDocument d, RubricMode mode, Func<string, RubricException> fail)
    {
        RubricScale? scale = null;
        if (mode == RubricMode.Absolute)
        {
            if (d.Scale is null || d.Scale.Min is not int min || d.Scale.Max is not int max)
            {
                throw fail("an absolute rubric needs 'scale' with 'min' and 'max'");
            }

            if (min >= max)
            {
                throw fail($"scale min {min} must be below max {max}");
            }

            var levels = d.Scale.Levels ?? [];
            if (levels.Count > 0)
            {
                var missing = Enumerable.Range(min, max - min + 1).Where(l => !levels.ContainsKey(l)).ToList();
                if (missing.Count > 0)
                {
                    throw fail($"scale levels have gaps: no description for {string.Join(", ", missing)}");
                }

                var extra = levels.Keys.Where(l => l < min || l > max).ToList();
                if (extra.Count > 0)
                {
                    throw fail($"scale levels {string.Join(", ", extra)} lie outside {min}-{max}");
                }

                if (levels.FirstOrDefault(l => string.IsNullOrWhiteSpace(l.Value)) is { Value: not null } empty && string.IsNullOrWhiteSpace(empty.Value))
                {
                    throw fail($"scale level {empty.Key} has an empty description");
                }
            }

            scale = new RubricScale(min, max, levels.ToDictionary(l => l.Key, l => l.Value.Trim()));
        }
        else if (d.Scale is not null)
        {
            throw fail("a pairwise rubric has no 'scale'");
        }

        return scale;
    }

    /// <summary>The verdict labels: pairwise ones mean a, b or tie (A/B/C by default, a and b both present); absolute ones map to a score on the scale.</summary>
    private static Dictionary<string, string> ValidateLabels(Dictionary<string, string> labels, RubricMode mode, RubricScale? scale, Func<string, RubricException> fail)
    {
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
                    throw fail($"pairwise label '{word}' must mean a, b or tie, found '{meaning}'");
                }
            }

            foreach (var needed in new[] { "a", "b" })
            {
                if (!labels.ContainsValue(needed))
                {
                    throw fail($"no label means '{needed}'");
                }
            }
        }
        else
        {
            foreach (var (word, meaning) in labels)
            {
                if (!double.TryParse(meaning, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || !scale!.Contains(value))
                {
                    throw fail($"label '{word}' must map to a score on the scale {scale!.Min}-{scale.Max}, found '{meaning}'");
                }
            }
        }

        return labels;
    }

    /// <summary>The system and user templates, parsed; a prompt is required.</summary>
    private static (PromptTemplate System, PromptTemplate Prompt) ParseTemplates(RubricDocument d, Func<string, RubricException> fail)
    {
        if (string.IsNullOrWhiteSpace(d.Prompt))
        {
            throw fail("'prompt' is missing");
        }

        PromptTemplate system, prompt;
        try
        {
            system = PromptTemplate.Parse(d.System ?? string.Empty);
        }
        catch (FormatException ex)
        {
            throw fail($"'system': {ex.Message}");
        }

        try
        {
            prompt = PromptTemplate.Parse(d.Prompt);
        }
        catch (FormatException ex)
        {
            throw fail($"'prompt': {ex.Message}");
        }

        return (system, prompt);
    }

    /// <summary>Every placeholder used is available to the rubric's mode, turns and reference, and every required one is used.</summary>
    private static void CheckPlaceholders(PromptTemplate system, PromptTemplate prompt, RubricMode mode, TurnScope turns, bool usesReference, RubricScale? scale, Func<string, RubricException> fail)
    {
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
                throw fail($"unknown placeholder '{{{name}}}'{why}; available: {string.Join(", ", allowed.Order(StringComparer.Ordinal).Select(p => $"{{{p}}}"))}");
            }
        }

        foreach (var name in required)
        {
            if (!used.Contains(name))
            {
                throw fail(name == "reference"
                    ? "says 'reference: required' but its prompt never shows '{reference}'"
                    : $"a {Describe(mode, turns)} rubric must show '{{{name}}}'");
            }
        }
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

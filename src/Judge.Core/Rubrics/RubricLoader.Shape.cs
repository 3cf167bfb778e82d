using System.Globalization;
using Judge.Data;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Judge.Rubrics;

// The YAML's shape, checked before it is read into a rubric: unknown keys (with the nearest known one), wrong kinds of value.
public static partial class RubricLoader
{
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
                    problems.Add((value.Start.Line, $"'{qualified}' must be {words}, found {YamlNodes.Describe(value)}"));
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
}

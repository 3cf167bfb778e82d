using System.Globalization;
using Judge.Data;
using YamlDotNet.RepresentationModel;

namespace Judge.Runs;

/// <summary>Reads typed values out of YAML nodes, failing with the node's line.</summary>
internal sealed class RunConfigReader(string source)
{
    private readonly string _folder = Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".";

    /// <summary>Every mistake found so far; reading goes on past each so all are reported at once.</summary>
    public List<InputException> Errors { get; } = [];

    public InputException Fail(YamlNode node, string key, string problem) => new(source, (int)node.Start.Line, key, problem);

    /// <summary>Reads a value; a mistake is noted and <paramref name="fallback"/> stands in so reading can go on.</summary>
    public T Try<T>(Func<T> read, T fallback)
    {
        try
        {
            return read();
        }
        catch (InputException ex)
        {
            Errors.Add(ex);
            return fallback;
        }
    }

    /// <summary>Throws the one mistake, or one error listing all of them, each with its line and key.</summary>
    public void ThrowIfAny()
    {
        if (Errors.Count == 1)
        {
            throw Errors[0];
        }

        if (Errors.Count > 1)
        {
            var lines = Errors.OrderBy(e => e.Line ?? int.MaxValue).Select(e => $"  {(e.Line is { } l ? $"line {l}" : "file")}{(e.Field is null ? string.Empty : $", '{e.Field}'")}: {e.Problem}");
            throw new InputException(source, Errors.Min(e => e.Line), null, $"{Errors.Count} mistakes:\n{string.Join('\n', lines)}", Errors[0]);
        }
    }

    /// <summary>The config file, as errors name it.</summary>
    public string Source => source;

    /// <summary>The config file's folder, which relative paths resolve against.</summary>
    public string Folder => _folder;

    public string Resolve(string path) => Path.GetFullPath(Path.Combine(_folder, path));

    public Dictionary<string, YamlNode> Keys(YamlMappingNode node, string[] allowed, string? parent)
    {
        var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in node.Children)
        {
            var key = keyNode is YamlScalarNode s ? s.Value ?? string.Empty : string.Empty;
            var qualified = parent is null ? key : $"{parent}.{key}";
            if (!allowed.Contains(key, StringComparer.Ordinal))
            {
                Errors.Add(Fail(keyNode, qualified, $"unknown key '{key}'{(parent is null ? string.Empty : $" in '{parent}'")}; known keys: {string.Join(", ", allowed)}"));
                continue;
            }

            if (!result.TryAdd(key, value))
            {
                Errors.Add(Fail(keyNode, qualified, "the key is given twice"));
            }
        }

        return result;
    }

    public YamlNode Required(Dictionary<string, YamlNode> keys, YamlMappingNode parent, string key, string? parentName) =>
        keys.TryGetValue(key, out var node) ? node : throw Fail(parent, parentName is null ? key : $"{parentName}.{key}", $"'{key}' is required");

    public YamlMappingNode Mapping(YamlNode node, string key) =>
        node as YamlMappingNode ?? throw Fail(node, key, $"must be a mapping of keys, found {YamlNodes.Describe(node)}");

    public string Scalar(YamlNode node, string key) =>
        node is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw Fail(node, key, $"must be a single value, found {YamlNodes.Describe(node)}");

    public string PathValue(YamlNode node, string key) => Resolve(Scalar(node, key));

    public List<string> PathList(YamlNode node, string key) => StringList(node, key).Select(Resolve).ToList();

    public List<string> StringList(YamlNode node, string key) => node switch
    {
        YamlScalarNode => [Scalar(node, key)],
        YamlSequenceNode seq => seq.Children.Select(c => Scalar(c, key)).ToList(),
        _ => throw Fail(node, key, $"must be a value or a list of values, found {YamlNodes.Describe(node)}"),
    };

    public List<int> IntList(YamlNode node, string key) => node switch
    {
        YamlScalarNode => [Int(node, key)],
        YamlSequenceNode seq => seq.Children.Select(c => Int(c, key)).ToList(),
        _ => throw Fail(node, key, $"must be an integer or a list of integers, found {YamlNodes.Describe(node)}"),
    };

    public List<string> OneOrMany(Dictionary<string, YamlNode> keys, string one, string many, string? parent) =>
        [.. OneOrManyNodes(keys, one, many, parent).Select(v => v.Value)];

    /// <summary>The values of <paramref name="one"/> (a single value) or <paramref name="many"/> (a list), each with its node.</summary>
    public List<(string Value, YamlNode Node)> OneOrManyNodes(Dictionary<string, YamlNode> keys, string one, string many, string? parent)
    {
        if (keys.TryGetValue(one, out var single) && keys.TryGetValue(many, out var list))
        {
            throw Fail(list, many, $"give {one} or {many}, not both");
        }

        var key = parent is null ? many : $"{parent}.{many}";
        return keys.TryGetValue(one, out single) ? [(Scalar(single, one), single)]
            : keys.TryGetValue(many, out list) ? list switch
            {
                YamlScalarNode => [(Scalar(list, key), list)],
                YamlSequenceNode seq => [.. seq.Children.Select(c => (Scalar(c, key), c))],
                _ => throw Fail(list, key, $"must be a value or a list of values, found {YamlNodes.Describe(list)}"),
            }
            : [];
    }

    public Dictionary<string, string> StringMap(YamlNode node, string key) =>
        Mapping(node, key).Children.ToDictionary(
            c => Scalar(c.Key, key),
            c => Scalar(c.Value, $"{key}.{(c.Key as YamlScalarNode)?.Value}"),
            StringComparer.Ordinal);

    public int Int(YamlNode node, string key) =>
        int.TryParse(Scalar(node, key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n
        : throw Fail(node, key, $"must be an integer, found '{((YamlScalarNode)node).Value}'");

    public int Positive(YamlNode node, string key, bool allowZero = false)
    {
        var n = Int(node, key);
        return n > 0 || (allowZero && n == 0) ? n : throw Fail(node, key, $"must be a {(allowZero ? "non-negative" : "positive")} integer, found {n}");
    }

    public double Number(YamlNode node, string key) =>
        double.TryParse(Scalar(node, key), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) ? n
        : throw Fail(node, key, $"must be a number, found '{((YamlScalarNode)node).Value}'");

    public double NonNegative(YamlNode node, string key)
    {
        var n = Number(node, key);
        return n >= 0 ? n : throw Fail(node, key, $"must not be negative, found {n.ToString(CultureInfo.InvariantCulture)}");
    }

    public double Fraction(YamlNode node, string key, bool open = false)
    {
        var n = Number(node, key);
        var ok = open ? n > 0 && n < 1 : n >= 0 && n <= 1;
        return ok ? n : throw Fail(node, key, $"must be a fraction {(open ? "strictly between 0 and 1" : "from 0 to 1")}, found {n.ToString(CultureInfo.InvariantCulture)}");
    }

    public bool Bool(YamlNode node, string key) => Scalar(node, key).ToLowerInvariant() switch
    {
        "true" or "yes" => true,
        "false" or "no" => false,
        var other => throw Fail(node, key, $"must be true or false, found '{other}'"),
    };

    public string OneOf(YamlNode node, string key, params string[] allowed)
    {
        var value = Scalar(node, key).ToLowerInvariant();
        return allowed.Contains(value, StringComparer.Ordinal) ? value : throw Fail(node, key, $"must be one of {string.Join(", ", allowed)}, found '{value}'");
    }

    public string PairsValue(YamlNode node)
    {
        var value = Scalar(node, "options.pairs");
        if (value == "all" || value.StartsWith("baseline:", StringComparison.Ordinal))
        {
            return value;
        }

        return value.StartsWith("labels:", StringComparison.Ordinal)
            ? "labels:" + Resolve(value["labels:".Length..])
            : throw Fail(node, "options.pairs", $"must be all, baseline:MODEL or labels:FILE, found '{value}'");
    }

}

using YamlDotNet.RepresentationModel;

namespace Judge.Data;

/// <summary>How an error message names a YAML value it did not expect; the rubric and run-config readers share it.</summary>
internal static class YamlNodes
{
    /// <summary><c>a section of keys</c>, <c>a list</c>, <c>nothing</c>, or the scalar quoted.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a section of keys",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: null or "" } => "nothing",
        YamlScalarNode s => $"'{s.Value}'",
        _ => node.NodeType.ToString(),
    };
}

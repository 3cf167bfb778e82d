using System.Text;

namespace Judge.Rubrics;

/// <summary>
/// A prompt with named <c>{placeholders}</c>. <c>{{</c> and <c>}}</c> stand for literal braces.
/// Parsed once; rendering fails loudly on a placeholder without a value rather than leaving it in.
/// </summary>
public sealed class PromptTemplate
{
    private readonly List<(bool IsPlaceholder, string Text)> _parts;

    private PromptTemplate(string text, List<(bool, string)> parts)
    {
        Text = text;
        _parts = parts;
        Placeholders = parts.Where(p => p.Item1).Select(p => p.Item2).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>The distinct placeholder names in order of first use.</summary>
    public IReadOnlyList<string> Placeholders { get; }

    /// <summary>An empty template.</summary>
    public static PromptTemplate Empty { get; } = Parse(string.Empty);

    /// <summary>Whether the template uses <paramref name="name"/>.</summary>
    public bool Uses(string name) => Placeholders.Contains(name, StringComparer.Ordinal);

    /// <summary>Parses a template; an unclosed <c>{</c> or a stray <c>}</c> is a <see cref="FormatException"/>.</summary>
    public static PromptTemplate Parse(string text)
    {
        var parts = new List<(bool, string)>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '{' && i + 1 < text.Length && text[i + 1] == '{')
            {
                literal.Append('{');
                i++;
            }
            else if (c == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                literal.Append('}');
                i++;
            }
            else if (c == '{')
            {
                var close = text.IndexOf('}', i + 1);
                if (close < 0)
                {
                    throw new FormatException($"unclosed '{{' at character {i + 1}");
                }

                var name = text[(i + 1)..close].Trim();
                if (name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_'))
                {
                    throw new FormatException($"'{{{name}}}' at character {i + 1} is not a placeholder name (letters, digits, '_'); write '{{{{' for a literal brace");
                }

                if (literal.Length > 0)
                {
                    parts.Add((false, literal.ToString()));
                    literal.Clear();
                }

                parts.Add((true, name));
                i = close;
            }
            else if (c == '}')
            {
                throw new FormatException($"stray '}}' at character {i + 1}; write '}}}}' for a literal brace");
            }
            else
            {
                literal.Append(c);
            }
        }

        if (literal.Length > 0)
        {
            parts.Add((false, literal.ToString()));
        }

        return new PromptTemplate(text, parts);
    }

    /// <summary>Substitutes every placeholder; a placeholder with no value is a <see cref="KeyNotFoundException"/>.</summary>
    public string Render(IReadOnlyDictionary<string, string> values)
    {
        var sb = new StringBuilder();
        foreach (var (isPlaceholder, text) in _parts)
        {
            if (!isPlaceholder)
            {
                sb.Append(text);
            }
            else if (values.TryGetValue(text, out var value))
            {
                sb.Append(value);
            }
            else
            {
                throw new KeyNotFoundException($"no value for placeholder '{{{text}}}'");
            }
        }

        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Text;
}

using System.Globalization;

namespace Judge.Judges;

/// <summary>
/// A judge named on the command line: <c>scheme:target</c> with optional <c>?key=value&amp;key=value</c>
/// options, e.g. <c>replay:gpt4_pair_judgments.jsonl</c>, <c>llama:models/judge.gguf?ctx=4096</c>,
/// <c>openai:gpt-4o</c>, <c>azure:my-deployment?endpoint=https://…</c>. Secrets never go in a spec.
/// </summary>
public sealed record JudgeSpec
{
    /// <summary>The provider scheme, lower case: replay, llama, openai, azure, ….</summary>
    public required string Scheme { get; init; }

    /// <summary>What the provider should judge with: a path, a model or a deployment name.</summary>
    public required string Target { get; init; }

    /// <summary>Provider options from the query part, keys compared case-insensitively.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The spec as written.</summary>
    public required string Text { get; init; }

    /// <summary>Parses a spec; a malformed one is an <see cref="InputException"/> that shows the expected form.</summary>
    public static JudgeSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new InputException(null, null, "--judge", $"'{text}' is not a judge spec; expected scheme:target, e.g. replay:judgments.jsonl, llama:model.gguf, openai:gpt-4o, azure:DEPLOYMENT");
        }

        var scheme = text[..colon].Trim().ToLowerInvariant();
        var rest = text[(colon + 1)..];
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            foreach (var pair in rest[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new InputException(null, null, "--judge", $"option '{pair}' in '{text}' is not key=value");
                }

                options[Uri.UnescapeDataString(pair[..eq])] = Uri.UnescapeDataString(pair[(eq + 1)..]);
            }

            rest = rest[..query];
        }

        if (string.IsNullOrWhiteSpace(rest))
        {
            throw new InputException(null, null, "--judge", $"'{text}' names no target after '{scheme}:'");
        }

        return new JudgeSpec { Scheme = scheme, Target = rest.Trim(), Options = options, Text = text };
    }

    /// <summary>An option's value, or <paramref name="fallback"/>.</summary>
    public string? Option(string key, string? fallback = null) => Options.TryGetValue(key, out var v) ? v : fallback;

    /// <summary>An integer option, or <paramref name="fallback"/>; a non-integer is an <see cref="InputException"/>.</summary>
    public int IntOption(string key, int fallback) =>
        !Options.TryGetValue(key, out var v) ? fallback
        : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
        : throw new InputException(null, null, "--judge", $"option '{key}={v}' in '{Text}' is not an integer");

    /// <summary>The same spec with one option set (added or replaced); <see cref="Text"/> is rewritten to match.</summary>
    public JudgeSpec WithOption(string key, string value)
    {
        var options = new Dictionary<string, string>(Options, StringComparer.OrdinalIgnoreCase) { [key] = value };
        var query = string.Join('&', options.Select(o => $"{Uri.EscapeDataString(o.Key)}={Uri.EscapeDataString(o.Value)}"));
        return this with { Options = options, Text = $"{Scheme}:{Target}?{query}" };
    }

    /// <inheritdoc/>
    public override string ToString() => Text;
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace Judge.Judging;

/// <summary>
/// A judge named on the command line: <c>scheme:target</c> with optional <c>?key=value&amp;key=value</c>
/// options, e.g. <c>replay:gpt4_pair_judgments.jsonl</c>, <c>llama:models/judge.gguf?ctx=4096</c>,
/// <c>openai:gpt-4o</c>, <c>azure:my-deployment?endpoint=https://…</c>. Secrets never go in a spec.
/// This is the one spec parser: providers declare the keys they take with <see cref="RequireKnownOptions"/>
/// and read numbers through the range-checked readers, so a typo or an out-of-range value is an
/// <see cref="InputException"/> naming the key and what is allowed.
/// </summary>
public sealed partial record JudgeSpec
{
    /// <summary>The provider scheme, lower case: replay, llama, openai, azure, ….</summary>
    public required string Scheme { get; init; }

    /// <summary>Whether the scheme's provider has a batch API (<c>openai:</c>, <c>azure:</c>): the judges <c>batch=on</c> applies to.</summary>
    public bool HasBatchApi => Facts.HasBatchApi;

    /// <summary>
    /// Whether the judge replays verdicts or outputs recorded earlier (<c>replay:</c>): its target is a recorded file, and
    /// its calls are never priced again (they were paid for when they were recorded).
    /// </summary>
    public bool ReplaysRecordedVerdicts => Facts.Replays;

    /// <summary>Whether the judge runs on this machine and costs nothing per call (<c>llama:</c>, <c>mock:</c>).</summary>
    public bool RunsLocally => Facts.Local;

    /// <summary>
    /// Whether the judge's verdicts are made up, reading no answer for meaning (<c>mock:</c>, for testing pipelines):
    /// every figure and gate of its run is meaningless, and reports say so.
    /// </summary>
    public bool MakesUpVerdicts => Facts.MadeUp;

    /// <summary>
    /// The model-catalogue name the target gives (<c>llama:NAME</c>: a target that looks like a name, with no file of that
    /// name), or <see langword="null"/> for a file or a scheme without a catalogue.
    /// </summary>
    public string? CatalogueModel => Facts.Catalogue && LooksLikeModelName(Target) && !File.Exists(Target) ? Target : null;

    /// <summary>The model a judge's calls are priced by when the provider names none: the <c>?model=</c> option, else the target.</summary>
    public string PricedModel => Option("model") ?? Target;

    /// <summary>What the provider should judge with: a path, a model or a deployment name.</summary>
    public required string Target { get; init; }

    /// <summary>
    /// Provider options from the query part, keys compared case-insensitively. Values are as written
    /// (a URL keeps its user name and password here, for the connection), so never print them: print
    /// <see cref="Text"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The spec as written, with the user information (<c>user:password@</c>) of every URL in it removed:
    /// this is what results, journals, manifests, reports and messages record as the judge id.
    /// </summary>
    public required string Text { get; init; }

    /// <summary>
    /// The judges of a composite spec, in order: the stages of <c>cascade(A, B)</c> or the members of <c>panel(A, B, C)</c>;
    /// empty for a single judge. A cascade's stage may be a panel; a panel's members are single judges.
    /// </summary>
    public IReadOnlyList<JudgeSpec> Members { get; init; } = [];

    /// <summary>Whether the spec is a <c>cascade(…)</c> or <c>panel(…)</c> of other judges (<see cref="Members"/>).</summary>
    public bool IsComposite => Members.Count > 0;

    /// <summary>The single judges the spec calls: itself, or every member of a composite (a panel stage's members too), in order.</summary>
    public IReadOnlyList<JudgeSpec> Singles => IsComposite ? [.. Members.SelectMany(m => m.Singles)] : [this];

    /// <summary>
    /// The files the spec reads, as written, those that exist: each single judge's target when it names a file (a GGUF
    /// model) and its <c>prices</c>, <c>schema</c> and <c>grammar</c>, and a composite's <c>calibration</c> and <c>weights</c>.
    /// A command that writes files refuses an output among them.
    /// </summary>
    public IEnumerable<string> FilesRead =>
        Singles.SelectMany(j => new[] { File.Exists(j.Target) ? j.Target : null, j.Option("prices"), j.Option("schema"), j.Option("grammar") })
            .Concat(IsComposite ? [Option("calibration"), Option("weights"), .. Members.SelectMany(m => m.FilesRead)] : [])
            .OfType<string>()
            .Where(File.Exists)
            .Distinct(StringComparer.Ordinal);

    /// <summary>
    /// Parses a spec; a malformed one is an <see cref="InputException"/> that shows the expected form. A composite spec is
    /// <c>cascade(SPEC, SPEC, …)?calibration=FILE</c> or <c>panel(SPEC, SPEC, …)</c>, each member a spec of its own (a comma or
    /// bracket inside a member is written <c>%2C</c>, <c>%28</c>, <c>%29</c>), the composite's own options after the bracket.
    /// </summary>
    public static JudgeSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var shown = Redact(text);
        if (CompositeStart().Match(text) is { Success: true } composite)
        {
            return ParseComposite(text, shown, composite.Groups["scheme"].Value.ToLowerInvariant(), composite.Length);
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new InputException(null, null, "judge spec", $"'{shown}' is not a judge spec; expected scheme:target, e.g. replay:judgments.jsonl, llama:model.gguf, openai:gpt-4o, azure:DEPLOYMENT");
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
                    throw new InputException(null, null, "judge spec", $"option '{Redact(pair)}' in '{shown}' is not key=value");
                }

                var key = Uri.UnescapeDataString(pair[..eq]);
                if (options.ContainsKey(key))
                {
                    throw new InputException(null, null, "judge spec", $"option '{key}' is given twice in '{shown}'");
                }

                options[key] = Uri.UnescapeDataString(pair[(eq + 1)..]);
            }

            // The spec is the judge id every result, journal and manifest records, so a credential must never ride in it,
            // accepted or refused: refused here, for every scheme, and its value shown nowhere (Redact masks it).
            if (options.Keys.FirstOrDefault(IsSecretLike) is { } secret)
            {
                throw new InputException(null, null, "judge spec", $"option '{secret}' in '{shown}' looks like a credential; keys are read only from environment variables (OPENAI_API_KEY, AZURE_OPENAI_API_KEY), never from the judge spec");
            }

            rest = rest[..query];
        }

        if (string.IsNullOrWhiteSpace(rest))
        {
            throw new InputException(null, null, "judge spec", $"'{shown}' names no target after '{scheme}:'");
        }

        return new JudgeSpec { Scheme = scheme, Target = rest.Trim(), Options = options, Text = shown };
    }

    private static JudgeSpec ParseComposite(string text, string shown, string scheme, int open)
    {
        var members = new List<string>();
        var depth = 0;
        var start = open;
        var close = -1;
        for (var i = open; i < text.Length && close < 0; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')' when depth > 0:
                    depth--;
                    break;
                case ')':
                    members.Add(text[start..i]);
                    close = i;
                    break;
                case ',' when depth == 0:
                    members.Add(text[start..i]);
                    start = i + 1;
                    break;
            }
        }

        if (close < 0)
        {
            throw new InputException(null, null, "judge spec", $"'{shown}' has no closing ')'; expected {scheme}(SPEC, SPEC, …)");
        }

        var rest = text[(close + 1)..].Trim();
        if (rest.Length > 0 && rest[0] != '?')
        {
            throw new InputException(null, null, "judge spec", $"'{shown}' has '{Redact(rest)}' after its ')'; only the {scheme}'s ?options may follow");
        }

        var parsed = new List<JudgeSpec>();
        foreach (var member in members.Select(m => m.Trim()))
        {
            if (member.Length == 0)
            {
                throw new InputException(null, null, "judge spec", $"'{shown}' has an empty member; expected {scheme}(SPEC, SPEC, …)");
            }

            var spec = Parse(member);
            if (spec.IsComposite && (scheme == "panel" || spec.Scheme == "cascade"))
            {
                throw new InputException(null, null, "judge spec", $"'{spec.Text}' cannot be a member of '{shown}': a cascade's stage may be a panel of single judges, a panel's members are single judges");
            }

            parsed.Add(spec);
        }

        // The composite's own options are read by the one key=value parser, on a stand-in target.
        var options = rest.Length > 0 ? Parse($"{scheme}:members{rest}").Options : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var result = new JudgeSpec { Scheme = scheme, Target = string.Join(", ", parsed.Select(p => p.Text)), Options = options, Text = shown, Members = parsed };
        result.RequireKnownOptions(scheme == "cascade" ? ["calibration", "on_abstain"] : ["vote", "weights"]);
        return result;
    }

    /// <summary>
    /// <paramref name="text"/> with the user information of every URL in it removed
    /// (<c>http://user:pw@host/v1</c> becomes <c>http://host/v1</c>), also where the URL is percent-encoded.
    /// </summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var masked = SecretOption().Replace(text, m => IsSecretLike(Uri.UnescapeDataString(m.Groups["key"].Value)) ? $"{m.Groups["key"].Value}=***" : m.Value);
        return EncodedUserInfo().Replace(UserInfo().Replace(masked, "${scheme}"), "${scheme}");
    }

    /// <summary>
    /// Whether an option name looks like a credential (<c>key</c>, <c>api_key</c>, <c>token</c>, <c>password</c>, <c>secret</c>…):
    /// such an option is refused by <see cref="Parse"/> and its value masked by <see cref="Redact"/>.
    /// </summary>
    public static bool IsSecretLike(string optionName)
    {
        ArgumentNullException.ThrowIfNull(optionName);
        var name = optionName.Trim().ToLowerInvariant().Replace("-", "_", StringComparison.Ordinal);
        return name is "key" or "apikey" or "auth_token" or "bearer" or "authorization" or "credential" or "credentials"
            || (name.EndsWith("_key", StringComparison.Ordinal) && name != "cache_key")
            || name.Contains("token", StringComparison.Ordinal) && name is not ("max_tokens" or "tokens" or "max_output_tokens" or "expected_output_tokens")
            || name.Contains("password", StringComparison.Ordinal) || name.Contains("secret", StringComparison.Ordinal) || name is "pwd" or "passwd";
    }

    /// <summary>
    /// Refuses options other than <paramref name="known"/> with an <see cref="InputException"/> that lists
    /// the unknown ones and every known key, so <c>rmp=60</c> is a typo reported, not a budget silently dropped.
    /// </summary>
    public void RequireKnownOptions(IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        var set = new HashSet<string>(known, StringComparer.OrdinalIgnoreCase);
        var unknown = Options.Keys.Where(k => !set.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            var list = set.Count == 0 ? "no options" : string.Join(", ", set.Order(StringComparer.Ordinal));
            throw new InputException(null, null, "judge spec", $"unknown option{(unknown.Count > 1 ? "s" : string.Empty)} {string.Join(", ", unknown.Select(u => $"'{u}'"))} in '{Text}'; {Scheme}: takes {list}");
        }
    }

    /// <summary>An option's value, or <paramref name="fallback"/>.</summary>
    public string? Option(string key, string? fallback = null) => Options.TryGetValue(key, out var v) ? v : fallback;

    /// <summary>
    /// An integer option from <paramref name="min"/> to <paramref name="max"/>, or <paramref name="fallback"/>
    /// when absent; anything else is an <see cref="InputException"/> naming the key and the range.
    /// </summary>
    public int IntOption(string key, int fallback, int min = int.MinValue, int max = int.MaxValue) =>
        Options.ContainsKey(key) ? IntOption(key, min, max)!.Value : fallback;

    /// <summary>An integer option from <paramref name="min"/> to <paramref name="max"/>, or <see langword="null"/> when absent.</summary>
    public int? IntOption(string key, int min, int max)
    {
        if (!Options.TryGetValue(key, out var v))
        {
            return null;
        }

        return int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw OutOfRange(key, v, $"an integer {Range(min.ToString(CultureInfo.InvariantCulture), max.ToString(CultureInfo.InvariantCulture), min == int.MinValue, max == int.MaxValue)}");
    }

    /// <summary>
    /// A decimal option from <paramref name="min"/> to <paramref name="max"/> (finite, invariant culture),
    /// or <see langword="null"/> when absent; anything else is an <see cref="InputException"/>.
    /// </summary>
    public double? DoubleOption(string key, double min, double max)
    {
        if (!Options.TryGetValue(key, out var v))
        {
            return null;
        }

        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && d >= min && d <= max
            ? d
            : throw OutOfRange(key, v, $"a number {Range(min.ToString(CultureInfo.InvariantCulture), max.ToString(CultureInfo.InvariantCulture), false, false)}");
    }

    /// <summary>
    /// A duration in seconds, above zero and at most <paramref name="maxSeconds"/>, or <see langword="null"/> when absent.
    /// </summary>
    public TimeSpan? SecondsOption(string key, double maxSeconds)
    {
        if (!Options.TryGetValue(key, out var v))
        {
            return null;
        }

        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && d > 0 && d <= maxSeconds
            ? TimeSpan.FromSeconds(d)
            : throw OutOfRange(key, v, $"a number of seconds above 0 and at most {maxSeconds.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>An option that must be one of <paramref name="allowed"/> (case-insensitive), lower-cased, or <paramref name="fallback"/>.</summary>
    public string? ChoiceOption(string key, string? fallback, params string[] allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (!Options.TryGetValue(key, out var v))
        {
            return fallback;
        }

        return allowed.FirstOrDefault(a => string.Equals(a, v, StringComparison.OrdinalIgnoreCase))
            ?? throw OutOfRange(key, v, $"one of {string.Join(", ", allowed)}");
    }

    /// <summary>
    /// The same spec with one option set (added or replaced); <see cref="Text"/> is rewritten to match. On a composite spec
    /// the option is set on every member (a cache mode, batch mode), and the composite's own options stay.
    /// </summary>
    public JudgeSpec WithOption(string key, string value)
    {
        if (IsComposite)
        {
            return this with { Members = [.. Members.Select(m => m.WithOption(key, value))] };
        }

        var options = new Dictionary<string, string>(Options, StringComparer.OrdinalIgnoreCase) { [key] = value };
        var query = string.Join('&', options.Select(o => $"{Uri.EscapeDataString(o.Key)}={Uri.EscapeDataString(o.Value)}"));
        return this with { Options = options, Text = Redact($"{Scheme}:{Target}?{query}") };
    }

    /// <summary>
    /// The spec with a relative file target made absolute against <paramref name="folder"/> (the folder of the config that
    /// names it, or the working directory for a spec given on the command line); <see cref="Text"/>, the recorded judge
    /// id, stays as written. A <c>replay:</c> target is always a file; a <c>llama:</c> target that looks like a catalogue
    /// model name (<see cref="LooksLikeModelName"/>) stays a name unless a file of that name is there.
    /// </summary>
    public JudgeSpec ResolvedAgainst(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (IsComposite)
        {
            // A composite's file options (its calibration, its weights) resolve here too; Text stays as written.
            var options = Options.ToDictionary(o => o.Key, o => o.Key is "calibration" or "weights" ? string.Join(',', o.Value.Split(',').Select(f => Path.GetFullPath(Path.Combine(folder, f.Trim())))) : o.Value, StringComparer.OrdinalIgnoreCase);
            return this with { Members = [.. Members.Select(m => m.ResolvedAgainst(folder))], Options = options };
        }

        if (!Facts.TargetIsFile || Path.IsPathRooted(Target))
        {
            return this;
        }

        var beside = Path.GetFullPath(Path.Combine(folder, Target));
        return !Facts.Catalogue || File.Exists(beside) || !LooksLikeModelName(Target) ? this with { Target = beside } : this;
    }

    /// <summary>
    /// Whether a <c>llama:</c> target looks like a model name rather than a file: no folder separator and no <c>.gguf</c>
    /// ending. Such a target is looked up in the model catalogue; an existing file of that name still wins.
    /// </summary>
    public static bool LooksLikeModelName(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.Length > 0
            && target.IndexOfAny(['/', '\\']) < 0
            && !target.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);
    }

    /// <inheritdoc/>
    public override string ToString() => Text;

    /// <summary>What callers need to know of a scheme, said once: the one table of scheme facts.</summary>
    private SchemeFacts Facts => Scheme switch
    {
        "replay" => new(Replays: true, Local: false, TargetIsFile: true, Catalogue: false, HasBatchApi: false, MadeUp: false),
        "llama" => new(Replays: false, Local: true, TargetIsFile: true, Catalogue: true, HasBatchApi: false, MadeUp: false),
        "mock" => new(Replays: false, Local: true, TargetIsFile: false, Catalogue: false, HasBatchApi: false, MadeUp: true),
        "openai" or "azure" => new(Replays: false, Local: false, TargetIsFile: false, Catalogue: false, HasBatchApi: true, MadeUp: false),
        _ => default,
    };

    private readonly record struct SchemeFacts(bool Replays, bool Local, bool TargetIsFile, bool Catalogue, bool HasBatchApi, bool MadeUp);

    private InputException OutOfRange(string key, string value, string allowed) =>
        new(null, null, "judge spec", $"option '{key}={Redact(value)}' in '{Text}' is not allowed: {key} must be {allowed}");

    private static string Range(string min, string max, bool noMin, bool noMax) =>
        (noMin, noMax) switch
        {
            (true, true) => string.Empty,
            (true, false) => $"at most {max}",
            (false, true) => $"of at least {min}",
            _ => $"from {min} to {max}",
        };

    [GeneratedRegex(@"^\s*(?<scheme>cascade|panel)\s*\(", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex CompositeStart();

    [GeneratedRegex(@"(?<=[?&])(?<key>[^=&?#\s]+)=[^&#\s]*", RegexOptions.CultureInvariant)]
    private static partial Regex SecretOption();

    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^/?#@\s&]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*(?:%3A|:)(?:%2F|/){2})(?:(?!%2F|%3F|%23|[/?#&\s]).)*?%40", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex EncodedUserInfo();
}

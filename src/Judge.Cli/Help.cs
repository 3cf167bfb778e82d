using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text;

namespace Judge.Cli;

/// <summary>
/// <c>judge … --help</c>: what the command does, its usage, one or two examples, then its options grouped (input,
/// judge, output, run control, statistics, other) and its subcommands, wrapped to the console's width.
/// </summary>
internal sealed class Help(int width) : SynchronousCommandLineAction
{
    /// <summary>The groups options are listed under, in order; an option not named here is listed under "other".</summary>
    private static readonly (string Group, string[] Options)[] Groups =
    [
        ("input", ["--questions", "--answers", "--references", "--columns", "--judgments", "--human", "--layout", "--map", "--human-layout", "--human-map", "--prometheus", "--reference", "--seeds", "--prompts", "--difficulty", "--gamed", "--confidence"]),
        ("judge", ["--judge", "--judges", "--rubric", "--rubrics-dir", "--verdict", "--max-tokens", "--swap", "--on-disagreement", "--no-cache", "--refresh", "--prices", "--generator", "--second-judge", "--judge-name", "--judge-family", "--families"]),
        ("what to judge", ["--turn", "--pairs", "--models", "--limit", "--shard", "--stages", "--from", "--until", "--rubrics", "--rubrics-per-call", "--include-seeds", "--instructions-per-rubric", "--responses-per-level"]),
        ("output", ["--out", "--report", "--format", "--json", "--quiet"]),
        ("run control", ["--resume", "--overwrite", "--retry-errors", "--concurrency", "--repeat", "--seed", "--dry-run", "--expected-output-tokens", "--rpm"]),
        ("statistics", ["--human-raters", "--resamples", "--rounds", "--level", "--bootstrap-cluster", "--baseline", "--exclude-ties", "--style", "--strong-weight", "--tolerance", "--target", "--delta", "--grid", "--dedupe-threshold", "--no-balance"]),
    ];

    /// <summary>The sections of a help text, in order.</summary>
    private static readonly List<string> SectionOrder = ["arguments", "commands", .. Groups.Select(g => g.Group), "other"];

    /// <summary>Examples per command path (<c>judge compare</c>), shown under the usage.</summary>
    private static readonly Dictionary<string, string[]> Examples = new(StringComparer.Ordinal)
    {
        ["judge"] = ["judge init my-eval && judge run my-eval/judge.yaml", "judge compare -q question.jsonl -a answers/*.jsonl --judge openai:gpt-4o --out out/compare.jsonl"],
        ["judge compare"] =
        [
            "judge compare -q question.jsonl -a answers/*.jsonl --judge openai:gpt-4o --out out/compare.jsonl",
            "judge compare -q question.jsonl -a answers/*.jsonl --judge replay:gpt4_pair_judgments.jsonl --turn 2 --report out/report",
        ],
        ["judge grade"] =
        [
            "judge grade -q question.jsonl -a answers/*.jsonl -r reference.jsonl --judge llama:recommended --out out/grade.jsonl",
            "judge grade -q question.jsonl -a answers/*.jsonl --judge openai:gpt-4o --dry-run",
        ],
        ["judge init"] = ["judge init my-eval", "judge init . --overwrite"],
        ["judge rubrics list"] = ["judge rubrics list", "judge rubrics list --rubrics-dir my-rubrics"],
        ["judge rubrics show"] = ["judge rubrics show pairwise-general"],
        ["judge agreement"] =
        [
            "judge agreement --judgments out/compare.jsonl --human human_judgments.jsonl --turn 1",
            "judge agreement --judgments gpt-4_pair.jsonl --layout fastchat-pair --human human_judgments.jsonl --format json",
        ],
        ["judge agreement-pandalm"] = ["judge agreement-pandalm --testset testset-v1.json --judgments gpt-3.5-turbo-testset-v1.json"],
        ["judge bias report"] = ["judge bias report --judgments out/compare.jsonl --answers answers/*.jsonl --baseline gpt-3.5-turbo"],
        ["judge bias difficulty"] = ["judge bias difficulty --judgments panel.jsonl --answers answers/*.jsonl --baseline gpt-4 --out difficulty.jsonl"],
        ["judge bias arena"] = ["judge bias arena --judgments out/compare.jsonl --baseline gpt-4-0314 --rounds 100"],
        ["judge bias verbosity-set"] = ["judge bias verbosity-set -q question.jsonl -a answers/*.jsonl --out verbosity"],
        ["judge judges"] = ["judge judges --judgments gpt4_pair_judgments.jsonl --judgments out/compare.jsonl --human human_judgments.jsonl"],
        ["judge calibrate"] =
        [
            "judge calibrate --judgments gpt4_pair_judgments.jsonl --confidence orders --human human_judgments.jsonl --target 0.7",
            "judge calibrate --judgments cheap.jsonl --judgments strong.jsonl --human human_judgments.jsonl --target 0.85 --delta 0.1 --out calibration.json",
        ],
        ["judge agreement-scores"] = ["judge agreement-scores --prometheus mt_bench_eval.json", "judge agreement-scores --judgments out/grade.jsonl --reference other/grade.jsonl"],
        ["judge run"] = ["judge run judge.yaml", "judge run judge.yaml --resume --json"],
        ["judge batch export"] = ["judge batch export judge.yaml --out requests.jsonl"],
        ["judge batch import"] = ["judge batch import judge.yaml results.jsonl"],
        ["judge merge"] = ["judge merge judge.yaml shard-1 shard-2 --out merged"],
        ["judge models info"] = ["judge models info model.gguf"],
        ["judge models pull"] = ["judge models pull recommended"],
        ["judge models list"] = ["judge models list"],
        ["judge feedback generate"] =
        [
            "judge feedback generate --out out/fc --generator openai:gpt-4o --judge openai:gpt-4o --dry-run",
            "judge feedback generate --out out/fc --generator openai:gpt-4o --judge openai:gpt-4o --from feedback",
        ],
    };

    /// <summary>The command paths that have examples, for the test that every command has one.</summary>
    public static IReadOnlyCollection<string> CommandsWithExamples => Examples.Keys;

    /// <summary>Puts this help behind every command's <c>--help</c>.</summary>
    public static void Install(RootCommand root, int width)
    {
        foreach (var option in root.Options.OfType<System.CommandLine.Help.HelpOption>())
        {
            option.Action = new Help(Math.Clamp(width, 40, 200));
        }
    }

    /// <summary>The path of a command as typed: <c>judge bias report</c>.</summary>
    public static string PathOf(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault())
        {
            names.Add(c is RootCommand ? "judge" : c.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>Help is shown whatever else the command line lacks (a required option, say).</summary>
    public override bool ClearsParseErrors => true;

    /// <inheritdoc/>
    public override int Invoke(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        parseResult.InvocationConfiguration.Output.Write(Render(parseResult.CommandResult.Command, width));
        return 0;
    }

    /// <summary>The help text of <paramref name="command"/> at <paramref name="columns"/> columns.</summary>
    public static string Render(Command command, int columns)
    {
        ArgumentNullException.ThrowIfNull(command);
        var path = PathOf(command);
        var text = new StringBuilder();
        Wrap(text, command.Description ?? string.Empty, columns, 0, columns);
        text.Append('\n').Append("Usage: ").Append(path);
        foreach (var argument in command.Arguments.Where(a => !a.Hidden))
        {
            text.Append(" <").Append(argument.Name).Append('>');
        }

        text.Append(command.Subcommands.Count > 0 ? " COMMAND" : string.Empty).Append(" [options]\n");
        if (Examples.TryGetValue(path, out var examples))
        {
            text.Append("\nExamples:\n");
            foreach (var example in examples)
            {
                text.Append("  ");
                Wrap(text, example, columns - 2, 6, columns);
            }
        }

        var rows = new List<(string Section, string Left, string Right)>();
        rows.AddRange(command.Arguments.Where(a => !a.Hidden).Select(a => ("arguments", $"<{a.Name}>", Describe(a.Description, a.HasDefaultValue ? a.GetDefaultValue() : null, false))));
        foreach (var option in command.Options.Concat(Recursive(command)).Where(o => !o.Hidden).Distinct())
        {
            var names = string.Join(", ", option.Aliases.Where(a => a.Length == 2 && a[0] == '-').Order(StringComparer.Ordinal).Append(option.Name));
            var value = option.ValueType == typeof(bool) || option.Arity.MaximumNumberOfValues == 0 ? string.Empty : $" <{option.HelpName ?? option.Name.TrimStart('-')}>";
            var group = Groups.FirstOrDefault(g => g.Options.Contains(option.Name)).Group ?? "other";
            rows.Add((group, names + value, Describe(option.Description, option.HasDefaultValue ? option.GetDefaultValue() : null, option.Required)));
        }

        rows.AddRange(command.Subcommands.Where(c => !c.Hidden).Select(c => ("commands", c.Name, c.Description ?? string.Empty)));
        var order = SectionOrder;
        var left = Math.Min(rows.Count == 0 ? 0 : rows.Max(r => r.Left.Length), columns / 3);
        foreach (var section in rows.GroupBy(r => r.Section).OrderBy(g => order.IndexOf(g.Key)))
        {
            text.Append('\n').Append(char.ToUpperInvariant(section.Key[0])).Append(section.Key[1..]).Append(":\n");
            foreach (var (_, name, description) in section)
            {
                var head = "  " + name;
                if (head.Length > left + 2)
                {
                    text.Append(head).Append('\n');
                    head = string.Empty;
                }

                text.Append(head.PadRight(left + 4));
                Wrap(text, description, columns - left - 4, left + 4, columns);
            }
        }

        return text.ToString();
    }

    /// <summary>The help option and any other option a parent offers to every subcommand.</summary>
    private static IEnumerable<Option> Recursive(Command command) =>
        command.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive).Concat(Recursive(p)));

    private static string Describe(string? description, object? defaultValue, bool required)
    {
        var text = description ?? string.Empty;
        if (required)
        {
            return text + " (required)";
        }

        return defaultValue switch
        {
            null or false => text,
            string s when s.Length == 0 => text,
            Array a when a.Length == 0 => text,
            IFormattable f => $"{text} [default: {f.ToString(null, System.Globalization.CultureInfo.InvariantCulture)}]",
            _ => $"{text} [default: {defaultValue}]",
        };
    }

    /// <summary>
    /// Appends <paramref name="words"/> wrapped: the first line has <paramref name="firstRoom"/> columns (its indent already
    /// written), each later line is indented by <paramref name="indent"/> within <paramref name="columns"/>. A word longer
    /// than the room (a path, a spec) stays whole on its own line.
    /// </summary>
    private static void Wrap(StringBuilder text, string words, int firstRoom, int indent, int columns)
    {
        var room = firstRoom;
        var used = 0;
        foreach (var word in words.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (used > 0 && used + 1 + word.Length > room)
            {
                text.Append('\n').Append(' ', indent);
                room = Math.Max(20, columns - indent);
                used = 0;
            }

            if (used > 0)
            {
                text.Append(' ');
                used++;
            }

            text.Append(word);
            used += word.Length;
        }

        text.Append('\n');
    }
}

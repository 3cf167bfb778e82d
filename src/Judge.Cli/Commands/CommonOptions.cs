using System.CommandLine;
using Judge.Data;
using Judge.Feedback;
using Judge.Rubrics;

namespace Judge.Cli.Commands;

/// <summary>Options several commands share, and where rubrics are found.</summary>
internal static class CommonOptions
{
    public static Option<string?> RubricsDirectory() => new("--rubrics-dir")
    {
        Description = "Folder of rubric YAML files. Default: $JUDGE_RUBRICS, else the standard rubrics built into judge.",
    };

    /// <summary>
    /// Makes a count or size option refuse anything below 1 at parse time (a usage error, exit 2), as the
    /// config file does: <c>--limit 0</c> judges nothing, and nothing judged is never a pass.
    /// </summary>
    public static Option<T> AtLeastOne<T>(this Option<T> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens[^1].Value is { } text
                && (!long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1))
            {
                result.AddError($"{option.Name} must be a whole number of at least 1, not '{text}'");
            }
        });
        return option;
    }

    /// <summary>Makes an option refuse values outside <paramref name="allowed"/>, naming the option and the allowed values (a usage error, exit 2).</summary>
    public static Option<string> OneOf(this Option<string> option, params string[] allowed)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens[^1].Value is { } text && !allowed.Contains(text, StringComparer.OrdinalIgnoreCase))
            {
                result.AddError($"{option.Name} must be one of {string.Join(", ", allowed)}, not '{text}'");
            }
        });
        return option;
    }

    /// <summary>
    /// The start <c>--resume</c> and <c>--overwrite</c> ask for (the rule that applies it is <see cref="Runs.RunStartRule"/>);
    /// neither: <paramref name="otherwise"/>.
    /// </summary>
    public static Runs.RunStart Start(bool resume, bool overwrite, Runs.RunStart otherwise) => (resume, overwrite) switch
    {
        (true, true) => throw new InputException(null, null, "--resume", "cannot be combined with --overwrite"),
        (true, false) => Runs.RunStart.Resume,
        (false, true) => Runs.RunStart.Overwrite,
        _ => otherwise,
    };

    /// <summary>
    /// The start of a command with <c>--retry-errors</c>: a resume that judges again the items recorded as error; with
    /// <c>--overwrite</c> it is a usage error (overwriting redoes everything anyway).
    /// </summary>
    public static Runs.RunStart Start(bool resume, bool overwrite, bool retryErrors, Runs.RunStart otherwise) =>
        retryErrors && overwrite
            ? throw new InputException(null, null, "--retry-errors", "cannot be combined with --overwrite (which judges everything again); give --retry-errors alone")
            : Start(resume || retryErrors, overwrite, otherwise);

    /// <summary>A start's refusal in the words of the flags that would let it go ahead.</summary>
    public static InputException Refused(Runs.RunStartRefusal refusal)
    {
        var remedies = refusal.Allowed.Select(a => a == Runs.RunStart.Resume ? "give --resume to keep it and judge only what is missing" : "--overwrite to start again");
        return new InputException(refusal.Path, null, refusal.Field, $"{refusal.Problem}; {string.Join(" or ", remedies)}");
    }

    /// <summary>Judge specs given on the command line: parsed here, file targets resolved against the working directory.</summary>
    public static IReadOnlyList<Judging.JudgeSpec> JudgeSpecs(IEnumerable<string> texts) =>
        [.. texts.Select(t => Judging.JudgeSpec.Parse(t).ResolvedAgainst(Environment.CurrentDirectory))];

    /// <summary>The one <c>--human-raters</c> option of every command that compares with human votes.</summary>
    public static Option<string?> HumanRaters() => new("--human-raters")
    {
        Description = $"Count human votes whose rater name starts with this prefix; 'all' for every vote. Default: {Statistics.HumanRaters.DefaultPrefix} (MT-Bench's expert annotators, as in the paper).",
    };

    /// <summary>
    /// The rubric library: the folder the option or <c>$JUDGE_RUBRICS</c> names, else the standard rubrics
    /// embedded in Judge.Core (<see cref="StandardRubrics.Library"/>), which need no files.
    /// </summary>
    public static RubricLibrary LoadRubrics(string? directory) =>
        RubricsPath(directory) is { } path ? RubricLibrary.LoadDirectory(path) : StandardRubrics.Library;

    /// <summary>
    /// The rubric folder the user chose (the option, else <c>$JUDGE_RUBRICS</c>), or <see langword="null"/>
    /// when the standard rubrics built into judge apply.
    /// </summary>
    public static string? RubricsPath(string? directory) =>
        directory ?? (Environment.GetEnvironmentVariable("JUDGE_RUBRICS") is { Length: > 0 } fromEnv ? fromEnv : null);

    /// <summary>
    /// The feedback stage prompts: <paramref name="prompts"/>, else <c>feedback/</c> in the chosen rubric
    /// folder, else the standard ones.
    /// </summary>
    public static FeedbackPrompts LoadFeedbackPrompts(string? prompts, string? rubricsDirectory) =>
        (prompts ?? (RubricsPath(rubricsDirectory) is { } path ? Path.Combine(path, "feedback") : null)) is { } folder
            ? FeedbackPrompts.LoadDirectory(folder)
            : FeedbackPrompts.LoadStandard();

    /// <summary>
    /// The feedback seed rubrics: <paramref name="seeds"/>, else <c>feedback/seeds/</c> in the chosen rubric
    /// folder, else the standard ones.
    /// </summary>
    public static IReadOnlyList<FeedbackRubric> LoadFeedbackSeeds(string? seeds, string? rubricsDirectory) =>
        (seeds ?? (RubricsPath(rubricsDirectory) is { } path ? Path.Combine(path, "feedback", "seeds") : null)) is { } folder
            ? FeedbackPrompts.LoadSeeds(folder)
            : FeedbackPrompts.LoadStandardSeeds();
}

/// <summary>
/// The <c>--layout</c>/<c>--map</c> and <c>--human-layout</c>/<c>--human-map</c> options of every command
/// that reads pairwise verdicts or labels: where the fields of a published file are (see <see cref="PairwiseLayout"/>).
/// </summary>
internal sealed class LayoutOptions
{
    private static readonly string Names = string.Join(", ", PairwiseLayout.Names);

    private static readonly string Fields = string.Join(", ", PairwiseLayout.KnownFields);

    /// <summary>The judge file's named layout.</summary>
    public Option<string?> Layout { get; } = new("--layout") { Description = $"Layout of the judge's verdict file: {Names} (default: a Judge judgments file or MT-Bench's field names)." };

    /// <summary>The judge file's field map.</summary>
    public Option<string?> Map { get; } = new("--map") { Description = $"Field map of the judge's verdict file, over --layout: field=source,… with fields {Fields}; a source is a field, a path (games[0].score), #index or a 'literal'." };

    /// <summary>The human file's named layout.</summary>
    public Option<string?> HumanLayout { get; } = new("--human-layout") { Description = $"Layout of the human label file: {Names}." };

    /// <summary>The human file's field map.</summary>
    public Option<string?> HumanMap { get; } = new("--human-map") { Description = "Field map of the human label file, over --human-layout (same fields as --map)." };

    /// <summary>The options for a command that reads only a judge's file.</summary>
    public IEnumerable<Option> JudgeOnly => [Layout, Map];

    /// <summary>All four options.</summary>
    public IEnumerable<Option> All => [Layout, Map, HumanLayout, HumanMap];

    /// <summary>The judge file's layout, or <see langword="null"/> when neither option was given.</summary>
    public PairwiseLayout? Judge(ParseResult parse) => Resolve(parse.GetValue(Layout), parse.GetValue(Map));

    /// <summary>The human file's layout, or <see langword="null"/> when neither option was given.</summary>
    public PairwiseLayout? Human(ParseResult parse) => Resolve(parse.GetValue(HumanLayout), parse.GetValue(HumanMap));

    private static PairwiseLayout? Resolve(string? layout, string? map) =>
        string.IsNullOrWhiteSpace(layout) && string.IsNullOrWhiteSpace(map) ? null : PairwiseLayout.Parse(layout, map);
}

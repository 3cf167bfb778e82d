using System.CommandLine;
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

using System.CommandLine;
using Judge.Rubrics;

namespace Judge.Cli.Commands;

/// <summary>Options several commands share, and where rubrics are found.</summary>
internal static class CommonOptions
{
    public static Option<string?> RubricsDirectory() => new("--rubrics-dir")
    {
        Description = "Folder of rubric YAML files. Default: $JUDGE_RUBRICS, else the rubrics shipped with judge.",
    };

    /// <summary>
    /// Loads the rubric library from the option, <c>$JUDGE_RUBRICS</c>, the folder beside the
    /// executable (where the build copies the shipped rubrics), or a <c>rubrics/</c> folder above
    /// the working directory — the first that exists.
    /// </summary>
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

    /// <summary>The one <c>--human-raters</c> option of every command that compares with human votes.</summary>
    public static Option<string?> HumanRaters() => new("--human-raters")
    {
        Description = $"Count human votes whose rater name starts with this prefix; 'all' for every vote. Default: {Statistics.HumanRaters.DefaultPrefix} (MT-Bench's expert annotators, as in the paper).",
    };

    public static RubricLibrary LoadRubrics(string? directory) => RubricLibrary.LoadDirectory(RubricsPath(directory));

    /// <summary>The rubric folder <see cref="LoadRubrics"/> would load.</summary>
    public static string RubricsPath(string? directory)
    {
        if (directory is not null)
        {
            return directory;
        }

        if (Environment.GetEnvironmentVariable("JUDGE_RUBRICS") is { Length: > 0 } fromEnv)
        {
            return fromEnv;
        }

        var beside = Path.Combine(AppContext.BaseDirectory, "rubrics");
        if (Directory.Exists(beside))
        {
            return beside;
        }

        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "rubrics");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new RubricException("rubrics", "no rubric folder found; give --rubrics-dir or set JUDGE_RUBRICS");
    }
}

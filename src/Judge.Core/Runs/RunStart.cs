namespace Judge.Runs;

/// <summary>How a run treats what its output already holds. Commands map their flags to it; <see cref="RunStartRule"/> applies it.</summary>
public enum RunStart
{
    /// <summary>Refuse when the output holds a run, finished or not (a manifest, or judgments without one).</summary>
    New,

    /// <summary>Replace a finished run; refuse an unfinished one, which could be resumed instead.</summary>
    ReplaceFinished,

    /// <summary>Keep what the output holds and do only what is missing, serving journalled answers; start afresh when nothing is there.</summary>
    Resume,

    /// <summary>Start again, replacing whatever is there.</summary>
    Overwrite,
}

/// <summary>Why a start was refused, and the starts the output would allow.</summary>
/// <param name="Path">The file or folder the refusal is about.</param>
/// <param name="Field">The manifest field that decided it, if one did.</param>
/// <param name="Problem">What the output holds that the start does not allow, without a remedy.</param>
/// <param name="Allowed">The starts that would go ahead (<see cref="RunStart.Resume"/>, <see cref="RunStart.Overwrite"/>).</param>
public sealed record RunStartRefusal(string? Path, string? Field, string Problem, IReadOnlyList<RunStart> Allowed)
{
    /// <summary>The refusal as an input error, its remedy in words: resume it, or overwrite it.</summary>
    public InputException ToException() =>
        new(Path, null, Field, $"{Problem}; {string.Join(", or ", Allowed.Select(a => a == RunStart.Resume ? "resume it to keep what it judged" : "overwrite it"))}");
}

/// <summary>What a start found and will do: resume what is there, or start afresh; with notes for the user.</summary>
/// <param name="Resume">Whether what the output holds is kept (judgments, journal, manifest) and only what is missing is done.</param>
/// <param name="Previous">The manifest there, when there is one.</param>
/// <param name="Notes">Things the user should know about the start.</param>
internal sealed record RunStartDecision(bool Resume, RunManifest? Previous, IReadOnlyList<string> Notes);

/// <summary>
/// The one rule for what a command does with what its output already holds — <c>judge run</c>, <c>compare</c>,
/// <c>grade</c> alike, and <c>feedback generate</c>, which is always a <see cref="RunStart.Resume"/> of its journal: refuse,
/// resume, or start afresh. Deciding only reads, so a refused
/// command leaves every file as it was; a command checks before it builds anything (<see cref="Check"/>), and the engine
/// decides with the plan (<see cref="Decide(RunStart, RunFiles, string, int, string)"/>).
/// </summary>
public static class RunStartRule
{
    /// <summary>The refusal of <paramref name="start"/> by what <paramref name="files"/> hold, before any plan is made; <see langword="null"/> when it may go ahead.</summary>
    public static RunStartRefusal? Check(RunStart start, RunFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return Refusal(start, files, Previous(files));
    }

    /// <summary>
    /// Decides a start with the plan it is for: refuses what <see cref="Check"/> refuses, and a resume of a run that judged
    /// another plan (its plan hash differs); else says whether to resume, with notes.
    /// </summary>
    /// <param name="start">What the command asked for.</param>
    /// <param name="files">The run's files.</param>
    /// <param name="planHash">The plan's hash (<see cref="RunManifest.HashPlan"/>).</param>
    /// <param name="planned">Judgments planned.</param>
    /// <param name="configHash">The config's hash, noted when it changed since the run started.</param>
    /// <exception cref="InputException">The start is refused; no file was touched.</exception>
    internal static RunStartDecision Decide(RunStart start, RunFiles files, string planHash, int planned, string configHash)
    {
        ArgumentNullException.ThrowIfNull(files);
        var previous = Previous(files);
        if (Refusal(start, files, previous) is { } refused)
        {
            throw refused.ToException();
        }

        var notes = new List<string>();
        if (start != RunStart.Resume)
        {
            return new RunStartDecision(false, previous, notes);
        }

        if (previous is null)
        {
            notes.Add(File.Exists(files.Judgments)
                ? $"no manifest beside {files.Judgments}: its judgments are kept and only what is missing is judged"
                : "nothing to resume yet: starting the run");
        }
        else if (previous.PlanHash != planHash)
        {
            throw new InputException(files.Manifest, null, "plan_hash", $"the run there judged a different plan: {previous.Planned} judgments under other settings (judge, rubric, data, turns, seed or limit) than this one's {planned}; resume with the settings it started with, or overwrite it");
        }
        else if (previous.ConfigHash != configHash)
        {
            notes.Add("the settings changed since the run started, but not what it judges; gates and reports use the new ones");
        }

        return new RunStartDecision(true, previous, notes);
    }

    private static RunManifest? Previous(RunFiles files) => File.Exists(files.Manifest) ? RunManifest.Read(files.Manifest) : null;

    private static RunStartRefusal? Refusal(RunStart start, RunFiles files, RunManifest? previous) => start switch
    {
        RunStart.New when previous is not null || File.Exists(files.Judgments) =>
            new RunStartRefusal(Path.GetDirectoryName(files.Manifest), null, previous switch
            {
                null => $"{files.Judgments} holds judgments",
                { FinishedAt: null } => $"the output already holds an unfinished run ({previous.Planned} judgments planned)",
                _ => $"the output already holds a finished run ({previous.Planned} judgments)",
            }, [RunStart.Resume, RunStart.Overwrite]),
        RunStart.ReplaceFinished when previous is { FinishedAt: null } =>
            new RunStartRefusal(files.Judgments, null, $"holds an unfinished run ({previous.Planned} judgments planned)", [RunStart.Resume, RunStart.Overwrite]),
        _ => null,
    };
}

using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics;

/// <summary>One stage of a calibration: a judge's verdict file, which of its judges, and which confidence to read.</summary>
/// <param name="Path">A Judge judgments file, or a pairwise verdict file <see cref="VerdictImport"/> reads.</param>
/// <param name="Judges">
/// The judges of the file that make this stage, by name prefix: one judge, or several voting as a panel
/// (<see cref="PanelVotes"/>: every item's verdict is the vote of the members that judged it, its confidence their
/// vote share); <see langword="null"/> when the file holds one judge.
/// </param>
/// <param name="Confidence">Which confidence to read from its verdicts.</param>
public sealed record CalibrationStageSource(string Path, string? Judges = null, CalibrationConfidence Confidence = CalibrationConfidence.Recorded)
{
    /// <summary>
    /// Parses <c>PATH</c> or <c>PATH#JUDGES</c> (a judge name, or a name prefix whose judges vote as a panel). The
    /// confidence is given apart.
    /// </summary>
    public static CalibrationStageSource Parse(string text, CalibrationConfidence confidence)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hash = text.LastIndexOf('#');
        return hash > 0 ? new CalibrationStageSource(text[..hash], text[(hash + 1)..], confidence) : new CalibrationStageSource(text, null, confidence);
    }
}

/// <summary>What <see cref="Calibrator.Run"/> calibrates. Mutable; safe to share once set up.</summary>
public sealed class CalibrationRequest
{
    /// <summary>The stages in cascade order: one for a single judge.</summary>
    public IList<CalibrationStageSource> Stages { get; } = [];

    /// <summary>The human labels: pairwise votes (<see cref="VerdictImport"/>), or a judgments file of reference absolute grades.</summary>
    public required string Human { get; set; }

    /// <summary>The target, δ and grid.</summary>
    public CalibrationOptions Options { get; set; } = new();

    /// <summary>Which human raters count (pairwise); default <see cref="HumanRaters.DefaultPrefix"/>, <see langword="null"/> for all.</summary>
    public string? HumanRaterPrefix { get; set; } = HumanRaters.DefaultPrefix;

    /// <summary>Only this turn; default all.</summary>
    public int? Turn { get; set; }

    /// <summary>For absolute grades: the largest difference from the reference score that counts as agreement. Default 0 (exact).</summary>
    public double Tolerance { get; set; }

    /// <summary>Where the judges' fields are, for files that are not judgments files or MT-Bench's; default none.</summary>
    public PairwiseLayout? JudgeLayout { get; set; }

    /// <summary>Where the human file's fields are; default none.</summary>
    public PairwiseLayout? HumanLayout { get; set; }
}

/// <summary>
/// <c>judge calibrate</c>'s engine: reads each stage's verdicts and the human labels, builds the calibration items
/// (<see cref="CalibrationUnits"/>) and calibrates the cascade (<see cref="SelectiveCalibration.CalibrateCascade"/>).
/// Pairwise when the first stage's file holds pairwise verdicts, absolute when it holds only grades. Every input is read
/// and checked before anything is returned; nothing is written. Thread-safe.
/// </summary>
public static class Calibrator
{
    /// <summary>Calibrates <paramref name="request"/>.</summary>
    /// <exception cref="InputException">A file is missing or malformed, holds several judges without a choice, or an option is out of range.</exception>
    public static CalibrationFile Run(CalibrationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Options.Validate();
        if (request.Stages.Count == 0)
        {
            throw new InputException(null, null, "--judgments", "give at least one judgments file");
        }

        if (request.Tolerance < 0 || double.IsNaN(request.Tolerance))
        {
            throw new InputException(null, null, "--tolerance", "must be 0 or more");
        }

        var imported = request.Stages.Select(s => VerdictImport.Read(s.Path, request.JudgeLayout)).ToList();
        var absolute = imported[0].Items.Count == 0 && imported[0].Absolute.Count > 0;
        var stages = new List<(string Judge, IReadOnlyList<CalibrationUnit> Units)>();
        var unlabelled = 0;
        if (absolute)
        {
            var reference = JudgmentsReader.Read(request.Human).OfType<AbsoluteVerdict>().ToList();
            if (reference.Count == 0)
            {
                throw new InputException(request.Human, null, null, "holds no absolute grades to calibrate against");
            }

            for (var i = 0; i < imported.Count; i++)
            {
                var grades = Select(imported[i].Absolute, request.Stages[i], imported[i].Path, g => CalibrationUnits.AnswerKey(g.QuestionId, g.Turn, g.Model))
                    .Select(g => g.OrderBy(x => x.Repeat ?? 0).First()).ToList();
                var items = CalibrationUnits.Absolute(grades, reference, request.Tolerance, request.Turn);
                unlabelled = i == 0 ? items.Unlabelled : unlabelled;
                stages.Add((Name(request.Stages[i], grades.Select(g => g.Judge)), items.Units));
            }
        }
        else
        {
            var human = HumanRaters.Select(VerdictImport.ReadLabels(request.Human, request.HumanLayout), request.HumanRaterPrefix, request.Human);
            var agreement = new AgreementOptions { HumanRaterPrefix = request.HumanRaterPrefix, Turn = request.Turn };
            for (var i = 0; i < imported.Count; i++)
            {
                if (imported[i].Items.Count == 0)
                {
                    throw new InputException(imported[i].Path, null, null, "holds no pairwise verdicts, but the first stage's file does");
                }

                var stage = request.Stages[i];
                var groups = Select(imported[i].Items, stage, imported[i].Path, v => CalibrationUnits.PairKey(v.QuestionId, v.Turn, v.ModelA, v.ModelB)).ToList();
                var panel = groups.SelectMany(g => g).Select(v => v.Judge).Distinct(StringComparer.Ordinal).Count() > 1;
                var verdicts = groups.Select(g => g.Count() == 1 && !panel ? g.First() : Panel(stage, g.ToList())).ToList();
                var items = CalibrationUnits.Pairwise(verdicts, human, agreement, stage.Confidence);
                unlabelled = i == 0 ? items.Unlabelled : unlabelled;
                stages.Add((Name(stage, verdicts.Select(v => v.Judge)), items.Units));
            }
        }

        var calibrated = SelectiveCalibration.CalibrateCascade(stages, request.Options)
            .Select((s, i) => s with { File = request.Stages[i].Path }).ToList();
        return new CalibrationFile
        {
            Target = request.Options.Target,
            Delta = request.Options.Delta,
            Mode = absolute ? "absolute" : "pairwise",
            Confidence = string.Join(',', request.Stages.Select(s => s.Confidence == CalibrationConfidence.Orders ? "orders" : "recorded")),
            Tolerance = absolute ? request.Tolerance : null,
            HumanRaters = absolute ? null : request.HumanRaterPrefix,
            Items = stages[0].Units.Count,
            Unlabelled = unlabelled,
            Stages = calibrated,
        };
    }

    /// <summary>The stage's records grouped by item: one judge's (repeats of an item form a group), or a panel's.</summary>
    private static IEnumerable<IGrouping<string, T>> Select<T>(IEnumerable<T> records, CalibrationStageSource stage, string path, Func<T, string> key)
        where T : ItemVerdict
    {
        var list = records.ToList();
        var judges = list.Select(r => r.Judge).Distinct(StringComparer.Ordinal).ToList();
        if (stage.Judges is { } prefix)
        {
            list = list.Where(r => r.Judge.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            if (list.Count == 0)
            {
                throw new InputException(path, null, "judge", $"no verdicts by a judge named '{prefix}…'; the file has: {string.Join(", ", judges.Take(8))}");
            }
        }
        else if (judges.Count > 1)
        {
            throw new InputException(path, null, "judge", $"holds verdicts of several judges ({string.Join(", ", judges.Take(8))}); pick one, or a panel by name prefix, with {path}#NAME");
        }

        return list.GroupBy(key, StringComparer.Ordinal);
    }

    private static PairwiseVerdict Panel(CalibrationStageSource stage, List<PairwiseVerdict> members)
    {
        var sameJudge = members.Count > 1 && members.Select(m => m.Judge).Distinct(StringComparer.Ordinal).Count() == 1;
        var combined = PanelVotes.Combine(sameJudge ? members[0].Judge : stage.Judges ?? members[0].Judge, members);
        return sameJudge && combined.Confidence is not null ? combined with { ConfidenceSource = VerdictConfidence.Repeats } : combined;
    }

    private static string Name(CalibrationStageSource stage, IEnumerable<string> judges)
    {
        var names = judges.Distinct(StringComparer.Ordinal).ToList();
        return names.Count == 1 ? names[0] : stage.Judges ?? names.FirstOrDefault() ?? stage.Path;
    }
}

using System.CommandLine;
using System.Globalization;
using Judge.Statistics;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge calibrate</c>: thresholds that guarantee agreement with humans on the items a judge (or each cascade stage) decides.</summary>
internal static class CalibrateCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var judgments = new Option<string[]>("--judgments") { Description = "A judge's verdicts: a Judge judgments file or a pairwise verdict file; FILE#NAME picks a judge, or a panel of the judges whose names start with NAME. Repeat for each cascade stage, cheapest first.", Required = true, AllowMultipleArgumentsPerToken = true };
        var human = new Option<string>("--human") { Description = "Human labels of the same items: pairwise votes (MT-Bench human_judgments.jsonl), or a judgments file of reference absolute grades.", Required = true };
        var output = new Option<string>("--out") { Description = "The calibration file to write.", DefaultValueFactory = _ => "calibration.json" };
        var target = new Option<double>("--target") { Description = "The agreement to guarantee on decided items (1 - alpha), strictly between 0 and 1.", DefaultValueFactory = _ => 0.8 };
        var delta = new Option<double>("--delta") { Description = "The risk that the guarantee fails, strictly between 0 and 1 (split evenly over cascade stages).", DefaultValueFactory = _ => 0.1 };
        var grid = new Option<int>("--grid") { Description = "Thresholds are multiples of 1/GRID, fixed in advance; the highest must decide enough items.", DefaultValueFactory = _ => 20 };
        var confidence = new Option<string>("--confidence") { Description = "recorded (each verdict's own confidence) or orders (swap consistency of a file whose verdicts combine both orders); a comma list gives one per stage.", DefaultValueFactory = _ => "recorded" };
        var tolerance = new Option<double>("--tolerance") { Description = "Absolute grades: the largest difference from the reference score that counts as agreement (0: exact).", DefaultValueFactory = _ => 0 };
        var turn = new Option<int?>("--turn", "-t") { Description = "Calibrate on this turn only (default: all)." };
        var raters = CommonOptions.HumanRaters();
        var format = new Option<string>("--format") { Description = "table (default) or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var layouts = new LayoutOptions();
        var command = new Command("calibrate", "Choose confidence thresholds by fixed-sequence testing so that a judge, or each stage of a cascade, agrees with humans at least --target of the time on the items it decides, with probability 1 - delta.")
        {
            judgments, human, output, target, delta, grid, confidence, tolerance, turn, raters, format,
        };
        foreach (var option in layouts.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var files = parse.GetValue(judgments)!;
            var confidences = parse.GetValue(confidence)!.Split(',', StringSplitOptions.TrimEntries);
            if (confidences.Length != 1 && confidences.Length != files.Length)
            {
                throw new InputException(null, null, "--confidence", $"give one value, or one per --judgments file ({files.Length}), not {confidences.Length}");
            }

            var request = new CalibrationRequest
            {
                Human = parse.GetValue(human)!,
                Options = new CalibrationOptions { Target = parse.GetValue(target), Delta = parse.GetValue(delta), GridSteps = parse.GetValue(grid) },
                HumanRaterPrefix = Statistics.HumanRaters.Parse(parse.GetValue(raters)),
                Turn = parse.GetValue(turn),
                Tolerance = parse.GetValue(tolerance),
                JudgeLayout = layouts.Judge(parse),
                HumanLayout = layouts.Human(parse),
            };
            for (var i = 0; i < files.Length; i++)
            {
                request.Stages.Add(CalibrationStageSource.Parse(files[i], ParseConfidence(confidences.Length == 1 ? confidences[0] : confidences[i])));
            }

            var outPath = parse.GetValue(output)!;
            var result = Calibrator.Run(request);
            if (parse.GetValue(format) == "json")
            {
                console.Profile.Out.Writer.WriteLine(result.ToJson());
            }
            else
            {
                Write(console, result);
            }

            if (!result.Certified)
            {
                console.Profile.Out.Writer.WriteLine($"refused: no stage can be certified at {Pct(result.Target)} agreement; {outPath} not written");
                return ExitCodes.ThresholdFailed;
            }

            try
            {
                var directory = Path.GetDirectoryName(Path.GetFullPath(outPath));
                if (directory is not null)
                {
                    Directory.CreateDirectory(directory);
                }

                File.WriteAllText(outPath, result.ToJson() + "\n");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new InputException(outPath, null, null, $"cannot write the calibration file ({ex.Message})", ex);
            }

            if (parse.GetValue(format) != "json")
            {
                console.Profile.Out.Writer.WriteLine($"wrote {outPath}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static CalibrationConfidence ParseConfidence(string text) => text switch
    {
        "recorded" => CalibrationConfidence.Recorded,
        "orders" => CalibrationConfidence.Orders,
        _ => throw new InputException(null, null, "--confidence", $"must be recorded or orders, not '{text}'"),
    };

    private static string Pct(double value) => value.ToString("0.0%", CultureInfo.InvariantCulture);

    private static void Write(IAnsiConsole console, CalibrationFile file)
    {
        var w = console.Profile.Out.Writer;
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{file.Mode} calibration: {file.Items} labelled items ({file.Unlabelled} judge items without a human label left out), target {Pct(file.Target)} at 1 - delta = {Pct(1 - file.Delta)}"));
        for (var i = 0; i < file.Stages.Count; i++)
        {
            var s = file.Stages[i];
            w.WriteLine();
            w.WriteLine($"stage {i + 1}: {s.Judge}");
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  items reaching it  {s.Items} ({s.WithoutConfidence} without a confidence)"));
            if (s.Threshold is double t)
            {
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  threshold          {t:0.###}"));
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  guaranteed         {Pct(s.GuaranteedAgreement!.Value)} agreement, with probability {Pct(1 - s.Delta)}"));
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  coverage           {Pct(s.Coverage)} ({s.Decided} of {s.Items} decided)"));
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  empirical          {Pct(s.EmpiricalAgreement!.Value)} ({s.Agreeing} of {s.Decided} agree)"));
            }
            else
            {
                w.WriteLine($"  no threshold: {s.Refusal}; this stage decides nothing");
            }

            foreach (var test in s.Tests)
            {
                w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  test at {test.Threshold:0.###}: {test.Decided} decided, {test.Disagreements} disagree, p {(test.PValue < 0.0001 ? "< 0.0001" : $"= {test.PValue:0.0000}")} {(test.Passed ? "passed" : "failed (stop)")}"));
            }

            foreach (var warning in s.Warnings)
            {
                w.WriteLine($"  warning: {warning}");
            }
        }

        if (file.Stages.Count > 1)
        {
            w.WriteLine();
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cascade: coverage {Pct(file.Coverage)}, empirical agreement {(file.EmpiricalAgreement is double e ? Pct(e) : "-")}, each stage guaranteed {Pct(file.Target)} with probability {Pct(1 - file.Delta)} together"));
        }
    }
}

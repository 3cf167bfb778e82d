using System.CommandLine;
using Judge.Data;
using Judge.Reports.Terminal;
using Judge.Statistics;
using Judge.Statistics.Bias;
using Judge.Verdicts;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge judges</c>: choose a judge by its agreement with humans, parse failures, position and length preferences, cost and time.</summary>
internal static class JudgesCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var judgments = new Option<string[]>("--judgments") { Description = "A judge's verdicts (Judge judgments file or MT-Bench pairwise JSONL); repeat for each judge.", Required = true, AllowMultipleArgumentsPerToken = true };
        var human = new Option<string>("--human") { Description = "Human pairwise labels (MT-Bench human_judgments.jsonl).", Required = true };
        var turn = new Option<int?>("--turn", "-t") { Description = "Compare this turn only (default: all)." };
        var questions = new Option<string?>("--questions", "-q") { Description = "Questions (with --answers, for P(longer))." };
        var answers = new Option<string[]>("--answers", "-a") { Description = "The judged answers, for P(longer); repeat for each file.", AllowMultipleArgumentsPerToken = true };
        var raters = CommonOptions.HumanRaters();
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples for the agreement intervals (0: none).", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Bootstrap seed.", DefaultValueFactory = _ => 0 };
        var format = BiasCommands.Format();
        var confidence = new Option<string>("--confidence") { Description = "Which confidence the ECE and decile rows read: recorded (each verdict's own) or orders (swap consistency of a both-orders file).", DefaultValueFactory = _ => "recorded" };
        confidence.AcceptOnlyFromAmong("recorded", "orders");
        var layouts = new LayoutOptions();
        var command = new Command("judges", "Choose a judge: per judge, agreement with humans, parse failures, flip rate, P(first), P(longer), cost and time; and judge-by-judge agreement.")
        {
            judgments, human, turn, questions, answers, raters, resamples, seed, format, confidence,
        };
        BiasCommands.AddAll(command, layouts.All);
        command.SetAction(parse =>
        {
            var runs = parse.GetValue(judgments)!.Select(p => JudgeRun.Load(p, layout: layouts.Judge(parse))).ToList();
            var humanLabels = VerdictImport.ReadLabels(parse.GetValue(human)!, layouts.Human(parse));
            AnswerTexts? answerTexts = null;
            if (parse.GetValue(answers) is { Length: > 0 } files)
            {
                if (parse.GetValue(questions) is not { } q)
                {
                    throw new InputException(null, null, "--questions", "P(longer) needs the questions the answers belong to: give --questions with --answers");
                }

                var answerList = files.SelectMany(a => DataFiles.ReadAnswers(a)).ToList();
                Dataset.Create(DataFiles.ReadQuestions(q), answerList);
                answerTexts = new AnswerTexts(answerList);
            }

            var report = JudgeComparison.ComputeWith(runs, humanLabels, new AgreementOptions
            {
                HumanRaterPrefix = Statistics.HumanRaters.Parse(parse.GetValue(raters)),
                Turn = parse.GetValue(turn),
                BootstrapResamples = parse.GetValue(resamples),
                Seed = parse.GetValue(seed),
            }, answerTexts, parse.GetValue(confidence) == "orders" ? CalibrationConfidence.Orders : CalibrationConfidence.Recorded);
            if (parse.GetValue(format) == "json")
            {
                console.Profile.Out.Writer.WriteLine(report.ToJson());
            }
            else
            {
                JudgeComparisonConsole.Write(console, report);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}

using System.CommandLine;
using System.Globalization;
using Judge.Data;
using Judge.Reports;
using Judge.Reports.Terminal;
using Judge.Statistics;
using Judge.Statistics.Bias;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge agreement</c>: a judge's pairwise verdicts against human labels, MT-Bench protocol.</summary>
internal static class AgreementCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var judgments = new Option<string>("--judgments") { Description = "The judge's verdicts: a Judge judgments file, or MT-Bench pairwise JSONL/CSV (question_id, model_a, model_b, winner, judge, turn).", Required = true };
        var human = new Option<string>("--human") { Description = "Human pairwise labels, same shape (MT-Bench human_judgments.jsonl).", Required = true };
        var turn = new Option<int?>("--turn", "-t") { Description = "Compare this turn only (default: all turns together)." };
        var format = new Option<string>("--format") { Description = "table (default), json or csv.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv");
        var raters = CommonOptions.HumanRaters();
        var judgeName = new Option<string?>("--judge-name") { Description = "When the judgments file holds several judges' verdicts, compare this one." };
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples for the confidence interval (0: none).", DefaultValueFactory = _ => 1000 };
        var level = new Option<double>("--level") { Description = "Confidence level of the interval.", DefaultValueFactory = _ => 0.95 };
        var seed = new Option<int>("--seed") { Description = "Bootstrap seed.", DefaultValueFactory = _ => 0 };
        var columns = new Option<string?>("--columns") { Description = "Column map for CSV label files: field=Column,…" };
        var cluster = new Option<string>("--bootstrap-cluster") { Description = "What the bootstrap resamples as one unit: question (every vote on one question; the default) or verdict (a judge verdict with the human votes on it; too narrow when questions drive agreement).", DefaultValueFactory = _ => "question" };
        cluster.AcceptOnlyFromAmong("verdict", "question");
        var layouts = new LayoutOptions();

        var command = new Command("agreement", "Agreement of a judge with human labels: with and without ties, Cohen's kappa, confusion matrix, bootstrap interval, human-vs-human.")
        {
            judgments, human, turn, format, raters, judgeName, resamples, level, seed, columns, cluster,
        };
        foreach (var option in layouts.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var map = CsvColumnMap.Parse(parse.GetValue(columns));
            var options = new AgreementOptions
            {
                HumanRaterPrefix = HumanRaters.Parse(parse.GetValue(raters)),
                Turn = parse.GetValue(turn),
                BootstrapResamples = parse.GetValue(resamples),
                ConfidenceLevel = parse.GetValue(level),
                Seed = parse.GetValue(seed),
                BootstrapCluster = parse.GetValue(cluster) == "question" ? AgreementCluster.Question : AgreementCluster.Verdict,
            };
            if (options.ConfidenceLevel is <= 0 or >= 1)
            {
                throw new InputException(null, null, "--level", $"must lie strictly between 0 and 1, found {options.ConfidenceLevel.ToString(CultureInfo.InvariantCulture)}");
            }

            var report = AgreementFiles.Compute(parse.GetValue(judgments)!, parse.GetValue(human)!, options, parse.GetValue(judgeName), layouts.Judge(parse), layouts.Human(parse), map);
            switch (parse.GetValue(format))
            {
                case "json":
                    console.Profile.Out.Writer.WriteLine(report.ToJson());
                    break;
                case "csv":
                    console.Profile.Out.Writer.Write(AgreementCsv.Render(report));
                    break;
                default:
                    AgreementConsole.Write(console, report);
                    break;
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text;
using Judge.Data;
using Judge.Statistics;
using Judge.Verdicts;
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
        var cluster = new Option<string>("--bootstrap-cluster") { Description = "What the bootstrap resamples as one unit: verdict (a judge verdict with all the human votes on it; the default) or question.", DefaultValueFactory = _ => "verdict" };
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
            var run = Statistics.Bias.JudgeRun.Load(parse.GetValue(judgments)!, parse.GetValue(judgeName), layout: layouts.Judge(parse), columns: map);
            var humanFile = VerdictImport.ReadReference(parse.GetValue(human)!, layouts.Human(parse), map);
            var humanLabels = humanFile.Labels();
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

            var report = AgreementReport.Compute(run.Labels, humanLabels, options, parse.GetValue(human)) with
            {
                JudgeItemsWithoutVerdict = run.WithoutVerdict,
                Orders = OrderAgreement.Compute(run.Items ?? [], run.Calls ?? [], humanLabels, options),
                JudgeDuplicatesDropped = run.DuplicatesDropped,
                HumanDuplicatesDropped = humanFile.DuplicatesDropped,
            };
            switch (parse.GetValue(format))
            {
                case "json":
                    console.Profile.Out.Writer.WriteLine(report.ToJson());
                    break;
                case "csv":
                    console.Profile.Out.Writer.Write(ToCsv(report));
                    break;
                default:
                    WriteTable(console, report);
                    break;
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteTable(IAnsiConsole console, AgreementReport r)
    {
        var scope = $"{(r.Turn is int t ? $"turn {t}" : "all turns")}, human votes: {HumanRaters.Describe(r.HumanRaterPrefix)}";
        var table = new Table().Title($"agreement ({scope})").AddColumns("", "with ties", "without ties");
        table.AddRow("judge vs human", Figure(r.WithTies), Figure(r.WithoutTies));
        if (r.HumanVsHuman is { } hh)
        {
            table.AddRow("human vs human", Figure(hh.WithTies), Figure(hh.WithoutTies));
        }

        console.Write(table);
        console.MarkupLineInterpolated($"Cohen's kappa (judge vs human, 3 outcomes): {Number(r.CohenKappa)}");
        foreach (var ci in new[] { r.Ci, r.CiWithoutTies })
        {
            if (ci is not null)
            {
                console.MarkupLineInterpolated($"{ci.Level:P0} bootstrap interval of the {ci.Statistic.Replace('_', ' ')}: [[{Number(ci.Lower)}, {Number(ci.Upper)}]] ({ci.Resamples} resamples of {ci.Clusters} {ci.ClusteredBy} clusters, seed {ci.Seed})");
                if (ci.Warning is { } warning)
                {
                    console.MarkupLineInterpolated($"[yellow]caution: {warning}[/]");
                }
            }
        }

        var matrix = new Table().Title("confusion (rows: judge, columns: human)").AddColumn("");
        foreach (var label in r.ConfusionMatrix.Labels)
        {
            matrix.AddColumn(label);
        }

        for (var i = 0; i < r.ConfusionMatrix.Labels.Count; i++)
        {
            matrix.AddRow([r.ConfusionMatrix.Labels[i], .. r.ConfusionMatrix.Counts[i].Select(c => c.ToString(CultureInfo.InvariantCulture))]);
        }

        console.Write(matrix);
        if (r.Orders is { } o)
        {
            var orders = new Table().Title($"per presentation order ({o.Items} items judged in both orders)").AddColumns("", "with ties", "without ties");
            orders.AddRow("accuracy, A shown first (AB)", Figure(o.WithTies.Ab), Figure(o.WithoutTies.Ab));
            orders.AddRow("accuracy, B shown first (BA)", Figure(o.WithTies.Ba), Figure(o.WithoutTies.Ba));
            orders.AddRow("mean of the two orders", Percent(o.WithTies.Mean), Percent(o.WithoutTies.Mean));
            orders.AddRow("correct in both orders", Figure(o.WithTies.BothOrders), Figure(o.WithoutTies.BothOrders));
            orders.AddRow("positional consistency", Figure(o.PositionalConsistency), string.Empty);
            console.Write(orders);
            console.MarkupLineInterpolated($"orders without a verdict (counted as wrong): AB {o.WithoutVerdictAb}, BA {o.WithoutVerdictBa}; items judged in one order only (left out): {o.SingleOrderItems}");
        }

        console.MarkupLineInterpolated($"judge verdicts: {r.JudgeVerdicts}, of which {r.UnmatchedJudgeVerdicts} have no human vote; inconsistent ties among matched votes: {r.JudgeInconsistentTies} (counted as ties)");
        if (r.JudgeDuplicatesDropped is > 0 || r.HumanDuplicatesDropped is > 0)
        {
            console.MarkupLineInterpolated($"[yellow]exact duplicate records dropped: judge {r.JudgeDuplicatesDropped ?? 0}, human {r.HumanDuplicatesDropped ?? 0}[/]");
        }

        if (r.JudgeItemsWithoutVerdict is > 0)
        {
            console.MarkupLineInterpolated($"[yellow]{r.JudgeItemsWithoutVerdict} judged items had no verdict (unparsed, out of range, dropped or failed) and are not compared[/]");
        }
    }

    private static string ToCsv(AgreementReport r)
    {
        var sb = new StringBuilder("comparison,ties,agree,total,rate\n");
        void Row(string who, string ties, AgreementFigure f) =>
            sb.Append(CultureInfo.InvariantCulture, $"{who},{ties},{f.Agree},{f.Total},{f.Rate?.ToString("R", CultureInfo.InvariantCulture)}\n");
        Row("judge_vs_human", "with", r.WithTies);
        Row("judge_vs_human", "without", r.WithoutTies);
        if (r.HumanVsHuman is { } hh)
        {
            Row("human_vs_human", "with", hh.WithTies);
            Row("human_vs_human", "without", hh.WithoutTies);
        }

        return sb.ToString();
    }

    private static string Figure(AgreementFigure f) =>
        $"{f.Agree}/{f.Total}{(f.Rate is double rate ? $" = {rate.ToString("P1", CultureInfo.InvariantCulture)}" : string.Empty)}";

    private static string Percent(double? value) => value?.ToString("P1", CultureInfo.InvariantCulture) ?? "n/a";

    private static string Number(double? value) => value?.ToString("0.000", CultureInfo.InvariantCulture) ?? "n/a";
}

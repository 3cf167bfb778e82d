using System.CommandLine;
using Judge.Reports.Terminal;
using Judge.Statistics;
using Judge.Statistics.Bias;
using Judge.Verdicts;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge agreement-scores</c>: absolute-grading agreement, Pearson, Spearman and Kendall's tau-b.</summary>
internal static class AgreementScoresCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var prometheus = new Option<string?>("--prometheus") { Description = "A Prometheus evaluation file (mt_bench_eval.json, vicuna_eval.json): correlations between GPT-4's scoring runs." };
        var judgments = new Option<string?>("--judgments") { Description = "A judgments file with absolute grades, to correlate with --reference." };
        var reference = new Option<string?>("--reference") { Description = "Another judgments file with absolute grades of the same answers (matched by question, turn and model)." };
        var turn = new Option<int?>("--turn", "-t") { Description = "Only this turn (with --judgments)." };
        var command = new Command("agreement-scores", "Absolute-grading agreement: Pearson, Spearman and Kendall's tau-b.")
        {
            prometheus, judgments, reference, turn,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(prometheus) is { } p)
            {
                var items = Prometheus.Read(p);
                CorrelationConsole.Write(console, $"{Path.GetFileName(p)}: {items.Count} items", Prometheus.RunCorrelations(items).Select(run => ($"GPT-4 run {run.RunA + 1} vs run {run.RunB + 1}", run.Correlation)));
                return ExitCodes.Ok;
            }

            if (parse.GetValue(judgments) is { } j && parse.GetValue(reference) is { } r)
            {
                var result = ScoreAgreement.Compute(ReadGrades(j), ReadGrades(r), parse.GetValue(turn));
                CorrelationConsole.Write(console, "absolute grades matched by question, turn and model", [($"{Path.GetFileName(j)} vs {Path.GetFileName(r)}", result.Correlation)]);
                console.MarkupLineInterpolated($"{result.Unmatched} answers without a parsed score on both sides were left out");
                return ExitCodes.Ok;
            }

            throw new InputException(null, null, "--prometheus", "give --prometheus FILE, or --judgments FILE with --reference FILE");
        });
        return command;
    }

    private static List<AbsoluteVerdict> ReadGrades(string path)
    {
        var grades = JudgmentsReader.Read(path).OfType<AbsoluteVerdict>().ToList();
        return grades.Count > 0 ? grades : throw new InputException(path, null, null, "holds no absolute grades");
    }
}

using System.CommandLine;
using Judge.Reports.Terminal;
using Judge.Statistics;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary>
/// <c>judge agreement-pandalm</c>: a judge's verdicts on the PandaLM test set against the three
/// annotators' majority, with unparsable verdicts counted both ways, and the annotators' own agreement.
/// </summary>
internal static class PandaLmCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var testSet = new Option<string>("--testset") { Description = "PandaLM's testset-v1.json (annotator1..3: 0 tie, 1 response1, 2 response2).", Required = true };
        var verdicts = new Option<string>("--verdicts") { Description = "A judge's results on the same items, e.g. gpt-3.5-turbo-testset-v1.json.", Required = true };
        var field = new Option<string>("--field") { Description = "The verdict field in the results file.", DefaultValueFactory = _ => "gpt_result" };
        var command = new Command("agreement-pandalm", "Agreement of a judge with the PandaLM annotators' majority; unparsable verdicts are counted, and shown both as wrong and excluded.")
        {
            testSet, verdicts, field,
        };
        command.SetAction(parse =>
        {
            var items = PandaLm.ReadTestSet(parse.GetValue(testSet)!);
            var result = PandaLm.AgreementWithMajority(items, PandaLm.ReadVerdicts(parse.GetValue(verdicts)!, parse.GetValue(field)!));
            PandaLmConsole.Write(console, result, PandaLm.AnnotatorAgreement(items));
            return ExitCodes.Ok;
        });
        return command;
    }
}

using System.CommandLine;
using Judge.Data;
using Judge.Statistics.Bias;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge bias difficulty</c> and <c>judge bias verbosity-set</c>: the files other analyses read.</summary>
internal static partial class BiasCommands
{
    private static Command DifficultyCommand(IAnsiConsole console)
    {
        var judgments = new Option<string>("--judgments") { Description = "A reference panel's verdicts against the baseline (Judge judgments file or MT-Bench pairwise JSONL).", Required = true };
        var answers = new Option<string[]>("--answers", "-a") { Description = "The judged answers (for the lengths); repeat for each file. Default: the answer texts the file carries through its layout (alpaca-eval, llmbar, pandalm-human).", AllowMultipleArgumentsPerToken = true };
        var baseline = new Option<string>("--baseline") { Description = "The baseline every panel model was compared with.", Required = true };
        var turn = new Option<int?>("--turn", "-t") { Description = "This turn only (default: all)." };
        var excludeTies = new Option<bool>("--exclude-ties") { Description = "Leave ties out (default: a tie is half a win)." };
        var judgeName = new Option<string?>("--judge-name") { Description = "When the file holds several judges, use this one." };
        var output = new Option<string>("--out", "-o") { Description = "The difficulty file to write (JSONL: instruction, difficulty).", Required = true };
        var layouts = new LayoutOptions();
        var command = new Command("difficulty", "Estimates a per-instruction difficulty vector from a reference panel of models (one joint fit), for reuse with `judge bias report --difficulty`.")
        {
            judgments, answers, baseline, turn, excludeTies, judgeName, output,
        };
        AddAll(command, layouts.JudgeOnly);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(judgments)!;
            var run = JudgeRun.Load(path, parse.GetValue(judgeName), layout: layouts.Judge(parse)).ForTurn(parse.GetValue(turn));
            var b = parse.GetValue(baseline)!;
            var texts = run.AnswerTextsOr(ReadAnswers(parse.GetValue(answers)))
                ?? throw new InputException(path, null, "--answers", "the lengths need the answers: give --answers, or a layout that carries the answer texts (answer_a, answer_b)");
            var rows = LengthControl.RowsFromVerdicts(run.Labels, texts, b, parse.GetValue(excludeTies) ? TieHandling.Exclude : TieHandling.Half, out var skipped, out _);
            if (rows.Count == 0)
            {
                throw new InputException(path, null, "--baseline", $"no verdict involves the baseline '{b}' with both answers known");
            }

            var vector = InstructionDifficulty.Estimate(rows);
            var outPath = parse.GetValue(output)!;
            InstructionDifficulty.Write(outPath, vector);
            var models = rows.Select(r => r.Model).Distinct(StringComparer.Ordinal).Count();
            console.MarkupLineInterpolated($"difficulty of {vector.Count} instructions from {rows.Count} comparisons of {models} model(s) with {b}{(skipped > 0 ? $" ({skipped} without both answers left out)" : string.Empty)}: {outPath}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command VerbositySetCommand(IAnsiConsole console)
    {
        var questions = new Option<string>("--questions", "-q") { Description = "Questions (MT-Bench JSONL or CSV).", Required = true };
        var answers = new Option<string[]>("--answers", "-a") { Description = "Answers to pad; repeat for each file.", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out", "-o") { Description = "Folder to write question.jsonl and model_answer/*.jsonl into.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the padding choices.", DefaultValueFactory = _ => 0 };
        var command = new Command("verbosity-set", "Writes a verbosity attack set: every answer paired with a padded copy (MODEL-padded) that restates it. Judge it with `judge compare`, then read it with `judge bias report`.")
        {
            questions, answers, output, seed,
        };
        command.SetAction(parse =>
        {
            var questionList = DataFiles.ReadQuestions(parse.GetValue(questions)!);
            var answerList = parse.GetValue(answers)!.SelectMany(a => DataFiles.ReadAnswers(a)).ToList();
            var data = Dataset.Create(questionList, answerList);
            var dir = parse.GetValue(output)!;
            var files = VerbositySet.Write(dir, data.Questions, answerList, parse.GetValue(seed));
            console.MarkupLineInterpolated($"wrote {answerList.Count} answers and their padded copies for {data.Models.Count} model(s), seed {parse.GetValue(seed)}:");
            foreach (var f in files)
            {
                console.MarkupLineInterpolated($"  {f}");
            }

            console.MarkupLineInterpolated($"next: judge compare -q {Path.Combine(dir, "question.jsonl")} -a {Path.Combine(dir, "model_answer")}/*.jsonl --judge JUDGE --out verbosity.jsonl; judge bias report --judgments verbosity.jsonl");
            return ExitCodes.Ok;
        });
        return command;
    }
}

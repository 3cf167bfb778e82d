using System.CommandLine;
using Judge.Data;
using Judge.Reports.Terminal;
using Judge.Statistics;
using Judge.Statistics.Bias;
using Judge.Verdicts;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge bias</c>: <c>report</c> here; <c>arena</c>, <c>difficulty</c> and <c>verbosity-set</c> beside it.</summary>
internal static partial class BiasCommands
{
    public static Command Bias(IAnsiConsole console) => new("bias", "Judge biases: length, style, position, self-preference, verbosity.")
    {
        Report(console),
        DifficultyCommand(console),
        ArenaCommand(console),
        VerbositySetCommand(console),
    };

    private static Command Report(IAnsiConsole console)
    {
        var judgments = new Option<string>("--judgments") { Description = "The judge's verdicts: a Judge judgments file (pairwise and/or absolute records) or MT-Bench pairwise JSONL.", Required = true };
        var questions = new Option<string?>("--questions", "-q") { Description = "Questions (for score categories)." };
        var answers = new Option<string[]>("--answers", "-a") { Description = "The judged answers (for length, style and P(longer)); repeat for each file.", AllowMultipleArgumentsPerToken = true };
        var baseline = new Option<string?>("--baseline") { Description = "Baseline of the length-controlled win rates (default: the model in the most battles)." };
        var turn = new Option<int?>("--turn", "-t") { Description = "Analyse this turn only (default: all)." };
        var style = new Option<bool>("--style") { Description = "Add the joint style-controlled fit (markdown headers, list items, bold; one slope shared by all models) beside the length-controlled rates." };
        var difficulty = new Option<string?>("--difficulty") { Description = "A frozen instruction difficulty file (from `judge bias difficulty`) for the length-controlled rates (default: the minimal form, length term only)." };
        var gamed = new Option<string[]>("--gamed") { Description = "A model whose answers are gamed (verbose/concise) versions of the baseline's: its battles with the baseline pin the length slope (weight 0.1 each) and count nowhere else; repeat for each.", AllowMultipleArgumentsPerToken = true };
        var excludeTies = new Option<bool>("--exclude-ties") { Description = "Leave ties out of raw and controlled win rates (default: a tie is half a win)." };
        var lcFolds = LengthControlFoldsOption();
        var judgeFamily = new Option<string?>("--judge-family") { Description = "The judge's model family (openai, anthropic, llama, google, …) for self-preference; needs --human." };
        var families = new Option<string?>("--families") { Description = "Family overrides: model=family,… (default families come from model-name prefixes)." };
        var human = new Option<string?>("--human") { Description = "Reference pairwise labels for self-preference: human labels, or another judge's verdicts (MT-Bench JSONL or a Judge judgments file)." };
        var raters = CommonOptions.HumanRaters();
        var judgeName = new Option<string?>("--judge-name") { Description = "When the file holds several judges, analyse this one." };
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples for controlled win rates and ratings (each refits; 0: none).", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "Bootstrap seed.", DefaultValueFactory = _ => 0 };
        var format = Format();
        var layouts = new LayoutOptions();
        var command = new Command("report", "Raw vs length-controlled win rates, position and length preferences, self-preference, ratings, verbosity attack and mean scores.")
        {
            judgments, questions, answers, baseline, turn, style, difficulty, gamed, excludeTies, lcFolds, judgeFamily, families, human, raters, judgeName, resamples, seed, format,
        };
        AddAll(command, layouts.All);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(judgments)!;
            var name = parse.GetValue(judgeName);
            var imported = VerdictImport.Read(path, layouts.Judge(parse));
            if (imported.Items.Count == 0 && imported.Absolute.Count == 0)
            {
                throw new InputException(path, null, "--judgments", "holds no verdicts (the file is empty, or no record is a pairwise or absolute judgment)");
            }

            var run = JudgeRun.FromImport(imported, name, allowNoPairwise: true);
            var absolute = imported.Absolute.Where(a => name is null || a.Judge == name).ToList();
            var questionList = parse.GetValue(questions) is { } q ? DataFiles.ReadQuestions(q) : null;
            var answerTexts = run.AnswerTextsOr(ReadAnswers(parse.GetValue(answers)));
            var reference = parse.GetValue(human) is { } h
                ? Reference(console, ReferenceLabels.ReadFile(h, layouts.Human(parse), Statistics.HumanRaters.Parse(parse.GetValue(raters))), quiet: parse.GetValue(format) == "json")
                : [];
            if (parse.GetValue(judgeFamily) is not null && reference.Count == 0)
            {
                throw new InputException(null, null, "--human", "self-preference (--judge-family) compares with reference labels: give --human");
            }

            if (parse.GetValue(baseline) is { } b && !run.Labels.Any(l => l.ModelA == b || l.ModelB == b))
            {
                throw new InputException(path, null, "--baseline", $"no verdict involves the baseline '{b}'");
            }

            var report = BiasReport.Compute(run, absolute, answerTexts, questionList, reference, new BiasReportOptions
            {
                Baseline = parse.GetValue(baseline),
                Turn = parse.GetValue(turn),
                StyleControl = parse.GetValue(style),
                Difficulty = parse.GetValue(difficulty) is { } d ? InstructionDifficulty.ReadFor(d, run, parse.GetValue(turn), parse.GetValue(baseline)) : null,
                GamedBaselineModels = parse.GetValue(gamed) ?? [],
                Ties = parse.GetValue(excludeTies) ? TieHandling.Exclude : TieHandling.Half,
                LengthControlFolds = parse.GetValue(lcFolds) == "sorted" ? LengthControlFolds.Sorted : LengthControlFolds.AlpacaEval,
                JudgeFamily = parse.GetValue(judgeFamily),
                FamilyOverrides = ParseFamilies(parse.GetValue(families)),
                ModelResamples = parse.GetValue(resamples),
                Resamples = Math.Max(parse.GetValue(resamples), 0) == 0 ? 0 : 1000,
                Seed = parse.GetValue(seed),
            });
            if (parse.GetValue(format) == "json")
            {
                console.Profile.Out.Writer.WriteLine(report.ToJson());
            }
            else
            {
                BiasReportConsole.Write(console, report, answerTexts is not null);
                if (run.DuplicatesDropped > 0)
                {
                    console.MarkupLineInterpolated($"[yellow]{run.DuplicatesDropped} exact duplicate records dropped from {path}[/]");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The <c>--lc-folds</c> option: how the length-controlled penalty is cross-validated.</summary>
    private static Option<string> LengthControlFoldsOption()
    {
        var option = new Option<string>("--lc-folds") { Description = "Cross-validation of the length-controlled penalty: alpaca-eval (AlpacaEval 2's GroupKFold on the rows as given, per-fold losses averaged; the default) or sorted (rows sorted by instruction, fold by position, pooled loss; independent of line order).", DefaultValueFactory = _ => "alpaca-eval" };
        option.AcceptOnlyFromAmong("alpaca-eval", "sorted");
        return option;
    }

    /// <summary>The reference labels, saying whose human votes they are unless <paramref name="quiet"/>.</summary>
    private static IReadOnlyList<PairwiseLabel> Reference(IAnsiConsole console, ReferenceLabels labels, bool quiet)
    {
        if (!labels.FromJudge && !quiet)
        {
            console.MarkupLineInterpolated($"[grey]reference: human votes by {Statistics.HumanRaters.Describe(labels.RaterPrefix)} ({labels.Labels.Count} of {labels.Read})[/]");
        }

        return labels.Labels;
    }

    /// <summary>Adds <paramref name="options"/> to <paramref name="command"/>.</summary>
    internal static void AddAll(Command command, IEnumerable<Option> options)
    {
        foreach (var option in options)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The <c>--format</c> option of the analysis commands: table (default) or json.</summary>
    internal static Option<string> Format()
    {
        var format = new Option<string>("--format") { Description = "table (default) or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        return format;
    }

    /// <summary>The answer texts of <paramref name="files"/>; <see langword="null"/> when none is given.</summary>
    internal static AnswerTexts? ReadAnswers(string[]? files) =>
        files is { Length: > 0 } ? new AnswerTexts(files.SelectMany(a => DataFiles.ReadAnswers(a))) : null;

    private static Dictionary<string, string>? ParseFamilies(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == part.Length - 1)
            {
                throw new InputException(null, null, "--families", $"'{part}' is not model=family");
            }

            map[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }

        return map;
    }
}

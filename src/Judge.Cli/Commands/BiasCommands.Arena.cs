using System.CommandLine;
using System.Globalization;
using Judge.Reports.Terminal;
using Judge.Statistics;
using Judge.Statistics.Bias;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge bias arena</c>: Arena-Hard-style scores.</summary>
internal static partial class BiasCommands
{
    private static Command ArenaCommand(IAnsiConsole console)
    {
        var judgments = new Option<string>("--judgments") { Description = "The judge's verdicts: a Judge judgments file (each call is one game) or MT-Bench pairwise JSONL (one battle per verdict).", Required = true };
        var baseline = new Option<string>("--baseline") { Description = "The anchor model: rating 1000, every score a predicted win rate against it.", Required = true };
        var turn = new Option<int?>("--turn", "-t") { Description = "This turn only (default: all)." };
        var judgeName = new Option<string?>("--judge-name") { Description = "When the file holds several judges, use this one." };
        var strong = new Option<double>("--strong-weight") { Description = "How many times a strong verdict (A>>B, B>>A) counts.", DefaultValueFactory = _ => 3 };
        var rounds = new Option<int>("--rounds") { Description = "Bootstrap rounds for the intervals (0: none).", DefaultValueFactory = _ => 100 };
        var level = new Option<double>("--level") { Description = "Confidence level of the intervals.", DefaultValueFactory = _ => 0.95 };
        var seed = new Option<int>("--seed") { Description = "Bootstrap seed.", DefaultValueFactory = _ => 0 };
        var resample = new Option<string>("--resample") { Description = "What a bootstrap round resamples: question (a question with all its games, both orders together; the default), game (each game with its weight), or arena-hard (Arena-Hard-Auto's code: a strong game as weight rows drawn independently; reproduces its published intervals).", DefaultValueFactory = _ => "question" };
        resample.AcceptOnlyFromAmong("question", "game", "arena-hard");
        var style = new Option<bool>("--style") { Description = "Style control: add length, header, list and bold differences to the fit (needs --answers)." };
        var answers = new Option<string[]>("--answers", "-a") { Description = "The judged answers, for --style; repeat for each file.", AllowMultipleArgumentsPerToken = true };
        var format = Format();
        var layouts = new LayoutOptions();
        var command = new Command("arena", "Arena-Hard-style scores: each game its own battle, strong verdicts weighted, Bradley-Terry anchored at the baseline, win rate against it with percentile bootstrap intervals.")
        {
            judgments, baseline, turn, judgeName, strong, rounds, level, seed, resample, style, answers, format,
        };
        AddAll(command, layouts.JudgeOnly);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(judgments)!;
            var run = JudgeRun.Load(path, parse.GetValue(judgeName), layout: layouts.Judge(parse)).ForTurn(parse.GetValue(turn));
            var b = parse.GetValue(baseline)!;
            if (parse.GetValue(strong) is var w && !(w > 0 && w <= 100))
            {
                throw new InputException(null, null, "--strong-weight", $"must lie in (0, 100], found {w.ToString(CultureInfo.InvariantCulture)}");
            }

            if (parse.GetValue(level) is var l && !(l > 0 && l < 1))
            {
                throw new InputException(null, null, "--level", $"must lie strictly between 0 and 1, found {l.ToString(CultureInfo.InvariantCulture)}");
            }

            var resampling = parse.GetValue(resample) switch { "game" => ArenaResampling.Game, "arena-hard" => ArenaResampling.ArenaHardRows, _ => ArenaResampling.Question };
            if (resampling == ArenaResampling.ArenaHardRows && w != Math.Floor(w))
            {
                throw new InputException(null, null, "--strong-weight", $"--resample arena-hard writes a strong game as weight rows: give a whole number, found {w.ToString(CultureInfo.InvariantCulture)}");
            }

            if (parse.GetValue(rounds) < 0)
            {
                throw new InputException(null, null, "--rounds", $"must be 0 or more, found {parse.GetValue(rounds)}");
            }

            var answerTexts = ReadAnswers(parse.GetValue(answers));
            if (parse.GetValue(style) && answerTexts is null)
            {
                throw new InputException(null, null, "--answers", "style control (--style) measures the answers: give --answers");
            }

            var arena = ArenaGames.From(run, answerTexts);
            var games = arena.Games;
            if (!games.Any(g => g.ModelA == b || g.ModelB == b))
            {
                throw new InputException(path, null, "--baseline", $"no verdict involves the baseline '{b}'");
            }

            if (parse.GetValue(style) && games.FirstOrDefault(g => g.Style is null) is { } bare)
            {
                throw new InputException(null, null, "--answers", $"no answer text for {bare.ModelA} or {bare.ModelB} on {bare.Question}: style control needs both answers of every game");
            }

            var result = ArenaHard.Compute(games, new ArenaHardOptions
            {
                Baseline = b,
                StrongWeight = parse.GetValue(strong),
                Rounds = parse.GetValue(rounds),
                ConfidenceLevel = parse.GetValue(level),
                Seed = parse.GetValue(seed),
                StyleControl = parse.GetValue(style),
                Resampling = resampling,
            });
            if (parse.GetValue(format) == "json")
            {
                console.Profile.Out.Writer.WriteLine(result.ToJson());
                return ExitCodes.Ok;
            }

            ArenaConsole.Write(console, arena, result);
            return ExitCodes.Ok;
        });
        return command;
    }
}

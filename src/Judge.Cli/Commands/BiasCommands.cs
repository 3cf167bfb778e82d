using System.CommandLine;
using System.Globalization;
using Judge.Data;
using Judge.Statistics;
using Judge.Statistics.Bias;
using Judge.Verdicts;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary><c>judge bias report</c>, <c>judge bias verbosity-set</c>, <c>judge judges</c> and <c>judge agreement-scores</c>.</summary>
internal static class BiasCommands
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
            judgments, questions, answers, baseline, turn, style, difficulty, gamed, excludeTies, judgeFamily, families, human, raters, judgeName, resamples, seed, format,
        };
        AddAll(command, layouts.All);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(judgments)!;
            var name = parse.GetValue(judgeName);
            var imported = VerdictImport.Read(path, layouts.Judge(parse));
            var run = JudgeRun.FromImport(imported, name, allowNoPairwise: true);
            var absolute = imported.Absolute.Where(a => name is null || a.Judge == name).ToList();
            var questionList = parse.GetValue(questions) is { } q ? DataFiles.ReadQuestions(q) : null;
            var answerTexts = ReadAnswers(parse.GetValue(answers)) ?? (imported.Answers.Count > 0 ? new AnswerTexts(imported.Answers) : null);
            List<PairwiseLabel> reference = [];
            if (parse.GetValue(human) is { } h)
            {
                // The reference may be human labels (filtered by rater) or another judge's verdicts, in either file format.
                var referenceFile = VerdictImport.Read(h, layouts.Human(parse));
                if (referenceFile.IsJudgmentsFile)
                {
                    reference = JudgeRun.FromImport(referenceFile).Labels.ToList();
                }
                else
                {
                    var prefix = Statistics.HumanRaters.Parse(parse.GetValue(raters));
                    var labels = referenceFile.Labels();
                    reference = Statistics.HumanRaters.Select(labels, prefix, h);
                    if (parse.GetValue(format) != "json")
                    {
                        console.MarkupLineInterpolated($"[grey]reference: human votes by {Statistics.HumanRaters.Describe(prefix)} ({reference.Count} of {labels.Count})[/]");
                    }
                }
            }

            if (parse.GetValue(judgeFamily) is not null && reference.Count == 0)
            {
                throw new InputException(null, null, "--human", "self-preference (--judge-family) compares with reference labels: give --human");
            }

            if (parse.GetValue(baseline) is { } b && !run.Labels.Any(l => l.ModelA == b || l.ModelB == b))
            {
                throw new InputException(path, null, "--baseline", $"no verdict involves the baseline '{b}'");
            }

            CheckDifficulty(parse.GetValue(difficulty), run, parse.GetValue(turn), parse.GetValue(baseline));
            var report = BiasReport.Compute(run, absolute, answerTexts, questionList, reference, new BiasReportOptions
            {
                Baseline = parse.GetValue(baseline),
                Turn = parse.GetValue(turn),
                StyleControl = parse.GetValue(style),
                Difficulty = parse.GetValue(difficulty) is { } d ? InstructionDifficulty.Read(d) : null,
                GamedBaselineModels = parse.GetValue(gamed) ?? [],
                Ties = parse.GetValue(excludeTies) ? TieHandling.Exclude : TieHandling.Half,
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
                WriteReport(console, report, answerTexts is not null);
                if (run.DuplicatesDropped > 0)
                {
                    console.MarkupLineInterpolated($"[yellow]{run.DuplicatesDropped} exact duplicate records dropped from {path}[/]");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

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
        var style = new Option<bool>("--style") { Description = "Style control: add length, header, list and bold differences to the fit (needs --answers)." };
        var answers = new Option<string[]>("--answers", "-a") { Description = "The judged answers, for --style; repeat for each file.", AllowMultipleArgumentsPerToken = true };
        var format = Format();
        var layouts = new LayoutOptions();
        var command = new Command("arena", "Arena-Hard-style scores: each game its own battle, strong verdicts weighted, Bradley-Terry anchored at the baseline, win rate against it with percentile bootstrap intervals.")
        {
            judgments, baseline, turn, judgeName, strong, rounds, level, seed, style, answers, format,
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

            if (parse.GetValue(rounds) < 0)
            {
                throw new InputException(null, null, "--rounds", $"must be 0 or more, found {parse.GetValue(rounds)}");
            }

            var answerTexts = ReadAnswers(parse.GetValue(answers));
            if (parse.GetValue(style) && answerTexts is null)
            {
                throw new InputException(null, null, "--answers", "style control (--style) measures the answers: give --answers");
            }

            var perCall = run.Calls is { Count: > 0 } && run.Items is not null && run.Calls.Any(c => c.Order is "AB" or "BA");
            var withoutVerdict = 0;
            var games = perCall ? ArenaHard.GamesFromCalls(run.Items!, run.Calls!, answerTexts, out withoutVerdict) : ArenaHard.GamesFromVerdicts(run.Labels, answerTexts);
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
            });
            if (parse.GetValue(format) == "json")
            {
                console.Profile.Out.Writer.WriteLine(result.ToJson());
                return ExitCodes.Ok;
            }

            console.MarkupLineInterpolated($"{games.Count} games ({(perCall ? "each call in each order is one game" : "one battle per verdict: the file merges both orders")}){(withoutVerdict > 0 ? $"; {withoutVerdict} calls without a verdict left out" : string.Empty)}; strong verdicts x{result.StrongWeight.ToString(CultureInfo.InvariantCulture)} ({result.StrongGames} games)");
            var table = new Table().Title(Markup.Escape($"Arena-Hard scores vs {result.Baseline}{(parse.GetValue(style) ? ", style-controlled" : string.Empty)}")).AddColumns("model", "games", "score %", "interval", "rating");
            foreach (var m in result.Models)
            {
                AddPlainRow(table, m.Model, Int(m.Games), (m.Score * 100).ToString("0.0", CultureInfo.InvariantCulture), m.Interval is { } ci ? $"[{(ci.Lower * 100).ToString("0.0", CultureInfo.InvariantCulture)}, {(ci.Upper * 100).ToString("0.0", CultureInfo.InvariantCulture)}]" : "-", m.Rating.ToString("0", CultureInfo.InvariantCulture));
            }

            console.Write(table);
            if (result.Models.FirstOrDefault(m => m.Interval is not null)?.Interval is { } any)
            {
                console.MarkupLineInterpolated($"intervals: {any.Level:P0} percentile bootstrap, {any.Resamples} rounds of the games, seed {any.Seed}");
            }

            if (result.StyleCoefficients.Count > 0)
            {
                console.MarkupLineInterpolated($"style coefficients (log-odds per standard deviation): {string.Join(", ", result.StyleCoefficients.Select(kv => $"{kv.Key} {Number(kv.Value)}"))}");
            }

            if (result.SelfBattles > 0)
            {
                console.MarkupLineInterpolated($"self-battles left out: {result.SelfBattles}");
            }

            if (result.NotConnected.Count > 0)
            {
                console.MarkupLineInterpolated($"[yellow]never compared, directly or through others, with {result.Baseline} (no score): {string.Join(", ", result.NotConnected)}[/]");
            }

            if (!result.Converged)
            {
                console.MarkupLine("[yellow]the fit did not converge: a model won or lost every game, so its rating does not exist (it runs off towards ±infinity)[/]");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command DifficultyCommand(IAnsiConsole console)
    {
        var judgments = new Option<string>("--judgments") { Description = "A reference panel's verdicts against the baseline (Judge judgments file or MT-Bench pairwise JSONL).", Required = true };
        var answers = new Option<string[]>("--answers", "-a") { Description = "The judged answers (for the lengths); repeat for each file.", Required = true, AllowMultipleArgumentsPerToken = true };
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
            var rows = LengthControl.RowsFromVerdicts(run.Labels, ReadAnswers(parse.GetValue(answers))!, b, parse.GetValue(excludeTies) ? TieHandling.Exclude : TieHandling.Half, out var skipped, out _);
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

    /// <summary>A difficulty file must cover every instruction the baseline was judged on: a missing one is an input error naming it.</summary>
    private static void CheckDifficulty(string? path, JudgeRun run, int? turn, string? baseline)
    {
        if (path is null)
        {
            return;
        }

        var vector = InstructionDifficulty.Read(path);
        var missing = run.ForTurn(turn).Labels
            .Where(l => baseline is null || l.ModelA == baseline || l.ModelB == baseline)
            .Select(l => AnswerTexts.InstructionId(l.QuestionId, l.Turn))
            .Distinct(StringComparer.Ordinal)
            .Where(q => !vector.ContainsKey(q))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (missing.Count > 0)
        {
            throw new InputException(path, null, "instruction", $"no difficulty for {missing.Count} judged instruction(s), e.g. '{missing[0]}'");
        }
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

    private static void AddAll(Command command, IEnumerable<Option> options)
    {
        foreach (var option in options)
        {
            command.Options.Add(option);
        }
    }

    public static Command Judges(IAnsiConsole console)
    {
        var judgments = new Option<string[]>("--judgments") { Description = "A judge's verdicts (Judge judgments file or MT-Bench pairwise JSONL); repeat for each judge.", Required = true, AllowMultipleArgumentsPerToken = true };
        var human = new Option<string>("--human") { Description = "Human pairwise labels (MT-Bench human_judgments.jsonl).", Required = true };
        var turn = new Option<int?>("--turn", "-t") { Description = "Compare this turn only (default: all)." };
        var questions = new Option<string?>("--questions", "-q") { Description = "Questions (with --answers, for P(longer))." };
        var answers = new Option<string[]>("--answers", "-a") { Description = "The judged answers, for P(longer); repeat for each file.", AllowMultipleArgumentsPerToken = true };
        var raters = CommonOptions.HumanRaters();
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples for the agreement intervals (0: none).", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Bootstrap seed.", DefaultValueFactory = _ => 0 };
        var format = Format();
        var layouts = new LayoutOptions();
        var command = new Command("judges", "Choose a judge: per judge, agreement with humans, parse failures, flip rate, P(first), P(longer), cost and time; and judge-by-judge agreement.")
        {
            judgments, human, turn, questions, answers, raters, resamples, seed, format,
        };
        AddAll(command, layouts.All);
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

            var report = JudgeComparison.Compute(runs, humanLabels, new AgreementOptions
            {
                HumanRaterPrefix = Statistics.HumanRaters.Parse(parse.GetValue(raters)),
                Turn = parse.GetValue(turn),
                BootstrapResamples = parse.GetValue(resamples),
                Seed = parse.GetValue(seed),
            }, answerTexts);
            if (parse.GetValue(format) == "json")
            {
                console.Profile.Out.Writer.WriteLine(report.ToJson());
            }
            else
            {
                WriteJudges(console, report);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command AgreementScores(IAnsiConsole console)
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
            var table = new Table().AddColumns("compared", "n", "Pearson", "Spearman", "Kendall tau-b");
            void Row(string what, CorrelationSummary c) => AddPlainRow(table, what, c.Count.ToString(CultureInfo.InvariantCulture), Number(c.Pearson), Number(c.Spearman), Number(c.KendallTauB));
            if (parse.GetValue(prometheus) is { } p)
            {
                var items = Prometheus.Read(p);
                foreach (var run in Prometheus.RunCorrelations(items))
                {
                    Row($"GPT-4 run {run.RunA + 1} vs run {run.RunB + 1}", run.Correlation);
                }

                table.Title($"{Path.GetFileName(p)}: {items.Count} items");
            }
            else if (parse.GetValue(judgments) is { } j && parse.GetValue(reference) is { } r)
            {
                var result = ScoreAgreement.Compute(ReadGrades(j), ReadGrades(r), parse.GetValue(turn));
                Row($"{Path.GetFileName(j)} vs {Path.GetFileName(r)}", result.Correlation);
                table.Title("absolute grades matched by question, turn and model");
                console.Write(table);
                console.MarkupLineInterpolated($"{result.Unmatched} answers without a parsed score on both sides were left out");
                return ExitCodes.Ok;
            }
            else
            {
                throw new InputException(null, null, "--prometheus", "give --prometheus FILE, or --judgments FILE with --reference FILE");
            }

            console.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static List<AbsoluteVerdict> ReadGrades(string path)
    {
        var grades = JudgmentsReader.Read(path).OfType<AbsoluteVerdict>().ToList();
        return grades.Count > 0 ? grades : throw new InputException(path, null, null, "holds no absolute grades");
    }

    private static Option<string> Format()
    {
        var format = new Option<string>("--format") { Description = "table (default) or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        return format;
    }

    private static AnswerTexts? ReadAnswers(string[]? files) =>
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

    private static void WriteReport(IAnsiConsole console, BiasReport r, bool haveAnswers)
    {
        console.MarkupLineInterpolated($"[bold]judge[/] {r.Judge}, {(r.Turn is int t ? $"turn {t}" : "all turns")}: {r.Verdicts} pairwise verdicts{(r.ItemsWithoutVerdict is > 0 ? $", {r.ItemsWithoutVerdict} items without a verdict (not counted)" : string.Empty)}");
        if (r.LengthControlled is { } lc)
        {
            var resamples = lc.Models.Count > 0 ? lc.Models[0].ControlledInterval?.Resamples ?? 0 : 0;
            var form = lc.UsesDifficulty ? "with instruction difficulty" : "minimal form, length term only";
            var table = new Table().Title(Markup.Escape($"win rate vs {lc.Baseline}, {(lc.TiesExcluded ? "ties excluded" : "a tie counts half")}; 95% intervals"))
                .AddColumns("model", "battles", "raw %", "length-controlled %", "length coef.", "C");
            foreach (var m in lc.Models)
            {
                AddPlainRow(table, m.Model, Int(m.Rows), Rate(m.RawWinRate, m.RawInterval), Rate(m.ControlledWinRate, m.ControlledInterval), Number(m.LengthCoefficient), m.InversePenalty.ToString("0.####", CultureInfo.InvariantCulture));
            }

            console.Write(table);
            console.MarkupLineInterpolated($"length control: AlpacaEval 2, each model fitted alone ({form}){(lc.GamedRows > 0 ? $", {lc.GamedRows} gamed baseline rows" : string.Empty)}");
            console.MarkupLineInterpolated($"intervals: {resamples} bootstrap resamples of instructions");
            foreach (var m in lc.Models.Where(m => m.ControlledInterval?.Warning is not null))
            {
                console.MarkupLineInterpolated($"[yellow]caution, {m.Model}: {m.ControlledInterval!.Warning}[/]");
            }
            if (lc.Models.Any(m => !m.Converged))
            {
                console.MarkupLineInterpolated($"[yellow]the length-controlled fit did not converge for {string.Join(", ", lc.Models.Where(m => !m.Converged).Select(m => m.Model))}; treat those rates with caution[/]");
            }

            console.MarkupLineInterpolated($"ties: {lc.Ties} {(lc.TiesExcluded ? "left out" : "counted as half a win")}{(lc.SkippedWithoutAnswer > 0 ? $"; {lc.SkippedWithoutAnswer} battles without both answers left out" : string.Empty)}");
            if (r.StyleControlled is { } sc)
            {
                var joint = new Table().Title(Markup.Escape($"joint length+style fit vs {sc.Baseline} (one slope shared by all models: a model's rate depends on the others in the file)")).AddColumns("model", "battles", "length+style %");
                foreach (var m in sc.Models)
                {
                    AddPlainRow(joint, m.Model, Int(m.Battles), Rate(m.ControlledWinRate, m.ControlledInterval));
                }

                console.Write(joint);
                console.MarkupLineInterpolated($"style fit: length {Number(sc.LengthCoefficient)}, {string.Join(", ", sc.StyleCoefficients.Select(kv => $"{kv.Key} {Number(kv.Value)}"))}");
            }
        }
        else if (!haveAnswers && r.Verdicts > 0)
        {
            console.MarkupLine("length-controlled win rates, P(longer) and style need the answers: give --answers");
        }

        if (r.WinRates.Count > 0)
        {
            var ratings = new Table().Title("all battles: record, win % (a tie counts half), Bradley-Terry (BT) and Elo ratings with 95% bootstrap intervals").AddColumns("model", "wins", "losses", "ties", "win %", "BT", "Elo");
            foreach (var w in r.WinRates)
            {
                var bt = r.BradleyTerry.FirstOrDefault(x => x.Model == w.Model);
                var elo = r.Elo.FirstOrDefault(x => x.Model == w.Model);
                AddPlainRow(ratings, w.Model, Int(w.Wins), Int(w.Losses), Int(w.Ties), Percent(w.RateTiesHalf), RatingText(bt), RatingText(elo));
            }

            console.Write(ratings);
            if (r.Graph.SelfBattles > 0)
            {
                console.MarkupLineInterpolated($"self-battles (a model against itself): {r.Graph.SelfBattles}, left out of every rating");
            }

            if (!r.Graph.Connected)
            {
                console.MarkupLineInterpolated($"[yellow]the comparison graph has {r.Graph.Components.Count} separate components; ratings are comparable only within one:[/]");
                for (var c = 0; c < r.Graph.Components.Count; c++)
                {
                    console.MarkupLineInterpolated($"  component {c + 1}: {string.Join(", ", r.Graph.Components[c])}");
                }
            }
        }

        var position = new Table().Title("position and length").AddColumns("statistic", "value");
        AddPlainRow(position, "flip rate (orders disagree)", $"{r.Flip.Flipped}/{r.Flip.Items} = {Percent(r.Flip.Rate)}");
        AddPlainRow(position, "P(first position) over decisive calls", r.Position is { } p ? $"{p.First}/{p.First + p.Second} = {Percent(p.FirstRate)}" : "n/a (no call records)");
        if (r.Position is { } pc)
        {
            AddPlainRow(position, "calls without a verdict", $"{pc.WithoutVerdict}/{pc.Calls} = {Percent(pc.ParseFailureRate)}");
        }

        AddPlainRow(position, "P(longer answer wins) over decisive verdicts", r.Longer is { } l ? $"{l.Longer}/{l.Decisive} = {Percent(l.Rate)}" : "n/a (no --answers)");
        console.Write(position);
        if (r.SelfPreference is { } sp)
        {
            console.MarkupLineInterpolated($"self-preference ({sp.Family}: {string.Join(", ", sp.FamilyModels)}) over {sp.Items} items: judge {Percent(sp.JudgeWinRate)} vs reference {Percent(sp.ReferenceWinRate)}, gap {Signed(sp.Gap)} {Interval(sp.GapInterval, signed: true)}");
        }

        if (r.Verbosity.Count > 0)
        {
            var v = new Table().Title("verbosity attack: original vs padded copy").AddColumns("model", "pairs", "padded wins", "original wins", "ties", "inconsistent ties", "P(padded wins)");
            foreach (var row in r.Verbosity)
            {
                AddPlainRow(v, row.Model, Int(row.Pairs), Int(row.PaddedWins), Int(row.OriginalWins), Int(row.Ties), Int(row.InconsistentTies), Percent(row.PaddedWinRate));
            }

            console.Write(v);
        }

        if (r.Scores is { } scores)
        {
            var s = new Table().Title("absolute scores (MT-Bench mean; unscored grades counted, never averaged)").AddColumns("model", "turn", "mean", "scored", "unscored");
            foreach (var row in scores.Means.Overall.Concat(scores.Means.ByTurn))
            {
                AddPlainRow(s, row.Model, row.Turn?.ToString(CultureInfo.InvariantCulture) ?? "all", Number(row.Mean), Int(row.Scored), Int(row.Unscored));
            }

            console.Write(s);
            if (scores.Means.ByCategory.Count > 0)
            {
                var c = new Table().Title("mean score by category").AddColumns("model", "category", "mean", "scored");
                foreach (var row in scores.Means.ByCategory)
                {
                    AddPlainRow(c, row.Model, row.Category ?? string.Empty, Number(row.Mean), Int(row.Scored));
                }

                console.Write(c);
            }

            if (scores.LengthAdjusted is { } la)
            {
                var a = new Table().Title($"length-adjusted mean scores (within-model slope {Signed(la.SlopePer1000Chars)} points per 1,000 characters)").AddColumns("model", "scored", "mean chars", "mean", "length-adjusted");
                foreach (var row in la.Models)
                {
                    AddPlainRow(a, row.Model, Int(row.Scored), row.MeanLength.ToString("0", CultureInfo.InvariantCulture), Number(row.MeanScore), Number(row.AdjustedMean));
                }

                console.Write(a);
            }
        }
    }

    private static void WriteJudges(IAnsiConsole console, JudgeComparisonReport r)
    {
        // One column per judge keeps the table narrow enough for a terminal with a handful of judges.
        var table = new Table().Title($"judges ({(r.Turn is int t ? $"turn {t}" : "all turns")}; agreement with humans by the MT-Bench protocol)").AddColumn("");
        foreach (var j in r.Judges)
        {
            table.AddColumn(Markup.Escape(j.Judge));
        }

        void Line(string label, Func<JudgeRow, string> cell) => AddPlainRow(table, [label, .. r.Judges.Select(cell)]);
        Line("judgments", j => Int(j.Judgments));
        Line("  without a verdict (not compared)", j => j.Agreement.JudgeItemsWithoutVerdict is int n ? Int(n) : "n/a");
        Line("agreement with ties", j => $"{j.Agreement.WithTies.Agree}/{j.Agreement.WithTies.Total} = {Percent(j.Agreement.WithTies.Rate)}");
        Line("  95% bootstrap interval", j => Interval(j.Agreement.Ci) + (j.Agreement.Ci?.Warning is not null ? " (too few clusters)" : string.Empty));
        Line("agreement without ties", j => $"{j.Agreement.WithoutTies.Agree}/{j.Agreement.WithoutTies.Total} = {Percent(j.Agreement.WithoutTies.Rate)}");
        Line("  95% bootstrap interval", j => Interval(j.Agreement.CiWithoutTies) + (j.Agreement.CiWithoutTies?.Warning is not null ? " (too few clusters)" : string.Empty));
        if (r.Judges.Any(j => j.Agreement.Orders is not null))
        {
            static string Fig(AgreementFigure? f) => f is null ? "n/a (one verdict per pair)" : $"{f.Agree}/{f.Total} = {Percent(f.Rate)}";
            Line("accuracy AB / BA (with ties)", j => j.Agreement.Orders is { } o ? $"{Fig(o.WithTies.Ab)}; {Fig(o.WithTies.Ba)}" : Fig(null));
            Line("  mean of the two orders", j => j.Agreement.Orders is { } o ? $"{Percent(o.WithTies.Mean)} (without ties {Percent(o.WithoutTies.Mean)})" : "n/a");
            Line("correct in both orders", j => Fig(j.Agreement.Orders?.WithTies.BothOrders));
            Line("positional consistency", j => Fig(j.Agreement.Orders?.PositionalConsistency));
        }

        if (r.Judges.Any(j => j.Agreement.JudgeDuplicatesDropped is > 0))
        {
            Line("exact duplicates dropped", j => Int(j.Agreement.JudgeDuplicatesDropped ?? 0));
        }

        Line("parse failures (calls)", j => j.ParseFailureRate is double pf ? $"{j.Position!.WithoutVerdict}/{j.Position.Calls} = {Percent(pf)}" : "n/a (no call records)");
        Line("flip rate (orders disagree)", j => $"{j.Flip.Flipped}/{j.Flip.Items} = {Percent(j.Flip.Rate)}");
        Line("P(first position)", j => j.Position?.FirstRate is double pfirst ? $"{j.Position.First}/{j.Position.First + j.Position.Second} = {Percent(pfirst)}" : "n/a");
        Line("P(longer answer)", j => j.Longer?.Rate is double pl ? $"{j.Longer.Longer}/{j.Longer.Decisive} = {Percent(pl)}" : "n/a");
        Line("cost USD per 1,000", j => j.CostUsdPer1000 is double c ? c.ToString("0.00", CultureInfo.InvariantCulture) : "n/a");
        Line("seconds per 1,000", j => j.SecondsPer1000 is double s ? s.ToString("0.0", CultureInfo.InvariantCulture) : "n/a");
        console.Write(table);
        if (r.Judges.Count > 1)
        {
            var names = r.Judges.Select(j => j.Judge).ToList();
            var matrix = new Table().Title("judge-by-judge agreement (ties an outcome; items both judged)").AddColumn("");
            foreach (var n in names)
            {
                matrix.AddColumn(Markup.Escape(n));
            }

            foreach (var row in names)
            {
                AddPlainRow(matrix, [row, .. names.Select(col => row == col ? "-" : r.Matrix.First(m => m.JudgeA == row && m.JudgeB == col).Agreement is var f ? $"{f.Agree}/{f.Total} = {Percent(f.Rate)}" : string.Empty)]);
            }

            console.Write(matrix);
        }
    }

    /// <summary>Adds a row of plain text cells (brackets in intervals are not markup).</summary>
    private static void AddPlainRow(Table table, params string[] cells) => table.AddRow(cells.Select(Markup.Escape).ToArray());

    /// <summary>A rate in percent with its interval, compactly: <c>58.1 [51.9, 65.0]</c>.</summary>
    private static string Rate(double value, ConfidenceInterval? ci)
    {
        static string P(double v) => double.IsNaN(v) ? "n/a" : (v * 100).ToString("0.0", CultureInfo.InvariantCulture);
        return ci is null ? P(value) : $"{P(value)} [{P(ci.Lower)}, {P(ci.Upper)}]";
    }

    private static string Interval(IntervalFigure? ci) => ci is null ? string.Empty : $"[{Percent(ci.Lower)}, {Percent(ci.Upper)}]";

    private static string Interval(ConfidenceInterval? ci, bool signed = false) =>
        ci is null ? string.Empty : signed ? $"[{Signed(ci.Lower)}, {Signed(ci.Upper)}]" : $"[{Percent(ci.Lower)}, {Percent(ci.Upper)}]";

    private static string RatingText(ModelRating? rating) => rating is null
        ? "n/a"
        : $"{rating.Rating.ToString("0", CultureInfo.InvariantCulture)}{(rating.Interval is { } ci ? $" [{ci.Lower.ToString("0", CultureInfo.InvariantCulture)}, {ci.Upper.ToString("0", CultureInfo.InvariantCulture)}]" : string.Empty)}";

    private static string Percent(double? value) => value is double v && !double.IsNaN(v) ? v.ToString("P1", CultureInfo.InvariantCulture) : "n/a";

    private static string Signed(double? value) => value is double v && !double.IsNaN(v) ? v.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture) : "n/a";

    private static string Number(double? value) => value is double v && !double.IsNaN(v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}

using System.Globalization;
using System.Text.Json;
using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Runs;
using Judge.Verdicts;

namespace Judge.Cli.Tests;

public class BiasCommandTests
{
    private static string Questions => Path.Combine(Paths.MtBench, "question.jsonl");

    private static string Gpt4 => Path.Combine(Paths.MtBench, "gpt4_pair_judgments.jsonl");

    private static string Human => Path.Combine(Paths.MtBench, "human_judgments.jsonl");

    private static string[] AnswerFiles => Directory.GetFiles(Path.Combine(Paths.MtBench, "model_answer"), "*.jsonl").Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Judges_Gpt4AndDerivedJudge_PrintsRowsWithPublishedGpt4Agreement()
    {
        var derived = await WriteDerivedJudgeAsync(turn: 1);

        var (exit, output) = await CliRunner.RunAsync(
            ["judges", "--judgments", Gpt4, "--judgments", derived, "--human", Human, "--turn", "1", "--questions", Questions, "--answers", .. AnswerFiles, "--resamples", "200"]);

        Assert.True(exit == 0, output);

        // MT-Bench paper, turn 1, expert votes: 66.0% (886/1343) with ties, 84.6% (727/859) without.
        // One column per judge, GPT-4's first.
        string Line(string label) => output.Split('\n').First(l => l.Contains(label, StringComparison.Ordinal));
        var header = Line("length-or-first");
        Assert.True(header.IndexOf("gpt4_pair", StringComparison.Ordinal) < header.IndexOf("length-or-first", StringComparison.Ordinal), header);
        Assert.Matches(@"agreement with ties\s*│ 886/1343 = 66\.0 %\s*│ \d+/1343 = ", Line("agreement with ties"));
        Assert.Matches(@"agreement without ties\s*│ 727/859 = 84\.6 %\s*│ \d+/\d+ = ", Line("agreement without ties"));

        // GPT-4's MT-Bench file has no call records; the derived judge made 2 calls per judgment at
        // 1,500 ms each (3,000 s per 1,000 judgments) costing 2 × $0.002 ($4.00 per 1,000).
        Assert.Matches(@"parse failures \(calls\)\s*│ n/a \(no call records\)\s*│ 0/2400 = 0\.0 %", Line("parse failures"));
        Assert.Matches(@"seconds per 1,000\s*│ n/a\s*│ 3000\.0", Line("seconds per 1,000"));
        Assert.Matches(@"cost USD per 1,000\s*│ n/a\s*│ 4\.00", Line("cost USD per 1,000"));
        Assert.Matches(@"flip rate \(orders disagree\)\s*│ 188/1200 = 15\.7 %", Line("flip rate"));
        Assert.Contains("judge-by-judge agreement", output);
    }

    [Fact]
    public async Task Judges_Json_CarriesExactCountsPositionAndMatrix()
    {
        var derived = await WriteDerivedJudgeAsync(turn: 1);

        var (exit, output) = await CliRunner.RunAsync(
            ["judges", "--judgments", Gpt4, "--judgments", derived, "--human", Human, "--turn", "1", "--questions", Questions, "--answers", .. AnswerFiles, "--resamples", "0", "--format", "json"]);

        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output);
        var judges = doc.RootElement.GetProperty("judges");
        var gpt4 = judges[0];
        Assert.Equal(886, gpt4.GetProperty("agreement").GetProperty("with_ties").GetProperty("agree").GetInt32());
        Assert.Equal(1343, gpt4.GetProperty("agreement").GetProperty("with_ties").GetProperty("total").GetInt32());
        Assert.Equal(727, gpt4.GetProperty("agreement").GetProperty("without_ties").GetProperty("agree").GetInt32());
        Assert.Equal(859, gpt4.GetProperty("agreement").GetProperty("without_ties").GetProperty("total").GetInt32());
        Assert.Equal(JsonValueKind.Null, gpt4.GetProperty("parse_failure_rate").ValueKind);
        Assert.Equal(1200, gpt4.GetProperty("flip").GetProperty("items").GetInt32());

        // The derived judge takes the first position unless one answer is 1.5 times longer, so most of
        // its decisive calls are "first", and it is known to have parsed every call.
        var mine = judges[1];
        Assert.Equal(0, mine.GetProperty("parse_failure_rate").GetDouble());
        Assert.Equal(2400, mine.GetProperty("position").GetProperty("calls").GetInt32());
        Assert.True(mine.GetProperty("position").GetProperty("first").GetInt32() > mine.GetProperty("position").GetProperty("second").GetInt32());
        Assert.True(mine.GetProperty("longer").GetProperty("rate").GetDouble() > 0.9);
        var matrix = doc.RootElement.GetProperty("matrix");
        Assert.Equal(2, matrix.GetArrayLength());
        Assert.Equal(1200, matrix[0].GetProperty("agreement").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task BiasReport_Gpt4Turn1_ShowsControlledRatesPositionLongerAndSelfPreference()
    {
        var (exit, output) = await CliRunner.RunAsync(
            ["bias", "report", "--judgments", Gpt4, "--questions", Questions, "--answers", .. AnswerFiles, "--baseline", "gpt-3.5-turbo", "--turn", "1",
             "--judge-family", "openai", "--human", Human, "--resamples", "20"]);

        Assert.True(exit == 0, output);
        Assert.Contains("length control: AlpacaEval 2, each model fitted alone (minimal form, length term only)", output);
        Assert.Contains("flip rate (orders disagree)", output);
        Assert.Contains("188/1200", output);
        Assert.Contains("P(longer answer wins)", output);
        Assert.Contains("self-preference (openai: gpt-3.5-turbo, gpt-4)", output);
        Assert.Contains("Bradley-Terry", output);
    }

    [Fact]
    public async Task BiasDifficulty_ThenReportWithDifficulty_UsesItAndRejectsAFileMissingInstructions()
    {
        var file = Paths.Temp("difficulty.jsonl");
        var (exit, output) = await CliRunner.RunAsync(
            ["bias", "difficulty", "--judgments", Gpt4, "--answers", .. AnswerFiles, "--baseline", "gpt-3.5-turbo", "--turn", "1", "--out", file]);
        Assert.True(exit == 0, output);
        Assert.Contains("difficulty of 80 instructions from 400 comparisons of 5 model(s)", output);
        Assert.Equal(80, File.ReadAllLines(file).Length);

        (exit, output) = await CliRunner.RunAsync(
            ["bias", "report", "--judgments", Gpt4, "--answers", .. AnswerFiles, "--baseline", "gpt-3.5-turbo", "--turn", "1", "--difficulty", file, "--resamples", "10"]);
        Assert.True(exit == 0, output);
        Assert.Contains("each model fitted alone (with instruction difficulty)", output);

        // Turn 2's instructions are not in a turn-1 vector: an input error naming the file.
        (exit, output) = await CliRunner.RunAsync(
            ["bias", "report", "--judgments", Gpt4, "--answers", .. AnswerFiles, "--baseline", "gpt-3.5-turbo", "--turn", "2", "--difficulty", file, "--resamples", "0"]);
        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("no difficulty for 80 judged instruction(s), e.g. '100/t2'", output);
        Assert.Contains("difficulty.jsonl", output);
    }

    [Fact]
    public async Task BiasArena_Gpt4Turn1_AnchoredScoresAndBadWeightIsAnInputError()
    {
        var (exit, output) = await CliRunner.RunAsync("bias", "arena", "--judgments", Gpt4, "--baseline", "gpt-3.5-turbo", "--turn", "1", "--rounds", "20");

        Assert.True(exit == 0, output);
        Assert.Contains("1200 games (one battle per verdict: the file merges both orders)", output);
        Assert.Matches(@"gpt-3\.5-turbo\s*│ 400\s*│ 50\.0\s*│ -\s*│ 1000", output);
        Assert.Contains("20 rounds resampling 80 questions (each with all its games, both orders together)", output);

        (exit, output) = await CliRunner.RunAsync("bias", "arena", "--judgments", Gpt4, "--baseline", "gpt-3.5-turbo", "--strong-weight", "0");
        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("--strong-weight", output);
        Assert.Contains("(0, 100]", output);

        (exit, output) = await CliRunner.RunAsync("bias", "arena", "--judgments", Gpt4, "--baseline", "nobody");
        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("no verdict involves the baseline 'nobody'", output);
    }

    [Fact]
    public async Task VerbositySet_ThenReport_CountsPaddedWins()
    {
        var dir = Path.GetDirectoryName(Paths.Temp("x"))!;
        var (exit, output) = await CliRunner.RunAsync("bias", "verbosity-set", "--questions", Questions, "--answers", Path.Combine(Paths.MtBench, "model_answer", "vicuna-13b-v1.2.jsonl"), "--out", dir, "--seed", "3");
        Assert.True(exit == 0, output);
        var padded = Path.Combine(dir, "model_answer", "vicuna-13b-v1.2-padded.jsonl");
        Assert.True(File.Exists(padded), output);

        // A judge that always prefers the longer answer, in both orders: every pair goes to the padded copy.
        var data = Dataset.Create(MtBenchFiles.ReadQuestions(Path.Combine(dir, "question.jsonl")), Directory.GetFiles(Path.Combine(dir, "model_answer")).SelectMany(f => MtBenchFiles.ReadAnswers(f)));
        var judgments = Path.Combine(dir, "verbosity.jsonl");
        await WriteJudgmentsAsync(judgments, new LengthOrFirstJudge("longer", ratio: 1.0), data, [("vicuna-13b-v1.2", "vicuna-13b-v1.2-padded")], turn: 1);

        (exit, output) = await CliRunner.RunAsync("bias", "report", "--judgments", judgments, "--resamples", "0");

        Assert.True(exit == 0, output);
        Assert.Contains("verbosity attack", output);
        var row = output.Split('\n').First(l => l.Contains("vicuna-13b-v1.2 ", StringComparison.Ordinal) && l.Contains("80", StringComparison.Ordinal));
        Assert.Contains("100.0 %", row);
    }

    [Fact]
    public async Task AgreementScores_Prometheus_PrintsRunVersusRunCorrelations()
    {
        var (exit, output) = await CliRunner.RunAsync("agreement-scores", "--prometheus", Path.Combine(Paths.Shared, "datasets", "prometheus", "mt_bench_eval.json"));

        Assert.True(exit == 0, output);
        Assert.Contains("GPT-4 run 1 vs run 2", output);
        Assert.Contains("320 items", output);
    }

    [Fact]
    public async Task AgreementScores_NoInput_ExitsTwo()
    {
        var (exit, output) = await CliRunner.RunAsync("agreement-scores");

        Assert.Equal(ExitCodes.UsageOrInput, exit);
        Assert.Contains("--prometheus", output);
    }

    [Fact]
    public async Task BiasReportAndAgreementScores_AbsoluteGrades_ShowMeansLengthAdjustmentAndCorrelation()
    {
        // Two synthetic graders of turn 1 of the six MT-Bench models: one scores by length alone
        // (1 + chars / 300, capped at 10), the other the same rounded down; one answer left unparsed.
        var data = Dataset.Create(MtBenchFiles.ReadQuestions(Questions), AnswerFiles.SelectMany(f => MtBenchFiles.ReadAnswers(f)));
        var byLength = Paths.Temp("by-length.jsonl");
        var rounded = Path.Combine(Path.GetDirectoryName(byLength)!, "rounded.jsonl");
        foreach (var (path, round) in new[] { (byLength, false), (rounded, true) })
        {
            await using var writer = JudgmentsWriter.Open(path);
            foreach (var q in data.Questions)
            {
                foreach (var model in data.Models)
                {
                    var score = Math.Min(10, 1 + (data.Answer(model, q.Id)!.Turns[0].Length / 300.0));
                    var unparsed = round && q.Id == "81" && model == "gpt-4";
                    await writer.WriteAsync(new AbsoluteVerdict
                    {
                        Item = $"q{q.Id}/t1/{model}",
                        QuestionId = q.Id,
                        Turn = 1,
                        Model = model,
                        Score = unparsed ? null : round ? Math.Floor(score) : score,
                        Status = unparsed ? VerdictStatus.Unparsed : VerdictStatus.Parsed,
                        Judge = round ? "rounded" : "by-length",
                        Rubric = "single-general@1",
                    });
                }
            }
        }

        var (exit, output) = await CliRunner.RunAsync(["bias", "report", "--judgments", rounded, "--questions", Questions, "--answers", .. AnswerFiles]);

        Assert.True(exit == 0, output);
        Assert.Contains("absolute scores", output);
        Assert.Contains("mean score by category", output);
        Assert.Contains("length-adjusted mean scores", output);
        Assert.Matches(@"gpt-4\s*│ all\s*│ [\d.]+\s*│ 79\s*│ 1\s*│", output);

        (exit, output) = await CliRunner.RunAsync("agreement-scores", "--judgments", byLength, "--reference", rounded);

        Assert.True(exit == 0, output);
        Assert.Contains("1 answers without a parsed score on both sides were left out", output);
        Assert.Matches(@"by-length.jsonl vs rounded.jsonl\s*│ 479\s*│ 0\.9\d\d", output);
    }

    /// <summary>
    /// Judges turn 1 of every pair in the GPT-4 file with a synthetic judge behind the real
    /// PositionSwapJudge and writes the result with JudgmentsWriter, then adds a cost_usd of $0.002
    /// to each call line (as a provider that reports cost would).
    /// </summary>
    private static async Task<string> WriteDerivedJudgeAsync(int turn)
    {
        var data = Dataset.Create(MtBenchFiles.ReadQuestions(Questions), AnswerFiles.SelectMany(f => MtBenchFiles.ReadAnswers(f)));
        var pairs = VerdictImport.ReadLabels(Gpt4).Where(l => l.Turn == turn).Select(l => (l.QuestionId, l.ModelA, l.ModelB)).ToList();
        var path = Paths.Temp("derived.jsonl");
        await using (var writer = JudgmentsWriter.Open(path))
        {
            var judge = new PositionSwapJudge(new LengthOrFirstJudge("length-or-first", ratio: 1.5));
            foreach (var (q, a, b) in pairs)
            {
                await writer.WriteAsync(await judge.JudgeAsync(new PairwiseItem(data.Question(q), data.Answer(a, q)!, data.Answer(b, q)!, turn)));
            }
        }

        var lines = File.ReadAllLines(path).Select(l => l.StartsWith("{\"type\":\"call\"", StringComparison.Ordinal) ? l[..^1] + ",\"cost_usd\":0.002}" : l);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static async Task WriteJudgmentsAsync(string path, IPairwiseJudge inner, Dataset data, (string A, string B)[] models, int turn)
    {
        await using var writer = JudgmentsWriter.Open(path);
        var judge = new PositionSwapJudge(inner);
        foreach (var q in data.Questions)
        {
            foreach (var (a, b) in models)
            {
                await writer.WriteAsync(await judge.JudgeAsync(new PairwiseItem(q, data.Answer(a, q.Id)!, data.Answer(b, q.Id)!, turn)));
            }
        }
    }

    /// <summary>Picks the answer shown first unless the other is more than <c>ratio</c> times longer. Every call parses and "takes" 1,500 ms.</summary>
    private sealed class LengthOrFirstJudge(string id, double ratio) : IPairwiseJudge
    {
        public string Id => id;

        public Task<PairwiseVerdict> JudgeAsync(PairwiseItem item, CancellationToken cancellationToken = default)
        {
            var first = item.AnswerA.Turns[item.Turn - 1].Length;
            var second = item.AnswerB.Turns[item.Turn - 1].Length;
            var choice = second > first * ratio ? PairOutcome.B : PairOutcome.A;
            var call = new JudgeCall
            {
                Item = item.Key,
                Judge = id,
                Rubric = "pairwise-general@1",
                Order = item.Order.ToString(),
                PromptHash = "sha256:" + item.Key.GetHashCode(StringComparison.Ordinal).ToString("x8", CultureInfo.InvariantCulture),
                RawOutput = choice == PairOutcome.A ? "[[A]]" : "[[B]]",
                Status = VerdictStatus.Parsed,
                Verdict = choice == PairOutcome.A ? "A" : "B",
                Choice = choice,
                Method = "tag",
                LatencyMs = 1500,
            };
            return Task.FromResult(new PairwiseVerdict
            {
                Item = item.Key,
                QuestionId = item.Question.Id,
                Turn = item.Turn,
                ModelA = item.ModelA,
                ModelB = item.ModelB,
                Winner = choice == PairOutcome.A ? PairOutcome.A : PairOutcome.B,
                Status = VerdictStatus.Parsed,
                Judge = id,
                Rubric = "pairwise-general@1",
                Calls = [call],
            });
        }
    }
}

using System.Globalization;
using System.Text;
using Judge.Data;
using Judge.Statistics;
using Judge.Statistics.Bias;

namespace Judge.Core.Tests.Bias;

/// <summary>The bias report in process: gamed baseline models and the comparison graph.</summary>
public class BiasReportTests
{
    [Fact]
    public void Compute_GamedBaselineModel_PinsTheFitAndCountsNowhereElse()
    {
        // m1 and m2 against "base" on 60 questions, plus "base-verbose" (the baseline's answer made
        // twice as long) against "base": the judge always prefers the verbose copy.
        var random = new Random(7);
        var answers = new List<ModelAnswer>();
        var lines = new StringBuilder();
        for (var q = 1; q <= 60; q++)
        {
            var id = q.ToString(CultureInfo.InvariantCulture);
            var baseLength = 300 + random.Next(700);
            answers.Add(new ModelAnswer(id, "base", [new string('b', baseLength)]));
            answers.Add(new ModelAnswer(id, "base-verbose", [new string('v', baseLength * 2)]));
            answers.Add(new ModelAnswer(id, "m1", [new string('x', 200 + random.Next(1200))]));
            answers.Add(new ModelAnswer(id, "m2", [new string('y', 200 + random.Next(1200))]));
            foreach (var (m, winner) in new[] { ("m1", random.Next(3)), ("m2", random.Next(3)), ("base-verbose", 0) })
            {
                var w = winner switch { 0 => "model_a", 1 => "model_b", _ => "tie" };
                lines.Append(CultureInfo.InvariantCulture, $"{{\"question_id\":{q},\"model_a\":\"{m}\",\"model_b\":\"base\",\"winner\":\"{w}\",\"judge\":\"j\",\"turn\":1}}\n");
            }
        }

        var path = Path.Combine(Path.GetTempPath(), $"gamed-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, lines.ToString());
        try
        {
            var texts = new AnswerTexts(answers);
            var options = new BiasReportOptions { GamedBaselineModels = ["base-verbose"], ModelResamples = 0 };

            var report = BiasReport.Compute(JudgeRun.Load(path), [], texts, null, [], options);

            var lc = report.LengthControlled!;
            Assert.Equal("base", lc.Baseline);
            Assert.Equal(60, lc.GamedRows);
            Assert.Equal(["m1", "m2"], lc.Models.Select(m => m.Model));
            Assert.DoesNotContain(report.WinRates, w => w.Model == "base-verbose");
            Assert.DoesNotContain(report.BradleyTerry, r => r.Model == "base-verbose");
            Assert.True(report.Graph.Connected);

            // The same as fitting m1 directly with the gamed rows.
            var rows = LengthControl.RowsFromVerdicts(JudgeRun.Load(path).Labels, texts, "base", TieHandling.Half, out _, out _);
            var gamed = rows.Where(r => r.Model == "base-verbose").Select(r => new GamedBaselineRow(r.Instruction, r.BaselineLength, r.ModelLength, r.Preference)).ToList();
            var direct = LengthControl.FitModel("m1", rows, new LengthControlOptions { GamedBaseline = gamed, BootstrapResamples = 0 });
            Assert.Equal(direct, lc.Models[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

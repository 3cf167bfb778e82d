using System.Text.Json;
using Judge.Data;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Core.Tests.Statistics;

/// <summary>PandaLM and Prometheus figures from the real files in ../shared.</summary>
public class RealDataTests
{
    private static readonly Lazy<List<PandaLmItem>> PandaItems = new(() => PandaLm.ReadTestSet(SharedData.Dataset("pandalm", "testset-v1.json")));

    [Fact]
    public void AgreementWithMajority_Gpt35_ReproducesPublishedCountsWithUnparsableReported()
    {
        var verdicts = PandaLm.ReadVerdicts(SharedData.Dataset("pandalm", "gpt-3.5-turbo-testset-v1.json"));

        var result = PandaLm.AgreementWithMajority(PandaItems.Value, verdicts);

        Assert.Equal(999, result.Items);
        Assert.Equal(25, result.Unparsable);
        Assert.Equal(0, result.NoMajority);
        Assert.Equal(0, result.MissingVerdicts);
        Assert.Equal(new AgreementCount(697, 999), result.CountingUnparsableAsWrong);
        Assert.Equal(new AgreementCount(697, 974), result.ExcludingUnparsable);
        Assert.All(verdicts.Where(v => v.Label is null), v => Assert.Equal("garbage", v.Raw));
    }

    [Fact]
    public void FleissAndAlpha_PandaLmAnnotators_MatchIndependentComputation()
    {
        // Reference values from a separate Python computation of the textbook formulas over the same
        // 999 × 3 labels (Fleiss: P̄ and Σpⱼ²; alpha: the coincidence matrix).
        var labels = PandaLm.AnnotatorLabels(PandaItems.Value);
        var units = labels.Select(r => (IReadOnlyList<int?>)r.Select(v => (int?)v).ToArray()).ToArray();

        Assert.Equal(0.864175364998, Kappa.FleissFromLabels(labels, 3), 1e-9);
        Assert.Equal(0.864220685196, Krippendorff.Alpha(units, MeasurementLevel.Nominal), 1e-9);
    }

    [Theory]
    [InlineData("mt_bench_eval.json", 0.835687675865, 0.803698446721, 0.726026016073, 0.876279139380, 0.841194290537)]
    [InlineData("vicuna_eval.json", 0.799197457988, 0.689433228787, 0.667129895805, 0.804340180449, 0.822103934948)]
    public void RunCorrelations_Gpt4ThreeRuns_MatchIndependentComputation(string file, double pearson01, double spearman01, double kendall01, double pearson02, double pearson12)
    {
        // Every item holds three GPT-4 scores for the same response, so GPT-4 can be correlated with
        // itself run against run. References from a separate Python computation (tau-b, averaged ranks).
        var items = Prometheus.Read(SharedData.Dataset("prometheus", file));

        var runs = Prometheus.RunCorrelations(items);

        Assert.Equal(320, items.Count);
        Assert.All(items, i => Assert.Equal(3, i.Gpt4Scores.Count));
        Assert.Equal(3, runs.Count);
        Assert.Equal(pearson01, runs[0].Correlation.Pearson, 1e-9);
        Assert.Equal(spearman01, runs[0].Correlation.Spearman, 1e-9);
        Assert.Equal(kendall01, runs[0].Correlation.KendallTauB, 1e-9);
        Assert.Equal(pearson02, runs[1].Correlation.Pearson, 1e-9);
        Assert.Equal(pearson12, runs[2].Correlation.Pearson, 1e-9);
    }

    [Fact]
    public void ToJson_Gpt4Turn2_HasDocumentedSnakeCaseShape()
    {
        var human = VerdictImport.ReadLabels(SharedData.Dataset("mt-bench", "human_judgments.jsonl"));
        var gpt4 = VerdictImport.ReadLabels(SharedData.Dataset("mt-bench", "gpt4_pair_judgments.jsonl"));
        var report = AgreementReport.Compute(gpt4, human, new AgreementOptions { Turn = 2, Seed = 3, BootstrapResamples = 200 });

        using var doc = JsonDocument.Parse(report.ToJson());
        var root = doc.RootElement;

        Assert.Equal(871, root.GetProperty("with_ties").GetProperty("agree").GetInt32());
        Assert.Equal(1325, root.GetProperty("with_ties").GetProperty("total").GetInt32());
        Assert.Equal(871 / 1325.0, root.GetProperty("with_ties").GetProperty("rate").GetDouble(), 1e-12);
        Assert.Equal(731, root.GetProperty("without_ties").GetProperty("agree").GetInt32());
        Assert.Equal(864, root.GetProperty("without_ties").GetProperty("total").GetInt32());
        Assert.True(root.GetProperty("cohen_kappa").GetDouble() > 0);
        var ci = root.GetProperty("ci");
        Assert.Equal(0.95, ci.GetProperty("level").GetDouble());
        Assert.Equal(200, ci.GetProperty("resamples").GetInt32());
        Assert.Equal(3, ci.GetProperty("seed").GetInt32());
        Assert.True(ci.GetProperty("lower").GetDouble() < ci.GetProperty("upper").GetDouble());
        Assert.Equal(3, root.GetProperty("confusion_matrix").GetProperty("counts").GetArrayLength());
        Assert.Equal(471, root.GetProperty("human_vs_human").GetProperty("with_ties").GetProperty("agree").GetInt32());
        Assert.Equal(474, root.GetProperty("human_vs_human").GetProperty("without_ties").GetProperty("total").GetInt32());
    }
}

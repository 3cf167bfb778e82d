using Judge.Data;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Core.Tests.Statistics;

/// <summary>
/// The published MT-Bench agreement table (Zheng et al. 2023, table 2; README of ../shared) reproduced
/// exactly from the real files.
/// </summary>
public class MtBenchAgreementTests
{
    private static readonly Lazy<List<PairwiseLabel>> Human = new(() => VerdictImport.ReadLabels(SharedData.Dataset("mt-bench", "human_judgments.jsonl")));
    private static readonly Lazy<List<PairwiseLabel>> Gpt4 = new(() => VerdictImport.ReadLabels(SharedData.Dataset("mt-bench", "gpt4_pair_judgments.jsonl")));

    [Theory]
    [InlineData(1, 886, 1343, 727, 859)]
    [InlineData(2, 871, 1325, 731, 864)]
    public void JudgeVersusHuman_Gpt4ExpertsPerTurn_ReproducesPublishedCounts(int turn, int agree, int total, int agreeNoTie, int totalNoTie)
    {
        var counts = PairwiseAgreement.JudgeVersusHuman(Gpt4.Value, Human.Value, new AgreementOptions { Turn = turn });

        Assert.Equal(new AgreementCount(agree, total), counts.WithTies);
        Assert.Equal(new AgreementCount(agreeNoTie, totalNoTie), counts.WithoutTies);
    }

    [Theory]
    [InlineData(1, 454, 721, 388, 479)]
    [InlineData(2, 471, 707, 388, 474)]
    public void HumanVersusHuman_ExpertsPerTurn_ReproducesPublishedCounts(int turn, int agree, int total, int agreeNoTie, int totalNoTie)
    {
        var counts = PairwiseAgreement.HumanVersusHuman(Human.Value, new AgreementOptions { Turn = turn });

        Assert.Equal(new AgreementCount(agree, total), counts.WithTies);
        Assert.Equal(new AgreementCount(agreeNoTie, totalNoTie), counts.WithoutTies);
    }

    [Fact]
    public void Compute_Gpt4Turn1_ReportCarriesPublishedCountsAndBothBlocks()
    {
        var report = AgreementReport.Compute(Gpt4.Value, Human.Value, new AgreementOptions { Turn = 1, Seed = 7 });

        Assert.Equal(new AgreementCount(886, 1343), report.WithTies);
        Assert.Equal(new AgreementCount(727, 859), report.WithoutTies);
        Assert.Equal(new AgreementCount(454, 721), report.HumanVsHuman!.WithTies);
        Assert.Equal(new AgreementCount(388, 479), report.HumanVsHuman.WithoutTies);
        Assert.Equal(1343, report.ConfusionMatrix.Counts.Sum(r => r.Sum()));
        Assert.Equal(886, report.ConfusionMatrix.Counts[0][0] + report.ConfusionMatrix.Counts[1][1] + report.ConfusionMatrix.Counts[2][2]);
        Assert.NotNull(report.Ci);
        Assert.True(report.Ci.Lower <= 886 / 1343.0 && 886 / 1343.0 <= report.Ci.Upper);
        Assert.InRange(report.CohenKappa!.Value, 0.0, 1.0);
        Assert.Equal(1200, report.JudgeVerdicts);
    }

    [Fact]
    public void Compute_NoRaterPrefix_CountsAuthorsToo()
    {
        var experts = PairwiseAgreement.JudgeVersusHuman(Gpt4.Value, Human.Value, new AgreementOptions { Turn = 1 });
        var everyone = PairwiseAgreement.JudgeVersusHuman(Gpt4.Value, Human.Value, new AgreementOptions { Turn = 1, HumanRaterPrefix = null });

        Assert.True(everyone.WithTies.Total > experts.WithTies.Total);
    }
}

using Judge.Data;
using Judge.Statistics;
using Judge.Statistics.Bias;
using Judge.Verdicts;

namespace Judge.Core.Tests.Statistics;

/// <summary>
/// <see cref="AgreementFiles"/>: the streamed, integer-coded path gives the report the detailed reader gives (the
/// <c>mt-bench</c> layout named explicitly forces the detailed reader), and anything it does not decide falls back to
/// the detailed reader, whose messages and counts hold.
/// </summary>
public sealed class AgreementFilesTests : IDisposable
{
    private static readonly string Gpt4 = SharedData.Dataset("mt-bench", "gpt4_pair_judgments.jsonl");
    private static readonly string Human = SharedData.Dataset("mt-bench", "human_judgments.jsonl");
    private readonly string _dir = Directory.CreateTempSubdirectory("judge-agreement-files-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(null, AgreementCluster.Question, "expert")]
    [InlineData(1, AgreementCluster.Question, "expert")]
    [InlineData(2, AgreementCluster.Verdict, "expert")]
    [InlineData(null, AgreementCluster.Verdict, null)]
    public void Compute_RealMtBenchFiles_StreamedPathEqualsDetailedReader(int? turn, AgreementCluster cluster, string? raters)
    {
        var book = new CodeBook();
        Assert.NotNull(CodedLabelsReader.TryRead(Gpt4, null, book));
        Assert.NotNull(CodedLabelsReader.TryRead(Human, null, book));
        var options = new AgreementOptions { Turn = turn, BootstrapCluster = cluster, HumanRaterPrefix = raters, BootstrapResamples = 200, Seed = 7 };

        var streamed = AgreementFiles.Compute(Gpt4, Human, options);
        var detailed = AgreementFiles.Compute(Gpt4, Human, options, judgeLayout: PairwiseLayout.Named("mt-bench"), humanLayout: PairwiseLayout.Named("mt-bench"));

        Assert.Equal(detailed.ToJson(), streamed.ToJson());
    }

    [Fact]
    public void Compute_RealMtBenchFilesTurnOne_ReproducesPublishedCounts()
    {
        // Zheng et al. 2023, table 2, GPT-4 pair vs experts, turn 1: 886 / 1,343 with ties, 727 / 859 without.
        var report = AgreementFiles.Compute(Gpt4, Human, new AgreementOptions { Turn = 1, BootstrapResamples = 0 });

        Assert.Equal(new AgreementCount(886, 1343), report.WithTies);
        Assert.Equal(new AgreementCount(727, 859), report.WithoutTies);
    }

    [Fact]
    public void Compute_MalformedLine_DetailedReaderNamesFileAndLine()
    {
        var judge = Write("judge.jsonl", Record(1, "a", "b", "model_a", "j"), Record(2, "a", "b", "tie", "j"), "{\"question_id\": 3, \"model_a\": ");
        var human = Write("human.jsonl", Record(1, "a", "b", "model_a", "expert_1"));

        Assert.Null(CodedLabelsReader.TryRead(judge, null, new CodeBook()));
        var error = Assert.Throws<InputException>(() => AgreementFiles.Compute(judge, human, new AgreementOptions()));
        Assert.Equal(judge, error.Path);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void Compute_UnparsedVerdictAndRepeat_CountedAsTheDetailedReaderCounts()
    {
        var judge = Write("judge.jsonl", Record(1, "a", "b", "model_a", "j"), Record(2, "a", "b", "maybe", "j"), Record(3, "b", "a", "model_b", "j"));
        var human = Write("human.jsonl", Record(1, "a", "b", "model_a", "expert_1"), Record(1, "a", "b", "model_a", "expert_1"), Record(3, "a", "b", "model_b", "expert_2"));

        var report = AgreementFiles.Compute(judge, human, new AgreementOptions { BootstrapResamples = 0 });

        // Question 1 agrees (A, A); question 3's judge verdict "b over a" is "a over b" and the human says b: disagree.
        Assert.Equal(new AgreementCount(1, 2), report.WithTies);
        Assert.Equal(1, report.JudgeItemsWithoutVerdict);
        Assert.Equal(1, report.HumanDuplicatesDropped);
    }

    [Fact]
    public void Compute_SeveralJudgesWithoutName_ErrorNamesThem_WithNamePicksOne()
    {
        var judge = Write("judge.jsonl", Record(1, "a", "b", "model_a", "j1"), Record(1, "a", "b", "model_b", "j2"));
        var human = Write("human.jsonl", Record(1, "a", "b", "model_b", "expert_1"));

        var error = Assert.Throws<InputException>(() => AgreementFiles.Compute(judge, human, new AgreementOptions()));
        Assert.Contains("j1, j2", error.Message, StringComparison.Ordinal);
        var report = AgreementFiles.Compute(judge, human, new AgreementOptions { BootstrapResamples = 0 }, judgeName: "j2");
        Assert.Equal(new AgreementCount(1, 1), report.WithTies);
    }

    [Fact]
    public void Compute_NumericJudgeIds_SameRatersAsTheDetailedReader()
    {
        // Raters written as numbers: the detailed reader names them "1" and "2", so their two votes on question 1 are a
        // human-vs-human pair; read as one blank rater, the pair (listed once as a-b, once as b-a, so no repeat) would be
        // skipped as one rater's.
        var judge = Write("judge.jsonl", Record(1, "a", "b", "model_a", "j"));
        var human = Write("human.jsonl", Record(1, "a", "b", "model_a", "x").Replace("\"judge\": \"x\"", "\"judge\": 1", StringComparison.Ordinal), Record(1, "b", "a", "tie", "x").Replace("\"judge\": \"x\"", "\"judge\": 2", StringComparison.Ordinal));
        var options = new AgreementOptions { HumanRaterPrefix = null, BootstrapResamples = 0 };

        var streamed = AgreementFiles.Compute(judge, human, options);
        var detailed = AgreementFiles.Compute(judge, human, options, judgeLayout: PairwiseLayout.Named("mt-bench"), humanLayout: PairwiseLayout.Named("mt-bench"));

        Assert.Equal(new AgreementCount(0, 1), detailed.HumanVsHuman!.WithTies);
        Assert.Equal(detailed.ToJson(), streamed.ToJson());
    }

    private static string Record(int question, string a, string b, string winner, string judge) =>
        $"{{\"question_id\": {question}, \"model_a\": \"{a}\", \"model_b\": \"{b}\", \"winner\": \"{winner}\", \"judge\": \"{judge}\", \"turn\": 1, \"extra\": {{\"x\": [1, 2]}}}}";

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }
}

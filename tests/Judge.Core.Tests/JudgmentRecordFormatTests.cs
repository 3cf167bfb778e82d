using Judge.Data;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests;

/// <summary>
/// The verdict model is the judgments file format: what a judge returns is what the file holds, written field for
/// field as the format has always been written, and files written before the model was unified still load.
/// </summary>
public sealed class JudgmentRecordFormatTests
{
    // The lines below were produced by the on-disk record types before the in-memory and on-disk models were merged
    // (CallRecord, PairwiseRecord, AbsoluteRecord): the unified model must write them byte for byte.
    private const string CallLine = """{"type":"call","item":"q1/t1/a|b","judge":"mock:1","rubric":"pairwise-general@1","order":"BA","prompt_hash":"sha256:ab","status":"parsed","verdict":"B","choice":"second","method":"tag","feedback":"fb","raw_output":"[[B]]","input_tokens":10,"output_tokens":3,"latency_ms":1.5,"cost_usd":0.001,"model":"m","finish_reason":"stop","probabilities":{"A":0.25,"B":0.75},"label_mass":0.5,"p_second":0.7,"strong_verdict":"B\u003EA","repeat":2}""";
    private const string PairwiseLine = """{"type":"pairwise","item":"q1/t1/a|b","judge":"mock:1","rubric":"pairwise-general@1","question_id":"1","turn":1,"model_a":"a","model_b":"b","winner":"tie (inconsistent)","status":"parsed","flipped":true,"error":"e","p_second":0.5,"strong_verdict":"A=B","repeat":2}""";
    private const string AbsoluteLine = """{"type":"absolute","item":"q1/t1/a","judge":"mock:1","rubric":"single-general@1","question_id":"1","turn":1,"model":"a","score":7,"status":"out_of_range","error":"x","repeat":1}""";

    private static readonly JudgeCall Call = new()
    {
        Item = "q1/t1/a|b", Judge = "mock:1", Rubric = "pairwise-general@1", Repeat = 2, Order = "BA", PromptHash = "sha256:ab",
        Status = VerdictStatus.Parsed, Verdict = "B", Choice = PairOutcome.B, Method = "tag", Feedback = "fb", RawOutput = "[[B]]",
        InputTokens = 10, OutputTokens = 3, LatencyMs = 1.5, CostUsd = 0.001m, Model = "m", FinishReason = "stop",
        Probabilities = new Dictionary<string, double> { ["A"] = 0.25, ["B"] = 0.75 }, LabelMass = 0.5, PSecond = 0.7, StrongVerdict = "B>A",
    };

    [Fact]
    public void ToLine_EveryRecordKind_WritesTheFormatAsBefore()
    {
        var pairwise = new PairwiseVerdict
        {
            Item = "q1/t1/a|b", Judge = "mock:1", Rubric = "pairwise-general@1", Repeat = 2, QuestionId = "1", Turn = 1, ModelA = "a", ModelB = "b",
            Winner = PairOutcome.InconsistentTie, Status = VerdictStatus.Parsed, Flipped = true, Error = "e", PSecond = 0.5, StrongVerdict = "A=B",
            Calls = [Call],
        };
        var absolute = new AbsoluteVerdict
        {
            Item = "q1/t1/a", Judge = "mock:1", Rubric = "single-general@1", Repeat = 1, QuestionId = "1", Turn = 1, Model = "a", Score = 7,
            Status = VerdictStatus.OutOfRange, Error = "x",
        };

        Assert.Equal(CallLine, JudgmentsWriter.ToLine(Call));
        Assert.Equal(PairwiseLine, JudgmentsWriter.ToLine(pairwise));
        Assert.Equal(AbsoluteLine, JudgmentsWriter.ToLine(absolute));
    }

    [Fact]
    public void Read_AFileOfTheFormat_GivesEachVerdictTheCallsWrittenBeforeIt()
    {
        using var dir = new TempDir();
        var path = dir.Write("judgments.jsonl", CallLine, CallLine.Replace("\"order\":\"BA\"", "\"order\":\"AB\"", StringComparison.Ordinal), PairwiseLine, AbsoluteLine);

        var records = JudgmentsReader.Read(path);

        Assert.Equal(CallLine, JudgmentsWriter.ToLine(records[0]));
        var verdict = Assert.IsType<PairwiseVerdict>(records[2]);
        Assert.Equal(PairOutcome.InconsistentTie, verdict.Winner);
        Assert.Equal(["BA", "AB"], verdict.Calls.Select(c => c.Order));
        Assert.Same(records[0], verdict.Calls[0]);
        Assert.Empty(Assert.IsType<AbsoluteVerdict>(records[3]).Calls);
    }

    [Theory]
    [InlineData("model_a", PairOutcome.A)]
    [InlineData("model_b", PairOutcome.B)]
    [InlineData("tie", PairOutcome.Tie)]
    [InlineData("tie (inconsistent)", PairOutcome.InconsistentTie)]
    public void Read_WinnerSpellings_ReadAsThePairOutcome(string winner, PairOutcome expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("j.jsonl", PairwiseLine.Replace("tie (inconsistent)", winner, StringComparison.Ordinal));

        Assert.Equal(expected, Assert.IsType<PairwiseVerdict>(Assert.Single(JudgmentsReader.Read(path))).Winner);
    }

    [Theory]
    [InlineData("\"winner\":\"tie (inconsistent)\"", "\"winner\":\"maybe\"", "winner")]
    [InlineData("\"winner\":\"tie (inconsistent)\"", "\"winner\":3", "winner")]
    public void Read_AWinnerThatIsNoOutcome_IsAnInputErrorNamingTheLineAndField(string field, string replacement, string name)
    {
        using var dir = new TempDir();
        var path = dir.Write("j.jsonl", CallLine, PairwiseLine.Replace(field, replacement, StringComparison.Ordinal));

        var ex = Assert.Throws<InputException>(() => JudgmentsReader.Read(path));

        Assert.Equal(2, ex.Line);
        Assert.Equal(name, ex.Field);
    }

    [Fact]
    public void Read_ACallWhoseChoiceIsNoPosition_IsAnInputError()
    {
        using var dir = new TempDir();
        var path = dir.Write("j.jsonl", CallLine.Replace("\"choice\":\"second\"", "\"choice\":\"model_b\"", StringComparison.Ordinal));

        var ex = Assert.Throws<InputException>(() => JudgmentsReader.Read(path));

        Assert.Equal("choice", ex.Field);
    }

    [Fact]
    public void ChoiceByModel_MapsPositionsToTheItemsModelsByOrder()
    {
        // BA: model B's answer was shown first, so "second" is model A.
        Assert.Equal(PairOutcome.A, Call.ChoiceByModel());
        Assert.Equal(PairOutcome.A, (Call with { Order = "AB", Choice = PairOutcome.A }).ChoiceByModel());
        Assert.Equal(PairOutcome.Tie, (Call with { Choice = PairOutcome.Tie }).ChoiceByModel());
        Assert.Null((Call with { Status = VerdictStatus.Unparsed }).ChoiceByModel());
    }
}

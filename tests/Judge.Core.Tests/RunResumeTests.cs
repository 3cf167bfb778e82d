using Judge.Judging;
using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;
using Microsoft.Extensions.AI;

namespace Judge.Tests;

public class RunResumeTests
{
    [Fact]
    public async Task ResponseJournal_ReopenedForResume_ServesAnsweredCallsWithoutCallingTheJudge()
    {
        using var dir = new TempDir();
        var path = System.IO.Path.Combine(dir.Path, "responses.jsonl");
        var fake = new FakeChatClient(_ => "[[7]]");
        ChatMessage[] prompt = [new(ChatRole.User, "grade this")];

        using (var journal = ResponseJournal.Open(path, resume: false))
        {
            var client = journal.Wrap("mock:1", fake);
            await client.GetResponseAsync(prompt, new ChatOptions { Seed = 1 });
        }

        // A torn line after the good one, as a kill mid-write leaves it.
        await File.AppendAllTextAsync(path, "{\"judge\":\"mock:1\",\"key\":\"sha");
        using (var journal = ResponseJournal.Open(path, resume: true))
        {
            var client = journal.Wrap("mock:1", fake);
            var again = await client.GetResponseAsync(prompt, new ChatOptions { Seed = 1 });
            var otherSeed = await client.GetResponseAsync(prompt, new ChatOptions { Seed = 2 });

            Assert.Equal("[[7]]", again.Text);
            Assert.Equal("[[7]]", otherSeed.Text);
            Assert.Equal(1, journal.TornLines);
            Assert.Equal(1, journal.Served);
        }

        // One call for seed 1 before the "crash", one for seed 2 after; seed 1 was not paid twice.
        Assert.Equal(2, fake.Requests.Count);
        Assert.Equal(2, File.ReadAllLines(path).Length);
    }

    [Fact]
    public void Recover_CallsWithoutTheirVerdict_AreCutWithTheTornLine()
    {
        using var dir = new TempDir();
        var call = """{"type":"call","item":"q1/t1/m","judge":"mock:1","rubric":"r@1","order":"single","prompt_hash":"sha256:x","status":"parsed","latency_ms":1}""";
        var verdict = """{"type":"absolute","item":"q1/t1/m","judge":"mock:1","rubric":"r@1","question_id":"1","turn":1,"model":"m","score":7,"status":"parsed"}""";
        var orphan = call.Replace("q1/", "q2/", StringComparison.Ordinal);
        var path = dir.Write("judgments.jsonl", call, verdict, orphan, verdict[..30]);
        var keep = (call + "\n" + verdict + "\n").Length;

        var recovered = JudgmentsRecovery.Recover(path);

        Assert.Equal(2, recovered.Records.Count);
        Assert.Equal(2, recovered.DroppedLines);
        Assert.Equal(keep, new FileInfo(path).Length);
        Assert.IsType<AbsoluteVerdict>(recovered.Records[1]);
    }

    [Fact]
    public void Recover_MalformedLineBeforeTheEnd_IsAnInputErrorNotARepair()
    {
        using var dir = new TempDir();
        var verdict = """{"type":"absolute","item":"q1/t1/m","judge":"mock:1","rubric":"r@1","question_id":"1","turn":1,"model":"m","score":7,"status":"parsed"}""";
        var path = dir.Write("judgments.jsonl", "not json", verdict);

        var ex = Assert.Throws<InputException>(() => JudgmentsRecovery.Recover(path));
        Assert.Equal(1, ex.Line);
    }

    [Fact]
    public void RunConfig_RelativePaths_ResolveAgainstTheConfigFolder()
    {
        using var dir = new TempDir();
        var path = dir.Write("judge.yaml", "mode: grade", "data:", "  questions: q.jsonl", "  answers: [a.jsonl, sub/b.jsonl]", "judge: mock:1", "options:", "  repeats: 3");

        var config = RunConfigLoader.LoadFile(path);

        Assert.Equal(System.IO.Path.Combine(dir.Path, "q.jsonl"), config.Data.Questions);
        Assert.Equal(System.IO.Path.Combine(dir.Path, "sub", "b.jsonl"), config.Data.Answers[1]);
        Assert.Equal(System.IO.Path.Combine(dir.Path, "out", "judge-run"), config.Output);
        Assert.Equal(3, config.Options.Repeats);
        Assert.StartsWith("sha256:", config.Hash, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mode: grade\ndata:\n  questions: q\n  answers: a\njudge: x:y\noptions:\n  repeats: 0", 7, "must be a positive integer")]
    [InlineData("mode: grade\ndata:\n  questions: q\n  answers: a\n  extra: 1\njudge: x:y", 5, "unknown key 'extra' in 'data'")]
    [InlineData("mode: compare\ndata:\n  questions: q\n  answers: a\n  human_labels: h\n  human_map:\n    winner: label\n    verdict: x\njudge: x:y", 7, "unknown field 'verdict'")]
    [InlineData("mode: compare\ndata:\n  questions: q\n  answers: a\n  human_labels: h\n  human_layout: mtbench\njudge: x:y", 6, "unknown layout 'mtbench'")]
    [InlineData("mode: grade\ndata:\n  questions: q\n  answers: a\njudge: x:y\nthresholds:\n  min_pass_rate: 0.5", 7, "needs pass_mark")]
    [InlineData("mode: rank\ndata:\n  questions: q\n  answers: a\njudge: x:y", 1, "must be compare or grade")]
    [InlineData("mode: grade\ndata: [q]\njudge: x:y", 2, "must be a mapping")]
    [InlineData("mode: grade\ndata:\n  questions: q\n  answers: a\njudge: x:y\nthresholds:\n  gate_on: median", 7, "must be one of point, lower_bound")]
    [InlineData("mode: grade\ndata:\n  questions: q\n  answers: a\njudges:\n  - mock:1\n  - not-a-spec", 7, "'not-a-spec' is not a judge spec")]
    [InlineData("mode: grade\ndata:\n  questions: q\n  answers: a\njudge: mock:1?seed", 5, "option 'seed' in 'mock:1?seed' is not key=value")]
    public void RunConfig_Invalid_NamesTheLine(string yaml, int line, string problem)
    {
        var ex = Assert.Throws<InputException>(() => RunConfigLoader.Parse(yaml, "/tmp/judge.yaml"));

        Assert.Equal(line, ex.Line);
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void RunConfig_Judges_ParsedOnceWithFileTargetsBesideTheConfigAndIdsAsWritten()
    {
        using var dir = new TempDir();
        var path = dir.Write("judge.yaml", "mode: grade", "data:", "  questions: q.jsonl", "  answers: a.jsonl", "judges:", "  - replay:recorded/judgments.jsonl", "  - llama:prometheus-7b-v2", "  - openai:gpt-4o?rpm=60", "options:", "  batch: on");

        var judges = RunConfigLoader.LoadFile(path).Judges;

        // The recorded ids stay as written; a replay file resolves beside the config, a llama catalogue name stays a name,
        // and options.batch puts the judge with a batch API in batch mode.
        Assert.Equal(["replay:recorded/judgments.jsonl", "llama:prometheus-7b-v2", "openai:gpt-4o?rpm=60&batch=on"], judges.Select(j => j.Text));
        Assert.Equal(System.IO.Path.Combine(dir.Path, "recorded", "judgments.jsonl"), judges[0].Target);
        Assert.True(judges[0].ReplaysRecordedVerdicts);
        Assert.Equal(("prometheus-7b-v2", "prometheus-7b-v2"), (judges[1].Target, judges[1].CatalogueModel));
        Assert.True(judges[1].RunsLocally);
        Assert.True(judges[2].HasBatchApi);
        Assert.Equal("gpt-4o", judges[2].PricedModel);
    }

    [Fact]
    public void RunConfig_HumanLayoutAndMap_GiveTheLayoutTheLabelsAreReadWith()
    {
        var config = RunConfigLoader.Parse("mode: compare\ndata:\n  questions: q\n  answers: a\n  human_labels: h\n  human_layout: llmbar\n  human_map:\n    winner: gold\njudge: x:y", "/tmp/judge.yaml");

        var layout = config.Data.HumanPairwiseLayout!;

        Assert.Equal("llmbar+map", layout.Name);
        Assert.Equal("gold", layout.Source("winner"));
        Assert.Equal("#index", layout.Source("question_id"));
    }
}

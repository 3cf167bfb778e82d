using System.Security.Cryptography;
using System.Text;
using Judge.Judging;
using Judge.Runs;
using Judge.Tests.Support;

namespace Judge.Tests.Runs;

/// <summary>The run <c>judge compare</c> and <c>judge grade</c> ask for, and the one config hash.</summary>
public class RunRequestTests
{
    private static RunRequest Compare(string folder) => new()
    {
        Mode = RunMode.Compare,
        Questions = "question.jsonl",
        Answers = ["model_answer/a.jsonl", "model_answer/b.jsonl"],
        Judge = JudgeSpec.Parse("replay:recorded_judgments.jsonl"),
        Options = new RunOptions { Turns = [2], Prices = "prices.yaml", Pairs = "labels:human.jsonl" },
        WorkingDirectory = folder,
    };

    [Fact]
    public void ToConfig_RelativePaths_ResolveAgainstTheWorkingDirectory()
    {
        using var dir = new TempDir();
        var config = Compare(dir.Path).ToConfig();

        Assert.Equal("judge compare", config.SourcePath);
        Assert.Equal(Path.Combine(dir.Path, "question.jsonl"), config.Data.Questions);
        Assert.Equal([Path.Combine(dir.Path, "model_answer", "a.jsonl"), Path.Combine(dir.Path, "model_answer", "b.jsonl")], config.Data.Answers);
        Assert.Equal(Path.Combine(dir.Path, "prices.yaml"), config.Options.Prices);
        Assert.Equal("labels:" + Path.Combine(dir.Path, "human.jsonl"), config.Options.Pairs);
        Assert.Equal(Path.Combine(dir.Path, "out", "compare.jsonl"), config.Output);
        var judge = Assert.Single(config.Judges);
        Assert.Equal("replay:recorded_judgments.jsonl", judge.Text);
        Assert.Equal(Path.Combine(dir.Path, "recorded_judgments.jsonl"), judge.Target);
        Assert.Equal(Path.Combine("out", "compare.jsonl"), Compare(dir.Path).OutputAsGiven);
    }

    [Fact]
    public void ToConfig_SameRequest_SameHash_AnyOptionChanged_AnotherHash()
    {
        using var dir = new TempDir();
        var request = Compare(dir.Path);
        var hash = request.ToConfig().Hash;

        Assert.Matches("^sha256:[0-9a-f]{64}$", hash);
        Assert.Equal(hash, Compare(dir.Path).ToConfig().Hash);

        // Lists are written out, so another turn or another model set is another config.
        Assert.NotEqual(hash, (request with { Options = request.Options with { Turns = [1] } }).ToConfig().Hash);
        Assert.NotEqual(hash, (request with { Options = request.Options with { Models = ["a"] } }).ToConfig().Hash);
        Assert.NotEqual(hash, (request with { Judge = JudgeSpec.Parse("replay:other.jsonl") }).ToConfig().Hash);
        Assert.NotEqual(hash, (request with { Mode = RunMode.Grade }).ToConfig().Hash);
    }

    [Fact]
    public void LoadFile_ConfigHash_IsTheSha256OfTheFileBytes()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "judge.yaml");
        var yaml = "mode: grade\ndata:\n  questions: q.jsonl\n  answers: a.jsonl\njudges: [\"mock:7\"]\n# é, so the bytes are not ASCII\n";
        File.WriteAllText(path, yaml, new UTF8Encoding(false));
        var expected = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

        Assert.Equal(expected, RunConfigLoader.LoadFile(path).Hash);
        Assert.Equal(expected, RunConfigLoader.Parse(yaml, path).Hash);
        Assert.Equal(expected, RunConfig.HashOf(yaml));
    }
}

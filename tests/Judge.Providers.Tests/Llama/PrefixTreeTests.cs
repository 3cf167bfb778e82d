using Judge.Judging;
using Judge.Providers.Llama;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Tests.Llama;

/// <summary>
/// A whole run submitted at once is walked as a prefix tree: every shared prefix (system part, question,
/// first answer) is decoded once, in whatever order the requests arrive, and the label probabilities stay
/// those of an unshared run.
/// </summary>
public class PrefixTreeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task WholeRun_ShuffledArrival_DecodesEachPrefixOnce(int batch)
    {
        var requests = Run(questions: 3, models: 4);
        var shuffled = requests.OrderBy(_ => Random.Shared.Next()).ToList();
        using var shared = Client(batch, reuse: true);
        using var fresh = Client(1, reuse: false);

        var before = shared.TokenStats;
        var results = await shared.ScoreManyAsync(shuffled);
        var decoded = shared.TokenStats.Decoded - before.Decoded;
        var expected = await Task.WhenAll(shuffled.Select(r => fresh.ScoreAsync(r)));

        // The tree's size: each prompt adds what it does not share with its neighbour in token order.
        var tokens = requests.Select(shared.VerdictPromptTokens).ToList();
        tokens.Sort(static (a, b) => Order(a, b));
        var treeTokens = tokens[0].Length + tokens.Skip(1).Select((t, i) => t.Length - t.AsSpan().CommonPrefixLength(tokens[i])).Sum();
        var wholeTokens = tokens.Sum(t => t.Length);
        // One slot at a time walks the tree exactly. With four busy slots and one spare, other questions' subtrees are opened
        // to keep the batch full, and a question's prefix can be given up before its subtree is done (23 of 12,896 here).
        Assert.InRange(decoded, treeTokens, batch == 1 ? treeTokens : treeTokens * 101 / 100);
        Assert.True(treeTokens * 3 < wholeTokens * 2, $"tree {treeTokens} of {wholeTokens} tokens: the workload shares too little to test anything");

        for (var i = 0; i < results.Count; i++)
        {
            foreach (var (label, p) in expected[i].Probabilities)
            {
                Assert.Equal(p, results[i].Probabilities[label], 1e-3);
            }
        }
    }

    [Fact]
    public async Task WholeRun_ReuseOff_DecodesEveryPromptWhole()
    {
        var requests = Run(questions: 2, models: 3);
        using var client = Client(4, reuse: false);
        var results = await Task.WhenAll(requests.Select(r => client.ScoreAsync(r)));
        Assert.Equal(requests.Sum(r => client.VerdictPromptTokens(r).Length), client.TokenStats.Decoded);
        Assert.Equal(0, client.TokenStats.Reused);
        Assert.All(results, r => Assert.Equal(1.0, r.Probabilities.Values.Sum(), 9));
    }

    [Fact]
    public async Task Generations_FourAtOnce_SameTextAsOneAtATimeInABatchedDecodePerToken()
    {
        var prompts = Run(questions: 1, models: 3).Take(4).Select(r => r.Messages).ToList();
        var options = new ChatOptions { MaxOutputTokens = 24 };
        using var single = Client(1, reuse: true);
        var expected = new List<string>();
        foreach (var p in prompts)
        {
            expected.Add((await single.GetResponseAsync(p, options)).Text);
        }

        var singlePasses = single.BatchStats.Batches;
        using var batched = Client(4, reuse: true);
        var responses = await Task.WhenAll(prompts.Select(p => batched.GetResponseAsync(p, options)));

        Assert.Equal(expected, responses.Select(r => r.Text));
        Assert.All(responses, r => Assert.Equal(24, r.Usage!.OutputTokenCount));
        // One at a time: a pass per token of each generation. Together: the four share each pass.
        Assert.True(batched.BatchStats.Batches * 3 < singlePasses, $"{batched.BatchStats.Batches} passes together, {singlePasses} one at a time");
    }

    private static LlamaChatClient Client(int batch, bool reuse) => (LlamaChatClient)LlamaJudge.CreateChatClient(
        new LlamaOptions { ModelPath = SharedFiles.TinyRandom, ContextSize = 1024, BatchSize = batch, KvReuse = reuse, Threads = 1 });

    /// <summary>Every ordered pair of <paramref name="models"/> answers on each question, MT-Bench style: system part, question, first answer, second answer.</summary>
    private static List<LogitVerdictRequest> Run(int questions, int models)
    {
        const string system = "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question displayed below. Avoid any position biases and do not let the length of the responses influence your evaluation.";
        var requests = new List<LogitVerdictRequest>();
        for (var q = 0; q < questions; q++)
        {
            string Answer(int m) => string.Join(' ', Enumerable.Range(0, 40).Select(w => $"answer{m}q{q}w{(w * 7) % 13}"));
            for (var a = 0; a < models; a++)
            {
                for (var b = 0; b < models; b++)
                {
                    if (a != b)
                    {
                        var user = $"[User Question]\nWhat is question {q} about, in some detail please?\n\n[The Start of Assistant A's Answer]\n{Answer(a)}\n[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\n{Answer(b)}\n[The End of Assistant B's Answer]";
                        requests.Add(new LogitVerdictRequest([new ChatMessage(ChatRole.System, system), new ChatMessage(ChatRole.User, user)], "[[", ["A", "B", "C"]));
                    }
                }
            }
        }

        return requests;
    }

    private static int Order(int[] a, int[] b)
    {
        var n = a.AsSpan().CommonPrefixLength(b);
        return n < a.Length && n < b.Length ? a[n].CompareTo(b[n]) : a.Length.CompareTo(b.Length);
    }
}

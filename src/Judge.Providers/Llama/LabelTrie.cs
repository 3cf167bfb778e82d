using Judge.Judging;

namespace Judge.Providers.Llama;

/// <summary>
/// The allowed labels as a trie of token paths, and the arithmetic that turns next-token
/// log-probabilities into one probability per label. A label whose path is a prefix of another's
/// ("1" of "10") gets only the mass of stopping there: P(1) = p("1")·(1 − p("0" | "1")), P(10) =
/// p("1")·p("0" | "1"). Computed in log space, so small probabilities neither vanish nor divide by zero.
/// Not thread-safe; one per request.
/// </summary>
internal sealed class LabelTrie
{
    private readonly Dictionary<string, Node> _terminals = new(StringComparer.Ordinal);

    private LabelTrie()
    {
    }

    /// <summary>The root: its children's probabilities come from the logits after the prompt.</summary>
    public Node Root { get; } = new([]);

    /// <summary>Nodes below the root that have children, so each needs its own forward step.</summary>
    public List<Node> Internal { get; } = [];

    /// <summary>The longest label path in tokens.</summary>
    public int MaxDepth { get; private set; }

    /// <summary>Tokens evaluated beyond the prompt (the internal nodes' paths).</summary>
    public int TokenCount => Internal.Sum(n => n.Path.Length);

    /// <summary>Builds the trie of <paramref name="labels"/>, whose token paths are <paramref name="paths"/>.</summary>
    public static LabelTrie Build(IReadOnlyList<string> labels, IReadOnlyList<int[]> paths)
    {
        var trie = new LabelTrie();
        for (var i = 0; i < labels.Count; i++)
        {
            var node = trie.Root;
            foreach (var token in paths[i])
            {
                if (!node.Children.TryGetValue(token, out var child))
                {
                    child = new Node([.. node.Path, token]);
                    node.Children.Add(token, child);
                }

                node = child;
            }

            trie._terminals[labels[i]] = node;
            trie.MaxDepth = Math.Max(trie.MaxDepth, paths[i].Length);
        }

        var queue = new Queue<Node>(trie.Root.Children.Values);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            if (node.Children.Count > 0)
            {
                trie.Internal.Add(node);
                foreach (var c in node.Children.Values)
                {
                    queue.Enqueue(c);
                }
            }
        }

        return trie;
    }

    /// <summary>The label distribution once every branching node has recorded its step.</summary>
    public LogitVerdictResult Result(IReadOnlyList<string> labels, int tokens, string modelId)
    {
        var logMass = new double[labels.Count];
        for (var i = 0; i < labels.Count; i++)
        {
            var node = _terminals[labels[i]];
            var logP = LogReach(node);
            if (node.Children.Count > 0)
            {
                // Only the mass of stopping here: not continuing into a longer label.
                var onward = node.Children.Keys.Sum(t => Math.Exp(node.LogProbs![t]));
                logP += Math.Log(Math.Max(0, 1 - onward));
            }

            logMass[i] = logP;
        }

        var max = logMass.Max();
        if (double.IsNegativeInfinity(max) || double.IsNaN(max))
        {
            throw new JudgeException("the model gave every verdict label zero probability");
        }

        var lse = max + Math.Log(logMass.Sum(l => Math.Exp(l - max)));
        var probabilities = new Dictionary<string, double>(StringComparer.Ordinal);
        var best = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            probabilities[labels[i]] = Math.Exp(logMass[i] - lse);
            if (logMass[i] > logMass[best])
            {
                best = i;
            }
        }

        return new LogitVerdictResult(labels[best], probabilities, Math.Exp(lse), tokens, modelId);
    }

    private double LogReach(Node target)
    {
        var logP = 0.0;
        var node = Root;
        foreach (var token in target.Path)
        {
            logP += node.LogProbs![token];
            node = node.Children[token];
        }

        return logP;
    }

    /// <summary>A point in the trie: the tokens from the root, and the log-probabilities of its children once recorded.</summary>
    internal sealed class Node(int[] path)
    {
        public int[] Path { get; } = path;

        public Dictionary<int, Node> Children { get; } = [];

        public Dictionary<int, double>? LogProbs { get; private set; }

        /// <summary>Keeps the log-probabilities of this node's children from a full log-softmax row.</summary>
        public void Record(double[] logSoftmax) => LogProbs = Children.Keys.ToDictionary(t => t, t => logSoftmax[t]);
    }
}

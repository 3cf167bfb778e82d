using Judge.Data;
using Judge.Statistics;
using Judge.Verdicts;

namespace Judge.Benchmarks.Agreement;

/// <summary>
/// BENCHMARK BASELINE ONLY: CodedAgreement as it was before its groups were keyed by integer (question, pair-turn) codes
/// (a dictionary of 4-int tuples), kept so the 1M benchmark can time both in one run. Not used by the product.
/// </summary>
/// <remarks>
/// The MT-Bench agreement protocol (see <see cref="PairwiseAgreement"/>) computed on integer-coded labels
/// (<see cref="CodedLabels"/>): the one computation behind <c>AgreementReport.Compute</c>,
/// <see cref="PairwiseAgreement.JudgeVersusHuman"/> and <see cref="PairwiseAgreement.HumanVersusHuman"/>. Human votes
/// are grouped by (question, unordered model pair, turn) as integer keys, each judge verdict is compared with every
/// accepted vote of its group, and the bootstrap's clusters are summed as the votes are compared, then put in the
/// canonical order (question, first model, second model, turn, ordinal by their strings). Pure and thread-safe.
/// </remarks>
internal sealed class OldCodedAgreement
{
    private OldCodedAgreement()
    {
    }

    public int Agree { get; private set; }

    public int Total { get; private set; }

    public int AgreeWithoutTies { get; private set; }

    public int TotalWithoutTies { get; private set; }

    public long[][] Matrix { get; } = [new long[3], new long[3], new long[3]];

    public int JudgeVerdicts { get; private set; }

    public int Unmatched { get; private set; }

    public int Inconsistent { get; private set; }

    public ClusterCounts[] Clusters { get; private set; } = [];

    /// <summary>Human-vs-human agreement over the same groups, when the options ask for it.</summary>
    public AgreementCounts? HumanVersusHumanCounts { get; private set; }

    public AgreementCounts Counts => new(new AgreementCount(Agree, Total), new AgreementCount(AgreeWithoutTies, TotalWithoutTies));

    /// <summary>Judge verdicts against the accepted human votes; <paramref name="judge"/> may be <see langword="null"/> for human votes alone.</summary>
    public static OldCodedAgreement Compute(CodedLabels? judge, CodedLabels human, AgreementOptions options, AgreementCluster by)
    {
        var book = human.Book;
        var ranks = book.Models.OrdinalRanks();
        var groups = new Groups(human, options, ranks);
        var result = new OldCodedAgreement { HumanVersusHumanCounts = options.IncludeHumanAgreement ? Pairs(groups) : null };
        if (judge is null)
        {
            return result;
        }

        var questionRanks = book.Questions.OrdinalRanks();
        var clusters = new Dictionary<int, int[]>();
        var clusterKeys = new List<(int Question, int First, int Second, int Turn, int Id)>();
        var question = judge.Question;
        var turns = judge.Turn;
        var winners = judge.Winner;
        for (var i = 0; i < judge.Count; i++)
        {
            if (options.Turn is int t && turns[i] != t)
            {
                continue;
            }

            result.JudgeVerdicts++;
            var (first, second, outcome) = Normalize(judge.ModelA[i], judge.ModelB[i], (PairOutcome)winners[i], ranks);
            if (!groups.Index.TryGetValue((question[i], first, second, turns[i]), out var group))
            {
                result.Unmatched++;
                continue;
            }

            var clusterId = by == AgreementCluster.Question ? question[i] : group;
            if (!clusters.TryGetValue(clusterId, out var c))
            {
                clusters[clusterId] = c = new int[4];
                clusterKeys.Add(by == AgreementCluster.Question ? (questionRanks[question[i]], 0, 0, 0, clusterId) : (questionRanks[question[i]], ranks[first], ranks[second], turns[i], clusterId));
            }

            var inconsistent = (PairOutcome)winners[i] == PairOutcome.InconsistentTie;
            for (var v = groups.Head[group]; v >= 0; v = groups.Next[v])
            {
                var humanOutcome = groups.Outcome[v];
                var agrees = outcome == humanOutcome;
                var tie = outcome == PairOutcome.Tie || humanOutcome == PairOutcome.Tie;
                result.Total++;
                result.Agree += agrees ? 1 : 0;
                result.Inconsistent += inconsistent ? 1 : 0;
                result.Matrix[(int)outcome][(int)humanOutcome]++;
                c[0] += agrees ? 1 : 0;
                c[1]++;
                if (!tie)
                {
                    result.TotalWithoutTies++;
                    result.AgreeWithoutTies += agrees ? 1 : 0;
                    c[2] += agrees ? 1 : 0;
                    c[3]++;
                }
            }
        }

        clusterKeys.Sort((x, y) => (x.Question, x.First, x.Second, x.Turn).CompareTo((y.Question, y.First, y.Second, y.Turn)));
        result.Clusters = clusterKeys.Select(k => clusters[k.Id]).Select(c => new ClusterCounts(c[0], c[1], c[2], c[3])).ToArray();
        return result;
    }

    /// <summary>Human-vs-human agreement: within each group, every two accepted votes by different raters, compared once.</summary>
    public static AgreementCounts HumanVersusHuman(CodedLabels human, AgreementOptions options) =>
        Pairs(new Groups(human, options, human.Book.Models.OrdinalRanks()));

    private static AgreementCounts Pairs(Groups groups)
    {
        int agree = 0, total = 0, agreeNoTie = 0, totalNoTie = 0;
        for (var g = 0; g < groups.Head.Count; g++)
        {
            for (var i = groups.Head[g]; i >= 0; i = groups.Next[i])
            {
                for (var k = groups.Next[i]; k >= 0; k = groups.Next[k])
                {
                    if (groups.Labels.Rater[i] == groups.Labels.Rater[k])
                    {
                        continue;
                    }

                    var same = groups.Outcome[i] == groups.Outcome[k];
                    total++;
                    agree += same ? 1 : 0;
                    if (groups.Outcome[i] != PairOutcome.Tie && groups.Outcome[k] != PairOutcome.Tie)
                    {
                        totalNoTie++;
                        agreeNoTie += same ? 1 : 0;
                    }
                }
            }
        }

        return new AgreementCounts(new AgreementCount(agree, total), new AgreementCount(agreeNoTie, totalNoTie));
    }

    /// <summary>The pair ordered by the models' ordinal ranks, the outcome oriented to it ("tie (inconsistent)" is a tie), as <see cref="PairwiseAgreement.Normalize"/>.</summary>
    private static (int First, int Second, PairOutcome Outcome) Normalize(int modelA, int modelB, PairOutcome winner, int[] ranks)
    {
        var swapped = ranks[modelA] > ranks[modelB];
        var w = swapped ? winner.Mirror() : winner;
        return (swapped ? modelB : modelA, swapped ? modelA : modelB, w is PairOutcome.A or PairOutcome.B ? w : PairOutcome.Tie);
    }

    /// <summary>The accepted human votes grouped by key, each group a linked list in file order.</summary>
    private sealed class Groups
    {
        public Groups(CodedLabels human, AgreementOptions options, int[] ranks)
        {
            var accepted = new bool[human.Book.Raters.Count];
            for (var r = 0; r < accepted.Length; r++)
            {
                accepted[r] = HumanRaters.Accepts(options.HumanRaterPrefix, human.Book.Raters[r]);
            }

            var tail = new List<int>();
            Next = new int[human.Count];
            Outcome = new PairOutcome[human.Count];
            Labels = human;
            for (var i = 0; i < human.Count; i++)
            {
                Next[i] = -1;
                if (!accepted[human.Rater[i]] || (options.Turn is int t && human.Turn[i] != t))
                {
                    continue;
                }

                var (first, second, outcome) = Normalize(human.ModelA[i], human.ModelB[i], (PairOutcome)human.Winner[i], ranks);
                Outcome[i] = outcome;
                var key = (human.Question[i], first, second, human.Turn[i]);
                if (Index.TryGetValue(key, out var g))
                {
                    Next[tail[g]] = i;
                    tail[g] = i;
                }
                else
                {
                    Index[key] = Head.Count;
                    Head.Add(i);
                    tail.Add(i);
                }
            }
        }

        public Dictionary<(int Question, int First, int Second, int Turn), int> Index { get; } = [];

        public List<int> Head { get; } = [];

        public int[] Next { get; }

        public PairOutcome[] Outcome { get; }

        public CodedLabels Labels { get; }
    }
}

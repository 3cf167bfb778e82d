using System.Runtime.InteropServices;
using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics;

/// <summary>
/// The MT-Bench agreement protocol (see <see cref="PairwiseAgreement"/>) computed on integer-coded labels
/// (<see cref="CodedLabels"/>): the one computation behind <c>AgreementReport.Compute</c>,
/// <see cref="PairwiseAgreement.JudgeVersusHuman"/>, <see cref="PairwiseAgreement.HumanVersusHuman"/> and
/// <see cref="OrderAgreement"/>. Human votes are grouped by (question, unordered model pair, turn) as integer codes
/// (<see cref="VoteGroups"/>), each judge verdict is compared with every accepted vote of its group, and the bootstrap's
/// clusters are summed as the votes are compared, then put in the canonical order (question, first model, second
/// model, turn, ordinal by their strings). Pure and thread-safe.
/// </summary>
internal sealed class CodedAgreement
{
    private CodedAgreement()
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
    public static CodedAgreement Compute(CodedLabels? judge, CodedLabels human, AgreementOptions options, AgreementCluster by)
    {
        var book = human.Book;
        var ranks = book.Models.OrdinalRanks();
        var groups = new VoteGroups(human, options, ranks);
        var result = new CodedAgreement { HumanVersusHumanCounts = options.IncludeHumanAgreement ? Pairs(groups) : null };
        if (judge is null)
        {
            return result;
        }

        var questionRanks = book.Questions.OrdinalRanks();
        var clusterCount = by == AgreementCluster.Question ? book.Questions.Count : groups.Count;
        var clusterOf = new int[clusterCount];
        Array.Fill(clusterOf, -1);
        var sums = new List<int>();
        var clusterKeys = new List<(int Question, int First, int Second, int Turn, int Slot)>();
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
            var group = groups.Find(question[i], first, second, turns[i]);
            if (group < 0)
            {
                result.Unmatched++;
                continue;
            }

            var id = by == AgreementCluster.Question ? question[i] : group;
            var slot = clusterOf[id];
            if (slot < 0)
            {
                clusterOf[id] = slot = sums.Count;
                CollectionsMarshal.SetCount(sums, sums.Count + 4);
                clusterKeys.Add(by == AgreementCluster.Question ? (questionRanks[question[i]], 0, 0, 0, slot) : (questionRanks[question[i]], ranks[first], ranks[second], turns[i], slot));
            }

            var c = CollectionsMarshal.AsSpan(sums).Slice(slot, 4);
            var inconsistent = (PairOutcome)winners[i] == PairOutcome.InconsistentTie;
            foreach (var v in groups.Votes(group))
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
        result.Clusters = clusterKeys.Select(k => new ClusterCounts(sums[k.Slot], sums[k.Slot + 1], sums[k.Slot + 2], sums[k.Slot + 3])).ToArray();
        return result;
    }

    /// <summary>Human-vs-human agreement: within each group, every two accepted votes by different raters, compared once.</summary>
    public static AgreementCounts HumanVersusHuman(CodedLabels human, AgreementOptions options) =>
        Pairs(new VoteGroups(human, options, human.Book.Models.OrdinalRanks()));

    private static AgreementCounts Pairs(VoteGroups groups)
    {
        int agree = 0, total = 0, agreeNoTie = 0, totalNoTie = 0;
        var rater = groups.Labels.Rater;
        for (var g = 0; g < groups.Count; g++)
        {
            var votes = groups.Votes(g);
            for (var x = 0; x < votes.Length; x++)
            {
                var i = votes[x];
                for (var y = x + 1; y < votes.Length; y++)
                {
                    var k = votes[y];
                    if (rater[i] == rater[k])
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
    internal static (int First, int Second, PairOutcome Outcome) Normalize(int modelA, int modelB, PairOutcome winner, int[] ranks)
    {
        var swapped = ranks[modelA] > ranks[modelB];
        var w = swapped ? winner.Mirror() : winner;
        return (swapped ? modelB : modelA, swapped ? modelA : modelB, w is PairOutcome.A or PairOutcome.B ? w : PairOutcome.Tie);
    }
}

/// <summary>
/// The accepted reference votes (rater and turn filters of the options) grouped by (question, unordered model pair,
/// turn), all as integer codes: each (first model, second model, turn) gets a small code, the votes are put in
/// (question, that code) order by two stable counting sorts (O(n), no hashing per vote), and a group is a run of equal
/// keys, in file order within it. <see cref="Find"/> looks a key up among its question's groups by binary search. The
/// one matcher of votes to verdicts: agreement, human vs human and the per-order figures use it. Immutable; thread-safe.
/// </summary>
internal sealed class VoteGroups
{
    private readonly Dictionary<(int First, int Second, int Turn), int> _pairTurn = [];
    private readonly int[] _questionStart;
    private readonly int[] _groupKey;
    private readonly int[] _groupStart;
    private readonly int[] _sorted;

    public VoteGroups(CodedLabels human, AgreementOptions options, int[] ranks)
    {
        Labels = human;
        var book = human.Book;
        var accepted = new bool[book.Raters.Count];
        for (var r = 0; r < accepted.Length; r++)
        {
            accepted[r] = HumanRaters.Accepts(options.HumanRaterPrefix, book.Raters[r]);
        }

        // Each accepted vote's (first, second, turn) code and its outcome oriented to the ordinal pair.
        var n = human.Count;
        var code = new int[n];
        Outcome = new PairOutcome[n];
        var kept = 0;
        for (var i = 0; i < n; i++)
        {
            code[i] = -1;
            if (!accepted[human.Rater[i]] || (options.Turn is int t && human.Turn[i] != t))
            {
                continue;
            }

            var (first, second, outcome) = CodedAgreement.Normalize(human.ModelA[i], human.ModelB[i], (PairOutcome)human.Winner[i], ranks);
            Outcome[i] = outcome;
            var key = (first, second, human.Turn[i]);
            if (!_pairTurn.TryGetValue(key, out var c))
            {
                _pairTurn[key] = c = _pairTurn.Count;
            }

            code[i] = c;
            kept++;
        }

        // Stable counting sorts: by pair-turn code, then by question, so each question's votes come in code order.
        var items = new int[kept];
        kept = 0;
        for (var i = 0; i < n; i++)
        {
            if (code[i] >= 0)
            {
                items[kept++] = i;
            }
        }

        var byCode = CountingSort(items, code, _pairTurn.Count);
        var questions = book.Questions.Count;
        _sorted = CountingSort(byCode, human.Question, questions);
        _questionStart = new int[questions + 1];
        var groupKey = new List<int>();
        var groupStart = new List<int>();
        var q = 0;
        for (var s = 0; s < _sorted.Length; s++)
        {
            var v = _sorted[s];
            var question = human.Question[v];
            if (s == 0 || question != human.Question[_sorted[s - 1]] || code[v] != code[_sorted[s - 1]])
            {
                for (; q <= question; q++)
                {
                    _questionStart[q] = groupKey.Count;
                }

                groupKey.Add(code[v]);
                groupStart.Add(s);
            }
        }

        for (; q <= questions; q++)
        {
            _questionStart[q] = groupKey.Count;
        }

        groupStart.Add(_sorted.Length);
        _groupKey = groupKey.ToArray();
        _groupStart = groupStart.ToArray();
    }

    /// <summary>How many groups.</summary>
    public int Count => _groupKey.Length;

    /// <summary>Each vote's outcome oriented to its ordinally sorted pair (by label index).</summary>
    public PairOutcome[] Outcome { get; }

    /// <summary>The votes grouped.</summary>
    public CodedLabels Labels { get; }

    /// <summary>The label indices of group <paramref name="group"/>'s votes, in file order.</summary>
    public ReadOnlySpan<int> Votes(int group) => _sorted.AsSpan(_groupStart[group], _groupStart[group + 1] - _groupStart[group]);

    /// <summary>The group of (question, first, second, turn), the pair already in ordinal order; −1 when no vote has that key.</summary>
    public int Find(int question, int first, int second, int turn)
    {
        if (question >= _questionStart.Length - 1 || !_pairTurn.TryGetValue((first, second, turn), out var code))
        {
            return -1;
        }

        var found = Array.BinarySearch(_groupKey, _questionStart[question], _questionStart[question + 1] - _questionStart[question], code);
        return found >= 0 ? found : -1;
    }

    private static int[] CountingSort(int[] items, ReadOnlySpan<int> key, int keys)
    {
        var start = new int[keys + 1];
        foreach (var i in items)
        {
            start[key[i] + 1]++;
        }

        for (var k = 0; k < keys; k++)
        {
            start[k + 1] += start[k];
        }

        var sorted = new int[items.Length];
        foreach (var i in items)
        {
            sorted[start[key[i]]++] = i;
        }

        return sorted;
    }
}

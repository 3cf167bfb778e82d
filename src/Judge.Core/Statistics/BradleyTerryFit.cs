namespace Judge.Statistics;

/// <summary>
/// Battles reduced to integers for Bradley-Terry: each battle falls in one cell, (pair of models i &lt; j, outcome:
/// i won, j won, tie), and a fit needs only the count of each cell, so a bootstrap resample of the battles is a
/// resample of cell counts. Pairs are numbered in (i, j) order. Immutable; thread-safe.
/// </summary>
internal sealed class BattleCells
{
    /// <summary>Each battle's cell (3 × pair + outcome), sorted: draws by index do not depend on the order of the input lines.</summary>
    private readonly int[] _codes;

    private BattleCells(int models, int[] first, int[] second, int[] codes)
    {
        Models = models;
        First = first;
        Second = second;
        _codes = codes;
    }

    /// <summary>How many models (indices 0 … Models − 1).</summary>
    public int Models { get; }

    /// <summary>Per pair, the lower model index.</summary>
    public int[] First { get; }

    /// <summary>Per pair, the higher model index.</summary>
    public int[] Second { get; }

    /// <summary>Cells: three per pair (the lower model won, the higher won, a tie).</summary>
    public int Cells => 3 * First.Length;

    /// <summary>How many battles.</summary>
    public int Battles => _codes.Length;

    /// <summary>The cells of battles given as model indices and the credit of A (1, 0 or ½ for a tie).</summary>
    public static BattleCells From(int models, int[] a, int[] b, double[] scoreA)
    {
        var keys = new long[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            keys[i] = ((long)Math.Min(a[i], b[i]) * models) + Math.Max(a[i], b[i]);
        }

        var pairs = new HashSet<long>(keys).Order().ToArray();
        var index = new Dictionary<long, int>(pairs.Length);
        for (var p = 0; p < pairs.Length; p++)
        {
            index[pairs[p]] = p;
        }

        var codes = new int[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            var lowerIsA = a[i] < b[i];
            var outcome = scoreA[i] == 0.5 ? 2 : (scoreA[i] > 0.5) == lowerIsA ? 0 : 1;
            codes[i] = (3 * index[keys[i]]) + outcome;
        }

        Array.Sort(codes);
        return new BattleCells(models, pairs.Select(k => (int)(k / models)).ToArray(), pairs.Select(k => (int)(k % models)).ToArray(), codes);
    }

    /// <summary>The counts of every battle's cell.</summary>
    public int[] CountAll()
    {
        var counts = new int[Cells];
        foreach (var c in _codes)
        {
            counts[c]++;
        }

        return counts;
    }

    /// <summary>One bootstrap resample: as many battles as there are, drawn with replacement, counted into <paramref name="counts"/>.</summary>
    public void Resample(int seed, int[] counts)
    {
        Array.Clear(counts);
        var random = new FastRandom(seed);
        var n = _codes.Length;
        for (var i = 0; i < n; i++)
        {
            counts[_codes[random.Next(n)]]++;
        }
    }
}

/// <summary>
/// One Bradley-Terry fit on cell counts (see <see cref="Ratings.BradleyTerry"/> for the method), with buffers
/// reused from fit to fit. Not thread-safe: one per thread.
/// </summary>
internal sealed class BradleyTerryFit
{
    private readonly BattleCells _cells;
    private readonly int[] _activeFirst;
    private readonly int[] _activeSecond;
    private readonly double[] _activeGames;
    private readonly double[] _wins;
    private readonly double[] _denominator;
    private readonly double[] _next;
    private readonly bool[] _played;

    public BradleyTerryFit(BattleCells cells)
    {
        _cells = cells;
        var k = cells.Models;
        var pairs = cells.First.Length;
        _activeFirst = new int[pairs];
        _activeSecond = new int[pairs];
        _activeGames = new double[pairs];
        _wins = new double[k];
        _denominator = new double[k];
        _next = new double[k];
        _played = new bool[k];
        Strengths = new double[k];
        Bound = new RatingBound[k];
        Component = new int[k];
    }

    /// <summary>The strengths of the last fit (geometric mean 1 per component; 1 for a model whose rating does not exist).</summary>
    public double[] Strengths { get; }

    /// <summary>Whether each model's rating exists in the last fit (<see cref="Ratings.Bounds"/>).</summary>
    public RatingBound[] Bound { get; private set; }

    /// <summary>MM iterations run by every fit so far.</summary>
    public long Iterations { get; private set; }

    /// <summary>Each model's component label in the last fit.</summary>
    public int[] Component { get; private set; }

    /// <summary>
    /// The rating of model <paramref name="m"/> in the last fit on the Elo scale (400·log10 p + 1000), ±∞ or NaN for
    /// an unbounded or undetermined one, NaN for a model with no game in the counts.
    /// </summary>
    public double Rating(int m) => !_played[m] ? double.NaN : Bound[m] switch
    {
        RatingBound.Finite => (400 * Math.Log10(Strengths[m])) + 1000,
        RatingBound.UnboundedAbove => double.PositiveInfinity,
        RatingBound.UnboundedBelow => double.NegativeInfinity,
        _ => double.NaN,
    };

    /// <summary>
    /// Fits the cell <paramref name="counts"/>: which ratings exist, then MM on the games among the finite models
    /// from <paramref name="start"/> (or 1), until no strength changes by more than <paramref name="tolerance"/> (relative).
    /// </summary>
    public void Run(int[] counts, double[]? start, int maxIterations, double tolerance)
    {
        var k = _cells.Models;
        var first = _cells.First;
        var second = _cells.Second;

        // Who met whom, and which way credit flowed: one synthetic battle per pair that stands for its edges.
        var graphFirst = new List<int>(first.Length);
        var graphSecond = new List<int>(first.Length);
        var graphScore = new List<double>(first.Length);
        Array.Clear(_played);
        for (var q = 0; q < first.Length; q++)
        {
            var creditFirst = counts[3 * q] + counts[(3 * q) + 2];
            var creditSecond = counts[(3 * q) + 1] + counts[(3 * q) + 2];
            if (creditFirst + creditSecond == 0)
            {
                continue;
            }

            _played[first[q]] = _played[second[q]] = true;
            graphFirst.Add(first[q]);
            graphSecond.Add(second[q]);
            graphScore.Add(creditFirst > 0 && creditSecond > 0 ? 0.5 : creditFirst > 0 ? 1 : 0);
        }

        var ga = graphFirst.ToArray();
        var gb = graphSecond.ToArray();
        Component = Ratings.Components(k, ga, gb);
        Bound = Ratings.Bounds(k, ga, gb, graphScore.ToArray(), -1);

        // Credit and games among the finite models; integer and half-integer sums, so exact in any order.
        Array.Clear(_wins);
        var active = 0;
        for (var q = 0; q < first.Length; q++)
        {
            var games = counts[3 * q] + counts[(3 * q) + 1] + counts[(3 * q) + 2];
            if (games == 0 || Bound[first[q]] != RatingBound.Finite || Bound[second[q]] != RatingBound.Finite)
            {
                continue;
            }

            _wins[first[q]] += counts[3 * q] + (0.5 * counts[(3 * q) + 2]);
            _wins[second[q]] += counts[(3 * q) + 1] + (0.5 * counts[(3 * q) + 2]);
            _activeFirst[active] = first[q];
            _activeSecond[active] = second[q];
            _activeGames[active] = games;
            active++;
        }

        var p = Strengths;
        for (var i = 0; i < k; i++)
        {
            p[i] = start is not null && Bound[i] == RatingBound.Finite ? start[i] : 1;
        }

        var componentCount = k == 0 ? 0 : Component.Max() + 1;
        var logSum = new double[componentCount];
        var positive = new int[componentCount];
        var scale = new double[componentCount];
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            // Pairs in (i, j) order: each model's denominator sums its opponents in ascending order (as a k × k
            // loop would). Runs of pairs share i, so its sum stays in a register until i changes.
            Array.Clear(_denominator);
            var den = _denominator.AsSpan(0, k);
            var pk = p.AsSpan(0, k);
            var firsts = _activeFirst.AsSpan(0, active);
            var seconds = _activeSecond.AsSpan(0, active);
            var games = _activeGames.AsSpan(0, active);
            var q = 0;
            while (q < firsts.Length)
            {
                var i = firsts[q];
                var pi = pk[i];
                var sum = den[i];
                for (; q < firsts.Length && firsts[q] == i; q++)
                {
                    var j = seconds[q];
                    var term = games[q] / (pi + pk[j]);
                    sum += term;
                    den[j] += term;
                }

                den[i] = sum;
            }

            for (var i = 0; i < k; i++)
            {
                _next[i] = _denominator[i] == 0 ? p[i] : _wins[i] / _denominator[i];
            }

            Array.Clear(logSum);
            Array.Clear(positive);
            for (var i = 0; i < k; i++)
            {
                if (Bound[i] == RatingBound.Finite)
                {
                    logSum[Component[i]] += Math.Log(_next[i]);
                    positive[Component[i]]++;
                }
            }

            for (var c = 0; c < scale.Length; c++)
            {
                scale[c] = positive[c] == 0 ? 1 : Math.Exp(logSum[c] / positive[c]);
            }

            double change = 0;
            for (var i = 0; i < k; i++)
            {
                var v = Bound[i] == RatingBound.Finite ? _next[i] / scale[Component[i]] : 1;
                change = Math.Max(change, Math.Abs(v - p[i]) / Math.Max(p[i], 1e-300));
                p[i] = v;
            }

            Iterations++;
            if (change < tolerance)
            {
                break;
            }
        }
    }
}

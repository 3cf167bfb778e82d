using System.Text.Json.Serialization;
using Judge.Data;

namespace Judge.Statistics;

/// <summary>One model's record over a set of pairwise battles.</summary>
/// <param name="Model">The model.</param>
/// <param name="Wins">Battles it won.</param>
/// <param name="Losses">Battles it lost.</param>
/// <param name="Ties">Battles tied (consistent or inconsistent ties).</param>
public sealed record WinRate(string Model, int Wins, int Losses, int Ties)
{
    /// <summary>Battles fought.</summary>
    public int Games => Wins + Losses + Ties;

    /// <summary>Wins / games; <see langword="null"/> with no games.</summary>
    public double? Rate => Games == 0 ? null : (double)Wins / Games;

    /// <summary>(Wins + ties / 2) / games; <see langword="null"/> with no games.</summary>
    public double? RateTiesHalf => TiesHalf(Wins, Ties, Games);

    /// <summary>
    /// The win rate: (wins + ½ ties) / games, each tie half a win (<see cref="PairOutcomes.CreditOfA"/>); the one
    /// definition every report and gate uses. Counts may be fractional (repeats averaged per item). Games without
    /// a verdict are not in <paramref name="games"/>: they are counted beside the rate. <see langword="null"/> with no games.
    /// </summary>
    public static double? TiesHalf(double wins, double ties, double games) => games == 0 ? null : (wins + (0.5 * ties)) / games;
}

/// <summary>A model's rating with an optional bootstrap interval.</summary>
/// <param name="Model">The model.</param>
/// <param name="Rating">The rating.</param>
/// <param name="Interval">The percentile bootstrap interval, when one was asked for.</param>
public sealed record ModelRating(string Model, double Rating, ConfidenceInterval? Interval)
{
    /// <summary>
    /// The connected component of the comparison graph the model is in (see <see cref="Ratings.Graph"/>);
    /// 0 when every model is connected. Ratings are comparable only within one component.
    /// </summary>
    public int Component { get; init; }

    /// <summary>
    /// Whether the rating exists (<see cref="RatingBound.Finite"/>) or runs off without bound because the
    /// model's results against the others are one-sided (see <see cref="Ratings.Bounds"/>); then
    /// <see cref="Rating"/> is +∞, −∞ or NaN (undetermined), never a number set by an iteration cap.
    /// </summary>
    public RatingBound Bound { get; init; }
}

/// <summary>Whether a Bradley-Terry rating exists, or which way it runs off when it does not (JSON: snake_case names).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RatingBound>))]
public enum RatingBound
{
    /// <summary>The maximum-likelihood rating exists (finite).</summary>
    [JsonStringEnumMemberName("finite")]
    Finite,

    /// <summary>
    /// The model (with the models it never lost to) earned every point against the rest: its rating grows
    /// without bound (+∞); only a lower bound is known.
    /// </summary>
    [JsonStringEnumMemberName("unbounded_above")]
    UnboundedAbove,

    /// <summary>The model earned no point against the rest: its rating falls without bound (−∞).</summary>
    [JsonStringEnumMemberName("unbounded_below")]
    UnboundedBelow,

    /// <summary>One-sided results on both sides: neither above nor below the reference models, its rating is undetermined (NaN).</summary>
    [JsonStringEnumMemberName("undetermined")]
    Undetermined,
}

/// <summary>
/// Who was compared with whom: the connected components of the comparison graph (models as nodes, a
/// battle as an edge) and the self-battles left out of every rating.
/// </summary>
/// <param name="Components">The components, largest first (then by first model, ordinal); the models in each in ordinal order.</param>
/// <param name="SelfBattles">Battles of a model against itself, left out of win rates, Bradley-Terry and Elo.</param>
/// <param name="Battles">Battles that counted (self-battles excluded).</param>
public sealed record ComparisonGraph(IReadOnlyList<IReadOnlyList<string>> Components, int SelfBattles, int Battles)
{
    /// <summary>Whether every model was compared, directly or through others, with every other.</summary>
    public bool Connected => Components.Count <= 1;
}

/// <summary>Settings for <see cref="Ratings.Elo"/>; the defaults are Chatbot Arena's online Elo.</summary>
public sealed class EloOptions
{
    /// <summary>The update step K. Default 4.</summary>
    public double K { get; set; } = 4;

    /// <summary>The rating scale: a difference of <see cref="Scale"/> means 10:1 odds. Default 400.</summary>
    public double Scale { get; set; } = 400;

    /// <summary>Every model's starting rating. Default 1000.</summary>
    public double Initial { get; set; } = 1000;

    /// <summary>Bootstrap resamples of the battle list; 0 (the default) gives no intervals.</summary>
    public int BootstrapResamples { get; set; }

    /// <summary>The interval's confidence level. Default 0.95.</summary>
    public double ConfidenceLevel { get; set; } = Bootstrap.DefaultLevel;

    /// <summary>The bootstrap seed. Default 0.</summary>
    public int Seed { get; set; }
}

/// <summary>
/// Win rates, Bradley-Terry strengths and Elo ratings from pairwise battles (one
/// <see cref="PairwiseLabel"/> per battle; both tie kinds count as a tie). A self-battle (the same
/// model on both sides) is no evidence about anyone's strength: every method leaves it out, and
/// <see cref="Graph"/> counts it. Pure and thread-safe. Models are returned in ordinal name order.
/// </summary>
public static class Ratings
{
    /// <summary>The comparison graph's components and the self-battles (see <see cref="ComparisonGraph"/>).</summary>
    public static ComparisonGraph Graph(IReadOnlyList<PairwiseLabel> battles)
    {
        ArgumentNullException.ThrowIfNull(battles);
        var self = battles.Count(IsSelfBattle);
        var (models, a, b, _) = Encode(battles);
        var component = Components(models.Length, a, b);
        var groups = Enumerable.Range(0, models.Length).GroupBy(i => component[i])
            .Select(g => (IReadOnlyList<string>)g.Select(i => models[i]).ToArray())
            .OrderByDescending(g => g.Count).ThenBy(g => g[0], StringComparer.Ordinal).ToArray();
        return new ComparisonGraph(groups, self, a.Length);
    }

    /// <summary>Whether a battle has the same model on both sides.</summary>
    public static bool IsSelfBattle(PairwiseLabel battle) => string.Equals(battle?.ModelA, battle?.ModelB, StringComparison.Ordinal);

    /// <summary>Wins, losses and ties per model.</summary>
    public static IReadOnlyList<WinRate> WinRates(IReadOnlyList<PairwiseLabel> battles)
    {
        var tally = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        int[] Get(string m) => tally.TryGetValue(m, out var t) ? t : tally[m] = new int[3];
        foreach (var b in battles)
        {
            if (IsSelfBattle(b))
            {
                continue;
            }

            var a = Get(b.ModelA);
            var c = Get(b.ModelB);
            switch (b.Winner)
            {
                case PairOutcome.A:
                    a[0]++;
                    c[1]++;
                    break;
                case PairOutcome.B:
                    c[0]++;
                    a[1]++;
                    break;
                default:
                    a[2]++;
                    c[2]++;
                    break;
            }
        }

        return tally.Select(kv => new WinRate(kv.Key, kv.Value[0], kv.Value[1], kv.Value[2])).ToArray();
    }

    /// <summary>
    /// Bradley-Terry strengths by Hunter's (2004) MM iteration, a tie counting as half a win for each
    /// side: pᵢ ← Wᵢ / Σⱼ nᵢⱼ / (pᵢ + pⱼ), then rescaled to geometric mean 1, until no strength
    /// changes by more than <paramref name="tolerance"/> (relative). The rating reported is
    /// <c>400·log10(p) + 1000</c>, on the Elo scale. When results are one-sided (a model wins, or loses,
    /// every game against some others) the maximum-likelihood estimate does not exist: those models
    /// carry their <see cref="ModelRating.Bound"/> (see <see cref="Bounds"/>) and a rating of +∞, −∞ or
    /// NaN, and the others are fitted on the games among themselves, so no figure depends on the
    /// iteration cap. When the comparison graph falls apart, each component is centred on its own
    /// (geometric mean 1) and its models carry its <see cref="ModelRating.Component"/>: ratings in
    /// different components are not comparable. Self-battles are left out.
    /// </summary>
    public static IReadOnlyList<ModelRating> BradleyTerry(IReadOnlyList<PairwiseLabel> battles, int maxIterations = 10_000, double tolerance = 1e-10)
    {
        var (models, a, b, score) = Encode(battles);
        var cells = BattleCells.From(models.Length, a, b, score);
        var fit = new BradleyTerryFit(cells);
        fit.Run(cells.CountAll(), null, maxIterations, tolerance);
        var rank = ComponentRanks(models, fit.Component);
        return models.Select((m, i) => new ModelRating(m, fit.Rating(i), null) { Component = rank[fit.Component[i]], Bound = fit.Bound[i] }).ToArray();
    }

    /// <summary>
    /// <see cref="BradleyTerry"/> with percentile intervals over <paramref name="resamples"/> resamples of the battles
    /// (as many as there are, drawn with replacement). A resample is only its counts per (pair, outcome) cell, drawn
    /// from the battles' cells in sorted order, so no result depends on the order of the input lines; each resample
    /// is refitted (at most 2,000 iterations, tolerance 1e-8) from the point fit's strengths on a generator seeded
    /// from <paramref name="seed"/> for that resample alone, so the resamples run in parallel and the intervals
    /// depend only on the data and the seed, not on the thread count. On a resample where a model's rating is
    /// undetermined (NaN) or the model has no game, it is left out of that model's percentiles; an unbounded
    /// rating (±∞) stays in them.
    /// </summary>
    internal static IReadOnlyList<ModelRating> BradleyTerryIntervals(IReadOnlyList<PairwiseLabel> battles, int resamples, double level, int seed)
    {
        var (models, a, b, score) = Encode(battles);
        var cells = BattleCells.From(models.Length, a, b, score);
        var point = new BradleyTerryFit(cells);
        point.Run(cells.CountAll(), null, 10_000, 1e-10);
        var rank = ComponentRanks(models, point.Component);
        var k = models.Length;
        if (resamples <= 0 || cells.Battles == 0)
        {
            return models.Select((m, i) => new ModelRating(m, point.Rating(i), null) { Component = rank[point.Component[i]], Bound = point.Bound[i] }).ToArray();
        }

        Bootstrap.Validate(cells.Battles, resamples, level);
        var master = new Random(seed);
        var seeds = new int[resamples];
        for (var r = 0; r < resamples; r++)
        {
            seeds[r] = master.Next();
        }

        var samples = new double[k * resamples];
        Parallel.For(
            0,
            resamples,
            () => (Fit: new BradleyTerryFit(cells), Counts: new int[cells.Cells]),
            (r, _, local) =>
            {
                cells.Resample(seeds[r], local.Counts);
                local.Fit.Run(local.Counts, point.Strengths, 2_000, 1e-8);
                for (var m = 0; m < k; m++)
                {
                    samples[(m * resamples) + r] = local.Fit.Rating(m);
                }

                return local;
            },
            _ => { });

        return models.Select((m, i) =>
        {
            var own = samples.AsSpan(i * resamples, resamples);
            var kept = 0;
            foreach (var v in own)
            {
                // An undetermined rating (NaN) says nothing on this draw; an unbounded one (±∞) stays in the percentiles.
                if (!double.IsNaN(v))
                {
                    own[kept++] = v;
                }
            }

            var interval = Bootstrap.FromSamples(own[..kept], level, resamples, seed);
            return new ModelRating(m, point.Rating(i), interval) { Component = rank[point.Component[i]], Bound = point.Bound[i] };
        }).ToArray();
    }

    /// <summary>
    /// Which ratings exist. Within each connected component of the comparison graph, model i points at
    /// model j when i earned any credit (a win or a tie) against j; the maximum-likelihood ratings
    /// exist only when every model reaches every other that way (Zermelo, Ford 1957). Otherwise the
    /// reference models are the strongly connected set of <paramref name="anchor"/> (or, without one,
    /// the largest set; ties to the one with the first model): the models they reach but that never
    /// reach them are <see cref="RatingBound.UnboundedBelow"/>, those that reach them but are never
    /// reached <see cref="RatingBound.UnboundedAbove"/>, the rest <see cref="RatingBound.Undetermined"/>.
    /// With an anchor, models outside the anchor's component are undetermined too.
    /// </summary>
    internal static RatingBound[] Bounds(int models, int[] a, int[] b, double[] scoreA, int anchor)
    {
        var forward = new List<int>[models];
        var backward = new List<int>[models];
        for (var i = 0; i < models; i++)
        {
            forward[i] = [];
            backward[i] = [];
        }

        var seen = new HashSet<(int, int)>();
        void Edge(int from, int to)
        {
            if (seen.Add((from, to)))
            {
                forward[from].Add(to);
                backward[to].Add(from);
            }
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (scoreA[i] > 0)
            {
                Edge(a[i], b[i]);
            }

            if (scoreA[i] < 1)
            {
                Edge(b[i], a[i]);
            }
        }

        var strong = StronglyConnected(models, forward, backward);
        var component = Components(models, a, b);
        var result = new RatingBound[models];
        var componentCount = models == 0 ? 0 : component.Max() + 1;
        for (var c = 0; c < componentCount; c++)
        {
            var members = Enumerable.Range(0, models).Where(i => component[i] == c).ToArray();
            if (anchor >= 0 && component[anchor] != c)
            {
                // Nothing ties these models to the anchor: relative to it their ratings are undetermined.
                foreach (var i in members)
                {
                    result[i] = RatingBound.Undetermined;
                }

                continue;
            }

            if (members.Select(i => strong[i]).Distinct().Count() <= 1)
            {
                continue;
            }

            var reference = anchor >= 0
                ? strong[anchor]
                : members.GroupBy(i => strong[i]).OrderByDescending(g => g.Count()).ThenBy(g => g.Min()).First().Key;
            var starts = members.Where(i => strong[i] == reference).ToArray();
            var below = Reach(models, starts, forward);
            var above = Reach(models, starts, backward);
            foreach (var i in members.Where(i => strong[i] != reference))
            {
                result[i] = below[i] ? RatingBound.UnboundedBelow : above[i] ? RatingBound.UnboundedAbove : RatingBound.Undetermined;
            }
        }

        return result;
    }

    private static bool[] Reach(int models, int[] starts, List<int>[] edges)
    {
        var reached = new bool[models];
        var stack = new Stack<int>(starts);
        foreach (var s in starts)
        {
            reached[s] = true;
        }

        while (stack.Count > 0)
        {
            foreach (var next in edges[stack.Pop()])
            {
                if (!reached[next])
                {
                    reached[next] = true;
                    stack.Push(next);
                }
            }
        }

        return reached;
    }

    /// <summary>Strongly connected set per model (Kosaraju, iterative): labels 0, 1, ….</summary>
    private static int[] StronglyConnected(int models, List<int>[] forward, List<int>[] backward)
    {
        var finished = new List<int>(models);
        var visited = new bool[models];
        var stack = new Stack<(int Node, int Next)>();
        for (var root = 0; root < models; root++)
        {
            if (visited[root])
            {
                continue;
            }

            visited[root] = true;
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                if (next < forward[node].Count)
                {
                    stack.Push((node, next + 1));
                    var child = forward[node][next];
                    if (!visited[child])
                    {
                        visited[child] = true;
                        stack.Push((child, 0));
                    }
                }
                else
                {
                    finished.Add(node);
                }
            }
        }

        var label = Enumerable.Repeat(-1, models).ToArray();
        var count = 0;
        for (var f = finished.Count - 1; f >= 0; f--)
        {
            if (label[finished[f]] >= 0)
            {
                continue;
            }

            var pending = new Stack<int>();
            pending.Push(finished[f]);
            label[finished[f]] = count;
            while (pending.Count > 0)
            {
                foreach (var previous in backward[pending.Pop()])
                {
                    if (label[previous] < 0)
                    {
                        label[previous] = count;
                        pending.Push(previous);
                    }
                }
            }

            count++;
        }

        return label;
    }

    /// <summary>
    /// Online Elo over the battles in the given order: expected score Eₐ = 1 / (1 + 10^((R_b − R_a)/scale)),
    /// Rₐ += K (Sₐ − Eₐ) with S = 1, 0.5 or 0. With <see cref="EloOptions.BootstrapResamples"/> &gt; 0,
    /// each model gets the percentile interval of its rating over resamples of the battle list drawn
    /// with replacement (Chatbot Arena's procedure), and the rating reported is the median over the same
    /// resamples (as Chatbot Arena reports it), so the point estimate comes from the procedure its
    /// interval comes from and always lies inside it; without resamples it is the one online pass in
    /// the given order. Self-battles are left out.
    /// </summary>
    public static IReadOnlyList<ModelRating> Elo(IReadOnlyList<PairwiseLabel> battles, EloOptions? options = null)
    {
        options ??= new EloOptions();
        var (models, a, b, score) = Encode(battles);
        var componentOf = Components(models.Length, a, b);
        var rank = ComponentRanks(models, componentOf);
        if (options.BootstrapResamples <= 0 || a.Length == 0)
        {
            var point = RunElo(models.Length, a, b, score, null, options);
            return models.Select((m, i) => new ModelRating(m, point[i], null) { Component = rank[componentOf[i]] }).ToArray();
        }

        Bootstrap.Validate(a.Length, options.BootstrapResamples, options.ConfidenceLevel);

        // Resampled battles are drawn from a canonical order, so the result does not depend on the order of the file's lines.
        (a, b, score) = Canonical(a, b, score, CanonicalOrder(battles.Where(x => !IsSelfBattle(x)).ToArray()));
        var random = new Random(options.Seed);
        var samples = new double[models.Length][];
        for (var m = 0; m < models.Length; m++)
        {
            samples[m] = new double[options.BootstrapResamples];
        }

        var order = new int[a.Length];
        for (var r = 0; r < options.BootstrapResamples; r++)
        {
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = random.Next(order.Length);
            }

            var ratings = RunElo(models.Length, a, b, score, order, options);
            for (var m = 0; m < models.Length; m++)
            {
                samples[m][r] = ratings[m];
            }
        }

        return models.Select((m, i) =>
        {
            var interval = Bootstrap.FromSamples(samples[i], options.ConfidenceLevel, options.BootstrapResamples, options.Seed);
            return new ModelRating(m, Bootstrap.Quantile(samples[i], 0.5), interval) { Component = rank[componentOf[i]] };
        }).ToArray();
    }

    /// <summary>
    /// The battles' indices in one canonical order (question, turn, models, outcome, ordinal), which
    /// every resampling procedure draws from so that no result depends on the order of the input lines.
    /// </summary>
    internal static int[] CanonicalOrder(IReadOnlyList<PairwiseLabel> battles) =>
        Enumerable.Range(0, battles.Count)
            .OrderBy(i => battles[i].QuestionId, StringComparer.Ordinal).ThenBy(i => battles[i].Turn)
            .ThenBy(i => battles[i].ModelA, StringComparer.Ordinal).ThenBy(i => battles[i].ModelB, StringComparer.Ordinal)
            .ThenBy(i => battles[i].Winner).ThenBy(i => battles[i].Rater, StringComparer.Ordinal)
            .ToArray();

    private static (int[] A, int[] B, double[] Score) Canonical(int[] a, int[] b, double[] score, int[] order) =>
        (order.Select(i => a[i]).ToArray(), order.Select(i => b[i]).ToArray(), order.Select(i => score[i]).ToArray());

    private static double[] RunElo(int models, int[] a, int[] b, double[] score, int[]? order, EloOptions options)
    {
        var rating = Enumerable.Repeat(options.Initial, models).ToArray();
        var n = order?.Length ?? a.Length;
        for (var t = 0; t < n; t++)
        {
            var i = order is null ? t : order[t];
            var expected = 1 / (1 + Math.Pow(10, (rating[b[i]] - rating[a[i]]) / options.Scale));
            var delta = options.K * (score[i] - expected);
            rating[a[i]] += delta;
            rating[b[i]] -= delta;
        }

        return rating;
    }

    internal static (string[] Models, int[] A, int[] B, double[] ScoreA) Encode(IReadOnlyList<PairwiseLabel> all)
    {
        var battles = all.Where(x => !IsSelfBattle(x)).ToArray();
        var models = battles.SelectMany(x => new[] { x.ModelA, x.ModelB }).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < models.Length; i++)
        {
            index[models[i]] = i;
        }

        var a = new int[battles.Length];
        var b = new int[battles.Length];
        var s = new double[battles.Length];
        for (var i = 0; i < battles.Length; i++)
        {
            a[i] = index[battles[i].ModelA];
            b[i] = index[battles[i].ModelB];
            s[i] = battles[i].Winner.CreditOfA();
        }

        return (models, a, b, s);
    }

    /// <summary>Component label per model (union-find over the battles), labels 0, 1, … by first model index.</summary>
    internal static int[] Components(int models, int[] a, int[] b)
    {
        var parent = Enumerable.Range(0, models).ToArray();
        int Find(int i)
        {
            while (parent[i] != i)
            {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }

            return i;
        }

        for (var i = 0; i < a.Length; i++)
        {
            var ra = Find(a[i]);
            var rb = Find(b[i]);
            if (ra != rb)
            {
                parent[Math.Max(ra, rb)] = Math.Min(ra, rb);
            }
        }

        var label = new Dictionary<int, int>();
        var result = new int[models];
        for (var i = 0; i < models; i++)
        {
            var root = Find(i);
            if (!label.TryGetValue(root, out var l))
            {
                label[root] = l = label.Count;
            }

            result[i] = l;
        }

        return result;
    }

    /// <summary>Maps component labels to their index in <see cref="ComparisonGraph.Components"/> (largest first, then by first model).</summary>
    private static int[] ComponentRanks(string[] models, int[] component)
    {
        var count = models.Length == 0 ? 0 : component.Max() + 1;
        var order = Enumerable.Range(0, count)
            .OrderByDescending(c => component.Count(x => x == c))
            .ThenBy(c => models[Array.IndexOf(component, c)], StringComparer.Ordinal)
            .ToArray();
        var rank = new int[count];
        for (var i = 0; i < order.Length; i++)
        {
            rank[order[i]] = i;
        }

        return rank;
    }
}

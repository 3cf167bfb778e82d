using System.Text.Json;
using System.Text.Json.Serialization;
using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics;

/// <summary>
/// One game: one judgment of one presentation order, the input of <see cref="ArenaHard"/>. Arena-Hard
/// judges each question twice (both orders) and counts each game as its own battle.
/// </summary>
/// <param name="Question">The question (for information; battles are resampled as games).</param>
/// <param name="ModelA">The model whose answer the outcome calls A.</param>
/// <param name="ModelB">The other model.</param>
/// <param name="Outcome">The verdict: A, B or tie (an inconsistent tie counts as a tie).</param>
public sealed record ArenaBattle(string Question, string ModelA, string ModelB, PairOutcome Outcome)
{
    /// <summary>
    /// Whether the verdict was a strong one (<c>A&gt;&gt;B</c> or <c>B&gt;&gt;A</c>, as Arena-Hard's five-level
    /// judges give it), which counts <see cref="ArenaHardOptions.StrongWeight"/> times; ignored for a tie.
    /// </summary>
    public bool Strong { get; init; }

    /// <summary>The five levels in order, strong A first: the fit's weight and the games' sort order.</summary>
    internal int Level => (Outcome, Strong) switch
    {
        (PairOutcome.A, true) => 0,
        (PairOutcome.A, false) => 1,
        (PairOutcome.B, false) => 3,
        (PairOutcome.B, true) => 4,
        _ => 2,
    };

    /// <summary>
    /// Optional style features of the game, each the normalised difference (a − b)/(a + b) of a count in
    /// A's and B's answers (0 when both are 0), in <see cref="ArenaHard.StyleNames"/> order; used when
    /// <see cref="ArenaHardOptions.StyleControl"/> is on.
    /// </summary>
    public IReadOnlyList<double>? Style { get; init; }

    /// <summary>The battle of a merged (both-orders) verdict with a hard winner: A, B or tie, never strong.</summary>
    public static ArenaBattle FromLabel(PairwiseLabel label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return new ArenaBattle(label.QuestionId, label.ModelA, label.ModelB, label.Winner.IsTie() ? PairOutcome.Tie : label.Winner);
    }
}

/// <summary>Settings for <see cref="ArenaHard.Compute"/>. Mutable; safe to share once set up.</summary>
public sealed class ArenaHardOptions
{
    /// <summary>The anchor: its rating is fixed at 1000 and every score is a predicted win rate against it. Required.</summary>
    public required string Baseline { get; set; }

    /// <summary>How many times a strong verdict (A&gt;&gt;B, B&gt;&gt;A) counts. Default 3 (Arena-Hard); 1 treats it as a plain win.</summary>
    public double StrongWeight { get; set; } = 3;

    /// <summary>Bootstrap rounds (0: no intervals). Default 100 (Arena-Hard's <c>--num-rounds</c>).</summary>
    public int Rounds { get; set; } = 100;

    /// <summary>The intervals' level. Default 0.95 (the 2.5 and 97.5 percentiles).</summary>
    public double ConfidenceLevel { get; set; } = Bootstrap.DefaultLevel;

    /// <summary>The bootstrap seed. Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>
    /// What a bootstrap round resamples. Default <see cref="ArenaResampling.Question"/>: questions, each with all its games
    /// (both orders, every model), since the two orders of a question are correlated.
    /// </summary>
    public ArenaResampling Resampling { get; set; } = ArenaResampling.Question;

    /// <summary>
    /// Whether to add the style features of each battle (<see cref="ArenaBattle.Style"/>, standardised over
    /// the battles) to the fit and report scores with them at 0 (Chatbot Arena's style control). Default <see langword="false"/>.
    /// </summary>
    public bool StyleControl { get; set; }
}

/// <summary>What the Arena-Hard bootstrap resamples as one unit (JSON: snake_case names).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ArenaResampling>))]
public enum ArenaResampling
{
    /// <summary>A question with all its games (both presentation orders, every model): the default; the orders of a question are correlated.</summary>
    [JsonStringEnumMemberName("question")]
    Question,

    /// <summary>Each game (one presentation order) on its own, with its weight.</summary>
    [JsonStringEnumMemberName("game")]
    Game,

    /// <summary>
    /// Arena-Hard-Auto's own procedure (<c>show_result.py</c>): a strong game is first written as <see cref="ArenaHardOptions.StrongWeight"/>
    /// rows of weight 1, and the rows are resampled independently; it reproduces its published intervals (and is the narrowest).
    /// Needs a whole-number strong weight.
    /// </summary>
    [JsonStringEnumMemberName("arena_hard_rows")]
    ArenaHardRows,
}

/// <summary>One model's Arena-Hard score.</summary>
/// <param name="Model">The model.</param>
/// <param name="Games">Games it played (self-battles excluded).</param>
/// <param name="Score">The predicted win rate against the baseline, in [0, 1] (Arena-Hard prints it ×100); ½ for the baseline.</param>
/// <param name="Interval">Percentile bootstrap interval of the score.</param>
/// <param name="Rating">The Bradley-Terry rating on the Elo scale (400 per factor 10 of odds), the baseline at 1000.</param>
public sealed record ArenaScore(string Model, int Games, double Score, ConfidenceInterval? Interval, double Rating)
{
    /// <summary>
    /// Whether the rating exists against the baseline (<see cref="Ratings.Bounds"/>): when the model's results are
    /// one-sided its <see cref="Rating"/> is ±∞ (score 1 or 0) or NaN (undetermined), never a number set by the iteration cap.
    /// </summary>
    public RatingBound Bound { get; init; }
}

/// <summary>The result of <see cref="ArenaHard.Compute"/>.</summary>
/// <param name="Baseline">The anchor model.</param>
/// <param name="Models">Scores, best first.</param>
/// <param name="NotConnected">Models never compared, directly or through others, with the baseline: they have no score.</param>
/// <param name="SelfBattles">Games of a model against itself, left out.</param>
/// <param name="StrongGames">Games with a strong verdict (weighted <see cref="ArenaHardOptions.StrongWeight"/>).</param>
/// <param name="StrongWeight">The weight of a strong verdict.</param>
/// <param name="StyleCoefficients">The style coefficients (per standard deviation of each feature) when style control was on; otherwise empty.</param>
/// <param name="Converged">Whether the point fit of the models with finite ratings converged.</param>
public sealed record ArenaHardResult(string Baseline, IReadOnlyList<ArenaScore> Models, IReadOnlyList<string> NotConnected, int SelfBattles, int StrongGames, double StrongWeight, IReadOnlyDictionary<string, double> StyleCoefficients, bool Converged)
{
    /// <summary>What the intervals resampled (<see cref="ArenaHardOptions.Resampling"/>).</summary>
    public ArenaResampling Resampling { get; init; }

    /// <summary>How many units each round drew (questions, games or rows); 0 without intervals.</summary>
    public int ResampledUnits { get; init; }

    /// <summary>The result as indented snake_case JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ArenaJsonContext.Default.ArenaHardResult);
}

/// <summary>
/// Arena-Hard-Auto's scores (Li et al. 2024, <c>show_result.py</c>): every game (each presentation
/// order of each question) is its own battle; a strong verdict counts <see cref="ArenaHardOptions.StrongWeight"/>
/// times; a tie is half a win for each side. Bradley-Terry is fitted by unpenalised logistic regression
/// on the games with the baseline's strength fixed at 0 (rating 1000); a model's score is its predicted
/// win rate against the baseline, σ(βₘ). Intervals: the 2.5 and 97.5 percentiles (at the default level)
/// of the scores over bootstrap rounds that resample, by default, questions with all their games (both
/// orders together: the two orders of a question are correlated, and resampling them apart covered only
/// 86.8-90.0 % at a nominal 95 % in the simulation issue 23 reports); <see cref="ArenaResampling.Game"/> resamples games, each with its weight, and
/// <see cref="ArenaResampling.ArenaHardRows"/> is Arena-Hard's own code (a strong game as weight rows drawn
/// independently), which reproduces its published intervals. Games are put in a canonical order first,
/// so the result does not depend on input order. Pure and thread-safe.
/// </summary>
public static class ArenaHard
{
    /// <summary>The style feature names, in <see cref="ArenaBattle.Style"/> order: answer length in characters, markdown headers, list items, bold spans.</summary>
    public static IReadOnlyList<string> StyleNames { get; } = ["length", "headers", "list_items", "bold"];

    /// <summary>The style features of a game from the two answers' texts (see <see cref="ArenaBattle.Style"/>).</summary>
    public static double[] StyleOf(string answerA, string answerB)
    {
        ArgumentNullException.ThrowIfNull(answerA);
        ArgumentNullException.ThrowIfNull(answerB);
        var a = StyleCounts.Of(answerA);
        var b = StyleCounts.Of(answerB);
        return
        [
            StyleCounts.NormalizedDifference(answerA.Length, answerB.Length),
            StyleCounts.NormalizedDifference(a.Headers, b.Headers),
            StyleCounts.NormalizedDifference(a.ListItems, b.ListItems),
            StyleCounts.NormalizedDifference(a.BoldSpans, b.BoldSpans),
        ];
    }

    /// <summary>
    /// The games of a Judge judgments file: one per parsed pairwise call, the call's <c>first</c> /
    /// <c>second</c> / <c>tie</c> turned back into the item's models (order <c>AB</c> shows model A
    /// first, <c>BA</c> model B). A call's <see cref="JudgeCall.StrongVerdict"/> (<c>A&gt;&gt;B</c>,
    /// <c>B&gt;&gt;A</c>, by position, from imported five-level verdicts) makes its game strong; Judge's own
    /// rubrics give A, B or tie. Calls without a verdict are
    /// counted in <paramref name="withoutVerdict"/>, never turned into a game.
    /// </summary>
    /// <param name="items">The file's pairwise records (for the models, question and turn of each call).</param>
    /// <param name="calls">The file's call records.</param>
    /// <param name="answers">The answers, for style features (<see cref="ArenaBattle.Style"/>); <see langword="null"/> for none.</param>
    /// <param name="withoutVerdict">Calls without a verdict.</param>
    public static IReadOnlyList<ArenaBattle> GamesFromCalls(IReadOnlyList<PairwiseVerdict> items, IReadOnlyList<JudgeCall> calls, AnswerTexts? answers, out int withoutVerdict)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(calls);
        var byItem = new Dictionary<(string, int?), PairwiseVerdict>();
        foreach (var item in items)
        {
            byItem[(item.Item, item.Repeat)] = item;
        }

        var games = new List<ArenaBattle>();
        withoutVerdict = 0;
        foreach (var call in calls)
        {
            if (call.Order is not ("AB" or "BA") || !byItem.TryGetValue((call.Item, call.Repeat), out var item))
            {
                continue;
            }

            if (call.ChoiceByModel() is not { } outcome)
            {
                withoutVerdict++;
                continue;
            }

            var strong = !outcome.IsTie() && call.StrongVerdict is "A>>B" or "B>>A";
            games.Add(WithStyle(new ArenaBattle(AnswerTexts.InstructionId(item.QuestionId, item.Turn), item.ModelA, item.ModelB, outcome) { Strong = strong }, answers, item.QuestionId, item.Turn));
        }

        return games;
    }

    /// <summary>One battle per merged verdict (a file without call records, e.g. MT-Bench's), with style features when <paramref name="answers"/> are given.</summary>
    public static IReadOnlyList<ArenaBattle> GamesFromVerdicts(IReadOnlyList<PairwiseLabel> labels, AnswerTexts? answers)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return labels.Select(l => WithStyle(ArenaBattle.FromLabel(l) with { Question = AnswerTexts.InstructionId(l.QuestionId, l.Turn) }, answers, l.QuestionId, l.Turn)).ToArray();
    }

    private static ArenaBattle WithStyle(ArenaBattle game, AnswerTexts? answers, string questionId, int turn) =>
        answers?.Text(questionId, game.ModelA, turn) is { } a && answers.Text(questionId, game.ModelB, turn) is { } b
            ? game with { Style = StyleOf(a, b) }
            : game;

    /// <summary>Fits the scores.</summary>
    /// <exception cref="ArgumentException">No game involves the baseline, the strong weight is not positive, or style control is on and a game has no style features.</exception>
    public static ArenaHardResult Compute(IReadOnlyList<ArenaBattle> battles, ArenaHardOptions options)
    {
        ArgumentNullException.ThrowIfNull(battles);
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.StrongWeight > 0))
        {
            throw new ArgumentException($"the strong-verdict weight must be positive, found {options.StrongWeight}", nameof(options));
        }

        if (options.Resampling == ArenaResampling.ArenaHardRows && options.StrongWeight != Math.Floor(options.StrongWeight))
        {
            throw new ArgumentException($"Arena-Hard's row resampling writes a strong game as weight rows: the weight must be a whole number, found {options.StrongWeight}", nameof(options));
        }

        var selfBattles = battles.Count(b => string.Equals(b.ModelA, b.ModelB, StringComparison.Ordinal));
        var games = battles.Where(b => !string.Equals(b.ModelA, b.ModelB, StringComparison.Ordinal))
            .OrderBy(b => b.Question, StringComparer.Ordinal).ThenBy(b => b.ModelA, StringComparer.Ordinal).ThenBy(b => b.ModelB, StringComparer.Ordinal).ThenBy(b => b.Level)
            .ThenBy(b => b.Style is null ? string.Empty : string.Join(",", b.Style.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))), StringComparer.Ordinal)
            .ToList();
        if (!games.Any(g => g.ModelA == options.Baseline || g.ModelB == options.Baseline))
        {
            throw new ArgumentException($"no game involves the baseline '{options.Baseline}'", nameof(battles));
        }

        // Only the baseline's component of the comparison graph can be anchored.
        var graph = Ratings.Graph(games.Select(g => new PairwiseLabel(g.Question, g.ModelA, g.ModelB, PairOutcome.Tie, string.Empty, 1)).ToList());
        var connected = graph.Components.First(c => c.Contains(options.Baseline)).ToHashSet(StringComparer.Ordinal);
        var notConnected = graph.Components.SelectMany(c => c).Where(m => !connected.Contains(m)).Order(StringComparer.Ordinal).ToArray();
        games = games.Where(g => connected.Contains(g.ModelA)).ToList();
        var models = connected.Where(m => m != options.Baseline).Order(StringComparer.Ordinal).ToArray();
        var index = models.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i, StringComparer.Ordinal);
        var styleCount = options.StyleControl ? StyleNames.Count : 0;
        if (options.StyleControl && games.Any(g => g.Style is null || g.Style.Count != StyleNames.Count))
        {
            var missing = games.First(g => g.Style is null || g.Style.Count != StyleNames.Count);
            throw new ArgumentException($"style control needs {StyleNames.Count} style features on every game; {missing.ModelA} vs {missing.ModelB} on {missing.Question} has none (an answer is missing)", nameof(battles));
        }

        var (x, y, w) = Design(games, models, index, styleCount, options.StrongWeight);
        var coded = new CodedGames(
            games.Select(g => index.TryGetValue(g.ModelA, out var i) ? i : models.Length).ToArray(),
            games.Select(g => index.TryGetValue(g.ModelB, out var i) ? i : models.Length).ToArray(),
            y,
            models.Length);
        var all = Enumerable.Range(0, games.Count).ToArray();
        var point = FitFinite(x, y, w, coded, all, styleCount);
        var beta = point.Beta;

        var units = options.Rounds > 0 ? Units(games, w, options.Resampling) : [];
        if (options.Resampling == ArenaResampling.ArenaHardRows && options.Rounds > 0)
        {
            // Each strong game becomes weight rows of weight 1, drawn independently (Arena-Hard-Auto's show_result.py).
            var rows = Enumerable.Range(0, games.Count).SelectMany(i => Enumerable.Repeat(i, (int)w[i])).ToArray();
            (x, y, coded) = (rows.Select(i => x[i]).ToArray(), rows.Select(i => y[i]).ToArray(), new CodedGames(rows.Select(i => coded.A[i]).ToArray(), rows.Select(i => coded.B[i]).ToArray(), rows.Select(i => coded.ScoreA[i]).ToArray(), coded.Models));
            w = Enumerable.Repeat(1.0, rows.Length).ToArray();
            units = Enumerable.Range(0, rows.Length).Select(i => new[] { i }).ToArray();
        }

        var intervals = options.Rounds > 0 ? Intervals(x, y, w, coded, units, styleCount, options) : new ConfidenceInterval?[models.Length];

        var played = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var g in games)
        {
            played[g.ModelA] = played.GetValueOrDefault(g.ModelA) + 1;
            played[g.ModelB] = played.GetValueOrDefault(g.ModelB) + 1;
        }

        var scale = 400 / Math.Log(10);
        var scores = models.Select((m, i) => new ArenaScore(m, played[m], Score(beta[i]), intervals[i], 1000 + (scale * beta[i])) { Bound = point.Bounds[i] })
            .Append(new ArenaScore(options.Baseline, played[options.Baseline], 0.5, null, 1000))
            .OrderByDescending(s => s.Score).ThenBy(s => s.Model, StringComparer.Ordinal)
            .ToArray();
        var style = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var k = 0; k < styleCount; k++)
        {
            style[StyleNames[k]] = beta[models.Length + k];
        }

        return new ArenaHardResult(options.Baseline, scores, notConnected, selfBattles, games.Count(g => g.Level is 0 or 4), options.StrongWeight, style, point.Converged)
        {
            Resampling = options.Resampling,
            ResampledUnits = units.Length,
        };
    }

    /// <summary>The resampling units as game indices: one question's games together (in canonical question order), or each game alone.</summary>
    private static int[][] Units(List<ArenaBattle> games, double[] w, ArenaResampling by) => by == ArenaResampling.Question
        ? Enumerable.Range(0, games.Count).GroupBy(i => games[i].Question, StringComparer.Ordinal).Select(g => g.ToArray()).ToArray()
        : Enumerable.Range(0, w.Length).Select(i => new[] { i }).ToArray();

    /// <summary>σ(β), with an unbounded rating's score at 1 or 0 and an undetermined one NaN.</summary>
    private static double Score(double beta) => double.IsNaN(beta) ? double.NaN : LogisticRegression.Sigmoid(beta);

    /// <summary>
    /// Fits the games <paramref name="rows"/> (indices into the design, repeats allowed) on the models whose
    /// ratings exist against the baseline (<see cref="Ratings.Bounds"/>); the others get β = +∞, −∞ or NaN,
    /// so no score is set by the iteration cap.
    /// </summary>
    private static FiniteFit FitFinite(double[][] x, double[] y, double[] w, CodedGames coded, int[] rows, int styleCount)
    {
        var models = coded.Models;
        var bounds = Ratings.Bounds(models + 1, rows.Select(r => coded.A[r]).ToArray(), rows.Select(r => coded.B[r]).ToArray(), rows.Select(r => coded.ScoreA[r]).ToArray(), models);
        var columns = Enumerable.Range(0, models).Where(m => bounds[m] == RatingBound.Finite).Concat(Enumerable.Range(models, styleCount)).ToArray();
        var kept = rows.Where(r => bounds[coded.A[r]] == RatingBound.Finite && bounds[coded.B[r]] == RatingBound.Finite).ToArray();
        var beta = new double[models + styleCount];
        var converged = true;
        if (kept.Length > 0 && columns.Length > 0)
        {
            var fit = LogisticRegression.Fit(
                kept.Select(r => columns.Select(c => x[r][c]).ToArray()).ToArray(),
                kept.Select(r => y[r]).ToArray(),
                new double[columns.Length],
                kept.Select(r => w[r]).ToArray());
            for (var c = 0; c < columns.Length; c++)
            {
                beta[columns[c]] = fit.Coefficients[c];
            }

            converged = fit.Converged;
        }

        for (var m = 0; m < models; m++)
        {
            beta[m] = bounds[m] switch
            {
                RatingBound.Finite => beta[m],
                RatingBound.UnboundedAbove => double.PositiveInfinity,
                RatingBound.UnboundedBelow => double.NegativeInfinity,
                _ => double.NaN,
            };
        }

        return new FiniteFit(beta, bounds, converged);
    }

    /// <summary>Each game's models as indices (the baseline is <see cref="Models"/>) and A's credit.</summary>
    private sealed record CodedGames(int[] A, int[] B, double[] ScoreA, int Models);

    private sealed record FiniteFit(double[] Beta, RatingBound[] Bounds, bool Converged);

    /// <summary>
    /// Each game's features (model A's indicator − model B's, the baseline's column dropped; style standardised),
    /// target (1, ½, 0 for A) and weight (the strong weight for a strong verdict).
    /// </summary>
    private static (double[][] X, double[] Y, double[] W) Design(List<ArenaBattle> games, string[] models, Dictionary<string, int> index, int styleCount, double strongWeight)
    {
        var mean = new double[styleCount];
        var sd = new double[styleCount];
        for (var k = 0; k < styleCount; k++)
        {
            mean[k] = games.Average(g => g.Style![k]);
            var m = mean[k];
            sd[k] = Math.Sqrt(games.Sum(g => (g.Style![k] - m) * (g.Style![k] - m)) / Math.Max(1, games.Count - 1));
        }

        var x = new double[games.Count][];
        var y = new double[games.Count];
        var w = new double[games.Count];
        for (var i = 0; i < games.Count; i++)
        {
            var g = games[i];
            var row = new double[models.Length + styleCount];
            if (index.TryGetValue(g.ModelA, out var a))
            {
                row[a] += 1;
            }

            if (index.TryGetValue(g.ModelB, out var b))
            {
                row[b] -= 1;
            }

            for (var k = 0; k < styleCount; k++)
            {
                row[models.Length + k] = sd[k] > 0 ? (g.Style![k] - mean[k]) / sd[k] : 0;
            }

            x[i] = row;
            y[i] = g.Outcome.CreditOfA();
            w[i] = g.Level is 0 or 4 ? strongWeight : 1.0;
        }

        return (x, y, w);
    }

    /// <summary>Percentile bootstrap intervals of every model's score, the games resampled and the fit repeated.</summary>
    private static ConfidenceInterval?[] Intervals(double[][] x, double[] y, double[] w, CodedGames coded, int[][] units, int styleCount, ArenaHardOptions options)
    {
        var models = coded.Models;
        var intervals = new ConfidenceInterval?[models];
        Bootstrap.Validate(units.Length, options.Rounds, options.ConfidenceLevel);
        var random = new Random(options.Seed);
        var samples = Enumerable.Range(0, models).Select(_ => new List<double>(options.Rounds)).ToArray();
        var drawn = new List<int>(y.Length);
        for (var r = 0; r < options.Rounds; r++)
        {
            drawn.Clear();
            for (var i = 0; i < units.Length; i++)
            {
                drawn.AddRange(units[random.Next(units.Length)]);
            }

            var rows = drawn.ToArray();

            var fit = FitFinite(x, y, w, coded, rows, styleCount);
            for (var m = 0; m < models; m++)
            {
                // A model no drawn game ties to the baseline says nothing on this round.
                if (!double.IsNaN(fit.Beta[m]))
                {
                    samples[m].Add(Score(fit.Beta[m]));
                }
            }
        }

        for (var m = 0; m < models; m++)
        {
            intervals[m] = Bootstrap.FromSamples(samples[m].ToArray(), options.ConfidenceLevel, options.Rounds, options.Seed) with { Clusters = units.Length };
        }

        return intervals;
    }
}

/// <summary>Source-generated JSON for Arena-Hard results: snake_case, indented, NaN and ±∞ as null (<see cref="NonFiniteAsNull"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, Converters = [typeof(NonFiniteAsNull)])]
[JsonSerializable(typeof(ArenaHardResult))]
internal sealed partial class ArenaJsonContext : JsonSerializerContext;

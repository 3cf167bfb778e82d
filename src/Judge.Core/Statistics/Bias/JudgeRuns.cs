using System.Text.Json;
using System.Text.Json.Serialization;
using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics.Bias;

/// <summary>
/// One judge's pairwise verdicts as read from a file: a Judge judgments file (with call records,
/// flip flags, latency and, when present, <c>cost_usd</c>) or an MT-Bench-format verdict file
/// (verdicts only). Immutable once loaded.
/// </summary>
public sealed class JudgeRun
{
    private JudgeRun(string path, string name, List<PairwiseLabel> labels, List<PairwiseVerdict>? items, List<JudgeCall>? calls, Dictionary<string, double> costs)
    {
        Path = path;
        Name = name;
        Labels = labels;
        Items = items;
        Calls = calls;
        CostByItem = costs;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The judge's id (its verdicts' rater, or the file name when it has none).</summary>
    public string Name { get; }

    /// <summary>The verdicts, one per item with a verdict.</summary>
    public IReadOnlyList<PairwiseLabel> Labels { get; }

    /// <summary>The pairwise records, with and without verdict (every file format gives them through <see cref="VerdictImport"/>).</summary>
    public IReadOnlyList<PairwiseVerdict>? Items { get; }

    /// <summary>The call records (per-order verdicts); <see langword="null"/> for a file without them (MT-Bench's one verdict per pair).</summary>
    public IReadOnlyList<JudgeCall>? Calls { get; }

    /// <summary>The <c>cost_usd</c> of call records that carry one, summed per item key.</summary>
    public IReadOnlyDictionary<string, double> CostByItem { get; }

    /// <summary>Pairwise items without a verdict (unparsed, out of range, dropped, failed), counted in every rate's denominator display.</summary>
    public int WithoutVerdict => Items?.Count(r => r.Winner is null) ?? 0;

    /// <summary>Records dropped because they repeated an earlier one exactly.</summary>
    public int DuplicatesDropped { get; private init; }

    /// <summary>The answer texts the file carries (a layout's <c>answer_a</c>/<c>answer_b</c>, turn 1); empty when it has none.</summary>
    public IReadOnlyList<ModelAnswer> Answers { get; private init; } = [];

    /// <summary>
    /// Reads a verdict file through <see cref="VerdictImport"/> (a judgments file, MT-Bench JSONL, CSV,
    /// or any JSONL / JSON array through <paramref name="layout"/>). When it holds several judges,
    /// <paramref name="judgeName"/> picks one; without it that is an <see cref="InputException"/>. A file
    /// without pairwise records is an error unless <paramref name="allowNoPairwise"/> (absolute grades only).
    /// </summary>
    public static JudgeRun Load(string path, string? judgeName = null, bool allowNoPairwise = false, PairwiseLayout? layout = null, CsvColumnMap? columns = null) =>
        FromImport(VerdictImport.Read(path, layout, columns), judgeName, allowNoPairwise);

    /// <summary>The run of an imported file; see <see cref="Load"/>.</summary>
    public static JudgeRun FromImport(ImportedVerdicts imported, string? judgeName = null, bool allowNoPairwise = false)
    {
        ArgumentNullException.ThrowIfNull(imported);
        var path = imported.Path;
        if (imported.Items.Count == 0 && !allowNoPairwise)
        {
            throw new InputException(path, null, null, "holds no pairwise verdicts");
        }

        var judges = imported.Items.Select(i => i.Judge).Distinct(StringComparer.Ordinal).ToList();
        if (judgeName is not null)
        {
            imported = imported.ForJudge(judgeName);
            if (imported.Items.Count == 0 && !allowNoPairwise)
            {
                throw new InputException(path, null, "judge", $"no verdicts by '{judgeName}'; the file has: {string.Join(", ", judges)}");
            }
        }
        else if (judges.Count > 1)
        {
            throw new InputException(path, null, "judge", $"holds verdicts of several judges ({string.Join(", ", judges.Take(8))}); pick one with --judge-name NAME");
        }

        var costs = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var call in imported.Calls)
        {
            if (call.CostUsd is decimal cost)
            {
                costs[call.Item] = costs.GetValueOrDefault(call.Item) + (double)cost;
            }
        }

        var name = judgeName ?? judges.FirstOrDefault(j => j.Length > 0) ?? System.IO.Path.GetFileNameWithoutExtension(path);
        var calls = imported.IsJudgmentsFile || imported.Calls.Count > 0 ? imported.Calls.ToList() : null;
        return new JudgeRun(path, name, imported.Labels(), imported.Items.ToList(), calls, costs) { DuplicatesDropped = imported.DuplicatesDropped, Answers = imported.Answers };
    }

    /// <summary>This run restricted to one turn (items by their turn, calls by their item).</summary>
    public JudgeRun ForTurn(int? turn)
    {
        if (turn is not int t)
        {
            return this;
        }

        var items = Items?.Where(r => r.Turn == t).ToList();
        var keys = items?.Select(r => r.Item).ToHashSet(StringComparer.Ordinal);
        var calls = keys is null ? null : Calls?.Where(c => keys.Contains(c.Item)).ToList();
        var costs = keys is null ? new Dictionary<string, double>(CostByItem, StringComparer.Ordinal) : CostByItem.Where(kv => keys.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new JudgeRun(Path, Name, Labels.Where(l => l.Turn == t).ToList(), items, calls, costs) { DuplicatesDropped = DuplicatesDropped, Answers = Answers };
    }

    /// <summary>
    /// The answer texts to measure lengths with: <paramref name="given"/> (the command's <c>--answers</c>) when there are
    /// any, else the texts the file itself carries through its layout (<c>answer_a</c>/<c>answer_b</c>), else <see langword="null"/>.
    /// </summary>
    public AnswerTexts? AnswerTextsOr(AnswerTexts? given) => given ?? (Answers.Count > 0 ? new AnswerTexts(Answers) : null);
}

/// <summary>One judge's row of the judge-choice table.</summary>
/// <param name="Judge">The judge's id.</param>
/// <param name="File">The file it was read from.</param>
/// <param name="Judgments">Pairwise items judged (with or without a verdict).</param>
/// <param name="Agreement">Agreement with the human labels, MT-Bench protocol, with bootstrap intervals.</param>
/// <param name="ParseFailureRate">Calls without a verdict / calls; <see langword="null"/> without call records.</param>
/// <param name="Flip">How often the two orders disagreed.</param>
/// <param name="Position">Positions chosen by the calls; <see langword="null"/> without call records.</param>
/// <param name="Longer">P(longer answer wins) over decisive verdicts; <see langword="null"/> without answers.</param>
/// <param name="CostUsd">The summed <c>cost_usd</c> of the calls; <see langword="null"/> when no call carries one.</param>
/// <param name="CostUsdPer1000">Cost per 1,000 judgments; <see langword="null"/> when unknown.</param>
/// <param name="SecondsPer1000">Seconds of judge calls per 1,000 judgments, from <c>latency_ms</c>; <see langword="null"/> without call records.</param>
public sealed record JudgeRow(
    string Judge,
    string File,
    int Judgments,
    AgreementReport Agreement,
    double? ParseFailureRate,
    FlipCounts Flip,
    PositionCounts? Position,
    LongerCounts? Longer,
    double? CostUsd,
    double? CostUsdPer1000,
    double? SecondsPer1000)
{
    /// <summary>
    /// How well the judge's confidence tracks its agreement with the humans (agreement by confidence decile, ECE), each item
    /// against its human majority as <c>judge calibrate</c> counts it; <see langword="null"/> when no verdict has a confidence.
    /// </summary>
    public ConfidenceFit? Confidence { get; init; }
}

/// <summary>Agreement between two judges on the items both judged (ties are an outcome).</summary>
/// <param name="JudgeA">The row judge.</param>
/// <param name="JudgeB">The column judge.</param>
/// <param name="Agreement">Agreeing verdicts / items both judged.</param>
public sealed record JudgePairAgreement(string JudgeA, string JudgeB, AgreementCount Agreement);

/// <summary>The result of <see cref="JudgeComparison.Compute"/>.</summary>
/// <param name="Turn">The turn compared, or <see langword="null"/> for all.</param>
/// <param name="Judges">One row per judge, in the order given.</param>
/// <param name="Matrix">Every ordered pair of distinct judges.</param>
public sealed record JudgeComparisonReport(int? Turn, IReadOnlyList<JudgeRow> Judges, IReadOnlyList<JudgePairAgreement> Matrix)
{
    /// <summary>The report as indented snake_case JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, BiasJsonContext.Default.JudgeComparisonReport);
}

/// <summary>Everything needed to choose between judges, side by side. Pure and thread-safe.</summary>
public static class JudgeComparison
{
    /// <summary>Computes each judge's row and the judge-by-judge agreement matrix.</summary>
    /// <param name="runs">The judges.</param>
    /// <param name="human">Human labels.</param>
    /// <param name="options">Turn, rater filter and bootstrap settings for the agreement with humans (human-vs-human is not computed).</param>
    /// <param name="answers">Answer texts for P(longer), or <see langword="null"/>.</param>
    public static JudgeComparisonReport Compute(IReadOnlyList<JudgeRun> runs, IReadOnlyList<PairwiseLabel> human, AgreementOptions options, AnswerTexts? answers = null) =>
        ComputeWith(runs, human, options, answers, CalibrationConfidence.Recorded);

    /// <summary>As <see cref="Compute"/>, reading each verdict's confidence as <paramref name="confidence"/> says (for the ECE and decile rows).</summary>
    public static JudgeComparisonReport ComputeWith(IReadOnlyList<JudgeRun> runs, IReadOnlyList<PairwiseLabel> human, AgreementOptions options, AnswerTexts? answers, CalibrationConfidence confidence)
    {
        ArgumentNullException.ThrowIfNull(options);
        var agreementOptions = new AgreementOptions
        {
            HumanRaterPrefix = options.HumanRaterPrefix,
            Turn = options.Turn,
            IncludeHumanAgreement = false,
            BootstrapResamples = options.BootstrapResamples,
            ConfidenceLevel = options.ConfidenceLevel,
            Seed = options.Seed,
        };
        var scoped = runs.Select(r => r.ForTurn(options.Turn)).ToList();
        var rows = new List<JudgeRow>();
        foreach (var run in scoped)
        {
            var judgments = run.Items?.Count ?? run.Labels.Count;
            var report = AgreementReport.Compute(run.Labels, human, agreementOptions) with
            {
                JudgeItemsWithoutVerdict = run.Items?.Count(r => r.Winner is null),
                Orders = OrderAgreement.Compute(run.Items ?? [], run.Calls ?? [], human, agreementOptions),
                JudgeDuplicatesDropped = run.DuplicatesDropped,
            };
            var position = run.Calls is null ? null : PositionBias.FromCalls(run.Calls);
            var flip = run.Items is { } items && items.Any(r => r.Flipped is not null) ? PositionBias.FromRecords(items) : PositionBias.FromLabels(run.Labels);
            double? cost = run.CostByItem.Count == 0 ? null : run.CostByItem.Values.Sum();
            // Imported per-order records carry no timing.
            double? seconds = run.Calls is { Count: > 0 } calls && judgments > 0 && calls.Any(c => c.Method != "import") ? calls.Sum(c => c.LatencyMs) / judgments : null;
            rows.Add(new JudgeRow(
                run.Name,
                run.Path,
                judgments,
                report,
                run.Calls is null ? null : position!.ParseFailureRate,
                flip,
                position,
                run.AnswerTextsOr(answers) is { } texts ? PositionBias.PrefersLonger(run.Labels, texts) : null,
                cost,
                cost is double c && judgments > 0 ? c / judgments * 1000 : null,
                seconds)
            {
                Confidence = run.Items is { } verdicts ? ConfidenceFit.Of(CalibrationUnits.Pairwise(verdicts, human, agreementOptions, confidence).Units) : null,
            });
        }

        var matrix = new List<JudgePairAgreement>();
        var pairOptions = new AgreementOptions { HumanRaterPrefix = null, Turn = options.Turn, IncludeHumanAgreement = false, BootstrapResamples = 0 };
        for (var i = 0; i < scoped.Count; i++)
        {
            for (var j = 0; j < scoped.Count; j++)
            {
                if (i != j)
                {
                    var counts = PairwiseAgreement.JudgeVersusHuman(scoped[i].Labels, scoped[j].Labels, pairOptions);
                    matrix.Add(new JudgePairAgreement(scoped[i].Name, scoped[j].Name, counts.WithTies));
                }
            }
        }

        return new JudgeComparisonReport(options.Turn, rows, matrix);
    }
}

/// <summary>Source-generated JSON for the bias and judge-choice reports: snake_case, indented, NaN and ±∞ as null (<see cref="NonFiniteAsNull"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, Converters = [typeof(NonFiniteAsNull)])]
[JsonSerializable(typeof(JudgeComparisonReport))]
[JsonSerializable(typeof(BiasReport))]
internal sealed partial class BiasJsonContext : JsonSerializerContext;

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Judge.Statistics;

/// <summary>How <see cref="SelectiveCalibration"/> chooses thresholds. Mutable; safe to share once set up.</summary>
public sealed class CalibrationOptions
{
    /// <summary>
    /// The agreement to guarantee on the items a judge decides, 1 − α, in (0, 1). Default 0.8.
    /// </summary>
    public double Target { get; set; } = 0.8;

    /// <summary>
    /// The risk that the guarantee fails, δ, in (0, 1): it holds with probability at least 1 − δ over the draw of the
    /// calibration set. For a cascade of K stages each stage is tested at δ / K, so the whole cascade's guarantee
    /// holds with probability at least 1 − δ. Default 0.1.
    /// </summary>
    public double Delta { get; set; } = 0.1;

    /// <summary>
    /// The threshold grid: thresholds are multiples of 1 / <see cref="GridSteps"/>, fixed before the data is seen (as
    /// fixed-sequence testing requires); only grid points where the decided set changes are tested, which gives the
    /// same result as testing all. The sequence stops at the first threshold that fails, so the highest grid threshold
    /// must itself decide enough items (<see cref="StageCalibration.MinimumDecided"/>): a finer grid is not always
    /// better. Default 20 (thresholds 1, 0.95, 0.9, …).
    /// </summary>
    public int GridSteps { get; set; } = 20;

    /// <summary>Checks the options; a value out of range is an <see cref="InputException"/> naming the option and its range.</summary>
    public void Validate()
    {
        if (Target is <= 0 or >= 1 || double.IsNaN(Target))
        {
            throw new InputException(null, null, "--target", $"must lie strictly between 0 and 1, found {Target.ToString(CultureInfo.InvariantCulture)}");
        }

        if (Delta is <= 0 or >= 1 || double.IsNaN(Delta))
        {
            throw new InputException(null, null, "--delta", $"must lie strictly between 0 and 1, found {Delta.ToString(CultureInfo.InvariantCulture)}");
        }

        if (GridSteps is < 1 or > 1_000_000)
        {
            throw new InputException(null, null, "--grid", $"must be from 1 to 1000000, found {GridSteps.ToString(CultureInfo.InvariantCulture)}");
        }
    }
}

/// <summary>One calibration item: the judge's confidence in its verdict and whether that verdict agrees with the humans.</summary>
/// <param name="Item">The item key.</param>
/// <param name="Confidence">The verdict's confidence; <see langword="null"/> when the verdict has none or there is no verdict (never decided).</param>
/// <param name="Agrees">Whether the judge's verdict agrees with the human label (false without a verdict).</param>
public sealed record CalibrationUnit(string Item, double? Confidence, bool Agrees);

/// <summary>One threshold tried by fixed-sequence testing.</summary>
/// <param name="Threshold">The threshold: items with confidence at least this are decided.</param>
/// <param name="Decided">Items decided at this threshold.</param>
/// <param name="Disagreements">Decided items whose verdict disagrees with the humans.</param>
/// <param name="PValue">The exact binomial p-value of "disagreement rate ≥ α": P(X ≤ disagreements), X ~ Binomial(decided, α).</param>
/// <param name="Passed">Whether the p-value is at most the stage's δ (the hypothesis is rejected and the threshold certified).</param>
public sealed record ThresholdTest(double Threshold, int Decided, int Disagreements, double PValue, bool Passed)
{
    /// <summary>The agreement on the decided items.</summary>
    public double EmpiricalAgreement => Decided == 0 ? 0 : (double)(Decided - Disagreements) / Decided;
}

/// <summary>
/// The calibration of one judge, or one stage of a cascade: the threshold chosen, what it guarantees and what it
/// decided on the calibration items. A stage whose test failed at every threshold has no threshold (<see cref="Refusal"/>
/// says why) and decides nothing; it never falls back to a threshold that was not certified.
/// </summary>
public sealed record StageCalibration
{
    /// <summary>The judge (its id in the judgments file).</summary>
    public required string Judge { get; init; }

    /// <summary>The judgments file calibrated, where there was one.</summary>
    public string? File { get; init; }

    /// <summary>Calibration items that reached this stage (all items for the first).</summary>
    public required int Items { get; init; }

    /// <summary>Items that reached the stage with no confidence (no verdict, or a verdict no source measured): never decided here.</summary>
    public required int WithoutConfidence { get; init; }

    /// <summary>The δ this stage was tested at (the cascade's δ divided by its number of stages).</summary>
    public required double Delta { get; init; }

    /// <summary>The certified threshold: verdicts with confidence at least this are decided; <see langword="null"/> when none was certified.</summary>
    public double? Threshold { get; init; }

    /// <summary>The agreement guaranteed on decided items (the target, 1 − α), with probability at least 1 − δ; <see langword="null"/> without a threshold.</summary>
    public double? GuaranteedAgreement { get; init; }

    /// <summary>Items decided at the threshold (0 without one).</summary>
    public required int Decided { get; init; }

    /// <summary>Decided items whose verdict agrees with the humans.</summary>
    public required int Agreeing { get; init; }

    /// <summary>The share of the stage's items it decided.</summary>
    public double Coverage => Items == 0 ? 0 : (double)Decided / Items;

    /// <summary>The agreement on the decided calibration items; <see langword="null"/> when none were decided.</summary>
    public double? EmpiricalAgreement => Decided == 0 ? null : (double)Agreeing / Decided;

    /// <summary>The fewest decided items with which any threshold can be certified (all agreeing): ⌈ln δ / ln(1 − α)⌉.</summary>
    public required int MinimumDecided { get; init; }

    /// <summary>Every threshold tested, highest first, up to and including the first that failed.</summary>
    public required IReadOnlyList<ThresholdTest> Tests { get; init; }

    /// <summary>Why no threshold was certified; <see langword="null"/> when one was.</summary>
    public string? Refusal { get; init; }

    /// <summary>Cautions: a calibration set too small for a useful guarantee, items missing from this stage's file.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// The output of <c>judge calibrate</c> and its input to selective runs: the target and δ, how agreement and confidence
/// were read, and each stage's calibration. Written as indented snake_case JSON.
/// </summary>
public sealed record CalibrationFile
{
    /// <summary>The guaranteed agreement asked for, 1 − α.</summary>
    public required double Target { get; init; }

    /// <summary>The risk that the guarantee fails, δ, for the whole cascade.</summary>
    public required double Delta { get; init; }

    /// <summary><c>pairwise</c> or <c>absolute</c>.</summary>
    public required string Mode { get; init; }

    /// <summary>Which confidence was calibrated: <c>recorded</c> (each verdict's own) or <c>orders</c> (swap consistency of a both-orders file).</summary>
    public required string Confidence { get; init; }

    /// <summary>For absolute grades: the largest score difference that counts as agreement (0: exact).</summary>
    public double? Tolerance { get; init; }

    /// <summary>Which human raters counted (pairwise): a rater-name prefix, or <see langword="null"/> for all.</summary>
    public string? HumanRaters { get; init; }

    /// <summary>Calibration items with a human label (the first stage's items).</summary>
    public required int Items { get; init; }

    /// <summary>Judge items left out because no human label matched them, or the human votes on them were evenly split.</summary>
    public required int Unlabelled { get; init; }

    /// <summary>The stages, in cascade order (one for a single judge).</summary>
    public required IReadOnlyList<StageCalibration> Stages { get; init; }

    /// <summary>Items some stage decided, over <see cref="Items"/>.</summary>
    public double Coverage => Items == 0 ? 0 : (double)Stages.Sum(s => s.Decided) / Items;

    /// <summary>The agreement on all decided calibration items; <see langword="null"/> when none were decided.</summary>
    public double? EmpiricalAgreement => Stages.Sum(s => s.Decided) is var d && d > 0 ? (double)Stages.Sum(s => s.Agreeing) / d : null;

    /// <summary>Each stage's threshold in cascade order (<see langword="null"/> where none was certified), for building a cascade judge.</summary>
    public IReadOnlyList<double?> Thresholds() => [.. Stages.Select(s => s.Threshold)];

    /// <summary>
    /// Calibrated-accuracy vote weights, one per stage (a panel member calibrated alone, or each stage of a file): the log-odds
    /// ln(p / (1 − p)) of the stage's agreement on its decided calibration items, smoothed as p = (agreeing + 1) / (decided + 2)
    /// so a perfect or empty record stays finite; a judge no better than chance (p ≤ 0.5) gets weight 0, not a vote against.
    /// </summary>
    public IReadOnlyList<double> VoteWeights() =>
        [.. Stages.Select(s => (s.Agreeing + 1.0) / (s.Decided + 2.0)).Select(p => Math.Max(0, Math.Log(p / (1 - p))))];

    /// <summary>Whether at least one stage has a certified threshold.</summary>
    public bool Certified => Stages.Any(s => s.Threshold is not null);

    /// <summary>Serialises the file.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, CalibrationJsonContext.Default.CalibrationFile);

    /// <summary>Reads a calibration file; a malformed one is an <see cref="InputException"/> naming it.</summary>
    public static CalibrationFile Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), CalibrationJsonContext.Default.CalibrationFile)
                ?? throw new InputException(path, null, null, "empty calibration file");
        }
        catch (JsonException ex)
        {
            throw new InputException(path, (int?)ex.LineNumber + 1, ex.Path, $"not a calibration file ({ex.Message.Split(". ")[0]})", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, $"cannot read the calibration file ({ex.Message})", ex);
        }
    }
}

/// <summary>
/// Selective verdicts with a guarantee (Jung, Brahman and Choi, "Trust or Escalate", ICLR 2025): a judge decides an item
/// only when its confidence reaches a threshold chosen on human-labelled calibration items by fixed-sequence testing.
/// Thresholds on a fixed grid are tried from high to low; at each, the exact binomial test of "the disagreement rate on
/// decided items is at least α" must reject at level δ; the first that fails stops the sequence, and the lowest that
/// passed is chosen. Then P(agree with humans | decided) ≥ 1 − α with probability at least 1 − δ over the calibration
/// draw. There is no fallback: when the first (highest) threshold already fails, the judge decides nothing and the
/// result says why. Pure and thread-safe.
/// </summary>
public static class SelectiveCalibration
{
    /// <summary>Calibrates one judge on its calibration items at the options' δ.</summary>
    public static StageCalibration Calibrate(string judge, IReadOnlyList<CalibrationUnit> units, CalibrationOptions options) =>
        Calibrate(judge, units, options, options?.Delta ?? 0);

    /// <summary>
    /// Calibrates a cascade: stage 1 on every item, each later stage on the items every earlier stage left undecided,
    /// each at δ / (number of stages) so that all stages' guarantees hold together with probability at least 1 − δ
    /// (and with them the cascade's: every decided item is decided by a stage that agrees at least 1 − α). Every stage's
    /// units must use the same item keys; an item missing from a stage's units reaches it undecided and is warned about.
    /// </summary>
    public static IReadOnlyList<StageCalibration> CalibrateCascade(IReadOnlyList<(string Judge, IReadOnlyList<CalibrationUnit> Units)> stages, CalibrationOptions options)
    {
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(options);
        if (stages.Count == 0)
        {
            throw new ArgumentException("a cascade needs at least one stage", nameof(stages));
        }

        var remaining = stages[0].Units.Select(u => u.Item).ToList();
        var results = new List<StageCalibration>();
        foreach (var (judge, stageUnits) in stages)
        {
            var byItem = new Dictionary<string, CalibrationUnit>(StringComparer.Ordinal);
            foreach (var u in stageUnits)
            {
                byItem.TryAdd(u.Item, u);
            }

            var reaching = remaining.Select(i => byItem.TryGetValue(i, out var u) ? u : new CalibrationUnit(i, null, false)).ToList();
            var missing = remaining.Count(i => !byItem.ContainsKey(i));
            var result = Calibrate(judge, reaching, options, options.Delta / stages.Count);
            if (missing > 0)
            {
                result = result with { Warnings = [.. result.Warnings, $"{missing} of the {reaching.Count} items reaching this stage have no verdict in its judgments file; they count as undecided"] };
            }

            results.Add(result);
            remaining = result.Threshold is double t ? reaching.Where(u => !(u.Confidence >= t)).Select(u => u.Item).ToList() : remaining;
        }

        return results;
    }

    /// <summary>The grid threshold just at or below a confidence: the highest multiple of 1 / steps that is at most it.</summary>
    public static double GridFloor(double confidence, int steps) =>
        Math.Floor((Math.Clamp(confidence, 0, 1) * steps) + 1e-9) / steps;

    /// <summary>P(X ≤ k) for X ~ Binomial(n, p), exactly (summed in log space, so large n neither overflows nor underflows).</summary>
    public static double BinomialCdf(int k, int n, double p)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (k < 0)
        {
            return 0;
        }

        if (k >= n || p <= 0)
        {
            return 1;
        }

        if (p >= 1)
        {
            return 0;
        }

        // log P(X = 0) = n log(1 − p); each next term multiplies by (n − i) / (i + 1) · p / (1 − p).
        var logTerm = n * Math.Log(1 - p);
        var ratio = Math.Log(p) - Math.Log(1 - p);
        var max = logTerm;
        var logs = new double[k + 1];
        logs[0] = logTerm;
        for (var i = 0; i < k; i++)
        {
            logTerm += Math.Log(n - i) - Math.Log(i + 1) + ratio;
            logs[i + 1] = logTerm;
            max = Math.Max(max, logTerm);
        }

        var sum = logs.Sum(l => Math.Exp(l - max));
        return Math.Min(1, Math.Exp(max + Math.Log(sum)));
    }

    private static StageCalibration Calibrate(string judge, IReadOnlyList<CalibrationUnit> units, CalibrationOptions options, double delta)
    {
        ArgumentNullException.ThrowIfNull(units);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var alpha = 1 - options.Target;
        var minimum = (int)Math.Ceiling(Math.Log(delta) / Math.Log(1 - alpha));
        var scored = units.Where(u => u.Confidence is not null).Select(u => (Level: GridFloor(u.Confidence!.Value, options.GridSteps), u.Agrees)).ToList();
        var tests = new List<ThresholdTest>();
        ThresholdTest? chosen = null;
        int decided = 0, disagreements = 0;
        foreach (var level in scored.GroupBy(s => s.Level).OrderByDescending(g => g.Key))
        {
            decided += level.Count();
            disagreements += level.Count(s => !s.Agrees);
            var p = BinomialCdf(disagreements, decided, alpha);
            var test = new ThresholdTest(level.Key, decided, disagreements, p, p <= delta);
            tests.Add(test);
            if (!test.Passed)
            {
                break;
            }

            chosen = test;
        }

        var warnings = new List<string>();
        if (units.Count < 4 * minimum)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"the calibration set is too small for a useful guarantee: certifying {options.Target:0.###} at δ = {delta:0.###} needs at least {minimum} decided items even if all agree, and this stage has {units.Count}"));
        }

        string? refusal = null;
        if (chosen is null)
        {
            var first = tests.FirstOrDefault();
            refusal = first is null
                ? "no item reaching this stage has a confidence"
                : first.Decided < minimum
                    ? string.Create(CultureInfo.InvariantCulture, $"the highest threshold ({first.Threshold:0.###}) decides {first.Decided} items, fewer than the {minimum} needed to certify {options.Target:0.###} at δ = {delta:0.###}; no lower threshold is tried once one fails")
                    : string.Create(CultureInfo.InvariantCulture, $"at the highest threshold ({first.Threshold:0.###}) agreement is {first.EmpiricalAgreement:0.###} on {first.Decided} items (p = {first.PValue:0.####} > δ = {delta:0.###}): the judge cannot be certified at {options.Target:0.###}");
        }

        return new StageCalibration
        {
            Judge = judge,
            Items = units.Count,
            WithoutConfidence = units.Count - scored.Count,
            Delta = delta,
            Threshold = chosen?.Threshold,
            GuaranteedAgreement = chosen is null ? null : options.Target,
            Decided = chosen?.Decided ?? 0,
            Agreeing = chosen is null ? 0 : chosen.Decided - chosen.Disagreements,
            MinimumDecided = minimum,
            Tests = tests,
            Refusal = refusal,
            Warnings = warnings,
        };
    }
}

/// <summary>Source-generated JSON for calibration files: snake_case, indented, nulls omitted.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CalibrationFile))]
internal sealed partial class CalibrationJsonContext : JsonSerializerContext;

/// <summary>One confidence bin of a judge: its items, their mean confidence and their agreement with the humans.</summary>
/// <param name="Lower">The bin's lower edge (inclusive).</param>
/// <param name="Upper">The bin's upper edge (exclusive, but 1 is in the last bin).</param>
/// <param name="Items">Items whose confidence falls in the bin.</param>
/// <param name="MeanConfidence">Their mean confidence.</param>
/// <param name="Agreement">Their agreement with the human labels.</param>
public sealed record ConfidenceBin(double Lower, double Upper, int Items, double MeanConfidence, double Agreement);

/// <summary>
/// How well a judge's confidence tracks its agreement with humans: agreement by confidence decile (ten equal-width bins,
/// empty ones left out) and the expected calibration error, Σ (items in bin / items) · |agreement − mean confidence|.
/// </summary>
/// <param name="Items">Items with a confidence and a human label.</param>
/// <param name="WithoutConfidence">Items with a human label but no confidence (not binned).</param>
/// <param name="Bins">The non-empty bins, lowest first.</param>
/// <param name="ExpectedCalibrationError">The ECE, in [0, 1]; 0 for a perfectly calibrated judge.</param>
public sealed record ConfidenceFit(int Items, int WithoutConfidence, IReadOnlyList<ConfidenceBin> Bins, double ExpectedCalibrationError)
{
    /// <summary>The fit of <paramref name="units"/>; <see langword="null"/> when none has a confidence.</summary>
    public static ConfidenceFit? Of(IReadOnlyList<CalibrationUnit> units)
    {
        ArgumentNullException.ThrowIfNull(units);
        var scored = units.Where(u => u.Confidence is not null).ToList();
        if (scored.Count == 0)
        {
            return null;
        }

        var bins = scored.GroupBy(u => Math.Min(9, (int)Math.Floor(u.Confidence!.Value * 10)))
            .OrderBy(g => g.Key)
            .Select(g => new ConfidenceBin(g.Key / 10.0, (g.Key + 1) / 10.0, g.Count(), g.Average(u => u.Confidence!.Value), g.Average(u => u.Agrees ? 1.0 : 0.0)))
            .ToList();
        var ece = bins.Sum(b => (double)b.Items / scored.Count * Math.Abs(b.Agreement - b.MeanConfidence));
        return new ConfidenceFit(scored.Count, units.Count - scored.Count, bins, ece);
    }
}

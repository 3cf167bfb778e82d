using Judge.Data;
using Judge.Verdicts;

namespace Judge.Statistics;

/// <summary>
/// Which votes take part in an agreement computation and how its confidence interval is drawn.
/// Mutable; not thread-safe while being changed, safe to share once set up.
/// </summary>
public sealed class AgreementOptions
{
    /// <summary>
    /// Human votes count only when their rater name starts with this prefix (ordinal). Default
    /// <see cref="HumanRaters.DefaultPrefix"/>; <see langword="null"/> or empty keeps every human vote.
    /// </summary>
    public string? HumanRaterPrefix { get; set; } = HumanRaters.DefaultPrefix;

    /// <summary>The turn to compare, or <see langword="null"/> (the default) for every turn at once.</summary>
    public int? Turn { get; set; }

    /// <summary>Whether to compute the human-vs-human block. Default <see langword="true"/>.</summary>
    public bool IncludeHumanAgreement { get; set; } = true;

    /// <summary>Bootstrap resamples for the confidence intervals; 0 skips them. Default 1,000.</summary>
    public int BootstrapResamples { get; set; } = Bootstrap.DefaultResamples;

    /// <summary>The confidence level of the intervals. Default 0.95.</summary>
    public double ConfidenceLevel { get; set; } = Bootstrap.DefaultLevel;

    /// <summary>The bootstrap seed; equal seeds give equal intervals. Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>
    /// What the bootstrap resamples as one unit. Default <see cref="AgreementCluster.Question"/>: every vote on one question
    /// (all its pairs and turns), which covers its level when questions drive agreement; verdict clusters do not (76-85 %
    /// for a nominal 95 % in the simulation of <c>QuestionEffectCoverageTests</c>).
    /// </summary>
    public AgreementCluster BootstrapCluster { get; set; } = AgreementCluster.Question;

    /// <summary>Whether a human vote passes the rater and turn filters.</summary>
    public bool AcceptsHuman(PairwiseLabel label) =>
        AcceptsTurn(label) && HumanRaters.Accepts(HumanRaterPrefix, label.Rater);

    /// <summary>Whether a label passes the turn filter.</summary>
    public bool AcceptsTurn(PairwiseLabel label) => Turn is not int t || label.Turn == t;
}

/// <summary>
/// Which human raters count: the one definition used by <c>judge agreement</c>, <c>judge judges</c>,
/// <c>judge bias report</c> and run reports. By default the raters whose name starts with
/// <see cref="DefaultPrefix"/> (MT-Bench's expert annotators, as in the paper); <c>all</c> keeps every
/// vote. A labels file none of whose raters match is an error that names the raters it holds.
/// </summary>
public static class HumanRaters
{
    /// <summary>The default rater prefix: <c>expert</c>.</summary>
    public const string DefaultPrefix = "expert";

    /// <summary>The prefix an option names: <see langword="null"/> (the default) gives <see cref="DefaultPrefix"/>; <c>all</c> or empty gives every rater.</summary>
    public static string? Parse(string? option) => option switch
    {
        null => DefaultPrefix,
        "" or "all" => null,
        _ => option,
    };

    /// <summary>Whether a vote by <paramref name="rater"/> counts under <paramref name="prefix"/>: its name starts with it (ordinal), or the prefix is empty.</summary>
    public static bool Accepts(string? prefix, string rater)
    {
        ArgumentNullException.ThrowIfNull(rater);
        return string.IsNullOrEmpty(prefix) || rater.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>
    /// The votes of <paramref name="human"/> that count under <paramref name="prefix"/>, after
    /// <see cref="EnsureAnyMatch"/> (none matching is an error naming the raters the file holds).
    /// </summary>
    /// <exception cref="InputException">No vote passes the rater filter.</exception>
    public static List<PairwiseLabel> Select(IReadOnlyList<PairwiseLabel> human, string? prefix, string? source)
    {
        EnsureAnyMatch(human, prefix, source);
        return human.Where(h => Accepts(prefix, h.Rater)).ToList();
    }

    /// <summary>How outputs name the raters: <c>raters 'expert*'</c> or <c>all raters</c>.</summary>
    public static string Describe(string? prefix) => string.IsNullOrEmpty(prefix) ? "all raters" : $"raters '{prefix}*'";

    /// <summary>
    /// Fails when <paramref name="human"/> holds votes but none by a rater the prefix accepts, naming the
    /// raters it does hold and how to choose them.
    /// </summary>
    /// <exception cref="InputException">No vote passes the rater filter.</exception>
    public static void EnsureAnyMatch(IReadOnlyList<PairwiseLabel> human, string? prefix, string? source)
    {
        ArgumentNullException.ThrowIfNull(human);
        if (human.Count == 0 || string.IsNullOrEmpty(prefix) || human.Any(h => Accepts(prefix, h.Rater)))
        {
            return;
        }

        var held = human.Select(h => h.Rater).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var shown = string.Join(", ", held.Take(8)) + (held.Count > 8 ? $", … ({held.Count} in all)" : string.Empty);
        throw new InputException(source, null, "raters", $"no human vote is by {Describe(prefix)}; the labels hold raters {shown}; choose them with --human-raters PREFIX or --human-raters all (data.human_raters in a run config)");
    }
}

/// <summary>An agreement count: how many compared votes agreed, out of how many.</summary>
/// <param name="Agree">Votes that agreed.</param>
/// <param name="Total">Votes compared.</param>
public sealed record AgreementCount(int Agree, int Total)
{
    /// <summary>Agree / Total; <see langword="null"/> when nothing was compared.</summary>
    public double? Rate => Total == 0 ? null : (double)Agree / Total;
}

/// <summary>Agreement counted with ties as a third outcome, and again with every pair that involves a tie dropped.</summary>
/// <param name="WithTies">Ties count as an outcome that can agree with another tie.</param>
/// <param name="WithoutTies">Only pairs where neither side said tie.</param>
public sealed record AgreementCounts(AgreementCount WithTies, AgreementCount WithoutTies);

/// <summary>
/// Pairwise agreement following the MT-Bench protocol (Zheng et al. 2023, FastChat's
/// <c>compute_agreement.py</c>): votes are grouped by (question, unordered model pair, turn) with the
/// winner mirrored when the file lists the pair as (B, A); every judge verdict is compared with every
/// human vote in its group, so a pair judged by three experts counts three times; "tie" and
/// "tie (inconsistent)" are both a tie. Human-vs-human agreement compares every two votes in a group
/// cast by different raters. Pure and thread-safe.
/// </summary>
public static class PairwiseAgreement
{
    /// <summary>The pair's outcome oriented so that <see cref="PairOutcome.A"/> is the model that sorts first.</summary>
    public static PairOutcome Normalize(PairwiseLabel label, out string firstModel, out string secondModel)
    {
        var swapped = string.CompareOrdinal(label.ModelA, label.ModelB) > 0;
        firstModel = swapped ? label.ModelB : label.ModelA;
        secondModel = swapped ? label.ModelA : label.ModelB;
        var winner = swapped ? label.Winner.Mirror() : label.Winner;
        return winner switch
        {
            PairOutcome.A => PairOutcome.A,
            PairOutcome.B => PairOutcome.B,
            _ => PairOutcome.Tie,
        };
    }

    /// <summary>Judge-vs-human agreement, with and without ties: every judge verdict against every accepted human vote on the same question, model pair and turn.</summary>
    public static AgreementCounts JudgeVersusHuman(IReadOnlyList<PairwiseLabel> judge, IReadOnlyList<PairwiseLabel> human, AgreementOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var book = new CodeBook();
        return CodedAgreement.Compute(CodedLabels.From(judge, book), CodedLabels.From(human, book), options, AgreementCluster.Question).Counts;
    }

    /// <summary>
    /// Human-vs-human agreement: within each (question, model pair, turn), every two accepted votes
    /// cast by different raters are compared once.
    /// </summary>
    public static AgreementCounts HumanVersusHuman(IReadOnlyList<PairwiseLabel> human, AgreementOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CodedAgreement.HumanVersusHuman(CodedLabels.From(human, new CodeBook()), options);
    }
}

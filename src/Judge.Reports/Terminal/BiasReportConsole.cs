using Judge.Statistics;
using Judge.Statistics.Bias;
using Spectre.Console;

namespace Judge.Reports.Terminal;

/// <summary>The console tables of <c>judge bias report</c>: win rates raw and controlled, ratings, position and length, self-preference, verbosity and scores.</summary>
public static class BiasReportConsole
{
    /// <summary>Writes <paramref name="report"/>; <paramref name="haveAnswers"/> says whether answer texts were given (else the length sections say what they need).</summary>
    public static void Write(IAnsiConsole console, BiasReport report, bool haveAnswers)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        var r = report;
        console.MarkupLineInterpolated($"[bold]judge[/] {r.Judge}, {(r.Turn is int t ? $"turn {t}" : "all turns")}: {r.Verdicts} pairwise verdicts{(r.ItemsWithoutVerdict is > 0 ? $", {r.ItemsWithoutVerdict} items without a verdict (not counted)" : string.Empty)}");
        if (r.LengthControlled is { } lc)
        {
            LengthControlled(console, lc);
            if (r.StyleControlled is { } sc)
            {
                StyleControlled(console, sc);
            }
        }
        else if (!haveAnswers && r.Verdicts > 0)
        {
            console.MarkupLine("length-controlled win rates, P(longer) and style need the answers: give --answers");
        }

        Ratings(console, r);
        Position(console, r);
        Verbosity(console, r.Verbosity);
        if (r.Scores is { } scores)
        {
            Scores(console, scores);
        }
    }

    private static void LengthControlled(IAnsiConsole console, LengthControlReport lc)
    {
        var resamples = lc.Models.Count > 0 ? lc.Models[0].ControlledInterval?.Resamples ?? 0 : 0;
        var form = lc.UsesDifficulty ? "with instruction difficulty" : "minimal form, length term only";
        var table = ConsoleTables.Titled($"win rate vs {lc.Baseline}, {(lc.TiesExcluded ? "ties excluded" : "a tie counts half")}; 95% intervals")
            .AddColumns("model", "battles", "raw %", "length-controlled %", "length coef.", "C");
        foreach (var m in lc.Models)
        {
            table.AddPlainRow(m.Model, Numbers.Count(m.Rows), Numbers.PercentDigitsWithInterval(m.RawWinRate, m.RawInterval), Numbers.PercentDigitsWithInterval(m.ControlledWinRate, m.ControlledInterval), Numbers.Fixed(m.LengthCoefficient, 3), Numbers.Fixed(m.InversePenalty, 3));
        }

        console.Write(table);
        console.MarkupLineInterpolated($"length control: AlpacaEval 2, each model fitted alone ({form}){(lc.GamedRows > 0 ? $", {lc.GamedRows} gamed baseline rows" : string.Empty)}");
        console.MarkupLineInterpolated($"intervals: {resamples} bootstrap resamples of instructions");
        foreach (var m in lc.Models.Where(m => m.ControlledInterval?.Warning is not null))
        {
            console.MarkupLineInterpolated($"[yellow]caution, {m.Model}: {m.ControlledInterval!.Warning}[/]");
        }

        if (lc.Models.Any(m => !m.Converged))
        {
            console.MarkupLineInterpolated($"[yellow]the length-controlled fit did not converge for {string.Join(", ", lc.Models.Where(m => !m.Converged).Select(m => m.Model))}; treat those rates with caution[/]");
        }

        console.MarkupLineInterpolated($"ties: {lc.Ties} {(lc.TiesExcluded ? "left out" : "counted as half a win")}{(lc.SkippedWithoutAnswer > 0 ? $"; {lc.SkippedWithoutAnswer} battles without both answers left out" : string.Empty)}");
    }

    private static void StyleControlled(IAnsiConsole console, JointLengthControlResult sc)
    {
        var joint = ConsoleTables.Titled($"joint length+style fit vs {sc.Baseline} (one slope shared by all models: a model's rate depends on the others in the file)").AddColumns("model", "battles", "length+style %");
        foreach (var m in sc.Models)
        {
            joint.AddPlainRow(m.Model, Numbers.Count(m.Battles), Numbers.PercentDigitsWithInterval(m.ControlledWinRate, m.ControlledInterval));
        }

        console.Write(joint);
        console.MarkupLineInterpolated($"style fit: length {Numbers.Fixed(sc.LengthCoefficient, 3)}, {string.Join(", ", sc.StyleCoefficients.Select(kv => $"{kv.Key} {Numbers.Fixed(kv.Value, 3)}"))}");
    }

    private static void Ratings(IAnsiConsole console, BiasReport r)
    {
        if (r.WinRates.Count == 0)
        {
            return;
        }

        var ratings = new Table().Title("all battles: record, win % (a tie counts half), Bradley-Terry (BT) and Elo ratings with 95% bootstrap intervals").AddColumns("model", "wins", "losses", "ties", "win %", "BT", "Elo");
        foreach (var w in r.WinRates)
        {
            var bt = r.BradleyTerry.FirstOrDefault(x => x.Model == w.Model);
            var elo = r.Elo.FirstOrDefault(x => x.Model == w.Model);
            ratings.AddPlainRow(w.Model, Numbers.Count(w.Wins), Numbers.Count(w.Losses), Numbers.Count(w.Ties), Numbers.Percent(w.RateTiesHalf), Rating(bt), Rating(elo));
        }

        console.Write(ratings);
        if (RatingText.Warning("Bradley-Terry", r.BradleyTerry.Select(x => (x.Model, x.Bound))) is { } warning)
        {
            console.MarkupLineInterpolated($"[yellow]{warning}[/]");
        }

        if (r.Graph.SelfBattles > 0)
        {
            console.MarkupLineInterpolated($"self-battles (a model against itself): {r.Graph.SelfBattles}, left out of every rating");
        }

        if (!r.Graph.Connected)
        {
            console.MarkupLineInterpolated($"[yellow]the comparison graph has {r.Graph.Components.Count} separate components; ratings are comparable only within one:[/]");
            for (var c = 0; c < r.Graph.Components.Count; c++)
            {
                console.MarkupLineInterpolated($"  component {c + 1}: {string.Join(", ", r.Graph.Components[c])}");
            }
        }
    }

    private static void Position(IAnsiConsole console, BiasReport r)
    {
        var position = new Table().Title("position and length").AddColumns("statistic", "value");
        position.AddPlainRow("flip rate (orders disagree)", Numbers.Ratio(r.Flip.Flipped, r.Flip.Items, r.Flip.Rate));
        position.AddPlainRow("P(first position) over decisive calls", r.Position is { } p ? Numbers.Ratio(p.First, p.First + p.Second, p.FirstRate) : "n/a (no call records)");
        if (r.Position is { } pc)
        {
            position.AddPlainRow("calls without a verdict", Numbers.Ratio(pc.WithoutVerdict, pc.Calls, pc.ParseFailureRate));
        }

        position.AddPlainRow("P(longer answer wins) over decisive verdicts", r.Longer is { } l ? Numbers.Ratio(l.Longer, l.Decisive, l.Rate) : "n/a (no --answers)");
        console.Write(position);
        if (r.SelfPreference is { } sp)
        {
            console.MarkupLineInterpolated($"self-preference ({sp.Family}: {string.Join(", ", sp.FamilyModels)}) over {sp.Items} items: judge {Numbers.Percent(sp.JudgeWinRate)} vs reference {Numbers.Percent(sp.ReferenceWinRate)}, gap {Numbers.Signed(sp.Gap)} {Numbers.SignedInterval(sp.GapInterval)}");
        }
    }

    private static void Verbosity(IAnsiConsole console, IReadOnlyList<VerbosityCounts> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var v = new Table().Title("verbosity attack: original vs padded copy").AddColumns("model", "pairs", "padded wins", "original wins", "ties", "inconsistent ties", "P(padded wins)");
        foreach (var row in rows)
        {
            v.AddPlainRow(row.Model, Numbers.Count(row.Pairs), Numbers.Count(row.PaddedWins), Numbers.Count(row.OriginalWins), Numbers.Count(row.Ties), Numbers.Count(row.InconsistentTies), Numbers.Percent(row.PaddedWinRate));
        }

        console.Write(v);
    }

    private static void Scores(IAnsiConsole console, ScoreSection scores)
    {
        var s = new Table().Title("absolute scores (MT-Bench mean; unscored grades counted, never averaged)").AddColumns("model", "turn", "mean", "scored", "unscored");
        foreach (var row in scores.Means.Overall.Concat(scores.Means.ByTurn))
        {
            s.AddPlainRow(row.Model, row.Turn is int turn ? Numbers.Count(turn) : "all", Numbers.Fixed(row.Mean, 3), Numbers.Count(row.Scored), Numbers.Count(row.Unscored));
        }

        console.Write(s);
        if (scores.Means.ByCategory.Count > 0)
        {
            var c = new Table().Title("mean score by category").AddColumns("model", "category", "mean", "scored");
            foreach (var row in scores.Means.ByCategory)
            {
                c.AddPlainRow(row.Model, row.Category ?? string.Empty, Numbers.Fixed(row.Mean, 3), Numbers.Count(row.Scored));
            }

            console.Write(c);
        }

        if (scores.LengthAdjusted is { } la)
        {
            var a = ConsoleTables.Titled($"length-adjusted mean scores (within-model slope {Numbers.Signed(la.SlopePer1000Chars)} points per 1,000 characters)").AddColumns("model", "scored", "mean chars", "mean", "length-adjusted");
            foreach (var row in la.Models)
            {
                a.AddPlainRow(row.Model, Numbers.Count(row.Scored), Numbers.Whole(row.MeanLength), Numbers.Fixed(row.MeanScore, 3), Numbers.Fixed(row.AdjustedMean, 3));
            }

            console.Write(a);
        }
    }

    private static string Rating(ModelRating? rating) => rating is null
        ? Numbers.NotAvailable
        : $"{RatingText.Value(rating.Rating, rating.Bound)}{(rating.Interval is { } ci ? $" [{RatingText.End(ci.Lower, v => Numbers.Whole(v))}, {RatingText.End(ci.Upper, v => Numbers.Whole(v))}]" : string.Empty)}";
}

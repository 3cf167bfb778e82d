namespace Judge.Statistics.Bias;

/// <summary>
/// The games a judge's verdicts make for Arena-Hard scoring (<see cref="ArenaHard.Compute"/>): each call in each
/// order one game when the file has call records in both orders, else one battle per merged verdict.
/// </summary>
/// <param name="Games">The games.</param>
/// <param name="PerCall">Whether each call is a game (call records in both orders); else each verdict is one battle.</param>
/// <param name="WithoutVerdict">Calls without a verdict, left out (per-call games only).</param>
public sealed record ArenaGames(IReadOnlyList<ArenaBattle> Games, bool PerCall, int WithoutVerdict)
{
    /// <summary>The games of <paramref name="run"/>, with style features from <paramref name="answers"/> when given.</summary>
    public static ArenaGames From(JudgeRun run, AnswerTexts? answers)
    {
        ArgumentNullException.ThrowIfNull(run);
        var perCall = run.Calls is { Count: > 0 } && run.Items is not null && run.Calls.Any(c => c.Order is "AB" or "BA");
        var withoutVerdict = 0;
        var games = perCall ? ArenaHard.GamesFromCalls(run.Items!, run.Calls!, answers, out withoutVerdict) : ArenaHard.GamesFromVerdicts(run.Labels, answers);
        return new ArenaGames(games, perCall, withoutVerdict);
    }
}

using Judge.Data;

namespace Judge.Runs;

/// <summary>Items planned for a run, and what could not be planned, with the reason.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items to judge, in a stable order.</param>
/// <param name="Skipped">Items left out and why (e.g. a model has no answer to a question).</param>
internal sealed record ItemPlan<T>(IReadOnlyList<T> Items, IReadOnlyList<string> Skipped);

/// <summary>Turns a dataset into items: answers to grade, or pairs to compare, for one turn.</summary>
internal static class ItemPlanner
{
    /// <summary>Every answer of every model (or of <paramref name="models"/>) to every question, at <paramref name="turn"/>.</summary>
    public static ItemPlan<AbsoluteItem> Absolute(Dataset data, int turn, IReadOnlyList<string>? models = null)
    {
        CheckTurn(data, turn);
        if (models?.FirstOrDefault(m => !data.Models.Contains(m, StringComparer.Ordinal)) is { } unknown)
        {
            throw new InputException(null, null, "models", $"no answers by model '{unknown}' in the data; models with answers: {string.Join(", ", data.Models)}");
        }

        var items = new List<AbsoluteItem>();
        var skipped = new List<string>();
        foreach (var q in data.Questions)
        {
            foreach (var model in models ?? data.Models)
            {
                var answer = data.Answer(model, q.Id);
                if (answer is null)
                {
                    skipped.Add($"q{q.Id}/t{turn}/{model}: no answer");
                    continue;
                }

                CheckAnswerTurn(answer, turn);
                items.Add(new AbsoluteItem(q, answer, turn, data.Reference(q.Id)));
            }
        }

        return new ItemPlan<AbsoluteItem>(items, skipped);
    }

    /// <summary>
    /// Every unordered pair of models on every question, at <paramref name="turn"/>; model A is the
    /// one whose answers were read first. With <paramref name="baseline"/>, every model against it.
    /// </summary>
    public static ItemPlan<PairwiseItem> AllPairs(Dataset data, int turn, string? baseline = null)
    {
        CheckTurn(data, turn);
        if (baseline is not null && !data.Models.Contains(baseline, StringComparer.Ordinal))
        {
            throw new InputException(null, null, "baseline", $"no answers from model '{baseline}'; models: {string.Join(", ", data.Models)}");
        }

        var pairs = new List<(string A, string B)>();
        for (var i = 0; i < data.Models.Count; i++)
        {
            for (var j = i + 1; j < data.Models.Count; j++)
            {
                if (baseline is null || data.Models[i] == baseline || data.Models[j] == baseline)
                {
                    pairs.Add((data.Models[i], data.Models[j]));
                }
            }
        }

        if (pairs.Count == 0)
        {
            throw new InputException(null, null, "answers", $"pairwise comparison needs answers from at least two models; found {data.Models.Count}");
        }

        var items = new List<PairwiseItem>();
        var skipped = new List<string>();
        foreach (var q in data.Questions)
        {
            foreach (var (a, b) in pairs)
            {
                var answerA = data.Answer(a, q.Id);
                var answerB = data.Answer(b, q.Id);
                if (answerA is null || answerB is null)
                {
                    skipped.Add($"q{q.Id}/t{turn}/{a}|{b}: no answer from {(answerA is null ? a : b)}");
                    continue;
                }

                CheckAnswerTurn(answerA, turn);
                CheckAnswerTurn(answerB, turn);
                items.Add(new PairwiseItem(q, answerA, answerB, turn, data.Reference(q.Id)));
            }
        }

        return new ItemPlan<PairwiseItem>(items, skipped);
    }

    /// <summary>
    /// The pairs named in a labels file (e.g. exactly those humans voted on), each once per
    /// question, pair and turn, in file order. Labels for other turns are ignored.
    /// </summary>
    public static ItemPlan<PairwiseItem> LabelledPairs(Dataset data, IEnumerable<PairwiseLabel> labels, int turn)
    {
        CheckTurn(data, turn);
        var seen = new HashSet<(string, string, string)>();
        var items = new List<PairwiseItem>();
        var skipped = new List<string>();
        foreach (var l in labels.Where(l => l.Turn == turn))
        {
            var ordered = string.CompareOrdinal(l.ModelA, l.ModelB) <= 0 ? (l.QuestionId, l.ModelA, l.ModelB) : (l.QuestionId, l.ModelB, l.ModelA);
            if (!seen.Add(ordered))
            {
                continue;
            }

            var answerA = data.HasQuestion(l.QuestionId) ? data.Answer(l.ModelA, l.QuestionId) : null;
            var answerB = data.HasQuestion(l.QuestionId) ? data.Answer(l.ModelB, l.QuestionId) : null;
            if (answerA is null || answerB is null)
            {
                skipped.Add($"q{l.QuestionId}/t{turn}/{l.ModelA}|{l.ModelB}: no {(data.HasQuestion(l.QuestionId) ? $"answer from {(answerA is null ? l.ModelA : l.ModelB)}" : "such question")}");
                continue;
            }

            CheckAnswerTurn(answerA, turn);
            CheckAnswerTurn(answerB, turn);
            items.Add(new PairwiseItem(data.Question(l.QuestionId), answerA, answerB, turn, data.Reference(l.QuestionId)));
        }

        if (items.Count == 0 && seen.Count > 0)
        {
            // Not one labelled pair is in the data: the labels are of other models (or questions), not a run to start.
            var named = seen.SelectMany(s => new[] { s.Item2, s.Item3 }).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            throw new InputException(null, null, "pairs", $"no labelled pair at turn {turn} has answers from both its models; the labels name {string.Join(", ", named.Take(8))}{(named.Count > 8 ? ", …" : string.Empty)}; models with answers: {string.Join(", ", data.Models)}");
        }

        return new ItemPlan<PairwiseItem>(items, skipped);
    }

    private static void CheckTurn(Dataset data, int turn)
    {
        if (turn < 1)
        {
            throw new InputException(null, null, "turn", $"turns are numbered from 1, found {turn}");
        }

        var short_ = data.Questions.FirstOrDefault(q => q.Turns.Count < turn);
        if (short_ is not null)
        {
            throw new InputException(short_.Source?.Path, short_.Source?.Line, "turns", $"question '{short_.Id}' has no turn {turn} (it has {short_.Turns.Count})");
        }
    }

    private static void CheckAnswerTurn(ModelAnswer answer, int turn)
    {
        if (answer.Turns.Count < turn)
        {
            throw new InputException(answer.Source?.Path, answer.Source?.Line, "turns", $"model '{answer.ModelId}' has no answer for turn {turn} of question '{answer.QuestionId}' (it has {answer.Turns.Count})");
        }
    }
}

namespace Judge.Data;

/// <summary>
/// Questions, the answers of one or more models, and optional reference answers, cross-checked:
/// every id unique, every answer for a known question. Immutable once built.
/// </summary>
public sealed class Dataset
{
    private readonly Dictionary<string, Question> _questions;
    private readonly Dictionary<string, Dictionary<string, ModelAnswer>> _answers;
    private readonly Dictionary<string, ModelAnswer> _references;

    private Dataset(List<Question> questions, Dictionary<string, Dictionary<string, ModelAnswer>> answers, List<string> models, Dictionary<string, ModelAnswer> references)
    {
        Questions = questions;
        _questions = questions.ToDictionary(q => q.Id, StringComparer.Ordinal);
        _answers = answers;
        Models = models;
        _references = references;
    }

    /// <summary>The questions in file order.</summary>
    public IReadOnlyList<Question> Questions { get; }

    /// <summary>The models with answers, in the order their answers were first read.</summary>
    public IReadOnlyList<string> Models { get; }

    /// <summary>Whether any reference answers were given.</summary>
    public bool HasReferences => _references.Count > 0;

    /// <summary>The question with this id.</summary>
    public Question Question(string id) => _questions[id];

    /// <summary>Whether the question exists.</summary>
    public bool HasQuestion(string id) => _questions.ContainsKey(id);

    /// <summary>The model's answer to the question, or <see langword="null"/> when it has none.</summary>
    public ModelAnswer? Answer(string modelId, string questionId) =>
        _answers.TryGetValue(modelId, out var byQuestion) && byQuestion.TryGetValue(questionId, out var a) ? a : null;

    /// <summary>The reference answer to the question, or <see langword="null"/> when there is none.</summary>
    public ModelAnswer? Reference(string questionId) => _references.GetValueOrDefault(questionId);

    /// <summary>
    /// Builds and validates a dataset. Duplicate question ids, duplicate answers from one model,
    /// answers or references for unknown questions, and answers with more turns than their question
    /// are errors that name the file and line.
    /// </summary>
    public static Dataset Create(IEnumerable<Question> questions, IEnumerable<ModelAnswer> answers, IEnumerable<ModelAnswer>? references = null)
    {
        var questionList = new List<Question>();
        var seen = new Dictionary<string, Question>(StringComparer.Ordinal);
        foreach (var q in questions)
        {
            if (seen.TryGetValue(q.Id, out var first))
            {
                throw Error(q.Source, "question_id", $"duplicate question id '{q.Id}' (first at {Where(first.Source)})");
            }

            seen.Add(q.Id, q);
            questionList.Add(q);
        }

        if (questionList.Count == 0)
        {
            throw new InputException(null, null, null, "no questions were given");
        }

        var byModel = new Dictionary<string, Dictionary<string, ModelAnswer>>(StringComparer.Ordinal);
        var models = new List<string>();
        foreach (var a in answers)
        {
            Check(a, seen, "answer");
            if (!byModel.TryGetValue(a.ModelId, out var byQuestion))
            {
                byModel[a.ModelId] = byQuestion = new Dictionary<string, ModelAnswer>(StringComparer.Ordinal);
                models.Add(a.ModelId);
            }

            if (byQuestion.TryGetValue(a.QuestionId, out var earlier))
            {
                throw Error(a.Source, "question_id", $"model '{a.ModelId}' answers question '{a.QuestionId}' twice (first at {Where(earlier.Source)})");
            }

            byQuestion.Add(a.QuestionId, a);
        }

        var refs = new Dictionary<string, ModelAnswer>(StringComparer.Ordinal);
        foreach (var r in references ?? [])
        {
            Check(r, seen, "reference answer");
            if (refs.TryGetValue(r.QuestionId, out var earlier))
            {
                throw Error(r.Source, "question_id", $"two reference answers for question '{r.QuestionId}' (first at {Where(earlier.Source)})");
            }

            refs.Add(r.QuestionId, r);
        }

        return new Dataset(questionList, byModel, models, refs);
    }

    private static void Check(ModelAnswer answer, Dictionary<string, Question> questions, string what)
    {
        if (!questions.TryGetValue(answer.QuestionId, out var q))
        {
            throw Error(answer.Source, "question_id", $"{what} for unknown question '{answer.QuestionId}'");
        }

        if (answer.Turns.Count > q.Turns.Count)
        {
            throw Error(answer.Source, "turns", $"{what} has {answer.Turns.Count} turns but question '{q.Id}' has {q.Turns.Count}");
        }
    }

    private static InputException Error(SourceLocation? source, string field, string problem) =>
        new(source?.Path, source?.Line, field, problem);

    private static string Where(SourceLocation? source) => source is null ? "an earlier record" : $"{source.Path}:{source.Line}";
}

/// <summary>Reads data files in either MT-Bench JSONL or CSV, chosen by the file extension.</summary>
public static class DataFiles
{
    /// <summary>Whether the path names a CSV file.</summary>
    public static bool IsCsv(string path) => path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads questions from JSONL or CSV.</summary>
    /// <exception cref="InputException">The file is unreadable, malformed, or holds no question.</exception>
    public static List<Question> ReadQuestions(string path, CsvColumnMap? map = null) =>
        NotEmpty(IsCsv(path) ? CsvInput.ReadQuestions(path, map ?? new CsvColumnMap()) : MtBenchFiles.ReadQuestions(path), path, "questions");

    /// <summary>Reads answers from JSONL or CSV.</summary>
    /// <exception cref="InputException">The file is unreadable, malformed, or holds no answer.</exception>
    public static List<ModelAnswer> ReadAnswers(string path, CsvColumnMap? map = null, string? defaultModelId = null) =>
        NotEmpty(IsCsv(path) ? CsvInput.ReadAnswers(path, map ?? new CsvColumnMap(), defaultModelId) : MtBenchFiles.ReadAnswers(path, defaultModelId), path, defaultModelId == "reference" ? "reference answers" : "answers");

    /// <summary>A data file that holds nothing is a mistake (a wrong path, a file not yet written), named, never an empty run.</summary>
    private static List<T> NotEmpty<T>(List<T> records, string path, string what) =>
        records.Count > 0 ? records : throw new InputException(path, null, null, $"holds no {what} (the file is empty)");
}

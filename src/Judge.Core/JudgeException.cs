namespace Judge;

/// <summary>
/// The root of Judge's exceptions. Everything Judge throws on purpose derives from it, so a caller can
/// tell an expected failure (bad input, an unreachable judge) from a bug.
/// </summary>
public class JudgeException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public JudgeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public JudgeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Input that cannot be used: a malformed file, a missing or duplicate id, an unknown reference.
/// Carries the file, line and field so the message can point the user at the exact place.
/// </summary>
public sealed class InputException : JudgeException
{
    /// <summary>Creates an input error pointing at a place in a file.</summary>
    /// <param name="path">The file the error is in, or <see langword="null"/> when it is not about a file.</param>
    /// <param name="line">The 1-based line (or CSV row), or <see langword="null"/> for the whole file.</param>
    /// <param name="field">The field or column, or <see langword="null"/> for the whole record.</param>
    /// <param name="problem">What is wrong, as a sentence fragment without the location.</param>
    /// <param name="innerException">The exception that revealed the problem, if any.</param>
    public InputException(string? path, int? line, string? field, string problem, Exception? innerException = null)
        : base(Format(path, line, field, problem), innerException)
    {
        Path = path;
        Line = line;
        Field = field;
        Problem = problem;
    }

    /// <summary>The file the error is in, if it is about a file.</summary>
    public string? Path { get; }

    /// <summary>The 1-based line or row, if known.</summary>
    public int? Line { get; }

    /// <summary>The field or column, if known.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    private static string Format(string? path, int? line, string? field, string problem)
    {
        var where = path ?? string.Empty;
        if (line is int l)
        {
            where += $":{l}";
        }

        if (field is not null)
        {
            where += where.Length == 0 ? $"field '{field}'" : $": field '{field}'";
        }

        return where.Length == 0 ? problem : $"{where}: {problem}";
    }
}

/// <summary>A rubric that cannot be loaded or does not fit the data it is asked to grade.</summary>
public sealed class RubricException : JudgeException
{
    /// <summary>Creates a rubric error.</summary>
    /// <param name="rubric">The rubric id or file the error is about.</param>
    /// <param name="problem">What is wrong.</param>
    /// <param name="innerException">The exception that revealed the problem, if any.</param>
    public RubricException(string rubric, string problem, Exception? innerException = null)
        : base($"rubric {rubric}: {problem}", innerException)
    {
        Rubric = rubric;
    }

    /// <summary>The rubric id or file the error is about.</summary>
    public string Rubric { get; }
}

/// <summary>
/// A judge could not be built or reached: an unknown judge spec, a provider that is not available,
/// a model file that cannot be loaded. Distinct from a judge that answered something unparsable,
/// which is a verdict status, not an exception.
/// </summary>
public sealed class JudgeUnavailableException : JudgeException
{
    /// <summary>Creates the exception.</summary>
    public JudgeUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A judge's service never answered: every call failed to connect (refused, unresolvable, unreachable) for as long as
/// the judge waits before giving up. It stops the whole run, which would otherwise record every item as an error; the
/// message names the endpoint and the error. Not an item's failure: a verdict is never made from it.
/// </summary>
public sealed class JudgeUnreachableException : JudgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="endpoint">The endpoint, without credentials.</param>
    /// <param name="message">What happened, naming the endpoint and the error.</param>
    public JudgeUnreachableException(string endpoint, string message)
        : base(message)
    {
        Endpoint = endpoint;
    }

    /// <summary>The endpoint that never answered, without credentials.</summary>
    public string Endpoint { get; }
}

/// <summary>
/// A batch-mode judge's endpoint has no batch API: its files endpoint answered 404, 405 or 501 to the first upload, before
/// any batch existed. A run then calls that judge live instead, with a note, and records no batch.
/// </summary>
public sealed class BatchUnsupportedException : JudgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="endpoint">The endpoint, without credentials.</param>
    /// <param name="message">What the endpoint answered.</param>
    public BatchUnsupportedException(string endpoint, string message)
        : base(message)
    {
        Endpoint = endpoint;
    }

    /// <summary>The endpoint without a batch API, without credentials.</summary>
    public string Endpoint { get; }
}

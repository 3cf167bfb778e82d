using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Judge.Data;
using Microsoft.Extensions.AI;

namespace Judge.Judging;

/// <summary>The states of a provider batch, as OpenAI and Azure OpenAI name them.</summary>
internal static class BatchStatus
{
    /// <summary>The input file is being checked.</summary>
    public const string Validating = "validating";

    /// <summary>Requests are being answered.</summary>
    public const string InProgress = "in_progress";

    /// <summary>The output files are being written.</summary>
    public const string Finalizing = "finalizing";

    /// <summary>Done: the output and error files hold every line.</summary>
    public const string Completed = "completed";

    /// <summary>The batch failed as a whole (e.g. the input file did not validate); nothing was answered.</summary>
    public const string Failed = "failed";

    /// <summary>The completion window passed: the output file holds the lines answered in time.</summary>
    public const string Expired = "expired";

    /// <summary>A cancellation is under way.</summary>
    public const string Cancelling = "cancelling";

    /// <summary>Cancelled: the output file holds the lines answered before.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Whether a batch in <paramref name="status"/> will change no more.</summary>
    public static bool IsTerminal(string status) => status is Completed or Failed or Expired or Cancelled;
}

/// <summary>A provider batch as last seen.</summary>
/// <param name="Id">The batch id.</param>
/// <param name="Status">One of <see cref="BatchStatus"/>'s values (or a state this build does not know).</param>
/// <param name="InputFileId">The uploaded request file.</param>
public sealed record BatchInfo(string Id, string Status, string InputFileId)
{
    /// <summary>The file of answered lines, once there is one.</summary>
    public string? OutputFileId { get; init; }

    /// <summary>The file of failed lines, once there is one.</summary>
    public string? ErrorFileId { get; init; }

    /// <summary>Requests in the batch.</summary>
    public int Total { get; init; }

    /// <summary>Requests answered so far.</summary>
    public int Completed { get; init; }

    /// <summary>Requests failed so far.</summary>
    public int Failed { get; init; }
}

/// <summary>
/// A provider's files and batches endpoints (OpenAI's <c>/v1/files</c> and <c>/v1/batches</c>, or Azure OpenAI's
/// global-batch equivalents). Implementations are thread-safe.
/// </summary>
public interface IBatchService
{
    /// <summary>Uploads a request file (purpose <c>batch</c>); returns its file id.</summary>
    Task<string> UploadAsync(string fileName, byte[] content, CancellationToken cancellationToken = default);

    /// <summary>Creates a batch over an uploaded request file.</summary>
    Task<BatchInfo> CreateAsync(string inputFileId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The batch made over an uploaded file, if there is one: a process killed between asking for a batch and
    /// recording its id finds it here instead of creating (and paying for) a second one.
    /// </summary>
    Task<BatchInfo?> FindAsync(string inputFileId, CancellationToken cancellationToken = default);

    /// <summary>Reads a batch's state.</summary>
    Task<BatchInfo> GetAsync(string batchId, CancellationToken cancellationToken = default);

    /// <summary>Downloads a file's content (an output or error file).</summary>
    Task<byte[]> DownloadAsync(string fileId, CancellationToken cancellationToken = default);

    /// <summary>Asks the provider to cancel a batch; lines answered before stay in its output file.</summary>
    Task<BatchInfo> CancelAsync(string batchId, CancellationToken cancellationToken = default);
}

/// <summary>
/// A batch service over a results file another engine wrote (e.g. vLLM's <c>run_batch</c>, which reads and writes the
/// OpenAI batch format): every batch "ends" at once with that file as its output, so <c>judge batch import</c> records
/// its answers through the same path as a provider's. Requests the file does not answer are left to be called live.
/// </summary>
/// <param name="path">The output JSONL file (<c>{"custom_id", "response": {"status_code", "body"}}</c> per line).</param>
public sealed class BatchResultsFile(string path) : IBatchService
{
    private readonly string _path = File.Exists(path) ? Path.GetFullPath(path) : throw new InputException(path, null, null, "the batch results file does not exist");

    /// <inheritdoc/>
    public Task<string> UploadAsync(string fileName, byte[] content, CancellationToken cancellationToken = default) => Task.FromResult("local:" + fileName);

    /// <inheritdoc/>
    public Task<BatchInfo> CreateAsync(string inputFileId, CancellationToken cancellationToken = default) => Task.FromResult(Info(inputFileId));

    /// <inheritdoc/>
    public Task<BatchInfo?> FindAsync(string inputFileId, CancellationToken cancellationToken = default) => Task.FromResult<BatchInfo?>(null);

    /// <inheritdoc/>
    public Task<BatchInfo> GetAsync(string batchId, CancellationToken cancellationToken = default) => Task.FromResult(Info(batchId["import:".Length..]));

    /// <inheritdoc/>
    public Task<byte[]> DownloadAsync(string fileId, CancellationToken cancellationToken = default) => File.ReadAllBytesAsync(_path, cancellationToken);

    /// <inheritdoc/>
    public Task<BatchInfo> CancelAsync(string batchId, CancellationToken cancellationToken = default) => GetAsync(batchId, cancellationToken);

    private BatchInfo Info(string inputFileId) => new("import:" + inputFileId, BatchStatus.Completed, inputFileId) { OutputFileId = _path };
}

/// <summary>How large one batch request file may be.</summary>
/// <param name="MaxRequests">Requests per file (OpenAI: 50,000).</param>
/// <param name="MaxBytes">Bytes per file (OpenAI: 200 MB).</param>
public sealed record BatchLimits(int MaxRequests = 50_000, long MaxBytes = 200L * 1000 * 1000);

/// <summary>
/// A judge that can send its calls through a provider's batch service: it writes the exact request body a live call
/// would send, and names the service and the line's URL. Built by <see cref="IJudgeFactory.Batch"/>.
/// </summary>
public interface IBatchJudge : IDisposable
{
    /// <summary>The provider's files and batches endpoints.</summary>
    IBatchService Service { get; }

    /// <summary>The <c>url</c> of every request line (<c>/v1/chat/completions</c>; Azure: <c>/chat/completions</c>).</summary>
    string Url { get; }

    /// <summary>How requests are split into files.</summary>
    BatchLimits Limits { get; }

    /// <summary>How long to wait between polls of a running batch.</summary>
    TimeSpan PollInterval { get; }

    /// <summary>The request body a live call with these messages and options would send, byte for byte.</summary>
    Task<byte[]> RequestBodyAsync(IReadOnlyList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken = default);
}

/// <summary>
/// The answers of a judge's batches, keyed by the SHA-256 of the request body they answer: a client serving a live
/// call whose body has an answer here returns the answer instead of calling the model. Thread-safe.
/// </summary>
public sealed class BatchAnswers
{
    private readonly Dictionary<string, byte[]> _bodies = new(StringComparer.Ordinal);
    private readonly HashSet<string> _customIds = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The key of a request body.</summary>
    public static string Hash(ReadOnlySpan<byte> requestBody) => Convert.ToHexStringLower(SHA256.HashData(requestBody));

    /// <summary>Answers held.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _bodies.Count;
            }
        }
    }

    /// <summary>Adds the answer (a response body) to the request with <paramref name="requestHash"/>, for the line <paramref name="customId"/>.</summary>
    public void Add(string requestHash, string customId, byte[] responseBody)
    {
        lock (_lock)
        {
            _bodies[requestHash] = responseBody;
            _customIds.Add(customId);
        }
    }

    /// <summary>The answer to a request body's hash, if the batch answered it.</summary>
    public bool TryGet(string requestHash, out byte[] responseBody)
    {
        lock (_lock)
        {
            return _bodies.TryGetValue(requestHash, out responseBody!);
        }
    }

    /// <summary>Whether the line <paramref name="customId"/> was answered by a batch.</summary>
    public bool Answered(string customId)
    {
        lock (_lock)
        {
            return _customIds.Contains(customId);
        }
    }
}

/// <summary>A model's batch side with the answers its serving client reads: what a feedback generation batches through.</summary>
/// <param name="Judge">The batch side (service, line URL, request bodies).</param>
/// <param name="Answers">The answers the model's serving client (built over the same instance) returns.</param>
public sealed record BatchSide(IBatchJudge Judge, BatchAnswers Answers);

/// <summary>One request line of a batch file: <c>{"custom_id", "method", "url", "body"}</c>.</summary>
/// <param name="CustomId">item|order|repeat|prompt-hash.</param>
/// <param name="Body">The request body, byte for byte what a live call sends.</param>
internal sealed record BatchRequestLine(string CustomId, byte[] Body)
{
    /// <summary>The key answers are found by (<see cref="BatchAnswers.Hash"/>).</summary>
    public string Hash { get; } = BatchAnswers.Hash(Body);

    /// <summary>The custom id of a call: its item, order, repeat and prompt hash.</summary>
    public static string IdOf(string item, string order, int? repeat, string promptHash) =>
        string.Create(CultureInfo.InvariantCulture, $"{item}|{order}|{repeat ?? 1}|{promptHash}");

    /// <summary>
    /// The JSONL line, with the body embedded token for token: only whitespace outside strings is dropped (a live body
    /// may be indented, e.g. around a JSON schema, and a JSONL line holds no line breaks).
    /// </summary>
    public byte[] ToJsonLine(string url)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("custom_id", CustomId);
            writer.WriteString("method", "POST");
            writer.WriteString("url", url);
            writer.WritePropertyName("body");
            writer.WriteRawValue(Minify(Body), skipInputValidation: true);
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>JSON without the whitespace between tokens; every token's bytes kept as they are.</summary>
    public static byte[] Minify(byte[] json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var output = new byte[json.Length];
        var n = 0;
        var inString = false;
        var escaped = false;
        foreach (var b in json)
        {
            if (inString)
            {
                output[n++] = b;
                if (escaped)
                {
                    escaped = false;
                }
                else if (b == (byte)'\\')
                {
                    escaped = true;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (b is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            {
                output[n++] = b;
                inString = b == (byte)'"';
            }
        }

        return output[..n];
    }

    /// <summary>Reads the custom ids and bodies of a request file (this format, as any OpenAI-batch engine reads it).</summary>
    public static IReadOnlyList<BatchRequestLine> ReadFile(string path) =>
        Jsonl.Read(path, r => new BatchRequestLine(r.RequiredString("custom_id"), Encoding.UTF8.GetBytes(r.Required("body").GetRawText())));
}

/// <summary>One line of a batch output or error file, read.</summary>
/// <param name="CustomId">The request's custom id.</param>
/// <param name="StatusCode">The HTTP status of the answer; <see langword="null"/> when the line carries only an error.</param>
/// <param name="Body">The response body (a chat completion when the status is 200).</param>
/// <param name="Error">The error code or message, when the line failed.</param>
internal sealed record BatchResultLine(string CustomId, int? StatusCode, byte[]? Body, string? Error)
{
    /// <summary>Whether the line holds an answer.</summary>
    public bool Succeeded => StatusCode == 200 && Body is not null && Error is null;

    /// <summary>Whether another try may succeed: rate limits, server errors, timeouts, an expired or cancelled batch.</summary>
    public bool Retryable => StatusCode is null or 408 or 429 or >= 500 || Error is "batch_expired" or "batch_cancelled";

    /// <summary>
    /// Reads output or error lines. A line that is not JSON or has no custom id is returned in <paramref name="malformed"/>
    /// (its 1-based number and why) and never guessed at: its request stays unanswered and is tried again.
    /// </summary>
    public static IReadOnlyList<BatchResultLine> Parse(byte[] content, List<string> malformed)
    {
        ArgumentNullException.ThrowIfNull(malformed);
        var lines = new List<BatchResultLine>();
        var n = 0;
        foreach (var text in Encoding.UTF8.GetString(content).Split('\n'))
        {
            n++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                var id = root.TryGetProperty("custom_id", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : throw new KeyNotFoundException("no custom_id");
                int? status = null;
                byte[]? body = null;
                if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
                {
                    status = response.TryGetProperty("status_code", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : null;
                    body = response.TryGetProperty("body", out var b) && b.ValueKind == JsonValueKind.Object ? Encoding.UTF8.GetBytes(b.GetRawText()) : null;
                }

                string? error = null;
                if (root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object)
                {
                    error = e.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String ? code.GetString()
                        : e.TryGetProperty("message", out var m) ? m.GetString() : "error";
                }
                else if (status is not null and not 200)
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"HTTP {status}");
                }

                lines.Add(new BatchResultLine(id, status, body, error));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                malformed.Add(string.Create(CultureInfo.InvariantCulture, $"line {n}: {ex.Message}"));
            }
        }

        return lines;
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Judge.Providers.Tests.Fakes;

/// <summary>What happens to one batch of the fake.</summary>
public sealed record BatchFate
{
    /// <summary>The states a batch passes through after creation, one per poll, before its end state.</summary>
    public IReadOnlyList<string> Steps { get; init; } = ["in_progress", "finalizing"];

    /// <summary>The end state: completed, failed, expired or cancelled.</summary>
    public string End { get; init; } = "completed";

    /// <summary>For expired or cancelled batches: how many lines were answered before the end.</summary>
    public int AnsweredBeforeEnd { get; init; }

    /// <summary>Per request line: an HTTP status to fail it with (500, 429, 400) instead of answering; null answers it.</summary>
    public Func<string, int?> FailLine { get; init; } = _ => null;

    /// <summary>Per request line: whether its output line is written malformed (cut JSON).</summary>
    public Func<string, bool> MalformLine { get; init; } = _ => false;
}

/// <summary>
/// The files and batches endpoints of OpenAI (<c>/v1/files</c>, <c>/v1/batches</c>) and Azure OpenAI (<c>/openai/files</c>,
/// <c>/openai/batches</c> with <c>?api-version=</c>), and live chat completions, as a script for <see cref="LoopbackOpenAIServer"/>.
/// A batch moves one state per poll: validating → <see cref="BatchFate.Steps"/> → <see cref="BatchFate.End"/>; its lines are
/// answered by <see cref="Answer"/>, the same function that answers live calls. Thread-safe.
/// </summary>
public sealed class LoopbackBatchApi
{
    private readonly ConcurrentDictionary<string, string> _files = new();
    private readonly ConcurrentDictionary<string, FakeBatch> _batches = new();
    private int _ids;

    /// <summary>Answers a chat completion request body (live or in a batch) with a completion body.</summary>
    public Func<JsonNode, string> Answer { get; set; } = _ => ServerReply.Completion("Assistant A is better. [[A]]").Body;

    /// <summary>The fate of the n-th batch created (0-based). Default: completes after validating, in_progress, finalizing.</summary>
    public Func<int, BatchFate> Fate { get; set; } = _ => new BatchFate();

    /// <summary>Called on every request before it is answered (e.g. to kill the client at a stage).</summary>
    public Action<string, string>? OnRequest { get; set; }

    private int _uploads;
    private int _creates;
    private int _polls;
    private int _downloads;
    private int _liveCalls;
    private int _cancels;

    public int Uploads => Volatile.Read(ref _uploads);

    public int Creates => Volatile.Read(ref _creates);

    public int Polls => Volatile.Read(ref _polls);

    public int Downloads => Volatile.Read(ref _downloads);

    public int LiveCalls => Volatile.Read(ref _liveCalls);

    public int Cancels => Volatile.Read(ref _cancels);

    /// <summary>Every request line of every batch created, by custom id, counted.</summary>
    public ConcurrentDictionary<string, int> LinesSubmitted { get; } = new();

    /// <summary>The request files uploaded, in order.</summary>
    public ConcurrentQueue<string> UploadedFiles { get; } = new();

    public ServerReply Handle(ServerRequest request)
    {
        try
        {
            return Route(request);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug in the fake shows as a 599 naming it, not as a dropped connection.
            return ServerReply.Error(599, $"fake: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private ServerReply Route(ServerRequest request)
    {
        var path = request.Path;
        var azure = path.StartsWith("/openai/", StringComparison.Ordinal);
        if (azure && !request.Query.Contains("api-version=", StringComparison.Ordinal))
        {
            return ServerReply.Error(400, "api-version is required");
        }

        var rest = azure ? path["/openai/".Length..] : path.StartsWith("/v1/", StringComparison.Ordinal) ? path["/v1/".Length..] : path.TrimStart('/');
        OnRequest?.Invoke(request.Method, rest);
        if (rest.EndsWith("chat/completions", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _liveCalls);
            return new ServerReply { Body = Answer(request.Json!) };
        }

        if (request.Method == "POST" && rest == "files")
        {
            Interlocked.Increment(ref _uploads);
            var id = $"file-{Interlocked.Increment(ref _ids)}";
            var content = FilePart(request.Body);
            _files[id] = content;
            UploadedFiles.Enqueue(content);
            return Json(new JsonObject { ["id"] = id, ["object"] = "file", ["purpose"] = "batch", ["bytes"] = Encoding.UTF8.GetByteCount(content) });
        }

        if (request.Method == "GET" && rest.StartsWith("files/", StringComparison.Ordinal) && rest.EndsWith("/content", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _downloads);
            var id = rest["files/".Length..^"/content".Length];
            return _files.TryGetValue(id, out var content) ? new ServerReply { Body = content } : ServerReply.Error(404, "no such file");
        }

        if (request.Method == "POST" && rest == "batches")
        {
            var input = (string)request.Json!["input_file_id"]!;
            if (!_files.TryGetValue(input, out var content))
            {
                return ServerReply.Error(404, "no such file");
            }

            var n = Interlocked.Increment(ref _creates) - 1;
            var lines = content.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
            foreach (var line in lines)
            {
                LinesSubmitted.AddOrUpdate((string)line["custom_id"]!, 1, (_, c) => c + 1);
            }

            var batch = new FakeBatch($"batch_{n + 1:D3}", input, lines, () => Fate(n), (string)request.Json!["endpoint"]!);
            _batches[batch.Id] = batch;
            return Json(batch.ToJson());
        }

        if (request.Method == "GET" && rest == "batches")
        {
            var list = new JsonArray();
            foreach (var b in _batches.Values.OrderByDescending(b => b.Id, StringComparer.Ordinal))
            {
                lock (b)
                {
                    list.Add(b.ToJson());
                }
            }

            return Json(new JsonObject { ["object"] = "list", ["data"] = list });
        }

        if (rest.StartsWith("batches/", StringComparison.Ordinal))
        {
            var tail = rest["batches/".Length..];
            var cancel = tail.EndsWith("/cancel", StringComparison.Ordinal);
            var id = cancel ? tail[..^"/cancel".Length] : tail;
            if (!_batches.TryGetValue(id, out var batch))
            {
                return ServerReply.Error(404, "no such batch");
            }

            lock (batch)
            {
                if (cancel)
                {
                    Interlocked.Increment(ref _cancels);
                    batch.Cancel();
                }
                else
                {
                    Interlocked.Increment(ref _polls);
                    batch.Advance(this);
                }

                return Json(batch.ToJson());
            }
        }

        return ServerReply.Error(404, $"no route {request.Method} {path}");
    }

    private static ServerReply Json(JsonNode node) => new() { Body = node.ToJsonString() };

    /// <summary>The content of the part named "file" of a multipart body.</summary>
    private static string FilePart(string body)
    {
        var boundary = body[..body.IndexOf("\r\n", StringComparison.Ordinal)];
        foreach (var part in body.Split(boundary))
        {
            if (part.Contains("name=file", StringComparison.Ordinal) || part.Contains("name=\"file\"", StringComparison.Ordinal))
            {
                var start = part.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
                return part[start..].TrimEnd('\r', '\n', '-');
            }
        }

        throw new InvalidOperationException("no file part");
    }

    private string AddFile(string content)
    {
        var id = $"file-{Interlocked.Increment(ref _ids)}";
        _files[id] = content;
        return id;
    }

    private sealed class FakeBatch(string id, string input, List<JsonNode> lines, Func<BatchFate> fateNow, string endpoint)
    {
        private int _step = -1;
        private bool _cancelRequested;

        public string Id => id;

        public string Status { get; private set; } = "validating";

        public string? Output { get; private set; }

        public string? Errors { get; private set; }

        public int Completed { get; private set; }

        public int Failed { get; private set; }

        public void Cancel() => _cancelRequested = true;

        public void Advance(LoopbackBatchApi api)
        {
            var fate = fateNow();
            if (Status is "completed" or "failed" or "expired" or "cancelled")
            {
                return;
            }

            _step++;
            if (_cancelRequested)
            {
                Finish(api, "cancelled", fate.AnsweredBeforeEnd);
                return;
            }

            if (_step < fate.Steps.Count)
            {
                Status = fate.Steps[_step];
                return;
            }

            switch (fate.End)
            {
                case "failed":
                    Status = "failed";
                    break;
                case "expired" or "cancelled":
                    Finish(api, fate.End, fate.AnsweredBeforeEnd);
                    break;
                default:
                    Finish(api, "completed", lines.Count);
                    break;
            }
        }

        private void Finish(LoopbackBatchApi api, string end, int answered)
        {
            var fate = fateNow();
            var output = new StringBuilder();
            var errors = new StringBuilder();
            for (var i = 0; i < lines.Count; i++)
            {
                var customId = (string)lines[i]["custom_id"]!;
                if (!string.Equals((string?)lines[i]["url"], endpoint, StringComparison.Ordinal))
                {
                    errors.Append(ErrorLine(customId, 400, "invalid_url")).Append('\n');
                    Failed++;
                    continue;
                }

                if (i >= answered)
                {
                    errors.Append(new JsonObject
                    {
                        ["id"] = $"req_{i}",
                        ["custom_id"] = customId,
                        ["response"] = null,
                        ["error"] = new JsonObject { ["code"] = end == "expired" ? "batch_expired" : "batch_cancelled", ["message"] = "not answered in time" },
                    }.ToJsonString()).Append('\n');
                    Failed++;
                    continue;
                }

                if (fate.FailLine(customId) is int status)
                {
                    errors.Append(ErrorLine(customId, status, status == 400 ? "invalid_request" : "server_error")).Append('\n');
                    Failed++;
                    continue;
                }

                var line = new JsonObject
                {
                    ["id"] = $"req_{i}",
                    ["custom_id"] = customId,
                    ["response"] = new JsonObject { ["status_code"] = 200, ["request_id"] = $"r{i}", ["body"] = JsonNode.Parse(api.Answer(lines[i]["body"]!)) },
                    ["error"] = null,
                }.ToJsonString();
                output.Append(fate.MalformLine(customId) ? line[..(line.Length / 2)] : line).Append('\n');
                Completed++;
            }

            Status = end;
            Output = output.Length > 0 ? api.AddFile(output.ToString()) : null;
            Errors = errors.Length > 0 ? api.AddFile(errors.ToString()) : null;
        }

        private static string ErrorLine(string customId, int status, string code) => new JsonObject
        {
            ["id"] = "req_err",
            ["custom_id"] = customId,
            ["response"] = new JsonObject { ["status_code"] = status, ["body"] = new JsonObject { ["error"] = new JsonObject { ["message"] = code, ["code"] = code } } },
            ["error"] = null,
        }.ToJsonString();

        public JsonObject ToJson() => new()
        {
            ["id"] = id,
            ["object"] = "batch",
            ["endpoint"] = endpoint,
            ["input_file_id"] = input,
            ["completion_window"] = "24h",
            ["status"] = Status,
            ["output_file_id"] = Output,
            ["error_file_id"] = Errors,
            ["request_counts"] = new JsonObject
            {
                ["total"] = lines.Count,
                ["completed"] = Completed,
                ["failed"] = Failed,
            },
            ["created_at"] = 1_700_000_000.ToString(CultureInfo.InvariantCulture),
        };
    }
}

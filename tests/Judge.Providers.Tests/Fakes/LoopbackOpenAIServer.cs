using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Judge.Providers.Tests.Fakes;

/// <summary>One request as the loopback server saw it.</summary>
public sealed record ServerRequest(int Index, TimeSpan Arrived, string Method, string Path, string Query, string? Authorization, string? ApiKey, string Body)
{
    public JsonNode? Json => string.IsNullOrEmpty(Body) ? null : JsonNode.Parse(Body);

    /// <summary>The last user message's text.</summary>
    public string LastUserText =>
        Json?["messages"]?.AsArray().LastOrDefault(m => (string?)m?["role"] == "user")?["content"] switch
        {
            JsonValue v => (string?)v ?? string.Empty,
            JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"])),
            _ => string.Empty,
        };
}

/// <summary>What the server should answer.</summary>
public sealed record ServerReply
{
    public int Status { get; init; } = 200;
    public string Body { get; init; } = string.Empty;
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    public TimeSpan Delay { get; init; }
    public bool Reset { get; init; }

    /// <summary>When set, only this many bytes of the body are sent (Content-Length still declares all), then the connection closes.</summary>
    public int? CutBodyAt { get; init; }

    public static ServerReply Completion(string content, string finishReason = "stop", string model = "gpt-4o-2024-08-06", int promptTokens = 120, int completionTokens = 12, JsonNode? logprobs = null)
    {
        var body = new JsonObject
        {
            ["id"] = "chatcmpl-loopback",
            ["object"] = "chat.completion",
            ["created"] = 1_700_000_000,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
                ["logprobs"] = logprobs,
                ["finish_reason"] = finishReason,
            }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = promptTokens, ["completion_tokens"] = completionTokens, ["total_tokens"] = promptTokens + completionTokens },
        };
        return new ServerReply { Body = body.ToJsonString() };
    }

    public static ServerReply Error(int status, string message, IReadOnlyDictionary<string, string>? headers = null) => new()
    {
        Status = status,
        Body = new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = "loopback_error" } }.ToJsonString(),
        Headers = headers ?? new Dictionary<string, string>(),
    };
}

/// <summary>
/// An OpenAI-shaped chat-completions server on 127.0.0.1 (both <c>/v1/chat/completions</c> and Azure's
/// <c>/openai/deployments/{d}/chat/completions?api-version=…</c>), answering each request by a script.
/// A raw TCP listener speaking just enough HTTP/1.1 (keep-alive, Content-Length bodies), so a script can
/// also reset the connection.
/// </summary>
public sealed class LoopbackOpenAIServer : LoopbackTcpServer
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _index;

    private LoopbackOpenAIServer(Func<ServerRequest, ServerReply> script)
        : base(512)
    {
        Script = script;
        StartAccepting();
    }

    /// <summary>The OpenAI-style base URL (…/v1).</summary>
    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/v1");

    /// <summary>The Azure-style resource endpoint.</summary>
    public Uri Root => new($"http://127.0.0.1:{Port}/");

    public Func<ServerRequest, ServerReply> Script { get; set; }

    /// <summary>Added before every reply: the emulated model latency.</summary>
    public TimeSpan Latency { get; set; }

    public ConcurrentQueue<ServerRequest> Requests { get; } = new();

    /// <summary>Called after a whole reply has been written.</summary>
    public Action<ServerRequest, ServerReply>? OnDelivered { get; set; }

    public int RequestCount => Volatile.Read(ref _index);

    public static LoopbackOpenAIServer Start(Func<ServerRequest, ServerReply>? script = null) =>
        new(script ?? (_ => ServerReply.Completion("The answer is accurate and helpful. Rating: [[7]]")));

    /// <summary>A script that plays <paramref name="first"/> in order, then <paramref name="then"/>.</summary>
    public static Func<ServerRequest, ServerReply> Sequence(IReadOnlyList<ServerReply> first, Func<ServerRequest, ServerReply>? then = null) =>
        r => r.Index < first.Count ? first[r.Index] : (then ?? (_ => ServerReply.Completion("Rating: [[7]]")))(r);

    protected override async Task Serve(TcpClient client)
    {
        using var _ = client;
        client.NoDelay = true;
        var stream = client.GetStream();
        var buffer = new List<byte>(4096);
        var chunk = new byte[8192];
        try
        {
            while (!Stopping.IsCancellationRequested)
            {
                // Headers.
                int headerEnd;
                while ((headerEnd = IndexOfHeaderEnd(buffer)) < 0)
                {
                    var n = await stream.ReadAsync(chunk, Stopping);
                    if (n == 0)
                    {
                        return;
                    }

                    buffer.AddRange(chunk.AsSpan(0, n).ToArray());
                }

                var head = Encoding.ASCII.GetString(buffer.GetRange(0, headerEnd).ToArray()).Split("\r\n");
                buffer.RemoveRange(0, headerEnd + 4);
                var requestLine = head[0].Split(' ');
                var headers = head.Skip(1).Select(h => h.Split(':', 2)).Where(h => h.Length == 2)
                    .GroupBy(h => h[0].Trim(), StringComparer.OrdinalIgnoreCase)
                    .ToDictionary(g => g.Key, g => g.First()[1].Trim(), StringComparer.OrdinalIgnoreCase);
                var length = headers.TryGetValue("Content-Length", out var cl) ? int.Parse(cl, CultureInfo.InvariantCulture) : 0;
                while (buffer.Count < length)
                {
                    var n = await stream.ReadAsync(chunk, Stopping);
                    if (n == 0)
                    {
                        return;
                    }

                    buffer.AddRange(chunk.AsSpan(0, n).ToArray());
                }

                var body = Encoding.UTF8.GetString(buffer.GetRange(0, length).ToArray());
                buffer.RemoveRange(0, length);
                var target = requestLine[1];
                var q = target.IndexOf('?', StringComparison.Ordinal);
                var index = Interlocked.Increment(ref _index) - 1;
                var request = new ServerRequest(
                    index, _clock.Elapsed, requestLine[0], q < 0 ? target : target[..q], q < 0 ? string.Empty : target[q..],
                    headers.GetValueOrDefault("Authorization"), headers.GetValueOrDefault("api-key"), body);
                Requests.Enqueue(request);
                var reply = Script(request);
                var wait = Latency + reply.Delay;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, Stopping);
                }

                if (reply.Reset)
                {
                    client.Client.LingerState = new LingerOption(true, 0);
                    client.Client.Close();
                    return;
                }

                var payload = Encoding.UTF8.GetBytes(reply.Body);
                var response = new StringBuilder();
                response.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {reply.Status} {((HttpStatusCode)reply.Status)}\r\n");
                response.Append("Content-Type: application/json\r\n");
                response.Append(CultureInfo.InvariantCulture, $"Content-Length: {payload.Length}\r\n");
                foreach (var (name, value) in reply.Headers)
                {
                    response.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
                }

                response.Append("\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response.ToString()), Stopping);
                if (reply.CutBodyAt is { } cut)
                {
                    await stream.WriteAsync(payload.AsMemory(0, Math.Min(cut, payload.Length)), Stopping);
                    await stream.FlushAsync(Stopping);
                    client.Client.Shutdown(SocketShutdown.Both);
                    return;
                }

                await stream.WriteAsync(payload, Stopping);
                OnDelivered?.Invoke(request, reply);
            }
        }
        catch (Exception)
        {
            // The client went away (a timed-out attempt) or the server is stopping.
        }
    }

    private static int IndexOfHeaderEnd(List<byte> buffer)
    {
        for (var i = 0; i + 3 < buffer.Count; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Requests per sliding window of <paramref name="window"/>: the most seen in any such window.</summary>
    public int MaxInAnyWindow(TimeSpan window)
    {
        var times = Requests.Select(r => r.Arrived).OrderBy(t => t).ToArray();
        var best = 0;
        for (int i = 0, j = 0; i < times.Length; i++)
        {
            while (times[i] - times[j] >= window)
            {
                j++;
            }

            best = Math.Max(best, i - j + 1);
        }

        return best;
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);

    public static string Seconds(double s) => s.ToString(CultureInfo.InvariantCulture);
}

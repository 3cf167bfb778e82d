using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Judge.Providers.Tests.Fakes;

/// <summary>One request as the file server saw it.</summary>
public sealed record FileRequest(int Index, string Method, string Path, string? Range);

/// <summary>
/// Serves one file over HTTP/1.1 on 127.0.0.1, like a model host: GET with <c>Range: bytes=N-</c> answered
/// 206, a wrong path 404. Switches make it fail the way real downloads fail: an error status, a range it
/// ignores, a body cut off part way, or no answer at all. One request per connection (<c>Connection: close</c>).
/// </summary>
public sealed class LoopbackFileServer : LoopbackTcpServer
{
    private int _index;
    private long _cutAfter = -1;

    private LoopbackFileServer(byte[] content, string path)
        : base(64)
    {
        Content = content;
        FilePath = path;
        StartAccepting();
    }

    public string FilePath { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}{FilePath}");

    public byte[] Content { get; set; }

    /// <summary>When set, every request is answered with this status and a short text body.</summary>
    public int? Status { get; set; }

    /// <summary>Answer range requests with the whole file (200), as some servers do.</summary>
    public bool IgnoreRange { get; set; }

    /// <summary>Read requests but never answer them.</summary>
    public bool Hang { get; set; }

    /// <summary>The next response promises the whole body but closes the connection after this many body bytes.</summary>
    public long? CutNextAfter
    {
        get => Interlocked.Read(ref _cutAfter) is var v and >= 0 ? v : null;
        set => Interlocked.Exchange(ref _cutAfter, value ?? -1);
    }

    public ConcurrentQueue<FileRequest> Requests { get; } = new();

    public int RequestCount => Volatile.Read(ref _index);

    /// <summary>Completes when the first request has been read (for tests that advance a fake clock while a request waits).</summary>
    public TaskCompletionSource FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static LoopbackFileServer Start(byte[] content, string path = "/org/repo/resolve/0123abc/judge-test.Q4_K_M.gguf") => new(content, path);

    /// <summary>A port on 127.0.0.1 where nothing listens (bound, then released).</summary>
    public static int UnusedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Deterministic pseudo-random bytes (a fixed linear congruential sequence).</summary>
    public static byte[] Bytes(int length, uint seed = 12345)
    {
        var data = new byte[length];
        var x = seed;
        for (var i = 0; i < length; i++)
        {
            x = (x * 1664525) + 1013904223;
            data[i] = (byte)(x >> 24);
        }

        return data;
    }

    protected override async Task Serve(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        try
        {
            var head = await ReadHead(stream);
            if (head is null)
            {
                return;
            }

            var lines = head.Split("\r\n");
            var requestLine = lines[0].Split(' ');
            var range = lines.Skip(1).Select(l => l.Split(':', 2)).Where(h => h.Length == 2 && h[0].Trim().Equals("Range", StringComparison.OrdinalIgnoreCase)).Select(h => h[1].Trim()).FirstOrDefault();
            var request = new FileRequest(Interlocked.Increment(ref _index) - 1, requestLine[0], requestLine[1], range);
            Requests.Enqueue(request);
            FirstRequest.TrySetResult();

            if (Hang)
            {
                await Task.Delay(Timeout.Infinite, Stopping);
                return;
            }

            if (Status is int status)
            {
                await WriteHead(stream, status, Encoding.ASCII.GetBytes("failing on purpose"), []);
                return;
            }

            if (request.Path != FilePath)
            {
                await WriteHead(stream, 404, Encoding.ASCII.GetBytes("Entry not found"), []);
                return;
            }

            var content = Content;
            long start = 0;
            if (range is not null && !IgnoreRange && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
            {
                start = long.Parse(range["bytes=".Length..^1], CultureInfo.InvariantCulture);
                if (start >= content.Length)
                {
                    await WriteHead(stream, 416, [], [$"Content-Range: bytes */{content.Length}"]);
                    return;
                }
            }

            var body = content.AsMemory((int)start);
            var extra = start > 0 ? new[] { $"Content-Range: bytes {start}-{content.Length - 1}/{content.Length}" } : [];
            await WriteHead(stream, start > 0 ? 206 : 200, null, extra, body.Length);
            var cut = Interlocked.Exchange(ref _cutAfter, -1);
            if (cut >= 0 && cut < body.Length)
            {
                await stream.WriteAsync(body[..(int)cut], Stopping);
                await stream.FlushAsync(Stopping);
                client.Client.Shutdown(SocketShutdown.Both);
                return;
            }

            await stream.WriteAsync(body, Stopping);
        }
        catch (Exception)
        {
            // The client went away (a timed-out attempt) or the server is stopping.
        }
    }

    private async Task<string?> ReadHead(NetworkStream stream)
    {
        var buffer = new List<byte>(1024);
        var chunk = new byte[1024];
        while (true)
        {
            var text = Encoding.ASCII.GetString(buffer.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                return text[..end];
            }

            var n = await stream.ReadAsync(chunk, Stopping);
            if (n == 0)
            {
                return null;
            }

            buffer.AddRange(chunk.AsSpan(0, n).ToArray());
        }
    }

    private async Task WriteHead(NetworkStream stream, int status, byte[]? body, string[] headers, long? length = null)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {(HttpStatusCode)status}\r\n");
        head.Append("Content-Type: application/octet-stream\r\nConnection: close\r\nAccept-Ranges: bytes\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {length ?? body?.Length ?? 0}\r\n");
        foreach (var h in headers)
        {
            head.Append(h).Append("\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), Stopping);
        if (body is { Length: > 0 })
        {
            await stream.WriteAsync(body, Stopping);
        }
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Hosted;

/// <summary>
/// Batch mode for <c>openai:</c> and <c>azure:</c> judges (spec option <c>batch=on</c>): the provider's files and
/// batches endpoints (OpenAI's <c>/v1/files</c> and <c>/v1/batches</c>, Azure OpenAI's <c>/openai/files</c> and
/// <c>/openai/batches</c>), request bodies captured from the judge's own client so a batch line is byte for byte the
/// live call, and a client that serves the batch answers through the judge's usual stack (cache, cost meter, parsing).
/// Spec options: <c>batch</c> = on | off (default off), <c>batch_poll</c> (seconds between polls, 1-86400, default 30),
/// <c>batch_requests</c> (requests per file, 1-50000, default 50000), <c>batch_mb</c> (MB per file, 1-200, default 200).
/// </summary>
// Ownership of handlers, clients and contents passes to what holds them (the batch judge, the HTTP client, the form).
#pragma warning disable CA2000
public static class HostedBatches
{
    /// <summary>The spec options of batch mode, accepted by <c>openai:</c> and <c>azure:</c> judges.</summary>
    public static IReadOnlyList<string> Options { get; } = ["batch", "batch_poll", "batch_requests", "batch_mb"];

    /// <summary>The Azure OpenAI API version batches use when the spec and environment name none.</summary>
    public const string AzureBatchApiVersion = "2024-10-21";

    /// <summary>Checks the batch options of a hosted spec (the live client checks them too, so a bad value is never ignored).</summary>
    /// <exception cref="InputException">A batch option out of its range.</exception>
    public static void Check(JudgeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.ChoiceOption("batch", "off", "on", "off");
        spec.SecondsOption("batch_poll", 86_400);
        spec.IntOption("batch_requests", 1, 50_000);
        spec.IntOption("batch_mb", 1, 200);
    }

    /// <summary>Whether a spec asks for batch mode (and is of a scheme that has one).</summary>
    public static bool Wanted(JudgeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.HasBatchApi && spec.ChoiceOption("batch", "off", "on", "off") == "on";
    }

    /// <summary>
    /// The batch side of an <c>openai:</c> judge (which provider a scheme is, <see cref="JudgeFactory.Batch"/> says).
    /// Checks the spec as the live client does.
    /// </summary>
    /// <param name="spec">The judge spec.</param>
    /// <param name="environment">Reads environment variables; <see cref="Environment.GetEnvironmentVariable(string)"/> when <see langword="null"/>.</param>
    /// <param name="service">The batch service to use instead of the provider's (e.g. a <see cref="BatchResultsFile"/> to import). Default: the provider's.</param>
    public static IBatchJudge CreateOpenAI(JudgeSpec spec, Func<string, string?>? environment = null, IBatchService? service = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var env = environment ?? Environment.GetEnvironmentVariable;
        var (capture, settings) = Capture();
        var client = HostedChatClients.CreateOpenAI(CaptureSpec(spec), settings, env);
        var key = env("JUDGE_OPENAI_API_KEY") ?? env("OPENAI_API_KEY");
        var baseUrl = (spec.Option("base_url") ?? env("OPENAI_BASE_URL"))?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0] ?? "https://api.openai.com/v1";
        return new HostedBatchJudge(client, capture, service ?? new OpenAIBatchService(new Uri(baseUrl.TrimEnd('/') + "/"), null, key, azure: false), "/v1/chat/completions", Limits(spec), Poll(spec));
    }

    /// <summary>The batch side of an <c>azure:</c> judge. Checks the spec as the live client does.</summary>
    /// <param name="spec">The judge spec.</param>
    /// <param name="environment">Reads environment variables; <see cref="Environment.GetEnvironmentVariable(string)"/> when <see langword="null"/>.</param>
    /// <param name="service">The batch service to use instead of the provider's. Default: the provider's.</param>
    public static IBatchJudge CreateAzure(JudgeSpec spec, Func<string, string?>? environment = null, IBatchService? service = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Option("auth") == "entra")
        {
            throw new JudgeUnavailableException($"judge {spec.Text}: batch mode signs in with an API key (AZURE_OPENAI_API_KEY) in this build, not Entra ID");
        }

        var env = environment ?? Environment.GetEnvironmentVariable;
        var (capture, settings) = Capture();
        var client = HostedChatClients.CreateAzure(CaptureSpec(spec), settings, env);
        var endpoint = (spec.Option("endpoint") ?? env("JUDGE_AZURE_OPENAI_ENDPOINT") ?? env("AZURE_OPENAI_ENDPOINT"))!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        var version = spec.Option("api_version") ?? env("AZURE_OPENAI_API_VERSION") ?? AzureBatchApiVersion;
        var key = env("JUDGE_AZURE_OPENAI_API_KEY") ?? env("AZURE_OPENAI_API_KEY");
        return new HostedBatchJudge(client, capture, service ?? new OpenAIBatchService(new Uri(endpoint.TrimEnd('/') + "/openai/"), version, key, azure: true), "/chat/completions", Limits(spec), Poll(spec));
    }

    /// <summary>
    /// Settings for the judge's live client whose HTTP transport answers from <paramref name="answers"/>: a call whose
    /// request body a batch answered gets that answer, through the whole stack as a live answer would; any other call goes live.
    /// </summary>
    public static HostedJudgeOptions Serving(BatchAnswers answers) => new() { PrimaryHandlerFactory = () => new ServingHandler(answers) };

    private static BatchLimits Limits(JudgeSpec spec) =>
        new(spec.IntOption("batch_requests", 50_000, 1, 50_000), spec.IntOption("batch_mb", 200, 1, 200) * 1000L * 1000);

    private static TimeSpan Poll(JudgeSpec spec) => spec.SecondsOption("batch_poll", 86_400) ?? TimeSpan.FromSeconds(30);

    /// <summary>
    /// The capture client is the judge's own client, minus its cache (a cached answer would hide the body), over a
    /// handler that keeps the body and answers with an empty completion.
    /// </summary>
    private static JudgeSpec CaptureSpec(JudgeSpec spec) => spec.WithOption("cache_mode", "off");

    private static (CaptureHandler Handler, HostedJudgeOptions Settings) Capture()
    {
        var capture = new CaptureHandler();
        return (capture, new HostedJudgeOptions { PrimaryHandlerFactory = () => capture, EnableRetries = false });
    }

    /// <summary>Answers a request whose body a batch answered; sends any other live.</summary>
    private sealed class ServingHandler(BatchAnswers answers) : DelegatingHandler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } content)
            {
                var body = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                if (answers.TryGet(BatchAnswers.Hash(body), out var answer))
                {
                    return new HttpResponseMessage(HttpStatusCode.OK) { Content = Json(answer), RequestMessage = request };
                }

                var copy = new ByteArrayContent(body);
                foreach (var header in content.Headers)
                {
                    copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                request.Content = copy;
            }

            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Keeps the body of the request in flight (per async flow) and answers with an empty completion.</summary>
    private sealed class CaptureHandler : HttpMessageHandler
    {
        private static readonly byte[] Empty = Encoding.UTF8.GetBytes(
            """{"id":"capture","object":"chat.completion","created":0,"model":"capture","choices":[{"index":0,"message":{"role":"assistant","content":"captured"},"finish_reason":"stop"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}""");

        public AsyncLocal<StrongBox?> Current { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is { } content ? await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false) : [];
            if (Current.Value is { } box)
            {
                box.Body = body;
            }

            return new HttpResponseMessage(HttpStatusCode.OK) { Content = Json(Empty), RequestMessage = request };
        }
    }

    private sealed class StrongBox
    {
        public byte[]? Body { get; set; }
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A judge's batch side: the capture client, the service, the line URL and limits.</summary>
    private sealed class HostedBatchJudge(IChatClient client, CaptureHandler capture, IBatchService service, string url, BatchLimits limits, TimeSpan poll) : IBatchJudge
    {
        public IBatchService Service => service;

        public string Url => url;

        public BatchLimits Limits => limits;

        public TimeSpan PollInterval => poll;

        public async Task<byte[]> RequestBodyAsync(IReadOnlyList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken = default)
        {
            var box = new StrongBox();
            capture.Current.Value = box;
            try
            {
                await client.GetResponseAsync(messages, options?.Clone(), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                capture.Current.Value = null;
            }

            return box.Body ?? throw new InvalidOperationException("the judge's client sent no request to capture");
        }

        public void Dispose()
        {
            client.Dispose();
            (service as IDisposable)?.Dispose();
        }
    }

    /// <summary>The files and batches endpoints over HTTP: OpenAI's URL shape, or Azure's (<c>/openai/…?api-version=</c>, <c>api-key</c> header).</summary>
    private sealed class OpenAIBatchService : IBatchService, IDisposable
    {
        private readonly HttpClient _http;
        private readonly Uri _base;
        private readonly string? _apiVersion;

        public OpenAIBatchService(Uri baseUrl, string? apiVersion, string? key, bool azure)
        {
            _base = baseUrl;
            _apiVersion = apiVersion;
            _http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            if (!string.IsNullOrEmpty(key))
            {
                if (azure)
                {
                    _http.DefaultRequestHeaders.Add("api-key", key);
                }
                else
                {
                    _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
                }
            }
        }

        public async Task<string> UploadAsync(string fileName, byte[] content, CancellationToken cancellationToken = default)
        {
            using var form = new MultipartFormDataContent
            {
                { new StringContent("batch"), "purpose" },
            };
            var file = new ByteArrayContent(content);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
            form.Add(file, "file", fileName);
            using var doc = await SendAsync(HttpMethod.Post, "files", form, cancellationToken).ConfigureAwait(false);
            return doc.RootElement.GetProperty("id").GetString()!;
        }

        public async Task<BatchInfo> CreateAsync(string inputFileId, CancellationToken cancellationToken = default)
        {
            var endpoint = _apiVersion is null ? "/v1/chat/completions" : "/chat/completions";
            using var body = new StringContent(
                JsonSerializer.Serialize(new Dictionary<string, string> { ["input_file_id"] = inputFileId, ["endpoint"] = endpoint, ["completion_window"] = "24h" }),
                Encoding.UTF8,
                "application/json");
            using var doc = await SendAsync(HttpMethod.Post, "batches", body, cancellationToken).ConfigureAwait(false);
            return Read(doc.RootElement);
        }

        public async Task<BatchInfo?> FindAsync(string inputFileId, CancellationToken cancellationToken = default)
        {
            // The newest batches first; a lost create is at most minutes old, so the first page is enough.
            using var doc = await SendAsync(HttpMethod.Get, "batches?limit=100", null, cancellationToken).ConfigureAwait(false);
            return doc.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
                ? data.EnumerateArray().Select(Read).FirstOrDefault(b => b.InputFileId == inputFileId)
                : null;
        }

        public async Task<BatchInfo> GetAsync(string batchId, CancellationToken cancellationToken = default)
        {
            using var doc = await SendAsync(HttpMethod.Get, $"batches/{Uri.EscapeDataString(batchId)}", null, cancellationToken).ConfigureAwait(false);
            return Read(doc.RootElement);
        }

        public async Task<BatchInfo> CancelAsync(string batchId, CancellationToken cancellationToken = default)
        {
            using var doc = await SendAsync(HttpMethod.Post, $"batches/{Uri.EscapeDataString(batchId)}/cancel", null, cancellationToken).ConfigureAwait(false);
            return Read(doc.RootElement);
        }

        public async Task<byte[]> DownloadAsync(string fileId, CancellationToken cancellationToken = default)
        {
            using var response = await RawAsync(HttpMethod.Get, $"files/{Uri.EscapeDataString(fileId)}/content", null, cancellationToken).ConfigureAwait(false);
            return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }

        public void Dispose() => _http.Dispose();

        private static BatchInfo Read(JsonElement b)
        {
            static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            static int Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
            var counts = b.TryGetProperty("request_counts", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
            return new BatchInfo(Text(b, "id") ?? throw new JsonException("a batch without an id"), Text(b, "status") ?? "unknown", Text(b, "input_file_id") ?? string.Empty)
            {
                OutputFileId = Text(b, "output_file_id"),
                ErrorFileId = Text(b, "error_file_id"),
                Total = counts.ValueKind == JsonValueKind.Object ? Number(counts, "total") : 0,
                Completed = counts.ValueKind == JsonValueKind.Object ? Number(counts, "completed") : 0,
                Failed = counts.ValueKind == JsonValueKind.Object ? Number(counts, "failed") : 0,
            };
        }

        private async Task<JsonDocument> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
        {
            using var response = await RawAsync(method, path, content, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return JsonDocument.Parse(text);
            }
            catch (JsonException ex)
            {
                throw new ProviderException(ProviderFailure.MalformedResponse, Display(), $"batch service {method} {path}: the answer is not JSON ({ex.Message})");
            }
        }

        private async Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
        {
            var url = new Uri(_base, _apiVersion is null ? path : string.Create(CultureInfo.InvariantCulture, $"{path}{(path.Contains('?', StringComparison.Ordinal) ? '&' : '?')}api-version={Uri.EscapeDataString(_apiVersion)}"));
            using var request = new HttpRequestMessage(method, url) { Content = content };
            var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var status = response.StatusCode;
                var said = await ErrorMessageAsync(response, cancellationToken).ConfigureAwait(false);
                response.Dispose();
                if (method == HttpMethod.Post && path == "files" && status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
                {
                    // A server that serves chat completions but no files endpoint (llama-server, most self-hosted ones).
                    throw new BatchUnsupportedException(Display(), string.Create(CultureInfo.InvariantCulture, $"{Display()} has no batch API (POST files: HTTP {(int)status}{said})"));
                }

                throw new ProviderException(ProviderFailure.HttpError, Display(), string.Create(CultureInfo.InvariantCulture, $"batch service {method} {path}: HTTP {(int)status}{said}"), status);
            }

            return response;
        }

        /// <summary>The provider's error message (<c>error.message</c>), shortened, for the exception; empty when there is none.</summary>
        private static async Task<string> ErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            try
            {
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                var message = doc.RootElement.GetProperty("error").GetProperty("message").GetString() ?? string.Empty;
                return ": " + (message.Length > 300 ? message[..300] + "…" : message);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return string.Empty;
            }
        }

        private string Display() => $"{_base.Scheme}://{_base.Authority}{_base.AbsolutePath.TrimEnd('/')}";
    }
}
#pragma warning restore CA2000

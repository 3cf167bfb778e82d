using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Judge.Judging;
using Judge.Prompts;
using Microsoft.Extensions.AI;

namespace Judge.Tests.Runs;

/// <summary>
/// Builds judges over one scripted chat client that reports usage, as a hosted judge would: 100 prompt and 10 completion
/// tokens a call, by <c>scripted-model</c>. With <see cref="Batches"/>, every judge is in batch mode: its calls are answered
/// by that fake provider batch service, and its live client serves the batch answers.
/// </summary>
internal sealed class ScriptedJudges(Func<int, IReadOnlyList<ChatMessage>, CancellationToken, string> respond) : IJudgeFactory
{
    private int _calls;

    /// <summary>Answers call <c>n</c> (1-based, in the order calls arrive).</summary>
    public ScriptedJudges(Func<int, CancellationToken, string> respond)
        : this((n, _, ct) => respond(n, ct))
    {
    }

    /// <summary>Answers by the prompt's user text, whatever the order calls arrive in.</summary>
    public static ScriptedJudges ByPrompt(Func<string, string> respond) =>
        new((_, messages, _) => respond(messages.Last(m => m.Role == ChatRole.User).Text));

    /// <summary>Calls that reached the scripted model live.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>A fake provider batch service every judge sends its calls through; default none (every call live).</summary>
    public FakeBatches? Batches { get; init; }

    public BuiltPairwiseJudge CreatePairwise(JudgeSpec spec, JudgeBuildOptions options) =>
        new(new PositionSwapJudge(new ChatPairwiseJudge(spec.Text, Client(spec, options), options.Rubrics, options.Chat), options.Swap), []);

    public IAbsoluteJudge CreateAbsolute(JudgeSpec spec, JudgeBuildOptions options) =>
        new ChatAbsoluteJudge(spec.Text, Client(spec, options), options.Rubrics, options.Chat);

    public RecordedPairwiseJudge? Recorded(JudgeSpec spec) => null;

    public IBatchJudge? Batch(JudgeSpec spec) => Batches;

    /// <summary>The scripted model's client, live (counting its calls).</summary>
    public IChatClient Live() => new UsageClient(this);

    private string Respond(int n, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken) => respond(n, messages, cancellationToken);

    private IChatClient Client(JudgeSpec spec, JudgeBuildOptions options)
    {
        var client = options.BatchAnswers is { } answers && Batches is not null ? FakeBatches.Serving(answers, Live()) : Live();
        return options.WrapClient is { } wrap ? wrap(spec.Text, client) : client;
    }

    private sealed class UsageClient(ScriptedJudges owner) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var n = Interlocked.Increment(ref owner._calls);
            var text = owner.Respond(n, [.. messages], cancellationToken);
            return Task.FromResult(FakeBatches.Response(text));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}

/// <summary>
/// A fake provider batch service and batch side in one: a request body is the request's <see cref="ResponseKey"/> and its
/// user text; a batch is in progress when created and complete at the first poll, every line answered by
/// <paramref name="answer"/> (from the user text) with the usage the scripted model reports.
/// </summary>
internal sealed class FakeBatches(Func<string, string> answer) : IBatchJudge, IBatchService
{
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _inputs = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public static TimeSpan Poll => TimeSpan.FromSeconds(30);

    /// <summary>Request lines uploaded, in all.</summary>
    public int LinesSubmitted { get; private set; }

    /// <summary>Batches created.</summary>
    public int Creates { get; private set; }

    /// <summary>Polls of a batch's state.</summary>
    public int Polls { get; private set; }

    public IBatchService Service => this;

    public string Url => "/v1/chat/completions";

    public BatchLimits Limits { get; } = new();

    public TimeSpan PollInterval => Poll;

    /// <summary>What the scripted model answers: the text with 100 prompt and 10 completion tokens by <c>scripted-model</c>.</summary>
    public static ChatResponse Response(string text) => new(new ChatMessage(ChatRole.Assistant, text))
    {
        ModelId = "scripted-model",
        Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 10 },
    };

    public Task<byte[]> RequestBodyAsync(IReadOnlyList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken = default) =>
        Task.FromResult(Body(messages, options));

    /// <summary>A live client whose transport answers from <paramref name="answers"/> when a batch answered the body, else calls <paramref name="live"/>.</summary>
    public static IChatClient Serving(BatchAnswers answers, IChatClient live) => new ServingClient(answers, live);

    public Task<string> UploadAsync(string fileName, byte[] content, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var id = $"file-{_files.Count + 1}";
            _files[id] = content;
            LinesSubmitted += Encoding.UTF8.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            return Task.FromResult(id);
        }
    }

    public Task<BatchInfo> CreateAsync(string inputFileId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            Creates++;
            var id = $"batch-{Creates}";
            _inputs[id] = inputFileId;
            return Task.FromResult(new BatchInfo(id, BatchStatus.InProgress, inputFileId));
        }
    }

    public Task<BatchInfo?> FindAsync(string inputFileId, CancellationToken cancellationToken = default) => Task.FromResult<BatchInfo?>(null);

    public Task<BatchInfo> GetAsync(string batchId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            Polls++;
            var input = _inputs[batchId];
            var output = new StringBuilder();
            foreach (var line in Encoding.UTF8.GetString(_files[input]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var request = JsonNode.Parse(line)!;
                var text = answer((string)request["body"]!["user"]!);
                var body = new JsonObject { ["text"] = text };
                output.Append(new JsonObject { ["custom_id"] = (string?)request["custom_id"], ["response"] = new JsonObject { ["status_code"] = 200, ["body"] = body } }.ToJsonString()).Append('\n');
            }

            _files["out-" + batchId] = Encoding.UTF8.GetBytes(output.ToString());
            return Task.FromResult(new BatchInfo(batchId, BatchStatus.Completed, input) { OutputFileId = "out-" + batchId });
        }
    }

    public Task<byte[]> DownloadAsync(string fileId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_files[fileId]);
        }
    }

    public Task<BatchInfo> CancelAsync(string batchId, CancellationToken cancellationToken = default) => GetAsync(batchId, cancellationToken);

    public void Dispose()
    {
    }

    private static byte[] Body(IReadOnlyList<ChatMessage> messages, ChatOptions? options) =>
        Encoding.UTF8.GetBytes(new JsonObject { ["key"] = ResponseKey.Of("fake", messages, options), ["user"] = messages.Last(m => m.Role == ChatRole.User).Text }.ToJsonString());

    private sealed class ServingClient(BatchAnswers answers, IChatClient live) : DelegatingChatClient(live)
    {
        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            return answers.TryGet(BatchAnswers.Hash(Body(list, options)), out var body)
                ? Task.FromResult(Response(JsonDocument.Parse(body).RootElement.GetProperty("text").GetString()!))
                : base.GetResponseAsync(list, options, cancellationToken);
        }
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Judge.Judging;
using Microsoft.Extensions.AI;

namespace Judge.Providers;

/// <summary>
/// The <c>mock:SEED</c> judge: a stand-in that returns seeded, made-up verdicts in a form every
/// shipped rubric parses, for dry-running and testing pipelines (configs, resume, gates, reports)
/// without a model. It does not read the answers for meaning and must never be used for judging.
/// </summary>
/// <remarks>
/// <para>Pairwise prompts (two fenced answers) get <c>{"verdict": "A"|"B"|"tie"}</c>, decided by a
/// seeded hash of each fenced answer's text, so the verdict follows the answers, not their order.
/// Absolute prompts get <c>{"score": N}</c> with N in <c>min</c>..<c>max</c> (default 1..10). The
/// request's seed (<see cref="ChatOptions.Seed"/>, which repeats vary) changes the draw.</para>
/// <para>Options: <c>latency_ms</c> (delay per call, 0-600000, default 0), <c>error_rate</c> (share of calls
/// that throw, as an unreachable service would, 0-1, default 0), <c>min</c>, <c>max</c> (integers, min below max),
/// <c>log</c> (a file that gets one line per answered call, appended, so tests can count calls across
/// processes), <c>prices</c>, <c>model</c> (read by the cost report) and <c>cache_mode</c> (set by <c>--no-cache</c>; a mock has no cache). Any other key is an
/// <see cref="InputException"/> listing these. Thread-safe.</para>
/// </remarks>
internal sealed partial class MockChatClient : IChatClient
{
    private readonly JudgeSpec _spec;
    private readonly int _latencyMs;
    private readonly double _errorRate;
    private readonly int _min;
    private readonly int _max;
    private readonly string? _log;
    private readonly TimeProvider _time;
    private readonly Lock _logLock = new();

    /// <summary>The spec options a <c>mock:</c> judge takes.</summary>
    public static readonly string[] KnownOptions = ["latency_ms", "error_rate", "min", "max", "log", "prices", "model", "cache_mode"];

    public MockChatClient(JudgeSpec spec, TimeProvider? time = null)
    {
        _spec = spec;
        if (!int.TryParse(spec.Target, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            throw new InputException(null, null, "judge spec", $"'{spec.Text}': the mock judge's target is its seed, a whole number (e.g. mock:1), not '{spec.Target}'");
        }

        spec.RequireKnownOptions(KnownOptions);
        _latencyMs = spec.IntOption("latency_ms", 0, 0, 600_000);
        _errorRate = spec.DoubleOption("error_rate", 0, 1) ?? 0;
        if (spec.Option("prices") is { } prices)
        {
            // Read now, so a malformed price table is an input error here as it is for hosted judges.
            _ = Judging.PriceTable.BuiltIn.WithOverrides(prices);
        }

        _min = spec.IntOption("min", 1, -1_000_000, 1_000_000);
        _max = spec.IntOption("max", 10, -1_000_000, 1_000_000);
        if (_min >= _max)
        {
            throw new InputException(null, null, "judge spec", $"'{spec.Text}': min must be below max");
        }

        _log = spec.Option("log");
        if (_log is not null && Directory.Exists(_log))
        {
            throw new InputException(_log, null, "log", $"the log in '{spec.Text}' is a directory; give a file path");
        }
        _time = time ?? TimeProvider.System;
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = string.Join("\n", messages.Select(m => m.Text));
        var salt = $"{_spec.Target}|{options?.Seed}";
        if (_latencyMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(_latencyMs), _time, cancellationToken).ConfigureAwait(false);
        }

        if (_errorRate > 0 && Unit(salt + "|error|" + text) < _errorRate)
        {
            throw new HttpRequestException($"mock judge: simulated failure (error_rate={_errorRate.ToString(CultureInfo.InvariantCulture)})");
        }

        var fenced = FencedRegex().Matches(text).ToList();
        string Side(string side) => string.Join("\n", fenced.Where(m => m.Groups["side"].Value == side).Select(m => m.Groups["body"].Value));
        string output;
        if (fenced.Any(m => m.Groups["side"].Value == "B"))
        {
            var a = Unit(salt + "|" + Side("A"));
            var b = Unit(salt + "|" + Side("B"));
            var verdict = Math.Abs(a - b) < 0.1 ? "tie" : a > b ? "A" : "B";
            output = string.Create(CultureInfo.InvariantCulture, $"Mock judge (testing only, not a judgment): seeded draw {a:0.00} vs {b:0.00}.\n{{\"verdict\": \"{verdict}\"}}");
        }
        else
        {
            var u = Unit(salt + "|" + (fenced.Count > 0 ? Side(string.Empty) : text));
            var score = _min + (int)Math.Floor(u * (_max - _min + 1));
            output = string.Create(CultureInfo.InvariantCulture, $"Mock judge (testing only, not a judgment): seeded draw {u:0.00}.\n{{\"score\": {score}}}");
        }

        if (_log is not null)
        {
            lock (_logLock)
            {
                File.AppendAllText(_log, string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\t{options?.Seed}\t{Hash(text)}\n"));
            }
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, output))
        {
            ModelId = "mock",
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = text.Length / 4, OutputTokenCount = output.Length / 4 },
        };
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the mock judge does not stream");

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static double Unit(string text) => BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0) / (ulong.MaxValue + 1.0);

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    [GeneratedRegex(@"<<<BEGIN (?:ANSWER|ASSISTANT)(?: (?<side>[AB]))?(?: TURN \d+)? [0-9a-f]{16}>>>\n(?<body>.*?)\n<<<END ", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex FencedRegex();
}

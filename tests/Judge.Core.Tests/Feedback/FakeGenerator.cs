using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Judge.Tests.Support;
using Microsoft.Extensions.AI;

namespace Judge.Tests.Feedback;

/// <summary>
/// A test-only generator and judge that follows the feedback stages' protocol, deterministic from the
/// prompt. Deliberate flaws, so every filter has work:
/// rubrics: a call asked for 2 returns 3, the second a near-copy of the first;
/// instructions: variant 2 repeats variant 1 (near-duplicate), variant 3 is prose (unparsable), variant 4 is fenced with trailing text;
/// responses: each carries a marker of its target level and grows longer with the level;
/// judge: scores the marker's level, but misses by one for about a quarter of responses (by hash).
/// </summary>
internal static partial class FakeGenerator
{
    private static readonly string[] Vocabulary =
    [
        "river", "lantern", "copper", "meadow", "orbit", "violin", "harbor", "pepper", "glacier", "sparrow", "ledger", "canyon", "velvet", "compass",
        "thunder", "maple", "quartz", "saddle", "tunnel", "walnut", "ember", "falcon", "garnet", "hollow", "island", "jasmine", "kettle", "lemon",
        "marble", "nectar", "oyster", "pebble", "quiver", "raven", "silver", "timber", "umber", "valley", "willow", "yonder", "zephyr", "anchor",
        "bramble", "cobalt", "dune", "eclipse", "fern", "granite", "heron", "ivory", "juniper", "kelp", "lilac", "moss", "nutmeg", "opal", "prairie",
    ];

    public static FakeChatClient Create() => new(Respond);

    public static string Respond(IReadOnlyList<ChatMessage> messages)
    {
        var prompt = FakeChatClient.UserText(messages);
        if (prompt.Contains("[RESULT]", StringComparison.Ordinal))
        {
            return Judge(prompt);
        }

        if (prompt.Contains("{\"rubrics\": [", StringComparison.Ordinal))
        {
            var count = int.Parse(CountRegex().Match(prompt).Groups[1].Value, CultureInfo.InvariantCulture);
            var rubrics = Enumerable.Range(0, count).Select(k => Rubric(prompt, k)).ToList();
            if (count == 2)
            {
                rubrics.Insert(1, NearCopy(rubrics[0]));
            }

            return "{\"rubrics\": [" + string.Join(",", rubrics) + "]}";
        }

        if (prompt.Contains("\"reference_answer\": \"...\"", StringComparison.Ordinal))
        {
            var variant = int.Parse(VariantRegex().Match(prompt).Groups[1].Value, CultureInfo.InvariantCulture);
            var criteria = prompt[..prompt.IndexOf("What each score means", StringComparison.Ordinal)];
            var instruction = Words(criteria + "instruction" + (variant == 2 ? 1 : variant), 14);
            var json = $"{{\"instruction\": \"{instruction}\", \"reference_answer\": \"{Words(criteria + "reference" + variant, 30)}\"}}";
            return variant switch
            {
                3 => "What a lovely rubric. I would ask the user to describe a sunset.",
                4 => "Here you go:\n```json\n" + json + "\n```\nLet me know if you need another.",
                _ => json,
            };
        }

        if (prompt.Contains("{\"response\": \"...\"}", StringComparison.Ordinal))
        {
            var level = int.Parse(TargetRegex().Match(prompt).Groups[1].Value, CultureInfo.InvariantCulture);
            return $"{{\"response\": \"qualitylevel{level} {Words(prompt + level, 10 + (8 * level))}\"}}";
        }

        return "I do not understand.";
    }

    private static string Judge(string prompt)
    {
        var level = int.Parse(MarkerRegex().Match(prompt).Groups[1].Value, CultureInfo.InvariantCulture);
        var miss = Hash(prompt) % 4 == 0;
        var score = miss ? (level == 5 ? 4 : level + 1) : level;
        return $"Feedback: {Words(prompt + "feedback", 20)} [RESULT] {score}";
    }

    private static string Rubric(string prompt, int k)
    {
        var seed = prompt + "rubric" + k;
        var fields = new[] { "criteria", "score1_description", "score2_description", "score3_description", "score4_description", "score5_description" }
            .Select((f, i) => $"\"{f}\": \"{Words(seed + f, 12)}{(i == 0 ? "?" : ".")}\"");
        return "{" + string.Join(", ", fields) + "}";
    }

    private static string NearCopy(string rubricJson)
    {
        // Change one word of the criterion only: the rest is identical.
        var start = rubricJson.IndexOf("\"criteria\": \"", StringComparison.Ordinal) + 13;
        var end = rubricJson.IndexOf(' ', start);
        return rubricJson[..start] + "changed" + rubricJson[end..];
    }

    private static string Words(string seed, int count)
    {
        var random = new Random((int)(Hash(seed) & 0x7fffffff));
        return string.Join(' ', Enumerable.Range(0, count).Select(_ => Vocabulary[random.Next(Vocabulary.Length)]));
    }

    private static ulong Hash(string text) => BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [GeneratedRegex(@"Write (\d+) new rubrics")]
    private static partial Regex CountRegex();

    [GeneratedRegex(@"request number (\d+) of")]
    private static partial Regex VariantRegex();

    [GeneratedRegex(@"deserves a score of (\d)")]
    private static partial Regex TargetRegex();

    [GeneratedRegex(@"qualitylevel(\d)")]
    private static partial Regex MarkerRegex();
}

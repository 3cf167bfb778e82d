using System.Text.Json;

namespace Judge.Tests.Feedback;

/// <summary>The export schema documented in docs/feedback.md, checked field by field.</summary>
internal static class FeedbackSchema
{
    private static readonly string[] Descriptions = ["orig_score1_description", "orig_score2_description", "orig_score3_description", "orig_score4_description", "orig_score5_description"];

    private static readonly string[] FeedbackStrings = ["instruction", "output", "orig_instruction", "orig_response", "orig_reference_answer", "orig_criteria", "orig_feedback", "rubric_id", "instruction_id", "response_id", .. Descriptions];

    private static readonly string[] PreferenceStrings = ["orig_instruction", "orig_reference_answer", "orig_criteria", "chosen", "rejected", "chosen_feedback", "rejected_feedback", "rubric_id", "instruction_id", "chosen_id", "rejected_id", .. Descriptions];

    public static void AssertFeedbackRecord(JsonElement r)
    {
        // Exactly the documented keys, no more, no fewer.
        Assert.Equal([.. FeedbackStrings.Append("orig_score").Order(StringComparer.Ordinal)], r.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var key in FeedbackStrings)
        {
            Assert.False(string.IsNullOrWhiteSpace(r.GetProperty(key).GetString()), key);
        }

        var score = r.GetProperty("orig_score").GetInt32();
        Assert.InRange(score, 1, 5);
        var output = FeedbackPipelineTests.OutputRegex().Match(r.GetProperty("output").GetString()!);
        Assert.True(output.Success, r.GetProperty("output").GetString());
        Assert.Equal(r.GetProperty("orig_feedback").GetString(), output.Groups[1].Value);
        Assert.Equal(score.ToString(System.Globalization.CultureInfo.InvariantCulture), output.Groups[2].Value);

        // The training prompt is prometheus-absolute with this item's material and rubric.
        var prompt = r.GetProperty("instruction").GetString()!;
        foreach (var key in (string[])["orig_instruction", "orig_response", "orig_reference_answer", "orig_criteria", .. Descriptions])
        {
            Assert.Contains(r.GetProperty(key).GetString()!, prompt, StringComparison.Ordinal);
        }

        Assert.Contains("[RESULT]", prompt, StringComparison.Ordinal);
    }

    public static void AssertPreferenceRecord(JsonElement r)
    {
        Assert.Equal([.. PreferenceStrings.Concat(["chosen_score", "rejected_score"]).Order(StringComparer.Ordinal)], r.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var key in PreferenceStrings)
        {
            Assert.False(string.IsNullOrWhiteSpace(r.GetProperty(key).GetString()), key);
        }

        Assert.True(r.GetProperty("chosen_score").GetInt32() > r.GetProperty("rejected_score").GetInt32());
        Assert.InRange(r.GetProperty("rejected_score").GetInt32(), 1, 4);
        Assert.NotEqual(r.GetProperty("chosen").GetString(), r.GetProperty("rejected").GetString());
    }
}

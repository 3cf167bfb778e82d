using Judge.Data;
using Judge.Judging;
using Judge.Prompts;
using Judge.Rubrics;
using Judge.Runs;
using Judge.Tests.Support;
using Judge.Verdicts;

namespace Judge.Tests;

public sealed class VerdictParserTests
{
    private static readonly Dictionary<string, Rubric> Rubrics = RubricLibrary.LoadDirectory(TestPaths.Rubrics).All.ToDictionary(r => r.Id);

    /// <summary>
    /// Raw judge outputs against the shipped rubrics. <c>expected</c> is the score for absolute
    /// rubrics, the positional choice (A, B, tie) for pairwise ones, or null when nothing is read.
    /// </summary>
    public static TheoryData<string, string, VerdictStatus, string?> Outputs() => new()
    {
        // MT-Bench style absolute ratings.
        { "single-general", "The reply is accurate and well organised, though it skips an example.\n\nRating: [[7]]", VerdictStatus.Parsed, "7" },
        { "single-general", "Solid answer with one slip. [[7.5]]", VerdictStatus.Parsed, "7.5" },
        { "single-general", "Rating: [[ 8 ]]", VerdictStatus.Parsed, "8" },
        { "single-general", "Rating: [[8/10]]", VerdictStatus.Parsed, "8" },
        { "single-general", "Rating: [[4/5]]", VerdictStatus.Unparsed, null },
        { "single-general", "Rating: [[4,5]]", VerdictStatus.Unparsed, null },
        { "single-general", "Outstanding, better than perfect. Rating: [[12]]", VerdictStatus.OutOfRange, null },
        { "single-general", "Completely off topic. Rating: [[0]]", VerdictStatus.OutOfRange, null },
        { "single-general", "Rating: [[-3]]", VerdictStatus.OutOfRange, null },
        { "single-general", "**[[9]]**", VerdictStatus.Parsed, "9" },
        { "single-general", "Rating: **[[6]]**.", VerdictStatus.Parsed, "6" },
        { "single-general", "Score: 7/10", VerdictStatus.Unparsed, null },
        { "single-general", "I would rate it [[rating]] at first glance... on reflection, Rating: [[4]]", VerdictStatus.Parsed, "4" },
        { "single-reference", "First pass: [[3]]. Having checked the arithmetic against the reference, it is right after all. Rating: [[8]]", VerdictStatus.Parsed, "8" },
        { "single-reference", "The code builds a dict like {a: 1} and a set {1, 2}; neither is the reference's approach. Rating: [[5]]", VerdictStatus.Parsed, "5" },

        // JSON verdicts, fenced or bare, with trailing reasoning.
        { "single-general", "```json\n{\"score\": 6, \"feedback\": \"Mostly right but vague.\"}\n```\nI took points off because the second half wanders.", VerdictStatus.Parsed, "6" },
        { "single-general", "{\"score\": 9, \"feedback\": \"Excellent.\"}", VerdictStatus.Parsed, "9" },
        { "single-general", "{\"rating\": \"8\", \"explanation\": \"Clear.\"}", VerdictStatus.Parsed, "8" },
        { "single-general", "{\"score\": 7.5}", VerdictStatus.Parsed, "7.5" },
        { "single-general", "{\"score\": 11, \"feedback\": \"Beyond the scale.\"}", VerdictStatus.OutOfRange, null },
        { "single-general", "```json\n{\"score\": 4, \"feedback\": \"Thin.\",}\n```", VerdictStatus.Parsed, "4" },
        { "single-general", "I weighed {accuracy} and {depth}.\n{\"score\": 3}", VerdictStatus.Parsed, "3" },
        { "single-general", "{\"evaluation\": {\"score\": 5, \"feedback\": \"Average.\"}}", VerdictStatus.Parsed, "5" },

        // Pairwise letters.
        { "pairwise-general", "Assistant A answers the question directly. [[A]]", VerdictStatus.Parsed, "A" },
        { "pairwise-general", "B is more complete. [[b]]", VerdictStatus.Parsed, "B" },
        { "pairwise-general", "Both are equally good. [[C]]", VerdictStatus.Parsed, "tie" },
        { "pairwise-general", "Neither stands out. [[Tie]]", VerdictStatus.Parsed, "tie" },
        { "pairwise-general", "Both are wrong. [[D]]", VerdictStatus.OutOfRange, null },
        { "pairwise-general", "[[Assistant A]]", VerdictStatus.OutOfRange, null },
        { "pairwise-general", "I cannot decide between these two replies.", VerdictStatus.Unparsed, null },
        { "pairwise-general", string.Empty, VerdictStatus.Unparsed, null },
        { "pairwise-general", "   \n  ", VerdictStatus.Unparsed, null },
        { "pairwise-reference", "My first instinct was [[A]], but A's final answer is 245, not 205. B matches the reference. [[B]]", VerdictStatus.Parsed, "B" },
        { "pairwise-multiturn", "{\"winner\": \"A\", \"reasoning\": \"A kept the constraint from turn 1.\"}", VerdictStatus.Parsed, "A" },
        { "pairwise-multiturn", "```json\n{\"verdict\": \"C\"}\n```", VerdictStatus.Parsed, "tie" },

        // Prometheus: feedback first, then [RESULT] n.
        { "prometheus-absolute", "Feedback: The reply gets the total right but never states the units. [RESULT] 4", VerdictStatus.Parsed, "4" },
        { "prometheus-absolute", "Feedback: Correct and complete, matching the reference. [RESULT] 5.", VerdictStatus.Parsed, "5" },
        { "prometheus-absolute", "Feedback: Mostly right. [RESULT] 4/5", VerdictStatus.Parsed, "4" },
        { "prometheus-absolute", "Feedback: Superb. [RESULT] 6", VerdictStatus.OutOfRange, null },
        { "prometheus-absolute", "Feedback: Fine. [RESULT] four", VerdictStatus.Unparsed, null },
        { "prometheus-absolute", "Feedback: Fine, I would give it a 4.", VerdictStatus.Unparsed, null },

        // Binary correctness: words map to 0 and 1.
        { "binary-correctness", "The reply gives 205 minutes, as the reference does. [[CORRECT]]", VerdictStatus.Parsed, "1" },
        { "binary-correctness", "The reply says 245 minutes; the reference says 205. [[INCORRECT]]", VerdictStatus.Parsed, "0" },
        { "binary-correctness", "[[correct]]", VerdictStatus.Parsed, "1" },
        { "binary-correctness", "[[1]]", VerdictStatus.Parsed, "1" },
        { "binary-correctness", "[[PARTIALLY CORRECT]]", VerdictStatus.Unparsed, null },
        { "binary-correctness", "[[2]]", VerdictStatus.OutOfRange, null },
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public void Parse_RealisticOutput_GivesExpectedVerdict(string rubricId, string raw, VerdictStatus status, string? expected)
    {
        var rubric = Rubrics[rubricId];

        var parsed = VerdictParser.Parse(rubric, raw);

        Assert.Equal(status, parsed.Status);
        if (status == VerdictStatus.Parsed)
        {
            Assert.Null(parsed.Problem);
            if (rubric.Mode == RubricMode.Absolute)
            {
                Assert.Equal(double.Parse(expected!, System.Globalization.CultureInfo.InvariantCulture), parsed.Score);
                Assert.Null(parsed.Choice);
            }
            else
            {
                var choice = expected switch { "A" => PairOutcome.A, "B" => PairOutcome.B, _ => PairOutcome.Tie };
                Assert.Equal(choice, parsed.Choice);
                Assert.Null(parsed.Score);
            }
        }
        else
        {
            // Never a default score or choice: the failure is visible instead.
            Assert.Null(parsed.Score);
            Assert.Null(parsed.Choice);
            Assert.False(string.IsNullOrWhiteSpace(parsed.Problem));
        }
    }

    [Fact]
    public void Parse_PrometheusFeedbackFirst_CapturesFeedbackBeforeTheResult()
    {
        var parsed = VerdictParser.Parse(Rubrics["prometheus-absolute"], "Feedback: The reply gets the total right but never states the units. [RESULT] 4");

        Assert.Equal(4, parsed.Score);
        Assert.Equal("tag", parsed.Method);
        Assert.Equal("Feedback: The reply gets the total right but never states the units.", parsed.Feedback);
    }

    [Fact]
    public void Parse_FencedJson_TakesFeedbackFromTheJson()
    {
        var parsed = VerdictParser.Parse(Rubrics["single-general"], "```json\n{\"score\": 6, \"feedback\": \"Mostly right but vague.\"}\n```\nTrailing thoughts.");

        Assert.Equal("json", parsed.Method);
        Assert.Equal(6, parsed.Score);
        Assert.Equal("Mostly right but vague.", parsed.Feedback);
    }

    [Fact]
    public void Parse_OutOfRange_KeepsTheVerdictTextAndSaysWhy()
    {
        var parsed = VerdictParser.Parse(Rubrics["single-general"], "Rating: [[12]]");

        Assert.Equal("12", parsed.Verdict);
        Assert.Contains("1-10", parsed.Problem);
    }

    [Fact]
    public void Parse_PairwiseOutOfSet_NamesTheOfferedLabels()
    {
        var parsed = VerdictParser.Parse(Rubrics["pairwise-general"], "[[D]]");

        Assert.Equal("D", parsed.Verdict);
        Assert.Contains("A, B, C", parsed.Problem);
    }

    [Fact]
    public void Parse_CommaDecimal_IsNotReadAsFourAndAHalfOrFortyFive()
    {
        var parsed = VerdictParser.Parse(Rubrics["single-general"], "[[4,5]]");

        Assert.Equal(VerdictStatus.Unparsed, parsed.Status);
        Assert.Equal("4,5", parsed.Verdict);
    }
}

using Judge.Rubrics;

namespace Judge.Tests.Support;

/// <summary>The smallest rubrics of each kind, for tests of verdict mechanics rather than prompts.</summary>
internal static class MinimalRubrics
{
    /// <summary>Pairwise, verdict tag <c>[[A]]</c>/<c>[[B]]</c>/<c>[[C]]</c>.</summary>
    public static Rubric Pairwise { get; } = RubricLoader.Parse("""
        id: p
        version: 1
        title: P
        mode: pairwise
        output:
          tag: "[[{verdict}]]"
        prompt: "{question} {answer_a} {answer_b}"
        """, "inline");

    /// <summary>Absolute 1-5, feedback first, then <c>[RESULT] N</c> (Prometheus style).</summary>
    public static Rubric FeedbackFirst { get; } = RubricLoader.Parse("""
        id: f
        version: 1
        title: F
        mode: absolute
        scale:
          min: 1
          max: 5
        output:
          tag: "[RESULT] {verdict}"
          feedback_first: true
        prompt: "{question} {answer}"
        """, "inline");
}

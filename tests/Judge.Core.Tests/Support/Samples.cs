using Judge.Data;

namespace Judge.Tests.Support;

/// <summary>Realistic items built in code.</summary>
internal static class Samples
{
    public static Question MathQuestion { get; } = new(
        "7",
        "math",
        [
            "A train leaves at 09:40 and arrives at 13:05. How long is the journey in minutes?",
            "If the train had left 25 minutes later and arrived at the same time, what would its average speed be over 170 km?",
        ]);

    public static ModelAnswer Reference { get; } = new(
        "7",
        "reference",
        ["From 09:40 to 13:05 is 3 hours 25 minutes, which is 205 minutes.", "The journey would take 180 minutes, so the average speed is 170 / 3 = about 56.7 km/h."]);

    public static ModelAnswer Large { get; } = new(
        "7",
        "assistant-large",
        ["09:40 to 12:40 is 180 minutes, plus 25 minutes to 13:05: 205 minutes.", "Leaving 25 minutes later gives 180 minutes, or 3 hours; 170 km / 3 h is about 56.7 km/h."]);

    public static ModelAnswer Tiny { get; } = new(
        "7",
        "assistant-tiny",
        ["The journey is 3 hours and 65 minutes, which is 245 minutes.", "170 / 4 = 42.5 km/h."]);
}

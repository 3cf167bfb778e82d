namespace Judge.Feedback;

/// <summary>How much to generate and how to filter it. Mutable; read once when a run starts.</summary>
public sealed class FeedbackOptions
{
    /// <summary>New rubrics to keep. Default 10.</summary>
    public int NewRubrics { get; set; } = 10;

    /// <summary>New rubrics asked for per generator call. Default 5.</summary>
    public int RubricsPerCall { get; set; } = 5;

    /// <summary>Seed rubrics shown per rubric call as examples. Default 3.</summary>
    public int SeedsPerCall { get; set; } = 3;

    /// <summary>Whether the seed rubrics also get instructions (besides the new ones). Default false.</summary>
    public bool IncludeSeeds { get; set; }

    /// <summary>Instructions per rubric. Default 20.</summary>
    public int InstructionsPerRubric { get; set; } = 20;

    /// <summary>Responses per instruction and score level. Default 1.</summary>
    public int ResponsesPerLevel { get; set; } = 1;

    /// <summary>How far the judged score may miss the target level and still keep the response. Default 0.</summary>
    public int ScoreTolerance { get; set; }

    /// <summary>Jaccard similarity of word shingles at or above which a text is a near-duplicate. Default 0.7.</summary>
    public double DuplicateThreshold { get; set; } = 0.7;

    /// <summary>Words per shingle. Default 3.</summary>
    public int ShingleSize { get; set; } = 3;

    /// <summary>Whether the export downsamples every score level to the smallest level's count. Default true.</summary>
    public bool Balance { get; set; } = true;

    /// <summary>Seeds the choice of example seeds, the generator's sampling seed and the balancing. Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>Model calls in flight at once. Default 4.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>The generator's temperature. Default 0.7 (varied generations).</summary>
    public float GeneratorTemperature { get; set; } = 0.7f;
}

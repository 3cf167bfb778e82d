using System.Globalization;
using Judge.Rubrics;
using Microsoft.Extensions.AI;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Judge.Feedback;

/// <summary>The prompt of one generation stage: a system and a user message with placeholders.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Version">Bump when the prompt changes; the journal keys on the rendered text anyway.</param>
/// <param name="System">The system message; may be empty.</param>
/// <param name="Prompt">The user message.</param>
internal sealed record StagePrompt(FeedbackStage Stage, int Version, PromptTemplate System, PromptTemplate Prompt)
{
    /// <summary>Renders the messages.</summary>
    public IReadOnlyList<ChatMessage> Render(IReadOnlyDictionary<string, string> values)
    {
        var messages = new List<ChatMessage>();
        var system = System.Render(values);
        if (!string.IsNullOrWhiteSpace(system))
        {
            messages.Add(new ChatMessage(ChatRole.System, system));
        }

        messages.Add(new ChatMessage(ChatRole.User, Prompt.Render(values)));
        return messages;
    }
}

/// <summary>
/// The generation prompts (<c>rubrics.yaml</c>, <c>instructions.yaml</c>, <c>responses.yaml</c> in
/// <c>rubrics/feedback/</c>) and the seed rubrics (<c>rubrics/feedback/seeds/*.yaml</c>), loaded and
/// validated: unknown keys, unknown placeholders and missing required placeholders are errors.
/// The feedback stage uses the prometheus-absolute rubric, so the judge sees exactly the training prompt.
/// </summary>
public sealed class FeedbackPrompts
{
    /// <summary>The placeholders each stage offers; the ones marked required must appear in the prompt.</summary>
    public static IReadOnlyDictionary<FeedbackStage, (string[] Offered, string[] Required)> Placeholders { get; } = new Dictionary<FeedbackStage, (string[], string[])>
    {
        [FeedbackStage.Rubrics] = (["seed_rubrics", "count"], ["seed_rubrics", "count"]),
        [FeedbackStage.Instructions] = (["criteria", "score_rubric", "variant", "count"], ["criteria", "score_rubric"]),
        [FeedbackStage.Responses] = (["criteria", "score_rubric", "instruction", "reference_answer", "target_score", "target_description", "variant"], ["instruction", "target_score"]),
    };

    private static readonly IDeserializer Yaml = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();

    private readonly Dictionary<FeedbackStage, StagePrompt> _prompts;

    private FeedbackPrompts(Dictionary<FeedbackStage, StagePrompt> prompts) => _prompts = prompts;

    /// <summary>The prompt of a generation stage.</summary>
    internal StagePrompt this[FeedbackStage stage] => _prompts[stage];

    /// <summary>Loads the three stage prompts from <paramref name="directory"/>.</summary>
    public static FeedbackPrompts LoadDirectory(string directory) => Load(stage =>
    {
        var path = Path.Combine(directory, FileName(stage));
        return (ReadText(path), path);
    });

    /// <summary>The stage prompts shipped with Judge (<c>feedback/*.yaml</c> of <see cref="StandardRubrics"/>), read from Judge.Core itself.</summary>
    public static FeedbackPrompts LoadStandard() => Load(stage =>
    {
        var file = "feedback/" + FileName(stage);
        return (StandardRubrics.ReadText(file), StandardRubrics.SourcePrefix + file);
    });

    private static string FileName(FeedbackStage stage) => stage.ToString().ToLowerInvariant() + ".yaml";

    private static FeedbackPrompts Load(Func<FeedbackStage, (string Text, string Source)> read)
    {
        var prompts = new Dictionary<FeedbackStage, StagePrompt>();
        foreach (var stage in Placeholders.Keys)
        {
            var (text, source) = read(stage);
            prompts[stage] = Parse(text, source, stage);
        }

        return new FeedbackPrompts(prompts);
    }

    /// <summary>Parses and validates one stage prompt; <paramref name="source"/> names it in errors.</summary>
    internal static StagePrompt Parse(string yaml, string source, FeedbackStage stage)
    {
        var doc = Deserialize<PromptDocument>(yaml, source);
        if (!string.Equals(doc.Stage, stage.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            throw new RubricException(source, $"stage is '{doc.Stage}', expected '{stage.ToString().ToLowerInvariant()}'");
        }

        if (string.IsNullOrWhiteSpace(doc.Prompt))
        {
            throw new RubricException(source, "prompt is missing");
        }

        var system = Template(doc.System ?? string.Empty, source, "system");
        var prompt = Template(doc.Prompt, source, "prompt");
        var (offered, required) = Placeholders[stage];
        foreach (var name in system.Placeholders.Concat(prompt.Placeholders))
        {
            if (!offered.Contains(name, StringComparer.Ordinal))
            {
                throw new RubricException(source, $"unknown placeholder '{{{name}}}' for stage {stage.ToString().ToLowerInvariant()}; offered: {string.Join(", ", offered.Select(o => "{" + o + "}"))}");
            }
        }

        foreach (var name in required)
        {
            if (!prompt.Uses(name) && !system.Uses(name))
            {
                throw new RubricException(source, $"the prompt never uses '{{{name}}}'");
            }
        }

        return new StagePrompt(stage, doc.Version ?? 1, system, prompt);
    }

    /// <summary>Loads every seed rubric (<c>*.yaml</c>) in <paramref name="directory"/>, sorted by id.</summary>
    public static IReadOnlyList<FeedbackRubric> LoadSeeds(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new RubricException(directory, "seed rubric folder not found");
        }

        return Seeds(directory, Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal).Select(path => (ReadText(path), path)));
    }

    /// <summary>The seed rubrics shipped with Judge (<c>feedback/seeds/*.yaml</c> of <see cref="StandardRubrics"/>), sorted by id.</summary>
    public static IReadOnlyList<FeedbackRubric> LoadStandardSeeds()
    {
        const string folder = "feedback/seeds/";
        return Seeds(
            StandardRubrics.SourcePrefix + folder,
            StandardRubrics.Files
                .Where(f => f.StartsWith(folder, StringComparison.Ordinal) && !f.AsSpan(folder.Length).Contains('/'))
                .Select(f => (StandardRubrics.ReadText(f), StandardRubrics.SourcePrefix + f)));
    }

    private static List<FeedbackRubric> Seeds(string directory, IEnumerable<(string Text, string Source)> files)
    {
        var seeds = files.Select(f => ParseSeed(f.Text, f.Source)).ToList();
        var duplicate = seeds.GroupBy(s => s.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new RubricException(directory, $"two seed rubrics have the id '{duplicate.Key}'");
        }

        return seeds.Count > 0 ? seeds.OrderBy(s => s.Id, StringComparer.Ordinal).ToList() : throw new RubricException(directory, "no seed rubrics (*.yaml)");
    }

    /// <summary>Parses one seed rubric: <c>id</c>, <c>criteria</c>, and <c>levels</c> 1 to 5.</summary>
    public static FeedbackRubric ParseSeed(string yaml, string source)
    {
        var doc = Deserialize<SeedDocument>(yaml, source);
        if (string.IsNullOrWhiteSpace(doc.Id) || string.IsNullOrWhiteSpace(doc.Criteria))
        {
            throw new RubricException(source, "a seed rubric needs an id and criteria");
        }

        var levels = doc.Levels ?? [];
        for (var level = 1; level <= 5; level++)
        {
            if (!levels.TryGetValue(level, out var text) || string.IsNullOrWhiteSpace(text))
            {
                throw new RubricException($"{doc.Id} ({source})", $"levels needs a description for every score from 1 to 5; {level.ToString(CultureInfo.InvariantCulture)} is missing");
            }
        }

        if (levels.Keys.Any(k => k is < 1 or > 5))
        {
            throw new RubricException($"{doc.Id} ({source})", "levels are 1 to 5");
        }

        return new FeedbackRubric
        {
            Id = doc.Id,
            Origin = "seed",
            Criteria = doc.Criteria.Trim(),
            Score1Description = levels[1].Trim(),
            Score2Description = levels[2].Trim(),
            Score3Description = levels[3].Trim(),
            Score4Description = levels[4].Trim(),
            Score5Description = levels[5].Trim(),
        };
    }

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RubricException(path, ex is FileNotFoundException or DirectoryNotFoundException ? "file not found" : ex.Message, ex);
        }
    }

    private static T Deserialize<T>(string yaml, string source)
    {
        try
        {
            return Yaml.Deserialize<T>(yaml) ?? throw new RubricException(source, "the file is empty");
        }
        catch (YamlException ex)
        {
            throw new RubricException($"{source}:{ex.Start.Line}", ex.InnerException?.Message ?? ex.Message, ex);
        }
    }

    private static PromptTemplate Template(string text, string source, string field)
    {
        try
        {
            return PromptTemplate.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new RubricException(source, $"{field}: {ex.Message}", ex);
        }
    }

    private sealed class PromptDocument
    {
        public string? Stage { get; set; }

        public int? Version { get; set; }

        public string? Description { get; set; }

        public string? System { get; set; }

        public string? Prompt { get; set; }
    }

    private sealed class SeedDocument
    {
        public string? Id { get; set; }

        public string? Criteria { get; set; }

        public Dictionary<int, string>? Levels { get; set; }
    }
}

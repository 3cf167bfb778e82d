namespace Judge.Rubrics;

/// <summary>A set of rubrics by id, loaded from a folder of YAML files. Thread-safe once built.</summary>
public sealed class RubricLibrary
{
    private readonly Dictionary<string, Rubric> _byId;

    /// <summary>Creates a library from rubrics; duplicate ids are an error.</summary>
    public RubricLibrary(IEnumerable<Rubric> rubrics)
    {
        _byId = new Dictionary<string, Rubric>(StringComparer.OrdinalIgnoreCase);
        foreach (var r in rubrics)
        {
            if (_byId.TryGetValue(r.Id, out var other))
            {
                throw new RubricException(r.Id, $"defined twice ({other.SourcePath} and {r.SourcePath})");
            }

            _byId.Add(r.Id, r);
        }
    }

    /// <summary>The rubrics sorted by id.</summary>
    public IReadOnlyList<Rubric> All => _byId.Values.OrderBy(r => r.Id, StringComparer.Ordinal).ToList();

    /// <summary>Loads every <c>*.yaml</c> file directly in <paramref name="directory"/>.</summary>
    public static RubricLibrary LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new RubricException(directory, "rubric folder not found");
        }

        return new RubricLibrary(Directory.EnumerateFiles(directory, "*.yaml")
            .Order(StringComparer.Ordinal)
            .Select(RubricLoader.LoadFile));
    }

    /// <summary>
    /// The rubric with this id, or loaded from this path when the argument names a YAML file.
    /// An unknown id is a <see cref="RubricException"/> that lists the known ones.
    /// </summary>
    public Rubric Get(string idOrPath)
    {
        if (_byId.TryGetValue(idOrPath, out var rubric))
        {
            return rubric;
        }

        if (idOrPath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || idOrPath.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
        {
            return RubricLoader.LoadFile(idOrPath);
        }

        throw new RubricException(idOrPath, $"unknown rubric; known: {string.Join(", ", All.Select(r => r.Id))}");
    }

    /// <summary>Whether a rubric with this id exists.</summary>
    public bool Contains(string id) => _byId.ContainsKey(id);
}

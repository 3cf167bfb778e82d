using System.Text;
using Judge.Judging;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Judge.Runs;

/// <summary>
/// Reads and validates a <c>judge run</c> config. Every error is an <see cref="InputException"/>
/// naming the file, the line and the key: an unknown key (with the keys allowed there), a value of the
/// wrong type, a missing required key, a value outside its set. Every mistake in the file is reported
/// at once. Relative paths resolve against the config file's folder.
/// </summary>
public static class RunConfigLoader
{
    private static readonly string[] TopKeys = ["mode", "data", "rubric", "rubrics", "rubrics_dir", "judge", "judges", "calibration", "on_abstain", "panel", "options", "thresholds", "output"];
    private static readonly string[] DataKeys = ["questions", "answers", "references", "human_labels", "human_raters", "human_layout", "human_map", "columns"];
    private static readonly string[] OptionKeys = ["turn", "turns", "swap", "on_disagreement", "pairs", "models", "seed", "limit", "concurrency", "repeats", "unstable_variance", "pricing", "prices", "max_tokens", "verdict", "batch", "retry_errors"];
    private static readonly string[] PricingKeys = ["input_per_million", "output_per_million"];
    private static readonly string[] ThresholdKeys = ["gate_on", "confidence", "resamples", "max_error_rate", "min_mean_score", "pass_mark", "min_pass_rate", "baseline", "min_win_rate", "min_guaranteed_agreement", "min_coverage", "models", "junit_per_item"];

    /// <summary>Loads a config file.</summary>
    public static RunConfig LoadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, ex is FileNotFoundException or DirectoryNotFoundException ? "config file not found" : ex.Message, ex);
        }

        var full = Path.GetFullPath(path);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw Data.StrictUtf8.Invalid(path, ex);
        }

        return Parse(text, full);
    }

    /// <summary>Parses config YAML; <paramref name="sourcePath"/> names it in errors and anchors relative paths.</summary>
    public static RunConfig Parse(string yaml, string sourcePath)
    {
        var reader = new RunConfigReader(sourcePath);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new InputException(sourcePath, (int)ex.Start.Line, null, $"not valid YAML ({ex.Message})", ex);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new InputException(sourcePath, 1, null, "the config must be a mapping of keys (mode, data, judges, …)");
        }

        var top = reader.Keys(root, TopKeys, null);

        // Mode-specific checks only make sense once the mode is known; an unknown mode is reported, and grade stands in.
        RunMode? mode = reader.Try<RunMode?>(
            () =>
            {
                var modeNode = reader.Required(top, root, "mode", null);
                return reader.Scalar(modeNode, "mode").ToLowerInvariant() switch
                {
                    "compare" => RunMode.Compare,
                    "grade" => RunMode.Grade,
                    var other => throw reader.Fail(modeNode, "mode", $"must be compare or grade, found '{other}'"),
                };
            },
            null);

        var data = ReadData(reader, top, root);
        var rubrics = reader.Try(() => reader.OneOrMany(top, "rubric", "rubrics", null), [])
            .Select(r => r.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || r.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) ? reader.Resolve(r) : r)
            .ToList();
        var options = top.TryGetValue("options", out var optionsNode) ? ReadOptions(reader, optionsNode, mode) : new RunOptions();
        var thresholds = top.TryGetValue("thresholds", out var thresholdsNode) ? ReadThresholds(reader, thresholdsNode, mode) : new RunThresholds();
        var judges = ReadJudges(reader, top, options.Batch);
        var cascade = ReadCascade(reader, top, judges, mode, options.Batch);
        var panel = ReadPanel(reader, top, mode, cascade is not null || top.ContainsKey("calibration"), options.Batch);
        if (cascade is null && !top.ContainsKey("calibration") && !judges.Any(j => j.IsComposite && j.Scheme == "cascade") && thresholdsNode is YamlMappingNode gates)
        {
            foreach (var key in new[] { "min_guaranteed_agreement", "min_coverage" })
            {
                var at = gates.Children.FirstOrDefault(c => c.Key is YamlScalarNode k && k.Value == key).Key;
                if (at is not null)
                {
                    reader.Errors.Add(reader.Fail(at, $"thresholds.{key}", "gates a cascade: name its calibration file with calibration:"));
                }
            }
        }
        var output = reader.Try(() => top.TryGetValue("output", out var outNode) ? reader.PathValue(outNode, "output") : reader.Resolve("out/judge-run"), string.Empty);
        var rubricsDir = reader.Try(() => top.TryGetValue("rubrics_dir", out var rd) ? reader.PathValue(rd, "rubrics_dir") : null, null);
        // With calibration:, panel(…) entries are cascade stages; otherwise a composite spec is the run's one judge.
        var stagesOnly = top.ContainsKey("calibration") && judges.All(j => j.Scheme != "cascade" || !j.IsComposite);
        var composite = !stagesOnly && judges.Any(j => j.IsComposite) && top.TryGetValue(top.ContainsKey("judge") ? "judge" : "judges", out var judgesNode) ? judgesNode : null;
        if (composite is not null && (top.ContainsKey("calibration") || top.ContainsKey("panel")))
        {
            reader.Errors.Add(reader.Fail(composite, "judges", "a cascade(…) judge cannot be combined with calibration:, nor a panel(…) judge with panel:; use one or the other"));
        }

        if (stagesOnly && mode is { } stageMode)
        {
            foreach (var stage in judges.Where(j => j.IsComposite))
            {
                reader.Try<RunPanel?>(() => RunPanel.Of(stage, stageMode), null);
            }
        }

        reader.ThrowIfAny();

        var config = new RunConfig
        {
            SourcePath = sourcePath,
            Hash = RunConfig.HashOf(yaml),
            Mode = mode ?? RunMode.Grade,
            Data = data,
            Rubrics = rubrics,
            RubricsDir = rubricsDir,
            Judges = judges,
            Cascade = cascade,
            Panel = panel,
            Options = options,
            Thresholds = thresholds,
            Output = output,
        };
        try
        {
            return composite is null ? config : config.WithJudges(judges);
        }
        catch (InputException ex) when (ex.Field is "judge spec" or "calibration" or "weights")
        {
            throw reader.Fail(composite!, "judges", ex.Path is { } path ? $"{path}: {ex.Problem}" : ex.Problem);
        }
    }

    /// <summary>
    /// <c>calibration:</c> (a <c>judge calibrate</c> file with one stage per judge, of the run's mode) and <c>on_abstain:</c>
    /// (<c>abstain</c>, the default, or <c>last</c>): the judges become one cascade.
    /// </summary>
    private static RunCascade? ReadCascade(RunConfigReader reader, Dictionary<string, YamlNode> top, List<JudgeSpec> judges, RunMode? mode, bool batch)
    {
        if (!top.TryGetValue("calibration", out var node))
        {
            if (top.TryGetValue("on_abstain", out var stray))
            {
                reader.Errors.Add(reader.Fail(stray, "on_abstain", "applies only to a cascade: name its calibration file with calibration:"));
            }

            return null;
        }

        return reader.Try<RunCascade?>(
            () =>
            {
                var path = reader.PathValue(node, "calibration");
                if (batch)
                {
                    throw reader.Fail(node, "calibration", "a cascade decides per item which stage to call next, so it cannot run in batch mode (options.batch: off)");
                }

                RunCascade loaded;
                try
                {
                    loaded = RunCascade.Load(path, judges.Count, mode ?? RunMode.Grade, Judging.AbstainPolicy.Abstain);
                }
                catch (InputException ex) when (ex.Field == "calibration")
                {
                    // Without a mode (already reported) the calibration cannot be checked against it.
                    return mode is null ? null : throw reader.Fail(node, "calibration", $"{path} {ex.Problem}");
                }

                var onAbstain = top.TryGetValue("on_abstain", out var policy)
                    ? reader.Scalar(policy, "on_abstain") switch
                    {
                        "abstain" => Judging.AbstainPolicy.Abstain,
                        "last" => Judging.AbstainPolicy.LastUnguaranteed,
                        var other => throw reader.Fail(policy, "on_abstain", $"must be abstain or last, found '{other}'"),
                    }
                    : Judging.AbstainPolicy.Abstain;
                return loaded with { OnAbstain = onAbstain };
            },
            null);
    }

    /// <summary><c>panel:</c> majority (compare), or median or mean (grade): the judges vote as one panel.</summary>
    private static RunPanel? ReadPanel(RunConfigReader reader, Dictionary<string, YamlNode> top, RunMode? mode, bool cascade, bool batch)
    {
        if (!top.TryGetValue("panel", out var node))
        {
            return null;
        }

        return reader.Try<RunPanel?>(
            () =>
            {
                if (cascade)
                {
                    throw reader.Fail(node, "panel", "cannot be combined with calibration: in a config; for a panel as a cascade stage, name it as one entry of judges: (\"panel(A, B)\")");
                }

                if (batch)
                {
                    throw reader.Fail(node, "panel", "a panel runs its members live; it cannot run in batch mode (options.batch: off)");
                }

                var value = reader.Scalar(node, "panel");
                return (mode, value) switch
                {
                    (RunMode.Compare, "majority") => new RunPanel(Judging.PanelScore.Median),
                    (RunMode.Grade, "median") => new RunPanel(Judging.PanelScore.Median),
                    (RunMode.Grade, "mean") => new RunPanel(Judging.PanelScore.Mean),
                    (RunMode.Compare, _) => throw reader.Fail(node, "panel", $"must be majority in compare mode, found '{value}'"),
                    _ => throw reader.Fail(node, "panel", $"must be median or mean in grade mode, found '{value}'"),
                };
            },
            null);
    }

    private static RunData ReadData(RunConfigReader reader, Dictionary<string, YamlNode> top, YamlMappingNode root)
    {
        var dataNode = reader.Try(() => reader.Mapping(reader.Required(top, root, "data", null), "data"), null);
        var data = dataNode is null ? [] : reader.Keys(dataNode, DataKeys, "data");
        var runData = new RunData
        {
            Questions = dataNode is null ? string.Empty : reader.Try(() => reader.PathValue(reader.Required(data, dataNode, "questions", "data"), "data.questions"), string.Empty),
            Answers = dataNode is null ? [] : reader.Try(() => reader.PathList(reader.Required(data, dataNode, "answers", "data"), "data.answers"), []),
            References = reader.Try(() => data.TryGetValue("references", out var refs) ? reader.PathValue(refs, "data.references") : null, null),
            HumanLabels = reader.Try(() => data.TryGetValue("human_labels", out var human) ? reader.PathValue(human, "data.human_labels") : null, null),
            HumanRaters = reader.Try(() => data.TryGetValue("human_raters", out var raters) ? Statistics.HumanRaters.Parse(reader.Scalar(raters, "data.human_raters")) : Statistics.HumanRaters.DefaultPrefix, Statistics.HumanRaters.DefaultPrefix),
            Columns = reader.Try(() => data.TryGetValue("columns", out var cols) ? reader.StringMap(cols, "data.columns") : new Dictionary<string, string>(), []),
            HumanLayout = reader.Try(() => data.TryGetValue("human_layout", out var layout) ? reader.Scalar(layout, "data.human_layout") : null, null),
            HumanMap = reader.Try(() => data.TryGetValue("human_map", out var map) ? reader.StringMap(map, "data.human_map") : new Dictionary<string, string>(), []),
        };
        if (runData.HumanLayout is not null || runData.HumanMap.Count > 0)
        {
            // Unknown layouts and fields are errors at load, naming the key, like every other key.
            var at = data.GetValueOrDefault("human_map") ?? data["human_layout"];
            try
            {
                _ = runData.HumanPairwiseLayout;
            }
            catch (InputException ex)
            {
                reader.Errors.Add(reader.Fail(at, data.ContainsKey("human_map") ? "data.human_map" : "data.human_layout", ex.Problem));
            }
        }

        return runData;
    }

    /// <summary>
    /// The judges, parsed here at the edge with the line of any malformed spec; <c>options.batch: on</c> puts every judge
    /// with a batch API in batch mode unless its spec says otherwise; file targets resolve against the config's folder.
    /// </summary>
    private static List<JudgeSpec> ReadJudges(RunConfigReader reader, Dictionary<string, YamlNode> top, bool batch)
    {
        var judges = new List<JudgeSpec>();
        var written = reader.Try(() => reader.OneOrManyNodes(top, "judge", "judges", null), []);
        foreach (var (text, node) in written)
        {
            try
            {
                var spec = JudgeSpec.Parse(text);
                spec = batch && spec.HasBatchApi && spec.Option("batch") is null ? spec.WithOption("batch", "on") : spec;
                judges.Add(spec.ResolvedAgainst(reader.Folder));
            }
            catch (InputException ex)
            {
                reader.Errors.Add(reader.Fail(node, top.ContainsKey("judge") ? "judge" : "judges", ex.Problem));
            }
        }

        if (written.Count == 0 && !reader.Errors.Any(e => e.Field is "judge" or "judges"))
        {
            reader.Errors.Add(new InputException(reader.Source, null, "judges", "name at least one judge (judge: SPEC or judges: [SPEC, …])"));
        }

        return judges;
    }

    private static RunOptions ReadOptions(RunConfigReader reader, YamlNode optionsNode, RunMode? mode)
    {
        var node = reader.Try(() => reader.Mapping(optionsNode, "options"), null);
        var o = node is null ? [] : reader.Keys(node, OptionKeys, "options");
        if (o.ContainsKey("turn") && o.TryGetValue("turns", out var both))
        {
            reader.Errors.Add(reader.Fail(both, "options.turns", "give turn or turns, not both"));
        }

        var turns = reader.Try(
            () => o.TryGetValue("turns", out var t) ? reader.IntList(t, "options.turns")
                : o.TryGetValue("turn", out var t1) ? [reader.Int(t1, "options.turn")]
                : [1],
            [1]);
        foreach (var turn in turns.Where(turn => turn < 1))
        {
            reader.Errors.Add(reader.Fail(o.GetValueOrDefault("turns") ?? o["turn"], "options.turns", $"turn {turn} is not a positive integer"));
        }

        double? inputPrice = null, outputPrice = null;
        if (o.TryGetValue("pricing", out var p) && reader.Try(() => reader.Mapping(p, "options.pricing"), null) is { } pricingNode)
        {
            var pricing = reader.Keys(pricingNode, PricingKeys, "options.pricing");
            inputPrice = reader.Try(() => pricing.TryGetValue("input_per_million", out var ip) ? reader.NonNegative(ip, "options.pricing.input_per_million") : (double?)null, null);
            outputPrice = reader.Try(() => pricing.TryGetValue("output_per_million", out var op) ? reader.NonNegative(op, "options.pricing.output_per_million") : (double?)null, null);
        }

        if (mode == RunMode.Grade && o.TryGetValue("pairs", out var gp))
        {
            reader.Errors.Add(reader.Fail(gp, "options.pairs", "applies to mode: compare only"));
        }

        if (mode == RunMode.Compare && o.TryGetValue("models", out var cm))
        {
            reader.Errors.Add(reader.Fail(cm, "options.models", "applies to mode: grade only (use pairs: baseline:MODEL to compare)"));
        }

        return new RunOptions
        {
            Turns = turns,
            Swap = reader.Try(() => o.TryGetValue("swap", out var s) ? reader.OneOf(s, "options.swap", "both", "none", "random") : "both", "both"),
            OnDisagreement = reader.Try(() => o.TryGetValue("on_disagreement", out var d) ? reader.OneOf(d, "options.on_disagreement", "tie", "drop") : "tie", "tie"),
            Pairs = reader.Try(() => o.TryGetValue("pairs", out var pairs) ? reader.PairsValue(pairs) : null, null),
            Models = reader.Try(() => o.TryGetValue("models", out var m) ? reader.StringList(m, "options.models") : [], []),
            Seed = reader.Try(() => o.TryGetValue("seed", out var seed) ? reader.Int(seed, "options.seed") : 0, 0),
            Limit = reader.Try(() => o.TryGetValue("limit", out var limit) ? reader.Positive(limit, "options.limit") : (int?)null, null),
            MaxTokens = reader.Try(() => o.TryGetValue("max_tokens", out var mt) ? reader.Positive(mt, "options.max_tokens") : (int?)null, null),
            Verdict = reader.Try(() => o.TryGetValue("verdict", out var vm) ? Enum.Parse<VerdictMode>(reader.OneOf(vm, "options.verdict", "auto", "text", "json", "logits"), ignoreCase: true) : VerdictMode.Auto, VerdictMode.Auto),
            Prices = reader.Try(() => o.TryGetValue("prices", out var pf) ? reader.PathValue(pf, "options.prices") : null, null),
            Concurrency = reader.Try(() => o.TryGetValue("concurrency", out var c) ? reader.Positive(c, "options.concurrency") : 4, 4),
            Repeats = reader.Try(() => o.TryGetValue("repeats", out var r) ? reader.Positive(r, "options.repeats") : 1, 1),
            UnstableVariance = reader.Try(() => o.TryGetValue("unstable_variance", out var uv) ? reader.NonNegative(uv, "options.unstable_variance") : 1.0, 1.0),
            InputPricePerMillion = inputPrice,
            OutputPricePerMillion = outputPrice,
            Batch = reader.Try(() => o.TryGetValue("batch", out var b) && reader.OneOf(b, "options.batch", "on", "off") == "on", false),
            RetryErrors = reader.Try(() => o.TryGetValue("retry_errors", out var re) && reader.Bool(re, "options.retry_errors"), false),
        };
    }

    private static RunThresholds ReadThresholds(RunConfigReader reader, YamlNode thresholdsNode, RunMode? mode)
    {
        var node = reader.Try(() => reader.Mapping(thresholdsNode, "thresholds"), null);
        var th = node is null ? [] : reader.Keys(node, ThresholdKeys, "thresholds");
        var thresholds = new RunThresholds
        {
            GateOn = reader.Try(() => th.TryGetValue("gate_on", out var g) ? (reader.OneOf(g, "thresholds.gate_on", "point", "lower_bound") == "point" ? GateOn.Point : GateOn.LowerBound) : GateOn.Point, GateOn.Point),
            Confidence = reader.Try(() => th.TryGetValue("confidence", out var cl) ? reader.Fraction(cl, "thresholds.confidence", open: true) : 0.95, 0.95),
            Resamples = reader.Try(() => th.TryGetValue("resamples", out var rs) ? reader.Positive(rs, "thresholds.resamples") : 1000, 1000),
            MaxErrorRate = reader.Try(() => th.TryGetValue("max_error_rate", out var er) ? reader.Fraction(er, "thresholds.max_error_rate") : 0, 0),
            MinMeanScore = reader.Try(() => th.TryGetValue("min_mean_score", out var ms) ? reader.Number(ms, "thresholds.min_mean_score") : (double?)null, null),
            PassMark = reader.Try(() => th.TryGetValue("pass_mark", out var pm) ? reader.Number(pm, "thresholds.pass_mark") : (double?)null, null),
            MinPassRate = reader.Try(() => th.TryGetValue("min_pass_rate", out var pr) ? reader.Fraction(pr, "thresholds.min_pass_rate") : (double?)null, null),
            Baseline = reader.Try(() => th.TryGetValue("baseline", out var b) ? reader.Scalar(b, "thresholds.baseline") : null, null),
            MinWinRate = reader.Try(() => th.TryGetValue("min_win_rate", out var wr) ? reader.Fraction(wr, "thresholds.min_win_rate") : (double?)null, null),
            MinGuaranteedAgreement = reader.Try(() => th.TryGetValue("min_guaranteed_agreement", out var ga) ? reader.Fraction(ga, "thresholds.min_guaranteed_agreement") : (double?)null, null),
            MinCoverage = reader.Try(() => th.TryGetValue("min_coverage", out var mc) ? reader.Fraction(mc, "thresholds.min_coverage") : (double?)null, null),
            Models = reader.Try(() => th.TryGetValue("models", out var tm) ? reader.StringList(tm, "thresholds.models") : [], []),
            JUnitPerItem = reader.Try(() => th.TryGetValue("junit_per_item", out var jp) && reader.Bool(jp, "thresholds.junit_per_item"), false),
        };

        void Only(string key, RunMode allowed)
        {
            if (mode is { } known && known != allowed && th.TryGetValue(key, out var n))
            {
                reader.Errors.Add(reader.Fail(n, "thresholds." + key, $"applies to mode: {allowed.ToString().ToLowerInvariant()} only"));
            }
        }

        Only("min_mean_score", RunMode.Grade);
        Only("pass_mark", RunMode.Grade);
        Only("min_pass_rate", RunMode.Grade);
        Only("baseline", RunMode.Compare);
        Only("min_win_rate", RunMode.Compare);
        if (thresholds.MinPassRate is not null && thresholds.PassMark is null && !th.ContainsKey("pass_mark"))
        {
            reader.Errors.Add(reader.Fail(th["min_pass_rate"], "thresholds.min_pass_rate", "needs pass_mark (the score at which an answer passes)"));
        }

        if (thresholds.MinWinRate is not null && thresholds.Baseline is null && !th.ContainsKey("baseline"))
        {
            reader.Errors.Add(reader.Fail(th["min_win_rate"], "thresholds.min_win_rate", "needs baseline (the model to win against)"));
        }

        return thresholds;
    }
}

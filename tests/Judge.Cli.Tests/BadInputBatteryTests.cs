using System.Security.Cryptography;
using System.Text;

namespace Judge.Cli.Tests;

/// <summary>
/// The battery of bad inputs: one row per case — a command line over a scratch folder of real MT-Bench data (and the
/// bad file the case writes) → the exit code, the fragments its message must hold, and the folder byte-identical
/// afterwards (no input changed, no output created, a finished run left as it was). No secret planted in a spec is
/// ever printed. <c>{d}</c> in a row's arguments is the scratch folder.
/// </summary>
public class BadInputBatteryTests
{
    private const string Secret = "PLANTED-SECRET-42";

    /// <summary>One case.</summary>
    /// <param name="Name">Unique; the theory's row.</param>
    /// <param name="Args">The command line; <c>{d}</c> is the scratch folder.</param>
    /// <param name="Exit">The exit code expected.</param>
    /// <param name="Fragments">Each must appear in the output.</param>
    /// <param name="Setup">Writes what the case needs into the folder before the snapshot (a bad file, a finished run).</param>
    public sealed record Case(string Name, string[] Args, int Exit, string[] Fragments, Func<string, Task>? Setup = null);

    private static readonly Lazy<Dictionary<string, Case>> AllCases = new(() => Cases().ToDictionary(c => c.Name, StringComparer.Ordinal));

    public static TheoryData<string> Names => new(AllCases.Value.Keys);

    [Fact]
    public void Battery_HasAtLeast250Cases() => Assert.True(AllCases.Value.Count >= 250, $"{AllCases.Value.Count} cases");

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Command_BadInput_ExitsWithMessageAndTouchesNothing(string name)
    {
        var c = AllCases.Value[name];
        var dir = Scratch();
        if (c.Setup is { } setup)
        {
            await setup(dir);
        }

        var before = Snapshot(dir);
        var args = c.Args.Select(a => a.Replace("{d}", dir, StringComparison.Ordinal)).ToArray();

        var (exit, output) = await CliRunner.RunPipedAsync(args);

        Assert.True(c.Exit == exit, $"{name}: exit {exit}, expected {c.Exit}\n{output}");
        foreach (var fragment in c.Fragments)
        {
            Assert.True(output.Contains(fragment.Replace("{d}", dir, StringComparison.Ordinal), StringComparison.Ordinal), $"{name}: no '{fragment}' in\n{output}");
        }

        Assert.DoesNotContain(Secret, output, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(dir));
    }

    /// <summary>Every entry under the folder: files with the hash of their bytes, links with their target (not followed).</summary>
    private static string Snapshot(string dir)
    {
        var lines = new List<string>();
        void Walk(string folder)
        {
            foreach (var entry in Directory.GetFileSystemEntries(folder).Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(entry);
                var name = Path.GetRelativePath(dir, entry);
                if (info.LinkTarget is { } target)
                {
                    lines.Add($"{name} -> {target}");
                }
                else if (Directory.Exists(entry))
                {
                    lines.Add($"{name}/");
                    Walk(entry);
                }
                else
                {
                    lines.Add($"{name} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry)))}");
                }
            }
        }

        Walk(dir);
        return string.Join('\n', lines);
    }

    /// <summary>A folder with three real MT-Bench questions, two models' answers, references and the human votes on them.</summary>
    private static string Scratch()
    {
        var dir = Path.GetDirectoryName(Paths.Temp("x"))!;
        var questions = File.ReadLines(Path.Combine(Paths.MtBench, "question.jsonl")).Take(3).ToList();
        File.WriteAllLines(Path.Combine(dir, "q.jsonl"), questions);
        var gpt4 = File.ReadLines(Path.Combine(Paths.MtBench, "model_answer", "gpt-4.jsonl")).Take(3).ToList();
        File.WriteAllLines(Path.Combine(dir, "a1.jsonl"), gpt4);
        File.WriteAllLines(Path.Combine(dir, "a2.jsonl"), File.ReadLines(Path.Combine(Paths.MtBench, "model_answer", "claude-v1.jsonl")).Take(3));
        File.WriteAllLines(Path.Combine(dir, "refs.jsonl"), gpt4.Select(l => l.Replace("\"model_id\": \"gpt-4\"", "\"model_id\": \"reference\"", StringComparison.Ordinal)));
        var ids = new[] { "\"question_id\":81,", "\"question_id\":82,", "\"question_id\":83," };
        File.WriteAllLines(Path.Combine(dir, "labels.jsonl"), File.ReadLines(Path.Combine(Paths.MtBench, "human_judgments.jsonl"))
            .Where(l => ids.Any(i => l.Contains(i, StringComparison.Ordinal)) && l.Contains("\"gpt-4\"", StringComparison.Ordinal) && l.Contains("\"claude-v1\"", StringComparison.Ordinal)));
        File.WriteAllText(Path.Combine(dir, "judge.yaml"), Config("compare", "mock:1", "  human_labels: labels.jsonl\n"));
        File.WriteAllText(Path.Combine(dir, "grade.yaml"), Config("grade", "mock:1", string.Empty));
        return dir;
    }

    private static string Config(string mode, string judge, string extraData, string body = "") =>
        $"mode: {mode}\ndata:\n  questions: q.jsonl\n  answers: [a1.jsonl, a2.jsonl]\n{extraData}judges: [\"{judge}\"]\noutput: out\n{body}";

    private static string[] Grade(string outName = "o.jsonl") =>
        ["grade", "-q", "{d}/q.jsonl", "-a", "{d}/a1.jsonl", "{d}/a2.jsonl", "--judge", "mock:1", "--out", "{d}/" + outName, "--quiet"];

    private static string[] Compare(string outName = "o.jsonl") =>
        ["compare", "-q", "{d}/q.jsonl", "-a", "{d}/a1.jsonl", "{d}/a2.jsonl", "--judge", "mock:1", "--out", "{d}/" + outName, "--quiet"];

    /// <summary><paramref name="args"/> with the value after <paramref name="option"/> replaced, or the option and value added.</summary>
    private static string[] With(string[] args, string option, params string[] values)
    {
        var list = args.ToList();
        var at = list.IndexOf(option);
        if (at < 0)
        {
            list.AddRange([option, .. values]);
            return [.. list];
        }

        var end = at + 1;
        while (end < list.Count && !list[end].StartsWith("--", StringComparison.Ordinal) && !(list[end].StartsWith('-') && list[end].Length == 2))
        {
            end++;
        }

        list.RemoveRange(at + 1, end - at - 1);
        list.InsertRange(at + 1, values);
        return [.. list];
    }

    private static Func<string, Task> Write(string name, string text) => dir =>
    {
        File.WriteAllText(Path.Combine(dir, name), text);
        return Task.CompletedTask;
    };

    /// <summary>A link at <paramref name="name"/> (its folder made) to <paramref name="target"/>, both inside the scratch folder.</summary>
    private static Func<string, Task> Link(string name, string target) => dir =>
    {
        var path = Path.Combine(dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, Path.Combine(dir, target));
        return Task.CompletedTask;
    };

    /// <summary>A copy of <paramref name="source"/> and everything under it as <paramref name="name"/> in the scratch folder.</summary>
    private static Func<string, Task> CopyFolder(string source, string name) => dir =>
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(dir, name, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        return Task.CompletedTask;
    };

    private static Func<string, Task> WriteBytes(string name, byte[] bytes) => dir =>
    {
        File.WriteAllBytes(Path.Combine(dir, name), bytes);
        return Task.CompletedTask;
    };

    private static Func<string, Task> Then(Func<string, Task> first, Func<string, Task> second) => async dir =>
    {
        await first(dir);
        await second(dir);
    };

    /// <summary>A finished run of <paramref name="args"/> in the folder.</summary>
    private static Func<string, Task> Finished(string[] args) => async dir =>
    {
        var (exit, output) = await CliRunner.RunPipedAsync([.. args.Select(a => a.Replace("{d}", dir, StringComparison.Ordinal))]);
        Assert.True(exit == 0, output);
    };

    /// <summary>A run of <paramref name="args"/> whose manifest says it never finished, as a killed run leaves it.</summary>
    private static Func<string, Task> Unfinished(string[] args, string manifest) => async dir =>
    {
        await Finished(args)(dir);
        var path = Path.Combine(dir, manifest);
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        node.Remove("finished_at");
        File.WriteAllText(path, node.ToJsonString());
    };

    private static IEnumerable<Case> Cases()
    {
        // Judge specs that must be refused, with what the message names; the same for compare and grade.
        (string Spec, int Exit, string Fragment)[] specs =
        [
            ("mock:abc", 2, "whole number"),
            ("mock:1.5", 2, "whole number"),
            ("mock:1?error_rate=7", 2, "error_rate must be a number from 0 to 1"),
            ("mock:1?error_rate=-1", 2, "error_rate must be"),
            ("mock:1?error_rate=abc", 2, "error_rate must be"),
            ("mock:1?latency_ms=-5", 2, "latency_ms must be"),
            ("mock:1?latency_ms=99999999", 2, "latency_ms must be"),
            ("mock:1?min=5&max=2", 2, "min must be below max"),
            ("mock:1?bogus=1", 2, "unknown option 'bogus'"),
            ("mock:1?min=1&min=2", 2, "given twice"),
            ("mock:1?novalue", 2, "is not key=value"),
            ($"mock:1?api_key={Secret}", 2, "looks like a credential"),
            ($"mock:1?token={Secret}", 2, "looks like a credential"),
            ($"mock:1?password={Secret}", 2, "looks like a credential"),
            ($"mock:1?client_secret={Secret}", 2, "looks like a credential"),
            ($"mock:1?Api-Key={Secret}", 2, "looks like a credential"),
            ($"openai:gpt-4o?base_url=http://127.0.0.1:9/v1&api_key={Secret}", 2, "looks like a credential"),
            ($"openai:gpt-4o?base_url=http://127.0.0.1:9/v1&access_token={Secret}", 2, "looks like a credential"),
            ($"llama:model.gguf?key={Secret}", 2, "looks like a credential"),
            ("nojudge", 2, "is not a judge spec"),
            ("mock:", 2, "is not a judge spec"),
            (":1", 2, "is not a judge spec"),
            ("openai:gpt-4o?base_url=http://127.0.0.1:9/v1&rpm=0", 2, "rpm must be"),
            ("openai:gpt-4o?base_url=http://127.0.0.1:9/v1&timeout=-1", 2, "timeout must be"),
            ("openai:gpt-4o?base_url=http://127.0.0.1:9/v1&concurrency=0", 2, "concurrency must be"),
            ("openai:gpt-4o?base_url=http://127.0.0.1:9/v1&temperature=5", 2, "temperature must be"),
            ("openai:gpt-4o?base_url=http://127.0.0.1:9/v1&format=xml", 2, "format must be"),
            ("openai:gpt-4o?base_url=http://127.0.0.1:9/v1&batch=maybe", 2, "batch must be"),
            ("openai:gpt-4o?base_url=http://127.0.0.1:9/v1&rmp=60", 2, "unknown option 'rmp'"),
            ("openai:gpt-4o?base_url=ftp://127.0.0.1/v1", 2, "is not an http(s) URL"),
            ("openai:gpt-4o?base_url=http://127.0.0.1:9/v1&cache={d}", 2, "is a directory"),
            ("openai:gpt-4o?base_url=http://127.0.0.1:9/v1&schema={d}/missing.json", 2, "cannot be read"),
            ("azure:dep?endpoint=not-a-url", 2, "is not an http(s) URL"),
            ("llama:{d}/missing.gguf", 2, "is not there"),
            ("llama:{d}/missing.gguf?ctx=3", 2, "ctx must be"),
            ("llama:{d}/missing.gguf?bogus=1", 2, "unknown option 'bogus'"),
            ("replay:{d}/missing.jsonl", 2, "file not found"),
            ("replay:{d}/q.jsonl?bogus=1", 2, "unknown option 'bogus'"),
            ("nosuch:thing", 3, "unknown judge scheme 'nosuch'"),
        ];

        foreach (var (command, baseArgs) in new[] { ("compare", Compare()), ("grade", Grade()) })
        {
            foreach (var (spec, exit, fragment) in specs)
            {
                yield return new Case($"{command} --judge {spec}", With(baseArgs, "--judge", spec), exit, [fragment]);
            }

            // An output that is an input, reached directly, through '.', '..', a link, or by its journal or manifest.
            (string Name, string Out, string[] Extra, Func<string, Task>? Setup, string Fragment)[] outputs =
            [
                ("questions", "{d}/q.jsonl", [], null, "is an input of this command"),
                ("answers", "{d}/a1.jsonl", [], null, "is an input of this command"),
                ("second answers", "{d}/a2.jsonl", [], null, "is an input of this command"),
                ("dot path", "{d}/./q.jsonl", [], null, "is an input of this command"),
                ("dotdot path", "{d}/sub/../a1.jsonl", [], dir => Task.FromResult(Directory.CreateDirectory(Path.Combine(dir, "sub"))), "is an input of this command"),
                ("file link", "{d}/link.jsonl", [], dir => Task.FromResult(File.CreateSymbolicLink(Path.Combine(dir, "link.jsonl"), Path.Combine(dir, "q.jsonl"))), "resolves to the input"),
                ("folder link", "{d}/lnk/a2.jsonl", [], dir => Task.FromResult(Directory.CreateSymbolicLink(Path.Combine(dir, "lnk"), dir)), "resolves to the input"),
                ("journal is answers", "{d}/x.jsonl", ["-a", "{d}/a1.jsonl", "{d}/x.responses.jsonl"], dir => Task.Run(() => File.Copy(Path.Combine(dir, "a2.jsonl"), Path.Combine(dir, "x.responses.jsonl"))), "x.responses.jsonl"),
                ("manifest is answers", "{d}/y.jsonl", ["-a", "{d}/a1.jsonl", "{d}/y.manifest.json"], dir => Task.Run(() => File.Copy(Path.Combine(dir, "a2.jsonl"), Path.Combine(dir, "y.manifest.json"))), "y.manifest.json"),
                ("references", "{d}/refs.jsonl", ["-r", "{d}/refs.jsonl"], null, "is an input of this command"),
                ("prices", "{d}/prices.yaml", ["--prices", "{d}/prices.yaml"], Write("prices.yaml", "gpt-4o: { input: 1, output: 2 }\n"), "is an input of this command"),
                ("rubric file", "{d}/rubric.yaml", ["--rubric", "{d}/rubric.yaml"], Write("rubric.yaml", File.ReadAllText(Path.Combine(Paths.Rubrics, command == "compare" ? "pairwise-general.yaml" : "single-general.yaml"))), "is an input of this command"),
                ("replayed file", "{d}/r.jsonl", ["--judge", "replay:{d}/r.jsonl"], Write("r.jsonl", "{\"type\":\"call\"}\n"), "is an input of this command"),
                ("a folder", "{d}/sub", [], dir => Task.FromResult(Directory.CreateDirectory(Path.Combine(dir, "sub"))), "is a folder"),
                ("the scratch folder", "{d}", [], null, "is a folder"),
            ];
            foreach (var (what, output, extra, setup, fragment) in outputs)
            {
                var args = With(baseArgs, "--out", output);
                for (var i = 0; i < extra.Length;)
                {
                    var values = extra.Skip(i + 1).TakeWhile(v => !v.StartsWith('-')).ToArray();
                    args = With(args, extra[i], values);
                    i += 1 + values.Length;
                }

                yield return new Case($"{command} --out is {what}", args, 2, [fragment], setup);
            }

            // Bad data files in each role: what the file holds, and what the message says (with the file named).
            var roles = new List<(string Role, Func<string[], string, string[]> Use, string Empty)>
            {
                ("questions", (a, f) => With(a, "-q", f), "holds no questions"),
                ("answers", (a, f) => With(a, "-a", f, "{d}/a2.jsonl"), "holds no answers"),
                ("references", (a, f) => With(a, "-r", f), "holds no reference answers"),
            };
            if (command == "compare")
            {
                roles.Add(("pair labels", (a, f) => With(a, "--pairs", "labels:" + f), "holds no labels"));
            }

            foreach (var (role, use, empty) in roles)
            {
                (string Kind, Func<string, Task>? Setup, string Fragment)[] files =
                [
                    ("empty", Write("bad.jsonl", string.Empty), empty),
                    ("blank lines", Write("bad.jsonl", "\n   \n\n"), empty),
                    ("empty array", Write("bad.jsonl", "[]"), role == "pair labels" ? empty : empty),
                    ("UTF-16 LE", WriteBytes("bad.jsonl", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("{\"question_id\": 81}\n")]), "is UTF-16"),
                    ("UTF-16 BE", WriteBytes("bad.jsonl", [.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes("{\"question_id\": 81}\n")]), "is UTF-16"),
                    ("UTF-32", WriteBytes("bad.jsonl", [.. Encoding.UTF32.GetPreamble(), .. Encoding.UTF32.GetBytes("{\"question_id\": 81}\n")]), "is UTF-32"),
                    ("invalid UTF-8", WriteBytes("bad.jsonl", [.. "{\"question_id\": 81, \"x\": \""u8.ToArray(), 0xC3, 0x28, .. "\"}\n"u8.ToArray()]), "is not valid UTF-8"),
                    ("not JSON", Write("bad.jsonl", "{oops\n"), "bad.jsonl:1"),
                    ("missing", null, "file not found"),
                    ("a folder", dir => Task.FromResult(Directory.CreateDirectory(Path.Combine(dir, "bad.jsonl"))), "is a directory"),
                ];
                foreach (var (kind, setup, fragment) in files)
                {
                    yield return new Case($"{command} {role} file {kind}", use(baseArgs, "{d}/bad.jsonl"), 2, [fragment, "bad.jsonl"], setup);
                }
            }

            // Lone surrogates, where each role reads its text.
            yield return new Case($"{command} questions lone high surrogate", With(baseArgs, "-q", "{d}/bad.jsonl"), 2, ["bad.jsonl:1", "lone UTF-16 surrogate"],
                Write("bad.jsonl", "{\"question_id\": 81, \"category\": \"writing\", \"turns\": [\"\\ud800\", \"x\"]}\n"));
            yield return new Case($"{command} questions lone low surrogate", With(baseArgs, "-q", "{d}/bad.jsonl"), 2, ["bad.jsonl:1", "lone UTF-16 surrogate"],
                Write("bad.jsonl", "{\"question_id\": 81, \"category\": \"writing\", \"turns\": [\"a\\udc00b\", \"x\"]}\n"));
            yield return new Case($"{command} answers lone surrogate in model id", With(baseArgs, "-a", "{d}/bad.jsonl"), 2, ["bad.jsonl:1", "lone UTF-16 surrogate"],
                Write("bad.jsonl", "{\"question_id\": 81, \"model_id\": \"m\\ud800\", \"choices\": [{\"turns\": [\"a\", \"b\"]}]}\n"));
            yield return new Case($"{command} answers lone surrogate in text", With(baseArgs, "-a", "{d}/bad.jsonl", "{d}/a1.jsonl"), 2, ["bad.jsonl:1", "lone UTF-16 surrogate"],
                Write("bad.jsonl", "{\"question_id\": 81, \"model_id\": \"m\", \"choices\": [{\"turns\": [\"\\udbff\", \"b\"]}]}\n"));

            // Bad options and rubrics.
            (string Name, string[] Args, string Fragment, Func<string, Task>? Setup)[] options =
            [
                ("--turn 0", With(baseArgs, "--turn", "0"), "--turn must be a whole number of at least 1", null),
                ("--turn 3", With(baseArgs, "--turn", "3"), "turn 3", null),
                ("--limit 0", With(baseArgs, "--limit", "0"), "--limit must be", null),
                ("--limit -4", With(baseArgs, "--limit", "-4"), "--limit must be", null),
                ("--concurrency 0", With(baseArgs, "--concurrency", "0"), "--concurrency must be", null),
                ("--max-tokens 0", With(baseArgs, "--max-tokens", "0"), "--max-tokens must be", null),
                ("--verdict sideways", With(baseArgs, "--verdict", "sideways"), "--verdict must be one of", null),
                ("--verdict logits on a judge without logits", With(baseArgs, "--verdict", "logits"), "--verdict logits", null),
                ("--seed abc", With(baseArgs, "--seed", "abc"), "abc", null),
                ("--resume --overwrite", With(With(baseArgs, "--resume"), "--overwrite"), "cannot be combined with --overwrite", null),
                ("--retry-errors --overwrite", With(With(baseArgs, "--retry-errors"), "--overwrite"), "--retry-errors", null),
                ("--no-cache --refresh", With(With(baseArgs, "--no-cache"), "--refresh"), "cannot be combined with --no-cache", null),
                ("--rubric nosuch", With(baseArgs, "--rubric", "nosuch-rubric"), "nosuch-rubric", null),
                ("--rubrics-dir missing", With(baseArgs, "--rubrics-dir", "{d}/no-rubrics"), "no-rubrics", null),
                ("--prices missing", With(baseArgs, "--prices", "{d}/no-prices.yaml"), "no-prices.yaml", null),
                ("--prices bad YAML", With(baseArgs, "--prices", "{d}/p.yaml"), "p.yaml", Write("p.yaml", "gpt-4o: [1, 2\n")),
                ("--report is a file", With(baseArgs, "--report", "{d}/q.jsonl"), "is a file", null),
                ("--report would overwrite an input through a link", With(baseArgs, "--report", "{d}/rep"), "resolves to the input", Link("rep/summary.md", "q.jsonl")),
                ("--report holds --out", With(With(baseArgs, "--out", "{d}/rep/verdicts.csv"), "--report", "{d}/rep"), "is also the run's own results file", null),
                ("--columns bogus", With(baseArgs, "--columns", "nonsense"), "nonsense", null),
                ("rubric unclosed flow sequence", With(baseArgs, "--rubric", "{d}/r.yaml"), "r.yaml:3: not valid YAML", Write("r.yaml", "id: bad\nmode: [absolute\n")),
                ("rubric unclosed flow mapping", With(baseArgs, "--rubric", "{d}/r.yaml"), "r.yaml", Write("r.yaml", "id: bad\nscale: {min: 1, max: 10\n")),
                ("rubric unclosed quote", With(baseArgs, "--rubric", "{d}/r.yaml"), "r.yaml", Write("r.yaml", "id: \"bad\nmode: absolute\n")),
                ("rubric tab indent", With(baseArgs, "--rubric", "{d}/r.yaml"), "r.yaml", Write("r.yaml", "id: bad\noutput:\n\ttag: x\n")),
                ("rubric bare verdict tag", With(baseArgs, "--rubric", "{d}/r.yaml"), "needs marker text around '{verdict}'",
                    Write("r.yaml", "id: bad\nversion: 1\nmode: absolute\nscale: {min: 1, max: 10}\noutput:\n  tag: \"{verdict}\"\nprompt: \"{question} {answer}\"\n")),
                ("rubric spaced verdict tag", With(baseArgs, "--rubric", "{d}/r.yaml"), "needs marker text around '{verdict}'",
                    Write("r.yaml", "id: bad\nversion: 1\nmode: absolute\nscale: {min: 1, max: 10}\noutput:\n  tag: \"  {verdict} \"\nprompt: \"{question} {answer}\"\n")),
                ("rubric two verdict slots", With(baseArgs, "--rubric", "{d}/r.yaml"), "exactly once",
                    Write("r.yaml", "id: bad\nversion: 1\nmode: absolute\nscale: {min: 1, max: 10}\noutput:\n  tag: \"[[{verdict}{verdict}]]\"\nprompt: \"{question} {answer}\"\n")),
                ("rubric unknown key", With(baseArgs, "--rubric", "{d}/r.yaml"), "unknown key 'tag'", Write("r.yaml", "id: bad\nmode: absolute\ntag: \"{verdict}\"\n")),
                ("rubric empty", With(baseArgs, "--rubric", "{d}/r.yaml"), "r.yaml", Write("r.yaml", string.Empty)),
                ("rubric UTF-16", With(baseArgs, "--rubric", "{d}/r.yaml"), "r.yaml", WriteBytes("r.yaml", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("id: bad\n")])),
            ];
            foreach (var (what, args, fragment, setup) in options)
            {
                yield return new Case($"{command} {what}", args, 2, [fragment], setup);
            }

            if (command == "compare")
            {
                yield return new Case("compare --swap sideways", With(baseArgs, "--swap", "sideways"), 2, ["sideways"]);
                yield return new Case("compare --on-disagreement coin", With(baseArgs, "--on-disagreement", "coin"), 2, ["coin"]);
                yield return new Case("compare --pairs everything", With(baseArgs, "--pairs", "everything"), 2, ["'everything' is not all, baseline:MODEL or labels:FILE"]);
                yield return new Case("compare labels of unknown models", With(baseArgs, "--pairs", "labels:{d}/other.jsonl"), 2, ["other.jsonl", "no labelled pair", "zzz-model"],
                    Write("other.jsonl", "{\"judge\":\"expert_1\",\"model_a\":\"zzz-model\",\"model_b\":\"yyy-model\",\"question_id\":81,\"turn\":1,\"winner\":\"model_a\"}\n"));
                yield return new Case("compare labels of unknown questions", With(baseArgs, "--pairs", "labels:{d}/other.jsonl"), 2, ["other.jsonl", "no labelled pair"],
                    Write("other.jsonl", "{\"judge\":\"expert_1\",\"model_a\":\"gpt-4\",\"model_b\":\"claude-v1\",\"question_id\":999,\"turn\":1,\"winner\":\"model_a\"}\n"));
            }
            else
            {
                yield return new Case("grade --models nobody", With(baseArgs, "--models", "nobody"), 2, ["no answers by model 'nobody'", "gpt-4"]);
                yield return new Case("grade --models gpt-4 nobody", With(baseArgs, "--models", "gpt-4", "nobody"), 2, ["no answers by model 'nobody'"]);
                yield return new Case("grade --models GPT-4 (case)", With(baseArgs, "--models", "GPT-4"), 2, ["no answers by model 'GPT-4'"]);
            }

            // A finished run is never replaced without --overwrite, and a refused command leaves it byte-identical.
            var finished = Finished(baseArgs);
            // Refusals of the start come before the engine reads the data, rubric or judge, so most say "finished run".
            (string Name, string[] Args, string[] Fragments)[] afterFinished =
            [
                ("same command", baseArgs, ["--resume", "--overwrite", "finished run"]),
                ("same command, other seed", With(baseArgs, "--seed", "5"), ["--resume", "--overwrite"]),
                ("same command, another judge", With(baseArgs, "--judge", "mock:2"), ["--resume", "--overwrite"]),
                ("bad error_rate", With(baseArgs, "--judge", "mock:1?error_rate=7"), ["--overwrite"]),
                ("bad mock seed", With(baseArgs, "--judge", "mock:abc"), ["--overwrite"]),
                ("secret in spec", With(baseArgs, "--judge", $"mock:1?api_key={Secret}"), ["looks like a credential"]),
                ("missing answers", With(baseArgs, "-a", "{d}/none.jsonl"), ["--overwrite"]),
                ("bad rubric", With(baseArgs, "--rubric", "nosuch-rubric"), ["--overwrite"]),
                ("turn 3", With(baseArgs, "--turn", "3"), ["--overwrite"]),
                ("turn 0", With(baseArgs, "--turn", "0"), ["--turn must be"]),
                ("out on the questions", With(baseArgs, "--out", "{d}/q.jsonl"), ["is an input of this command"]),
                ("resume with another plan", With(With(baseArgs, "--resume"), "--judge", "mock:2"), ["different plan", "overwrite"]),
                ("resume with a bad judge", With(With(baseArgs, "--resume"), "--judge", "mock:1?error_rate=7"), ["error_rate must be"]),
                ("resume with mock:abc", With(With(baseArgs, "--resume"), "--judge", "mock:abc"), ["whole number"]),
                ("resume with the out on an input", With(With(baseArgs, "--resume"), "--out", "{d}/a1.jsonl"), ["is an input of this command"]),
            ];
            foreach (var (what, args, fragments) in afterFinished)
            {
                yield return new Case($"{command} after a finished run: {what}", args, 2, fragments, finished);
            }

            var unfinished = Unfinished(baseArgs, "o.manifest.json");
            yield return new Case($"{command} after an unfinished run: same command", baseArgs, 2, ["unfinished run", "--resume", "--overwrite"], unfinished);
            yield return new Case($"{command} after an unfinished run: bad judge", With(baseArgs, "--judge", "mock:1?error_rate=7"), 2, ["--overwrite"], unfinished);
            yield return new Case($"{command} resume of an unfinished run with a bad judge", With(With(baseArgs, "--resume"), "--judge", "mock:1?error_rate=7"), 2, ["error_rate must be"], unfinished);
            yield return new Case($"{command} over judgments without a manifest", baseArgs, 2, ["holds judgments", "--resume", "--overwrite"],
                Then(finished, dir => Task.Run(() => File.Delete(Path.Combine(dir, "o.manifest.json")))));
        }

        // judge run: configs that must be refused before anything is judged or written.
        (string Name, string Yaml, string[] Fragments, Func<string, Task>? Setup)[] configs =
        [
            ("unclosed flow sequence", "mode: [compare\n", ["c.yaml"], null),
            ("unclosed flow mapping", "mode: compare\ndata: {questions: q.jsonl\n", ["c.yaml"], null),
            ("tab indent", "mode: compare\ndata:\n\tquestions: q.jsonl\n", ["c.yaml"], null),
            ("empty file", string.Empty, ["c.yaml"], null),
            ("unknown mode", Config("rank", "mock:1", string.Empty), ["rank"], null),
            ("missing questions file", Config("grade", "mock:1", string.Empty).Replace("questions: q.jsonl", "questions: none.jsonl", StringComparison.Ordinal), ["none.jsonl"], null),
            ("empty answers file", Config("grade", "mock:1", string.Empty).Replace("[a1.jsonl, a2.jsonl]", "[a1.jsonl, e.jsonl]", StringComparison.Ordinal), ["e.jsonl", "holds no answers"], Write("e.jsonl", string.Empty)),
            ("missing human labels", Config("compare", "mock:1", "  human_labels: none.jsonl\n"), ["none.jsonl"], null),
            ("empty human labels", Config("compare", "mock:1", "  human_labels: e.jsonl\n"), ["e.jsonl", "holds no labels"], Write("e.jsonl", string.Empty)),
            ("rater-less human labels", Config("compare", "mock:1", "  human_labels: authors.jsonl\n"), ["authors.jsonl", "no human vote is by raters 'expert*'"],
                Write("authors.jsonl", "{\"judge\":\"author_1\",\"model_a\":\"gpt-4\",\"model_b\":\"claude-v1\",\"question_id\":81,\"turn\":1,\"winner\":\"model_a\"}\n")),
            ("bad judge", Config("grade", "mock:1?error_rate=7", string.Empty), ["error_rate must be"], null),
            ("mock:abc", Config("grade", "mock:abc", string.Empty), ["whole number"], null),
            ("secret in judge", Config("grade", $"mock:1?api_key={Secret}", string.Empty), ["looks like a credential"], null),
            ("output holds the questions", Config("grade", "mock:1", string.Empty).Replace("questions: q.jsonl", "questions: out/judgments.jsonl", StringComparison.Ordinal), ["is an input of this command"],
                dir => Task.Run(() => File.Copy(Path.Combine(dir, "q.jsonl"), Path.Combine(Directory.CreateDirectory(Path.Combine(dir, "out")).FullName, "judgments.jsonl")))),
            ("gated model without answers", Config("compare", "mock:1", string.Empty, "thresholds:\n  baseline: nobody\n  min_win_rate: 0.5\n"), ["nobody"], null),
            ("limit 0", Config("grade", "mock:1", string.Empty, "options:\n  limit: 0\n"), ["limit"], null),
            ("concurrency -1", Config("grade", "mock:1", string.Empty, "options:\n  concurrency: -1\n"), ["concurrency"], null),
            ("unknown option key", Config("grade", "mock:1", string.Empty, "options:\n  concurency: 2\n"), ["concurency"], null),
            ("verdict logits on a mock judge", Config("grade", "mock:1", string.Empty, "options:\n  verdict: logits\n"), ["options.verdict", "'mock:1' gives none"], null),
            ("UTF-16 config", "\uFEFFmode: grade\n", ["c.yaml"], WriteBytes("c16.yaml", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("mode: grade\n")])),
            ("models nobody", Config("grade", "mock:1", string.Empty, "options:\n  models: [nobody]\n"), ["no answers by model 'nobody'"], null),
        ];
        foreach (var (what, yaml, fragments, setup) in configs)
        {
            var file = what == "UTF-16 config" ? "c16.yaml" : "c.yaml";
            var write = what == "UTF-16 config" ? setup! : setup is null ? Write("c.yaml", yaml) : Then(Write("c.yaml", yaml), setup);
            yield return new Case($"run {what}", ["run", "{d}/" + file, "--quiet"], 2, what == "UTF-16 config" ? ["c16.yaml"] : fragments, write);
        }

        var finishedRun = Finished(["run", "{d}/grade.yaml", "--quiet"]);
        yield return new Case("run after a finished run: same config", ["run", "{d}/grade.yaml", "--quiet"], 2, ["finished run", "--resume", "--overwrite"], finishedRun);
        yield return new Case("run after a finished run: bad judge", ["run", "{d}/grade.yaml", "--quiet", "--judge", "mock:1?error_rate=7"], 2, ["--overwrite"], finishedRun);
        yield return new Case("run --resume after a finished run: bad judge", ["run", "{d}/grade.yaml", "--quiet", "--resume", "--judge", "mock:1?error_rate=7"], 2, ["error_rate must be"], finishedRun);
        yield return new Case("run --resume after a finished run: mock:abc", ["run", "{d}/grade.yaml", "--quiet", "--resume", "--judge", "mock:abc"], 2, ["whole number"], finishedRun);
        yield return new Case("run after an unfinished run", ["run", "{d}/grade.yaml", "--quiet"], 2, ["unfinished run", "--resume", "--overwrite"], Unfinished(["run", "{d}/grade.yaml", "--quiet"], "out/manifest.json"));
        yield return new Case("run --out is a file", ["run", "{d}/grade.yaml", "--quiet", "--out", "{d}/q.jsonl"], 2, ["q.jsonl"]);
        yield return new Case("run --limit 0", ["run", "{d}/grade.yaml", "--limit", "0"], 2, ["--limit must be"]);
        yield return new Case("run --shard 3/2", ["run", "{d}/grade.yaml", "--shard", "3/2"], 2, ["'3/2' is not K/N"]);
        yield return new Case("run missing config", ["run", "{d}/none.yaml"], 2, ["none.yaml"]);

        // Other commands.
        yield return new Case("bias report on an empty file", ["bias", "report", "--judgments", "{d}/e.jsonl"], 2, ["e.jsonl", "holds no verdicts"], Write("e.jsonl", string.Empty));
        yield return new Case("bias report on blank lines", ["bias", "report", "--judgments", "{d}/e.jsonl"], 2, ["e.jsonl", "holds no verdicts"], Write("e.jsonl", "\n\n"));
        yield return new Case("bias report on UTF-16", ["bias", "report", "--judgments", "{d}/e.jsonl"], 2, ["e.jsonl", "is UTF-16"],
            WriteBytes("e.jsonl", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("{}\n")]));
        yield return new Case("bias report on a missing file", ["bias", "report", "--judgments", "{d}/none.jsonl"], 2, ["none.jsonl"]);
        foreach (var tolerance in new[] { "-1", "-7", "5", "99" })
        {
            yield return new Case($"feedback generate --tolerance {tolerance}", ["feedback", "generate", "--out", "{d}/fb", "--generator", "mock:1", "--judge", "mock:1", "--tolerance", tolerance], 2, ["--tolerance", "from 0 to 4"]);
        }

        yield return new Case("feedback generate --dedupe-threshold 2", ["feedback", "generate", "--out", "{d}/fb", "--generator", "mock:1", "--judge", "mock:1", "--dedupe-threshold", "2"], 2, ["--dedupe-threshold"]);
        yield return new Case("feedback generate --rubrics 0", ["feedback", "generate", "--out", "{d}/fb", "--generator", "mock:1", "--judge", "mock:1", "--rubrics", "0"], 2, ["--rubrics"]);
        yield return new Case("feedback generate secret in generator", ["feedback", "generate", "--out", "{d}/fb", "--generator", $"mock:1?secret={Secret}", "--judge", "mock:1"], 2, ["looks like a credential"]);
        yield return new Case("feedback generate --until before --from", ["feedback", "generate", "--out", "{d}/fb", "--generator", "mock:1", "--judge", "mock:1", "--from", "feedback", "--until", "rubrics"], 2, ["comes before"]);
        string[] feedback = ["feedback", "generate", "--generator", "mock:1", "--judge", "mock:1"];
        yield return new Case("feedback generate --out is a file", [.. feedback, "--out", "{d}/q.jsonl"], 2, ["q.jsonl", "is a file; give a folder"]);
        yield return new Case("feedback generate --out is the --prices file", [.. feedback, "--prices", "{d}/p.yaml", "--out", "{d}/p.yaml"], 2, ["--out", "is an input of this command"], Write("p.yaml", "gpt-4o: { input: 2.5, output: 10 }\n"));
        yield return new Case("feedback generate --out is the --seeds folder", [.. feedback, "--seeds", "{d}/seeds", "--out", "{d}/seeds"], 2, ["is the --seeds folder"], CopyFolder(Path.Combine(Paths.Rubrics, "feedback", "seeds"), "seeds"));
        yield return new Case("feedback generate --out links to the --seeds folder", [.. feedback, "--seeds", "{d}/seeds", "--out", "{d}/fb"], 2, ["is the --seeds folder"],
            Then(CopyFolder(Path.Combine(Paths.Rubrics, "feedback", "seeds"), "seeds"), dir => Task.FromResult(Directory.CreateSymbolicLink(Path.Combine(dir, "fb"), Path.Combine(dir, "seeds")))));
        yield return new Case("feedback generate --out is the --prompts folder", [.. feedback, "--prompts", "{d}/prompts", "--out", "{d}/prompts"], 2, ["is the --prompts folder"], CopyFolder(Path.Combine(Paths.Rubrics, "feedback"), "prompts"));
        yield return new Case("feedback generate --out is the --rubrics-dir", [.. feedback, "--rubrics-dir", "{d}/rubrics", "--out", "{d}/rubrics"], 2, ["is the --rubrics-dir folder"], CopyFolder(Paths.Rubrics, "rubrics"));
        yield return new Case("feedback generate journal links to an input", [.. feedback, "--prices", "{d}/p.yaml", "--out", "{d}/fb"], 2, ["journal.jsonl", "resolves to the input"],
            Then(Write("p.yaml", "gpt-4o: { input: 2.5, output: 10 }\n"), Link("fb/journal.jsonl", "p.yaml")));
        yield return new Case("feedback generate export links to a seed", [.. feedback, "--seeds", "{d}/seeds", "--out", "{d}/fb"], 2, ["feedback-collection.jsonl", "resolves to the input"],
            Then(CopyFolder(Path.Combine(Paths.Rubrics, "feedback", "seeds"), "seeds"), dir =>
            {
                Directory.CreateDirectory(Path.Combine(dir, "fb"));
                File.CreateSymbolicLink(Path.Combine(dir, "fb", "feedback-collection.jsonl"), Directory.GetFiles(Path.Combine(dir, "seeds")).Order(StringComparer.Ordinal).First());
                return Task.CompletedTask;
            }));
        yield return new Case("run report would overwrite an input through a link", ["run", "{d}/grade.yaml", "--quiet"], 2, ["summary.md", "resolves to the input"], Link("out/summary.md", "q.jsonl"));
        yield return new Case("batch export --out is the config", ["batch", "export", "{d}/grade.yaml", "--out", "{d}/grade.yaml"], 2, ["is an input of this command"]);
        yield return new Case("batch export --out is the questions", ["batch", "export", "{d}/grade.yaml", "--out", "{d}/q.jsonl"], 2, ["is an input of this command"]);
    }
}

using System.CommandLine;
using System.Globalization;
using Judge.Judging;
using Judge.Providers.Llama;
using Spectre.Console;

namespace Judge.Cli.Commands;

/// <summary>
/// <c>judge models info PATH|NAME</c>: what a GGUF file holds, read without loading it;
/// <c>judge models pull [NAME|URL]</c>: fetch a judge model into the model cache, verified;
/// <c>judge models list</c>: the catalogue and what the cache holds.
/// </summary>
internal static class ModelCommands
{
    public static Command Create(IAnsiConsole console) =>
        new("models", "Inspect local model files, and fetch open judge models into the model cache ($JUDGE_MODELS, else ~/.cache/judge/models).")
        {
            Info(console),
            Pull(console),
            List(console),
        };

    private static Command Info(IAnsiConsole console)
    {
        var path = new Argument<string>("path") { Description = "A GGUF model file (for llama:PATH judges), or the name of a cached catalogue model." };
        var info = new Command("info", "Show a GGUF model's architecture, size, quantisation, context length, vocabulary and chat template, read from its header.") { path };
        info.SetAction(parse =>
        {
            var file = parse.GetValue(path)!;
            var gguf = GgufReader.Read(ModelCatalogue.LooksLikeName(file) ? new ModelStore().ResolveModelPath(file) : file);
            string N(long? v) => v?.ToString("N0", CultureInfo.InvariantCulture) ?? "-";
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("[bold]file[/]", Markup.Escape(gguf.Path));
            grid.AddRow("[bold]format[/]", $"GGUF v{gguf.Version}");
            grid.AddRow("[bold]name[/]", Markup.Escape(gguf.Name ?? "-"));
            grid.AddRow("[bold]architecture[/]", Markup.Escape(gguf.Architecture ?? "-"));
            grid.AddRow("[bold]parameters[/]", gguf.ParameterCount.ToString("N0", CultureInfo.InvariantCulture));
            grid.AddRow("[bold]quantisation[/]", Markup.Escape(gguf.FileType ?? "-"));
            grid.AddRow("[bold]context length[/]", N(gguf.ContextLength));
            grid.AddRow("[bold]layers[/]", N(gguf.BlockCount));
            grid.AddRow("[bold]embedding[/]", N(gguf.EmbeddingLength));
            grid.AddRow("[bold]vocabulary[/]", $"{N(gguf.VocabularySize)} ({Markup.Escape(gguf.TokenizerModel ?? "-")})");
            grid.AddRow("[bold]chat template[/]", gguf.ChatTemplate is { } t ? $"{t.Length} characters" : "none (llama: judges use plain text)");
            grid.AddRow("[bold]metadata keys[/]", gguf.Metadata.Count.ToString(CultureInfo.InvariantCulture));
            grid.AddRow("[bold]tensors[/]", gguf.Tensors.Count.ToString(CultureInfo.InvariantCulture));
            console.Write(grid);
            return ExitCodes.Ok;
        });
        return info;
    }

    private static Command Pull(IAnsiConsole console)
    {
        var model = new Argument<string?>("model")
        {
            Description = $"A catalogue model (judge models list; '{ModelCatalogue.RecommendedAlias}' is {ModelCatalogue.Recommended.Name}), or an http(s) URL of a GGUF file.",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => ModelCatalogue.RecommendedAlias,
        };
        var sha256 = new Option<string?>("--sha256") { Description = "The file's SHA-256 (64 hex digits; Hugging Face shows it on the file's page). Required for a URL." };
        var file = new Option<string?>("--file") { Description = "The file name in the cache, for a URL (default: the URL's last path segment)." };
        var cache = CacheOption();
        var pull = new Command("pull", "Download a judge model into the model cache once: resumable, SHA-256 verified, then reused offline. Prints the file's path last.")
        {
            model, sha256, file, cache,
        };
        pull.SetAction(async (parse, cancellationToken) =>
        {
            var store = new ModelStore(new ModelStoreOptions { CacheDirectory = parse.GetValue(cache) });
            var target = parse.GetValue(model) ?? ModelCatalogue.RecommendedAlias;
            ModelRequest request;
            string label;
            if (Uri.TryCreate(target, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            {
                request = ModelRequest.ForUrl(url, parse.GetValue(sha256), parse.GetValue(file));
                label = request.FileName;
            }
            else
            {
                if (parse.GetValue(file) is not null)
                {
                    throw new InputException(null, null, "--file", "applies to a URL; a catalogue model keeps its own file name");
                }

                var entry = ModelCatalogue.Find(target, store.Catalogue)
                    ?? throw new InputException(null, null, "model", $"'{target}' is neither a catalogue model ({string.Join(", ", store.Catalogue.Select(m => m.Name).Prepend(ModelCatalogue.RecommendedAlias))}) nor an http(s) URL; see judge models list");
                request = ModelRequest.ForCatalogue(entry, parse.GetValue(sha256));
                label = $"{entry.Name} ({entry.FileName})";
            }

            // Unwrapped, so a long URL stays one line that can be copied.
            var output = console.Profile.Out.Writer;
            output.WriteLine($"model: {label}{(request.Size is long size ? $", {ByteSize.Format(size)}" : string.Empty)}");
            output.WriteLine($"from:  {request.Url}");
            output.WriteLine($"into:  {store.CacheDirectory}");
            var path = await ModelPulling.PullAsync(console, store, request, quiet: false, cancellationToken).ConfigureAwait(false);

            // The path alone on the last line, unwrapped, for scripts: path=$(judge models pull NAME | tail -n 1).
            output.WriteLine(path);
            return ExitCodes.Ok;
        });
        return pull;
    }

    private static Command List(IAnsiConsole console)
    {
        var cache = CacheOption();
        var list = new Command("list", "List the catalogue of open judge models and what the model cache holds.") { cache };
        list.SetAction(parse =>
        {
            var store = new ModelStore(new ModelStoreOptions { CacheDirectory = parse.GetValue(cache) });
            string Name(CatalogueModel m) => m == store.Catalogue[0] ? $"{m.Name} ({ModelCatalogue.RecommendedAlias})" : m.Name;
            var table = new Table().AddColumns("name", "size", "in the cache");
            foreach (var m in store.Catalogue)
            {
                table.AddRow(Markup.Escape(Name(m)), m.Size is long s ? ByteSize.Format(s) : "?", Markup.Escape(Describe(store.Inspect(m.FileName, m.Sha256), m.Size)));
            }

            console.Write(table);
            foreach (var m in store.Catalogue)
            {
                console.MarkupLineInterpolated($"[bold]{Name(m)}[/]: {m.FileName}, {m.Title}; licence {m.License}{(m.Sha256 is null ? "; no verified checksum: pull it with --sha256" : string.Empty)}");
            }

            var listed = store.Catalogue.Select(m => m.FileName).ToHashSet(StringComparer.Ordinal);
            var others = Directory.Exists(store.CacheDirectory)
                ? Directory.GetFiles(store.CacheDirectory, "*.gguf").Select(Path.GetFileName).OfType<string>().Where(f => !listed.Contains(f)).Order(StringComparer.Ordinal).ToList()
                : [];
            foreach (var other in others)
            {
                var state = store.Inspect(other);
                console.MarkupLineInterpolated($"also in the cache: {other} ({ByteSize.Format(state.Bytes)}{(state.State == CachedModelState.Verified ? ", verified" : string.Empty)})");
            }

            console.MarkupLineInterpolated($"model cache: {store.CacheDirectory}{(parse.GetValue(cache) is null ? " (--cache DIR or $JUDGE_MODELS picks another)" : string.Empty)}");
            console.MarkupLine("fetch one with [bold]judge models pull NAME[/]; judge with it as [bold]--judge llama:NAME[/] (pulled first if absent).");
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Option<string?> CacheOption() => new("--cache")
    {
        Description = "The model cache folder. Default: $JUDGE_MODELS, else $XDG_CACHE_HOME/judge/models, else ~/.cache/judge/models.",
    };

    private static string Describe(CachedModel cached, long? size) => cached.State switch
    {
        CachedModelState.Verified => "yes, verified",
        CachedModelState.Present when cached.Sha256 is not null => "yes, but another file (its SHA-256 differs; delete it to pull again)",
        CachedModelState.Present => "yes, checked on first use",
        CachedModelState.Partial => $"partly: {ByteSize.Format(cached.Bytes)}{(size is long s ? $" of {ByteSize.Format(s)}" : string.Empty)} (pull resumes)",
        _ => "-",
    };
}

/// <summary>Pulls models into the cache for the command line, with a progress bar on a terminal and plain lines otherwise.</summary>
internal static class ModelPulling
{
    /// <summary>
    /// Before a judge is built: a <c>llama:NAME</c> spec naming a catalogue model that is not in the cache
    /// yet is pulled now, with progress, so the judge can load it. Any other spec is left alone.
    /// </summary>
    public static async Task EnsureCachedAsync(IAnsiConsole console, JudgeSpec spec, bool quiet, CancellationToken cancellationToken)
    {
        if (spec.CatalogueModel is null)
        {
            return;
        }

        var store = new ModelStore();
        if (ModelCatalogue.Find(spec.Target, store.Catalogue) is not { Sha256: not null } entry)
        {
            // Unknown names and entries without a checksum are reported when the judge is built.
            return;
        }

        var request = ModelRequest.ForCatalogue(entry);
        if (store.Inspect(request.FileName, request.Sha256).State == CachedModelState.Verified)
        {
            return;
        }

        if (!quiet)
        {
            console.MarkupLineInterpolated($"[grey]note:[/] llama:{spec.Target} is {entry.FileName}{(entry.Size is long s ? $" ({ByteSize.Format(s)})" : string.Empty)}; fetching it once into the model cache {store.CacheDirectory} from {entry.Url.Host}");
        }

        await PullAsync(console, store, request, quiet, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pulls a file, showing progress unless <paramref name="quiet"/>; returns its path.</summary>
    public static async Task<string> PullAsync(IAnsiConsole console, ModelStore store, ModelRequest request, bool quiet, CancellationToken cancellationToken)
    {
        if (store.Inspect(request.FileName, request.Sha256).State == CachedModelState.Verified)
        {
            // Verified before: only the size is checked, nothing is hashed or fetched.
            var cached = store.FindVerified(request, null, cancellationToken)!;
            if (!quiet)
            {
                console.MarkupLineInterpolated($"[green]already in the cache[/], verified: {request.FileName}");
            }

            return cached;
        }

        if (quiet)
        {
            return await store.PullAsync(request, null, cancellationToken).ConfigureAwait(false);
        }

        if (!console.Profile.Capabilities.Interactive)
        {
            var path = await store.PullAsync(request, new PlainLines(console), cancellationToken).ConfigureAwait(false);
            console.MarkupLineInterpolated($"[green]verified[/] SHA-256 {request.Sha256}");
            return path;
        }

        string? result = null;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var name = Markup.Escape(request.FileName);
                var task = context.AddTask(name, maxValue: Math.Max(1, request.Size ?? 1));
                var progress = new Callback(p =>
                {
                    task.Description = p.Stage == ModelPullStage.Checking ? $"checking {name}" : name;
                    if (p.TotalBytes is long total && total > 0)
                    {
                        task.MaxValue = total;
                    }

                    task.Value = p.Bytes;
                });
                result = await store.PullAsync(request, progress, cancellationToken).ConfigureAwait(false);
                task.Value = task.MaxValue;
                task.StopTask();
            }).ConfigureAwait(false);
        console.MarkupLineInterpolated($"[green]verified[/] SHA-256 {request.Sha256}");
        return result!;
    }

    /// <summary>Reports on the reporting thread, in order (unlike <see cref="Progress{T}"/>, which posts).</summary>
    private sealed class Callback(Action<ModelPullProgress> report) : IProgress<ModelPullProgress>
    {
        public void Report(ModelPullProgress value) => report(value);
    }

    /// <summary>Progress for logs and pipes: a line when a stage starts, then one per tenth of the file.</summary>
    private sealed class PlainLines(IAnsiConsole console) : IProgress<ModelPullProgress>
    {
        private ModelPullStage? _stage;
        private long _next;

        public void Report(ModelPullProgress value)
        {
            var total = value.TotalBytes;
            if (_stage != value.Stage)
            {
                _stage = value.Stage;
                var of = total is long t ? ByteSize.Format(t) : "size unknown";
                console.WriteLine(value.Stage switch
                {
                    ModelPullStage.Checking => $"checking {value.FileName} ({of}) against its SHA-256",
                    _ when value.ResumedFrom > 0 => $"resuming {value.FileName} at {ByteSize.Format(value.ResumedFrom)} of {of}",
                    _ => $"downloading {value.FileName} ({of})",
                });
                _next = NextMark(value.Bytes, total);
                return;
            }

            if (value.Bytes >= _next && value.Bytes > 0)
            {
                console.WriteLine(total is long t
                    ? string.Create(CultureInfo.InvariantCulture, $"  {100.0 * value.Bytes / t:0}% ({ByteSize.Format(value.Bytes)} of {ByteSize.Format(t)})")
                    : $"  {ByteSize.Format(value.Bytes)}");
                _next = NextMark(value.Bytes, total);
            }
        }

        /// <summary>The next tenth of the file past <paramref name="bytes"/> (or the next 100 MB when the size is unknown).</summary>
        private static long NextMark(long bytes, long? total)
        {
            if (total is not long t || t <= 0)
            {
                return ((bytes / 100_000_000) + 1) * 100_000_000;
            }

            var tenth = Math.Max(1, t / 10);
            return Math.Min(t, ((bytes / tenth) + 1) * tenth);
        }
    }
}

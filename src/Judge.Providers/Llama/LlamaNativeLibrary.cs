using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;
using LLama.Native;

namespace Judge.Providers.Llama;

/// <summary>
/// The one place that decides which llama.cpp LLamaSharp loads, and loads it once per process. The
/// folder is the spec's <c>native=DIR</c>, else <c>JUDGE_LLAMA_NATIVE</c>, else the
/// LLamaSharp.Backend.Cpu build for this CPU: <c>runtimes/linux-x64/native/{avx512,avx2,avx,noavx}</c>
/// beside the application, the best level the CPU runs that is there. LLamaSharp is pointed at that
/// folder's <c>libllama.so</c> with its fallback off, so it never loads a system <c>libllama</c>
/// instead. A folder is refused unless its llama.cpp is commit <see cref="ExpectedCommit"/>, the one
/// LLamaSharp's structs and signatures mirror (another build loads, reads garbage and aborts).
/// llama.cpp's log goes to a ring of recent warnings and errors, which failed loads and grammars are
/// explained from. Thread-safe.
/// </summary>
internal static unsafe class LlamaNativeLibrary
{
    /// <summary>The environment variable naming the native directory.</summary>
    public const string EnvironmentVariable = "JUDGE_LLAMA_NATIVE";

    /// <summary>The llama.cpp commit LLamaSharp 0.30.0 binds (<c>ggml_commit()</c> of its natives; ggml 0.18.0).</summary>
    public const string ExpectedCommit = "815a2a59";

    /// <summary>Where LLamaSharp.Backend.Cpu's linux-x64 builds lie, relative to the application's folder.</summary>
    public const string BundledSubdirectory = "runtimes/linux-x64/native";

    /// <summary>The files a llama.cpp folder must hold (shared-library build: libggml loads its backends as dependencies).</summary>
    internal static readonly string[] RequiredFiles = ["libllama.so", "libggml.so", "libggml-base.so"];

    private static readonly object Gate = new();
    private static readonly LogRing Log = new(64);
    private static string? _loadedFrom;
    private static IntPtr _llama;

    /// <summary>The directory the libraries were loaded from, once loaded.</summary>
    public static string? LoadedFrom => Volatile.Read(ref _loadedFrom);

    /// <summary>Where the libraries are looked for, given the spec's option (if any).</summary>
    public static string ResolveDirectory(string? fromSpec) =>
        ResolveDirectory(fromSpec, Environment.GetEnvironmentVariable(EnvironmentVariable), AppContext.BaseDirectory, CpuLevel());

    /// <summary>
    /// The spec's folder, else the environment's, else the first of <see cref="SearchedDirectories"/>
    /// holding <c>libllama.so</c>; when none does, the first (the best build for the CPU), so the error names it.
    /// </summary>
    internal static string ResolveDirectory(string? fromSpec, string? fromEnvironment, string baseDirectory, int cpuLevel)
    {
        if (!string.IsNullOrWhiteSpace(fromSpec))
        {
            return Path.GetFullPath(fromSpec);
        }

        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        var searched = SearchedDirectories(baseDirectory, cpuLevel);
        return searched.FirstOrDefault(d => File.Exists(Path.Combine(d, RequiredFiles[0]))) ?? searched[0];
    }

    /// <summary>
    /// The bundled folders looked in, best first, for a CPU with instruction level <paramref name="cpuLevel"/>
    /// (3 AVX-512, 2 AVX2, 1 AVX, 0 none): a build needing more than the CPU has would die of an illegal instruction.
    /// </summary>
    internal static IReadOnlyList<string> SearchedDirectories(string baseDirectory, int cpuLevel)
    {
        var bundled = Path.Combine(Path.TrimEndingDirectorySeparator(Path.GetFullPath(baseDirectory)), BundledSubdirectory);
        string[] levels = ["noavx", "avx", "avx2", "avx512"];
        return [.. Enumerable.Range(0, Math.Clamp(cpuLevel, 0, 3) + 1).Reverse().Select(i => Path.Combine(bundled, levels[i]))];
    }

    /// <summary>This CPU's level as <see cref="SearchedDirectories"/> counts it.</summary>
    internal static int CpuLevel() => Avx512F.IsSupported ? 3 : Avx2.IsSupported ? 2 : Avx.IsSupported ? 1 : 0;

    /// <summary>
    /// Makes llama.cpp usable, loading it from <paramref name="directory"/> the first time. Missing
    /// files, another llama.cpp commit, or a second directory are <see cref="JudgeUnavailableException"/>s
    /// that say what was looked for where.
    /// </summary>
    public static void EnsureLoaded(string directory)
    {
        directory = Path.GetFullPath(directory);
        var missing = RequiredFiles.Where(f => !File.Exists(Path.Combine(directory, f))).ToList();
        if (missing.Count > 0)
        {
            var why = Directory.Exists(directory) ? $"missing {string.Join(", ", missing)}" : "the directory does not exist";
            throw new JudgeUnavailableException(
                $"llama.cpp native libraries not found in {directory} ({why}). The LLamaSharp.Backend.Cpu package puts them under " +
                $"{BundledSubdirectory}/<avx level> beside the application; point {EnvironmentVariable} or the spec option native=DIR at a folder " +
                $"holding {string.Join(", ", RequiredFiles)} built from llama.cpp commit {ExpectedCommit}");
        }

        if (string.Equals(LoadedFrom, directory, StringComparison.Ordinal))
        {
            return;
        }

        // Read before loading: a refused libggml-base.so, once loaded, would be the one every later libllama links to (same soname).
        var basePath = Path.Combine(directory, "libggml-base.so");
        if (!FileContains(basePath, Encoding.ASCII.GetBytes(ExpectedCommit)))
        {
            throw new JudgeUnavailableException(
                $"{basePath} is not llama.cpp commit {ExpectedCommit}, the one LLamaSharp 0.30.0 binds (its structs differ between commits, and a " +
                $"mismatch crashes the process); build that commit (scripts/build-llama.sh) and point {EnvironmentVariable} or native=DIR at it");
        }

        lock (Gate)
        {
            if (_loadedFrom is not null)
            {
                if (!string.Equals(_loadedFrom, directory, StringComparison.Ordinal))
                {
                    throw new JudgeUnavailableException($"llama.cpp is already loaded from {_loadedFrom} in this process; it cannot also be loaded from {directory}");
                }

                return;
            }

            // Loaded here first, dependencies first, so a file that is no library fails with the loader's reason before
            // LLamaSharp tries it: a failed load inside LLamaSharp breaks its NativeApi for the rest of the process.
            foreach (var file in Dependencies(directory))
            {
                try
                {
                    NativeLibrary.Load(file);
                }
                catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
                {
                    throw new JudgeUnavailableException($"the llama.cpp libraries in {directory} could not be loaded: {ex.Message}", ex);
                }
            }

            var llama = Path.Combine(directory, "libllama.so");
            if (NativeLibraryConfig.LLama.LibraryHasLoaded)
            {
                throw new JudgeUnavailableException($"LLamaSharp already loaded its native library in this process before the judge chose {directory}");
            }

            try
            {
                NativeLibraryConfig.LLama
                    .WithLibrary(llama)
                    .WithAutoFallback(false)
                    .WithLogCallback(OnLog);
                // The first call into NativeApi loads the libraries (and runs llama_backend_init).
                NativeApi.llama_empty_call();
                _llama = NativeLibrary.Load(llama);
            }
            catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException or TypeInitializationException or LLama.Exceptions.RuntimeError)
            {
                throw new JudgeUnavailableException($"the llama.cpp libraries in {directory} could not be loaded: {ex.GetBaseException().Message}{Why()}", ex);
            }

            var commit = Commit(directory);
            if (!commit.StartsWith(ExpectedCommit, StringComparison.Ordinal))
            {
                throw new JudgeUnavailableException($"the llama.cpp in {directory} reports commit '{commit}', not {ExpectedCommit}; point {EnvironmentVariable} or native=DIR at a build of {ExpectedCommit}");
            }

            Volatile.Write(ref _loadedFrom, directory);
        }
    }

    /// <summary>The last warning and error lines llama.cpp logged (it explains failed loads there).</summary>
    public static string RecentErrors() => Log.Snapshot();

    /// <summary>Forgets logged lines, so the next failure's explanation is its own.</summary>
    public static void ClearLog() => Log.Clear();

    /// <summary><c>llama_print_system_info()</c>, once loaded.</summary>
    public static string SystemInfo() => Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info()) ?? string.Empty;

    /// <summary>The loaded llama.cpp's <c>ggml_commit()</c>.</summary>
    public static string Commit() => Commit(LoadedFrom ?? throw new InvalidOperationException("llama.cpp is not loaded"));

    private static string Commit(string directory)
    {
        var ggmlBase = NativeLibrary.Load(Path.Combine(directory, "libggml-base.so"));
        var commit = (delegate* unmanaged[Cdecl]<IntPtr>)NativeLibrary.GetExport(ggmlBase, "ggml_commit");
        return Marshal.PtrToStringUTF8(commit()) ?? string.Empty;
    }

    /// <summary>
    /// Whether llama.cpp's grammar parser accepts <paramref name="grammar"/> (start symbol <c>root</c>)
    /// for <paramref name="model"/>'s vocabulary. LLamaSharp adds a grammar that fails to parse to a sampler
    /// chain as a NULL sampler, which crashes the next sample; so every grammar is asked about here first,
    /// through the same <c>llama_sampler_init_grammar</c>, and the parsed sampler freed again.
    /// </summary>
    public static bool GrammarParses(SafeLlamaModelHandle model, string grammar)
    {
        ArgumentNullException.ThrowIfNull(model);
        var lib = LoadedFrom is not null ? _llama : throw new InvalidOperationException("llama.cpp is not loaded");
        var getVocab = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeLibrary.GetExport(lib, "llama_model_get_vocab");
        var init = (delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, IntPtr>)NativeLibrary.GetExport(lib, "llama_sampler_init_grammar");
        var free = (delegate* unmanaged[Cdecl]<IntPtr, void>)NativeLibrary.GetExport(lib, "llama_sampler_free");
        var text = Encoding.UTF8.GetBytes(grammar + "\0");
        var root = "root\0"u8;
        var added = false;
        model.DangerousAddRef(ref added);
        try
        {
            fixed (byte* t = text)
            fixed (byte* r = root)
            {
                var sampler = init(getVocab(model.DangerousGetHandle()), t, r);
                if (sampler == IntPtr.Zero)
                {
                    return false;
                }

                free(sampler);
                return true;
            }
        }
        finally
        {
            if (added)
            {
                model.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// The libraries to load from <paramref name="directory"/>, dependencies first. A folder without its
    /// own CPU backend (LLamaSharp.Backend.Cuda12's <c>cuda12</c> folder, whose libggml.so needs
    /// libggml-cpu.so) takes the bundled one for this CPU, from the same LLamaSharp release.
    /// </summary>
    private static IEnumerable<string> Dependencies(string directory)
    {
        yield return Path.Combine(directory, "libggml-base.so");
        if (!File.Exists(Path.Combine(directory, "libggml-cpu.so"))
            && SearchedDirectories(AppContext.BaseDirectory, CpuLevel()).Select(d => Path.Combine(d, "libggml-cpu.so")).FirstOrDefault(File.Exists) is { } cpu)
        {
            yield return cpu;
        }

        yield return Path.Combine(directory, "libggml.so");
        yield return Path.Combine(directory, "libllama.so");
    }

    private static string Why() => RecentErrors() is { Length: > 0 } why ? $" ({why})" : string.Empty;

    private static bool FileContains(string path, byte[] needle)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new JudgeUnavailableException($"cannot read {path}: {ex.Message}", ex);
        }

        return bytes.AsSpan().IndexOf(needle) >= 0;
    }

    private static void OnLog(LLamaLogLevel level, string message)
    {
        // Keep warnings and errors for exception messages; the rest is noise.
        if (level is LLamaLogLevel.Warning or LLamaLogLevel.Error)
        {
            Log.Add(message.Trim());
        }
    }

    private sealed class LogRing(int capacity)
    {
        private readonly Queue<string> _lines = new();

        public void Add(string line)
        {
            if (line.Length == 0)
            {
                return;
            }

            lock (_lines)
            {
                _lines.Enqueue(line);
                while (_lines.Count > capacity)
                {
                    _lines.Dequeue();
                }
            }
        }

        public void Clear()
        {
            lock (_lines)
            {
                _lines.Clear();
            }
        }

        public string Snapshot()
        {
            lock (_lines)
            {
                var sb = new StringBuilder();
                foreach (var l in _lines.TakeLast(6))
                {
                    sb.Append(sb.Length > 0 ? "; " : string.Empty).Append(l);
                }

                return sb.ToString();
            }
        }
    }
}

using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Judge.Providers.Llama.Interop;

/// <summary>
/// The one place that finds and loads llama.cpp: resolves <see cref="NativeMethods"/>' logical
/// library names to files in a directory, checks the version, loads the ggml backends and
/// initialises llama once per process. The directory is the spec's <c>native=DIR</c>, else
/// <c>JUDGE_LLAMA_NATIVE</c>, else the first of these that holds the libraries: <c>runtimes/linux-x64/native</c>
/// beside this assembly (where the judge tool package and a published app carry them), the
/// assembly's own folder (where a RID-specific build flattens a package's natives), <c>.native/llama</c>
/// in the source checkout that holds this build (found by walking up to <c>Judge.sln</c>).
/// Thread-safe.
/// </summary>
internal static unsafe class LlamaNativeLibrary
{
    /// <summary>The environment variable naming the native directory.</summary>
    public const string EnvironmentVariable = "JUDGE_LLAMA_NATIVE";

    /// <summary>The llama.cpp version the structs and signatures mirror.</summary>
    public const string ExpectedVersion = "0.5.0";

    private static readonly string[] RequiredFiles = ["libllama.v0.5.0.so", "libggml.v0.5.0.so", "libggml-base.so"];
    private static readonly object Gate = new();
    private static readonly LogRing Log = new(64);
    private static string? _loadedFrom;
    private static IntPtr _llama;
    private static IntPtr _ggml;

    /// <summary>The directory the libraries were loaded from, once loaded.</summary>
    public static string? LoadedFrom => Volatile.Read(ref _loadedFrom);

    /// <summary>Where the libraries are bundled, relative to the assembly's folder.</summary>
    public const string BundledSubdirectory = "runtimes/linux-x64/native";

    /// <summary>Where the libraries are looked for, given the spec's option (if any).</summary>
    public static string ResolveDirectory(string? fromSpec) =>
        ResolveDirectory(fromSpec, Environment.GetEnvironmentVariable(EnvironmentVariable), AppContext.BaseDirectory);

    /// <summary>
    /// The spec's folder, else the environment's, else the first of <see cref="SearchedDirectories"/>
    /// holding <c>libllama</c>; when none does, the first (the bundled folder), so the error names it.
    /// </summary>
    internal static string ResolveDirectory(string? fromSpec, string? fromEnvironment, string baseDirectory)
    {
        if (!string.IsNullOrWhiteSpace(fromSpec))
        {
            return Path.GetFullPath(fromSpec);
        }

        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        var searched = SearchedDirectories(baseDirectory);
        return searched.FirstOrDefault(d => File.Exists(Path.Combine(d, RequiredFiles[0]))) ?? searched[0];
    }

    /// <summary>The folders looked in, in order, when neither the spec nor the environment names one.</summary>
    internal static IReadOnlyList<string> SearchedDirectories(string baseDirectory)
    {
        var assemblyFolder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(baseDirectory));
        var searched = new List<string> { Path.Combine(assemblyFolder, BundledSubdirectory), assemblyFolder };
        for (var dir = new DirectoryInfo(assemblyFolder); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Judge.sln")))
            {
                searched.Add(Path.Combine(dir.FullName, ".native", "llama"));
                break;
            }
        }

        return searched;
    }

    /// <summary>
    /// Makes llama.cpp usable, loading it from <paramref name="directory"/> the first time.
    /// Missing files, a different version, or a second directory are <see cref="JudgeUnavailableException"/>s
    /// that say what was looked for where.
    /// </summary>
    public static void EnsureLoaded(string directory)
    {
        directory = Path.GetFullPath(directory);
        var missing = RequiredFiles.Where(f => !File.Exists(Path.Combine(directory, f))).ToList();
        var hasCpu = Directory.Exists(directory) && Directory.EnumerateFiles(directory, "libggml-cpu*.so").Any();
        if (missing.Count > 0 || !hasCpu)
        {
            if (!hasCpu)
            {
                missing.Add("libggml-cpu*.so");
            }

            var why = Directory.Exists(directory) ? $"missing {string.Join(", ", missing)}" : "the directory does not exist";
            var searched = SearchedDirectories(AppContext.BaseDirectory);
            var also = searched.Contains(directory, StringComparer.Ordinal) && searched.Count > 1
                ? $"; also looked in {string.Join(", ", searched.Where(d => !string.Equals(d, directory, StringComparison.Ordinal)))}"
                : string.Empty;
            throw new JudgeUnavailableException(
                $"llama.cpp v{ExpectedVersion} native libraries not found in {directory} ({why}){also}. " +
                $"Point {EnvironmentVariable} or the spec option native=DIR at a folder holding {string.Join(", ", RequiredFiles)} and libggml-cpu*.so");
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

            try
            {
                _ggml = NativeLibrary.Load(Path.Combine(directory, "libggml.v0.5.0.so"));
                _llama = NativeLibrary.Load(Path.Combine(directory, "libllama.v0.5.0.so"));
            }
            catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
            {
                throw new JudgeUnavailableException($"the llama.cpp libraries in {directory} could not be loaded: {ex.Message}", ex);
            }

            if (!NativeLibrary.TryGetExport(_llama, "llama_version", out _) || !NativeLibrary.TryGetExport(_ggml, "ggml_backend_load_all_from_path", out _))
            {
                throw new JudgeUnavailableException($"the libraries in {directory} are not llama.cpp v{ExpectedVersion} (llama_version or ggml_backend_load_all_from_path is not exported)");
            }

            Resolve.Install();
            var version = Marshal.PtrToStringUTF8(NativeMethods.llama_version()) ?? string.Empty;
            if (!version.StartsWith(ExpectedVersion, StringComparison.Ordinal))
            {
                throw new JudgeUnavailableException($"the llama.cpp in {directory} is version '{version}', but this build mirrors v{ExpectedVersion}'s ABI; point {EnvironmentVariable} or native=DIR at a v{ExpectedVersion} build");
            }

            NativeMethods.llama_log_set(&OnLog, null);
            // Without this the registry holds no backend and every model load fails: the CPU backend is a plugin.
            NativeMethods.ggml_backend_load_all_from_path(directory);
            NativeMethods.llama_backend_init();
            Volatile.Write(ref _loadedFrom, directory);
        }
    }

    /// <summary>The last warning and error lines llama.cpp logged (it explains failed loads there).</summary>
    public static string RecentErrors() => Log.Snapshot();

    /// <summary>Forgets logged lines, so the next failure's explanation is its own.</summary>
    public static void ClearLog() => Log.Clear();

    /// <summary><c>llama_print_system_info()</c>, once loaded.</summary>
    public static string SystemInfo() => Marshal.PtrToStringUTF8(NativeMethods.llama_print_system_info()) ?? string.Empty;

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static void OnLog(int level, byte* text, void* userData)
    {
        // Keep warnings and errors (level 3, 4) for exception messages; the rest is noise on stderr.
        if (level is 3 or 4 && text is not null)
        {
            Log.Add(Marshal.PtrToStringUTF8((IntPtr)text)?.Trim() ?? string.Empty);
        }
    }

    private static class Resolve
    {
        private static int _installed;

        public static void Install()
        {
            if (Interlocked.Exchange(ref _installed, 1) == 0)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolver);
            }
        }

        private static IntPtr Resolver(string name, Assembly assembly, DllImportSearchPath? path) => name switch
        {
            NativeMethods.LlamaLibrary => _llama,
            NativeMethods.GgmlLibrary => _ggml,
            _ => IntPtr.Zero,
        };
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

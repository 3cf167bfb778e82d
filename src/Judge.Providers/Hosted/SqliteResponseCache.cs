using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Hosted;

/// <summary>How a judge uses its response cache.</summary>
public enum CacheMode
{
    /// <summary>Serve hits from the cache and store misses. The default.</summary>
    ReadWrite,

    /// <summary>Call the model every time and overwrite what is stored.</summary>
    Refresh,

    /// <summary>Neither read nor write.</summary>
    Off,
}

/// <summary>A cache file that cannot be used.</summary>
public sealed class CacheException : JudgeException
{
    /// <summary>Creates the exception.</summary>
    public CacheException(string path, string message, Exception? innerException = null)
        : base(message, innerException) => Path = path;

    /// <summary>The cache file.</summary>
    public string Path { get; }
}

/// <summary>
/// Judge responses stored in a SQLite file, keyed by a SHA-256 of everything that decides the answer.
/// WAL journal and a busy timeout make concurrent writers (threads or processes) safe. A file that is not
/// a readable database is moved aside and rebuilt (<see cref="Warning"/> says so) or, with
/// <c>recoverCorrupt: false</c>, refused with a <see cref="CacheException"/>; a stored row that cannot be
/// read is a miss, never a wrong answer. A write that waits longer than <see cref="WriteBusyTimeout"/> for
/// another writer's lock gives up with a <see cref="SqliteException"/>, which <see cref="SqliteCachingChatClient"/>
/// turns into a warning: the answer is kept, just not cached. Thread-safe.
/// </summary>
public sealed class SqliteResponseCache
{
    private readonly string _connectionString;

    private int _warnings;

    /// <summary>Opens (creating if needed) the cache at <paramref name="path"/>; a directory or a file that cannot be opened is a <see cref="CacheException"/>.</summary>
    public SqliteResponseCache(string path, TimeProvider? timeProvider = null, bool recoverCorrupt = true)
    {
        Path = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(Path))
        {
            throw new CacheException(Path, $"cache path {Path} is a directory; give a file path");
        }

        Clock = timeProvider ?? TimeProvider.System;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, DefaultTimeout = 30, Pooling = true }.ToString();
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        try
        {
            Initialise();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11)
        {
            // 26 SQLITE_NOTADB, 11 SQLITE_CORRUPT.
            if (!recoverCorrupt)
            {
                throw new CacheException(Path, $"cache file {Path} is corrupt or not a SQLite database ({ex.Message}); delete it or pass another --cache path", ex);
            }

            SqliteConnection.ClearAllPools();
            var aside = $"{Path}.corrupt-{Clock.GetUtcNow():yyyyMMddHHmmss}";
            File.Move(Path, aside, overwrite: true);
            foreach (var suffix in new[] { "-wal", "-shm" })
            {
                if (File.Exists(Path + suffix))
                {
                    File.Move(Path + suffix, aside + suffix, overwrite: true);
                }
            }

            Initialise();
            var (copied, unreadable) = Salvage(aside);
            Warning = $"cache file {Path} was corrupt ({ex.Message}); moved it to {aside} and copied the {copied} entries still readable there into a new cache" +
                (unreadable ? "; the rest could not be read and stay in that file" : string.Empty);
        }
        catch (SqliteException ex)
        {
            throw new CacheException(Path, $"cache file {Path} cannot be opened: {ex.Message} (is the folder writable?)", ex);
        }
    }

    /// <summary>
    /// Receives warnings about cache reads and writes that failed (the run goes on without them). Default:
    /// one line on standard error, the first 5 and then every 100th.
    /// </summary>
    public Action<string>? OnWarning { get; set; }

    /// <summary>Cache reads or writes that failed and were skipped.</summary>
    public int FailureCount => Volatile.Read(ref _warnings);

    /// <summary>How long a write waits for another writer's lock before it is skipped. Default 5 s.</summary>
    public TimeSpan WriteBusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a write may take before <see cref="OnWarning"/> hears that it is waiting on a lock, so a stall is named
    /// as it starts, not when <see cref="WriteBusyTimeout"/> runs out. An unlocked write takes milliseconds. Default 250 ms.
    /// </summary>
    public TimeSpan LockWaitWarningAfter { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The cache file's full path.</summary>
    public string Path { get; }

    /// <summary>What had to be done to open the cache (a corrupt file moved aside), or <see langword="null"/>.</summary>
    public string? Warning { get; }

    private TimeProvider Clock { get; }

    /// <summary>The stored response for <paramref name="key"/>, or <see langword="null"/>.</summary>
    public async Task<ChatResponse?> TryGetAsync(string key, CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT response, checksum FROM responses WHERE key = $key";
            command.Parameters.AddWithValue("$key", key);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                var json = reader.GetString(0);
                if (!string.Equals(Checksum(json), reader.GetString(1), StringComparison.Ordinal))
                {
                    return null;
                }

                try
                {
                    return JsonSerializer.Deserialize(json, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse))) as ChatResponse;
                }
                catch (JsonException)
                {
                    return null;
                }
            }
        }
    }

    /// <summary>Stores (or replaces) the response for <paramref name="key"/>.</summary>
    public async Task SetAsync(string key, ChatResponse response, CancellationToken cancellationToken = default)
    {
        var json = JsonSerializer.Serialize(response, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse)));
        // The driver's busy wait runs inside the command and says nothing: a timer names the wait when it starts.
        using var waiting = Clock.CreateTimer(
            _ => Notice($"cache {Path} is locked by another writer; this write waits up to {WriteBusyTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (the answer is kept either way)"),
            null,
            LockWaitWarningAfter,
            Timeout.InfiniteTimeSpan);
        var connection = await OpenAsync(cancellationToken, WriteBusyTimeout).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT OR REPLACE INTO responses (key, response, checksum, created) VALUES ($key, $response, $checksum, $created)";

            // Microsoft.Data.Sqlite retries a busy database for the command timeout (30 s by default) whatever
            // PRAGMA busy_timeout says: the write's own bound has to be set here too, or a locked cache stalls each write.
            command.CommandTimeout = Math.Max(1, (int)Math.Ceiling(WriteBusyTimeout.TotalSeconds));
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$response", json);
            command.Parameters.AddWithValue("$checksum", Checksum(json));
            command.Parameters.AddWithValue("$created", Clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The number of stored responses.</summary>
    public long Count()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM responses";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Copies every row still readable in a damaged cache file into this one, so no paid answer is dropped with the file;
    /// returns how many were copied and whether reading stopped early at the damage.
    /// </summary>
    private (int Copied, bool Unreadable) Salvage(string damaged)
    {
        var rows = new List<(string Key, string Response, string Checksum, string Created)>();
        var unreadable = false;
        try
        {
            // Read-write: a WAL file cannot be read without its -shm. Row by row, so a damaged page loses only its rows:
            // a scan stops at the first one.
            using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = damaged, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
            source.Open();
            long? last = null;
            try
            {
                using var max = source.CreateCommand();
                max.CommandText = "SELECT max(rowid) FROM responses";
                last = max.ExecuteScalar() is long m ? m : 0;
            }
            catch (SqliteException)
            {
                unreadable = true;
            }

            using var select = source.CreateCommand();
            select.CommandText = "SELECT key, response, checksum, created FROM responses WHERE rowid = $id";
            var id = select.Parameters.Add("$id", SqliteType.Integer);
            var misses = 0;
            for (long i = 1; last is { } l ? i <= l : misses < 1000; i++)
            {
                id.Value = i;
                try
                {
                    using var reader = select.ExecuteReader();
                    if (reader.Read())
                    {
                        rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
                        misses = 0;
                        continue;
                    }
                }
                catch (Exception ex) when (ex is SqliteException or InvalidCastException)
                {
                    unreadable = true;
                }

                misses++;
            }
        }
        catch (SqliteException)
        {
            unreadable = true;
        }

        if (rows.Count == 0)
        {
            return (0, unreadable);
        }

        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT OR IGNORE INTO responses (key, response, checksum, created) VALUES ($key, $response, $checksum, $created)";
        var key = insert.Parameters.Add("$key", SqliteType.Text);
        var response = insert.Parameters.Add("$response", SqliteType.Text);
        var checksum = insert.Parameters.Add("$checksum", SqliteType.Text);
        var created = insert.Parameters.Add("$created", SqliteType.Text);
        foreach (var row in rows)
        {
            (key.Value, response.Value, checksum.Value, created.Value) = (row.Key, row.Response, row.Checksum, row.Created);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return (rows.Count, unreadable);
    }

    private static string Checksum(string json) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(json)));

    private void Initialise()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE IF NOT EXISTS responses (
                key TEXT PRIMARY KEY,
                response TEXT NOT NULL,
                checksum TEXT NOT NULL,
                created TEXT NOT NULL);
            PRAGMA quick_check;
            """;
        using var reader = command.ExecuteReader();
        do
        {
            while (reader.Read())
            {
                if (reader.FieldCount == 1 && reader.GetValue(0) is string result && result != "ok" && result != "wal")
                {
                    throw new SqliteException($"integrity check failed: {result}", 11);
                }
            }
        }
        while (reader.NextResult());
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA busy_timeout = 30000;";
            pragma.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Reports something a user should know at once that is not a failure (a write waiting on a lock).</summary>
    private void Notice(string message)
    {
        if (OnWarning is { } sink)
        {
            sink(message);
        }
        else
        {
            Console.Error.WriteLine($"judge: warning: {message}");
        }
    }

    /// <summary>Reports a failed cache read or write; the caller goes on without it.</summary>
    internal void Warn(string message)
    {
        var n = Interlocked.Increment(ref _warnings);
        if (OnWarning is { } sink)
        {
            sink(message);
        }
        else if (n <= 5 || n % 100 == 0)
        {
            Console.Error.WriteLine($"judge: warning: {message}{(n == 5 ? " (further cache warnings: every 100th)" : string.Empty)}");
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken, TimeSpan? busyTimeout = null)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var pragma = connection.CreateCommand();
            pragma.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)(busyTimeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds};");
            pragma.CommandTimeout = Math.Max(1, (int)Math.Ceiling((busyTimeout ?? TimeSpan.FromSeconds(30)).TotalSeconds));
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

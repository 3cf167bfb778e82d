using System.Globalization;

/// <summary>Samples a process's resident memory (VmRSS) every 100 ms; <see cref="MiB"/> is the highest seen.</summary>
internal sealed class PeakMemory : IDisposable
{
    private readonly Timer _timer;
    private long _peakKb;

    public PeakMemory(int pid)
    {
        var status = $"/proc/{pid}/status";
        _timer = new Timer(_ =>
        {
            try
            {
                var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line is not null && long.TryParse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture, out var kb))
                {
                    InterlockedMax(ref _peakKb, kb);
                }
            }
            catch (IOException)
            {
                // The process ended.
            }
        }, null, 0, 100);
    }

    public double MiB => Interlocked.Read(ref _peakKb) / 1024.0;

    public void Dispose() => _timer.Dispose();

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while ((seen = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

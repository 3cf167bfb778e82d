using Judge.Judging;
using Judge.Runs;

namespace Judge.Tests.Runs;

public sealed class RunProgressTests
{
    [Fact]
    public async Task ConcurrentAdds_ReachObserversInCountOrder_EndingOnTheTotal()
    {
        const int total = 2_000;
        var progress = new RunProgress(total, TimeProvider.System, 0m);
        var seen = new List<int>();
        progress.Changed += s => seen.Add(s.Done);

        await Parallel.ForAsync(0, total, new ParallelOptions { MaxDegreeOfParallelism = 8 }, (i, _) =>
        {
            progress.Add(i % 3 != 0, CostTotals.None);
            return ValueTask.CompletedTask;
        });

        Assert.Equal(Enumerable.Range(1, total), seen);
        Assert.Equal(667, progress.Snapshot().WithoutVerdict); // i % 3 == 0 for 667 of 0..1999
    }
}

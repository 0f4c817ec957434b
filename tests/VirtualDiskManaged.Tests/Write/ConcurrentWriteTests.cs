using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Write;

/// <summary>
/// Concurrency (docs/write.md): 8 threads write disjoint and overlapping ranges of one handle while 2 threads read.
/// Every write is pattern-tagged per sector, so the final image says which write won each sector; the result must
/// equal some serial order: the precedence graph (each sector's losers before its winner, each thread's writes in
/// program order) must be acyclic. Readers run all the time: anywhere they must not fail, and in the last MiB, which
/// no write touches while blocks are allocated and metadata published around it, they must read the initial bytes.
/// (A read racing an in-place write of the same sector may see a mix of both, as pread racing pwrite does.)
/// </summary>
public sealed class ConcurrentWriteTests
{
    private const long Size = 8 * WriteImages.MiB;
    private static IEnumerable<WriteKind> Kinds => Enum.GetValues<WriteKind>();

    [TestCaseSource(nameof(Kinds))]
    public void EightWritersGiveASerialOrder(WriteKind kind)
    {
        string folder = TestPaths.NewTempFolder("conc");
        try
        {
            var (path, initial) = WriteImages.Create(kind, folder, Size);
            const int threads = 8, perThread = 60;
            var writes = new (long Offset, int Length)[threads * perThread + 1]; // id → range (ids from 1)
            var plan = new Random(99 + (int)kind);
            int[] sizes = [512, 4096, 65536, 700 * 1024, 1536 * 1024];
            for (int id = 1; id < writes.Length; id++)
            {
                int length = sizes[plan.Next(sizes.Length)];
                // Half the writes in a shared hot region (overlaps), half anywhere (mostly disjoint).
                long limit = plan.Next(2) == 0 ? 2 * WriteImages.MiB : Size - WriteImages.MiB;
                long offset = plan.NextInt64(Math.Max(1, (limit - length) / 512)) * 512;
                if (offset + length > Size - WriteImages.MiB) offset = Size - WriteImages.MiB - length;
                writes[id] = (offset, length);
            }
            string? readerProblem = null;
            using (var disk = VirtualDisk.Open(path, WriteImages.ReadWrite))
            {
                using var stop = new CancellationTokenSource();
                var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
                {
                    var random = new Random(r);
                    var buffer = new byte[64 * 1024];
                    while (!stop.IsCancellationRequested)
                    {
                        long at = random.NextInt64((Size - buffer.Length) / 512) * 512;
                        disk.Read(at, buffer);
                        long cold = Size - WriteImages.MiB;
                        for (long c = cold; c < Size; c += buffer.Length)
                        {
                            disk.Read(c, buffer);
                            if (!buffer.AsSpan().SequenceEqual(initial.AsSpan((int)c, buffer.Length)))
                                readerProblem ??= $"reader saw changed bytes in the untouched range at {c}";
                        }
                    }
                })).ToArray();
                var writers = Enumerable.Range(0, threads).Select(t => Task.Run(() =>
                {
                    for (int i = 0; i < perThread; i++)
                    {
                        int id = 1 + t * perThread + i;
                        var (offset, length) = writes[id];
                        disk.Write(offset, CrashConsistencyTests.Data((uint)id, offset, length));
                        if (i % 20 == 19) disk.Flush();
                    }
                })).ToArray();
                Task.WaitAll(writers);
                stop.Cancel();
                Task.WaitAll(readers);
            }
            Assert.That(readerProblem, Is.Null);

            // The precedence graph of the final content.
            int n = writes.Length;
            var edges = new HashSet<(int, int)>();
            for (int t = 0; t < threads; t++)
                for (int i = 1; i < perThread; i++) edges.Add((1 + t * perThread + i - 1, 1 + t * perThread + i));
            var covering = new List<int>[Size / 512];
            for (int id = 1; id < n; id++)
                for (long s = writes[id].Offset / 512; s < (writes[id].Offset + writes[id].Length) / 512; s++) (covering[s] ??= []).Add(id);
            using (var disk = VirtualDisk.Open(path))
            {
                var all = new byte[Size];
                disk.Read(0, all);
                for (long s = 0; s < covering.Length; s++)
                {
                    uint? found = WriteImages.Identify(all.AsSpan((int)(s * 512), 512), s);
                    Assert.That(found, Is.Not.Null, $"sector {s} is garbage");
                    if (covering[s] is not { } cover)
                    {
                        Assert.That(all.AsSpan((int)(s * 512), 512).SequenceEqual(initial.AsSpan((int)(s * 512), 512)), Is.True, $"untouched sector {s} changed");
                        continue;
                    }
                    int winner = (int)found!.Value;
                    Assert.That(cover, Does.Contain(winner), $"sector {s} holds write {winner}, which does not cover it");
                    foreach (int loser in cover) if (loser != winner) edges.Add((loser, winner));
                }
            }
            // Kahn: acyclic ⇔ every node is removed.
            var indegree = new int[n];
            var next = new List<int>[n];
            foreach (var (a, b) in edges) { (next[a] ??= []).Add(b); indegree[b]++; }
            var queue = new Queue<int>(Enumerable.Range(1, n - 1).Where(i => indegree[i] == 0));
            int removed = 0;
            while (queue.Count > 0)
            {
                int v = queue.Dequeue();
                removed++;
                if (next[v] is { } outs) foreach (int w in outs) if (--indegree[w] == 0) queue.Enqueue(w);
            }
            Assert.That(removed, Is.EqualTo(n - 1), "the final content is no serial order of the writes (precedence cycle)");
        }
        finally { Directory.Delete(folder, true); }
    }
}

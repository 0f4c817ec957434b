using VirtualDiskManaged.Tests.Support;
using VirtualDiskManaged.Tests.Vhdx;

namespace VirtualDiskManaged.Tests.Write;

/// <summary>
/// Crash consistency (docs/write.md): a workload of many writes of mixed sizes and flushes runs through a
/// <see cref="FaultInjectingStore"/>; the file is then rebuilt as a crash at every journalled operation (small
/// workloads) or at sampled ones, each with random subsets of the in-flight writes landed and torn. Every rebuilt image
/// must open (replaying the VHDX log in memory), every sector must read as its value before or after each write in
/// flight — identified by its pattern, never anything else — and everything flushed before the cut must be there.
/// A sample of the VHDX cuts is opened writable (the log replays into the file), closed, and must pass
/// <c>qemu-img check</c>. A killed process (page cache intact) is the prefix model, checked at every call.
/// Soak: VDM_WRITE_SOAK=N (workload size, subsets and kill rounds × N), VDM_WRITE_CUTS=c (sampled cuts per workload, default 400), VDM_WRITE_SEED=s.
/// </summary>
public sealed class CrashConsistencyTests
{
    private const long Size = 8 * WriteImages.MiB;

    private static int Soak => int.TryParse(Environment.GetEnvironmentVariable("VDM_WRITE_SOAK"), out int n) && n > 0 ? n : 1;
    private static int MaxCuts => int.TryParse(Environment.GetEnvironmentVariable("VDM_WRITE_CUTS"), out int n) && n > 0 ? n : 400;
    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("VDM_WRITE_SEED"), out int s) ? s : 1234;

    internal sealed record UserOp(bool IsFlush, long Offset, int Length, uint Id, int JournalStart, int JournalEnd);

    /// <summary>Sector-aligned writes of mixed sizes (one sector to more than a block), some overlapping, with flushes between.</summary>
    internal static List<(bool Flush, long Offset, int Length)> Workload(Random random, int writes)
    {
        var ops = new List<(bool, long, int)>();
        int[] sizes = [512, 4096, 8192, 65536, 300 * 1024, 1536 * 1024];
        for (int i = 0; i < writes; i++)
        {
            int length = sizes[random.Next(sizes.Length)];
            long sectors = (Size - length) / 512;
            long offset = random.Next(4) == 0 && ops.Count > 0 ? ops[random.Next(ops.Count)].Item2 : random.NextInt64(sectors + 1) * 512; // some overlap
            if (offset + length > Size) offset = Size - length;
            ops.Add((false, offset, length));
            if (random.Next(5) == 0) ops.Add((true, 0, 0));
        }
        return ops;
    }

    internal static byte[] Data(uint id, long offset, int length)
    {
        var data = new byte[length];
        for (int s = 0; s < length / 512; s++) WriteImages.Pattern(id, offset / 512 + s, data.AsSpan(s * 512, 512));
        return data;
    }

    /// <summary>Runs the workload on a writable handle through a fault injector; returns the journal and the user ops with their journal spans.</summary>
    internal static (IReadOnlyList<FaultInjectingStore.Op> Ops, List<UserOp> UserOps) Run(string path, List<(bool Flush, long Offset, int Length)> workload)
    {
        FaultInjectingStore? store = null;
        var userOps = new List<UserOp>();
        using (var disk = VirtualDisk.Open(path, WriteImages.ReadWrite))
        {
            disk.Writer!.WrapStore(inner => store = new FaultInjectingStore(inner));
            // Small VHD reservations: a short workload then moves the footer many times (the production default is 64 blocks, doubling).
            if (disk.Writer is VirtualDiskManaged.Vhd.VhdBlockAllocator vhd) vhd.NextReserve = 2;
            uint id = 1;
            foreach (var (flush, offset, length) in workload)
            {
                int start = store!.Count;
                if (flush) disk.Flush();
                else disk.Write(offset, Data(id, offset, length));
                userOps.Add(new UserOp(flush, offset, length, flush ? 0 : id, start, store.Count));
                if (!flush) id++;
            }
            int closeStart = store!.Count;
            disk.Dispose();
            userOps.Add(new UserOp(true, 0, 0, 0, closeStart, store.Count)); // a clean close is durable
        }
        return (store!.Ops, userOps);
    }

    /// <summary>Checks a crashed image: opens (read-only) and every touched sector is an allowed value. Returns a failure text or null.</summary>
    internal static string? Check(string crashPath, byte[] initial, List<UserOp> userOps, int cut, HashSet<long> sectors)
    {
        int lastFlush = -1;
        for (int i = 0; i < userOps.Count; i++) if (userOps[i].IsFlush && userOps[i].JournalEnd <= cut) lastFlush = i;
        if (!VirtualDisk.TryOpen(crashPath, null, out var disk, out VirtualDiskDiagnostic? failure))
            return $"cut {cut}: the image does not open: {failure}";
        using (disk)
        {
            var all = new byte[disk.VirtualSize];
            disk.Read(0, all);
            foreach (long lba in sectors)
            {
                uint initialId = WriteImages.Identify(initial.AsSpan((int)(lba * 512), 512), lba) ?? 0;
                uint durable = initialId;
                var allowed = new HashSet<uint>();
                for (int i = 0; i < userOps.Count; i++)
                {
                    var op = userOps[i];
                    if (op.IsFlush || lba < op.Offset / 512 || lba >= (op.Offset + op.Length) / 512) continue;
                    if (i < lastFlush) durable = op.Id;
                    else if (op.JournalStart < cut) allowed.Add(op.Id);
                }
                allowed.Add(durable);
                uint? id = WriteImages.Identify(all.AsSpan((int)(lba * 512), 512), lba);
                if (id is null || !allowed.Contains(id.Value))
                    return $"cut {cut}: sector {lba} holds {(id is null ? "garbage" : $"write {id}")}; allowed {string.Join(",", allowed)} (durable {durable})";
            }
        }
        return null;
    }

    private static IEnumerable<WriteKind> Kinds => Enum.GetValues<WriteKind>();

    [TestCaseSource(nameof(Kinds))]
    public void MachineCrashAtEveryOperation(WriteKind kind)
    {
        string folder = TestPaths.NewTempFolder("crash");
        try
        {
            var random = new Random(Seed + (int)kind);
            var (path, initial) = WriteImages.Create(kind, folder, Size);
            byte[] original = File.ReadAllBytes(path);
            var workload = Workload(random, 16 * Soak);
            var (ops, userOps) = Run(path, workload);
            var sectors = TouchedSectors(userOps);
            string crash = Path.Combine(folder, "crash" + Path.GetExtension(path));
            int subsets = 2 * Soak, checkedCuts = 0, qemuChecks = 0;
            // Every cut of a small workload; for a larger one (soak) MaxCuts sampled cuts; each with random subsets.
            var cuts = Enumerable.Range(0, ops.Count + 1).ToList();
            if (cuts.Count > MaxCuts) cuts = [.. cuts.OrderBy(_ => random.Next()).Take(MaxCuts - 1).Append(ops.Count).Order()];
            foreach (int cut in cuts)
            {
                for (int r = 0; r < (cut == ops.Count ? 1 : subsets); r++)
                {
                    File.WriteAllBytes(crash, FaultInjectingStore.Crash(original, ops, cut, random));
                    string? problem = Check(crash, initial, userOps, cut, sectors);
                    Assert.That(problem, Is.Null, $"{kind}, seed {Seed}");
                    checkedCuts++;
                    if (WriteImages.IsVhdx(kind) && !WriteImages.IsDifferencing(kind) && TestPaths.HasTool("qemu-img") && random.Next(40) == 0 && qemuChecks < 4 * Soak)
                    {
                        // The writable open replays a pending log into the file; qemu-img check must then find nothing.
                        using (VirtualDisk.Open(crash, WriteImages.ReadWrite)) { }
                        var (code, output) = VhdxTestSupport.Run("qemu-img", "check", "-f", "vhdx", crash);
                        Assert.That(code, Is.EqualTo(0), $"cut {cut}: qemu-img check: {output}");
                        Assert.That(Check(crash, initial, userOps, cut, sectors), Is.Null, "after the replay into the file");
                        qemuChecks++;
                    }
                }
            }
            TestContext.Out.WriteLine($"{kind}: {ops.Count} operations, {checkedCuts} crash images checked, {qemuChecks} qemu-img checks");
        }
        finally { Directory.Delete(folder, true); }
    }

    [TestCaseSource(nameof(Kinds))]
    public void ProcessKillAtEveryCall(WriteKind kind)
    {
        // A killed process leaves the page cache intact: the file holds exactly the calls made before the kill.
        string folder = TestPaths.NewTempFolder("kill");
        try
        {
            var random = new Random(Seed + 100 + (int)kind);
            var (path, initial) = WriteImages.Create(kind, folder, Size);
            byte[] original = File.ReadAllBytes(path);
            var (ops, userOps) = Run(path, Workload(random, 10 * Soak));
            var sectors = TouchedSectors(userOps);
            string crash = Path.Combine(folder, "crash" + Path.GetExtension(path));
            for (int cut = 0; cut <= ops.Count; cut++)
            {
                File.WriteAllBytes(crash, FaultInjectingStore.Prefix(original, ops, cut));
                Assert.That(Check(crash, initial, userOps, cut, sectors), Is.Null, $"{kind}, seed {Seed}");
            }
        }
        finally { Directory.Delete(folder, true); }
    }

    internal static HashSet<long> TouchedSectors(List<UserOp> userOps)
    {
        var set = new HashSet<long>();
        foreach (var op in userOps)
            if (!op.IsFlush)
                for (long s = op.Offset / 512; s < (op.Offset + op.Length) / 512; s++) set.Add(s);
        // Untouched neighbours and parent-only sectors must keep their value too.
        for (long s = 0; s < Size / 512; s += 509) set.Add(s);
        return set;
    }
}

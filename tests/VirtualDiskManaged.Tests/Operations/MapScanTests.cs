using System.Buffers.Binary;
using VirtualDiskManaged.Tests.Create;

namespace VirtualDiskManaged.Tests.Operations;

/// <summary>
/// The map's bulk scan of block tables (docs/operations.md "map"): runs of empty blocks are found page by page, so the
/// scan's edges are tested where the layout has them — runs crossing BAT pages (VHDX pages of 8,192 entries, VHD pages
/// of 4,096), the sector-bitmap entries that VHDX interleaves after every chunk of payload entries (MS-VHDX §2.5),
/// the last partial block, and holes of the sparse host file at the start and end of the BAT. The expected maps come
/// from the write plans (which blocks the test wrote, with qemu-io or through the library) and from qemu-img map for
/// VHD; the data at each data run's file offset is checked against the pattern written.
/// </summary>
public sealed class MapScanTests : OperationsTestBase
{
    private const long MiB = OpsImages.MiB;

    /// <summary>80 GiB + 512 KiB with 1 MiB blocks: 81,921 blocks (the last one half used), a lazily paged BAT.</summary>
    private const long BigSize = (80L << 30) + 512 * 1024;

    private static long Blocks(long size, long blockSize) => (size + blockSize - 1) / blockSize;

    /// <summary>Merged (start, length, data) runs expected when exactly <paramref name="blocks"/> hold data, zeros elsewhere.</summary>
    private static List<(long Start, long Length, bool Data, bool Zero)> Expected(IEnumerable<long> blocks, long blockSize, long size)
    {
        var runs = new List<(long, long, bool, bool)>();
        long at = 0;
        foreach (long b in blocks.Distinct().Order())
        {
            long start = b * blockSize, end = Math.Min(size, start + blockSize);
            if (start > at) runs.Add((at, start - at, false, true));
            runs.Add((start, end - start, true, false));
            at = end;
        }
        if (at < size) runs.Add((at, size - at, false, true));
        return OpsImages.MergeKinds(runs);
    }

    private static List<(long Start, long Length, bool Data, bool Zero)> Kinds(IReadOnlyList<AllocationMapEntry> map) => OpsImages.Kinds(map);

    private static void Contiguous(IReadOnlyList<AllocationMapEntry> map, long size) => OpsImages.AssertContiguous(map, size);

    /// <summary>The bytes at a data run's file offset for virtual offset <paramref name="virtualOffset"/> inside it.</summary>
    private static byte[] StoredAt(IReadOnlyList<AllocationMapEntry> map, long virtualOffset, int length)
    {
        var e = map.Single(x => x.Start <= virtualOffset && virtualOffset < x.End);
        Assert.That(e.Data, Is.True, $"a data run at {virtualOffset}");
        var bytes = new byte[length];
        using var file = File.OpenHandle(e.FilePath);
        Assert.That(RandomAccess.Read(file, bytes, e.FileOffset!.Value + (virtualOffset - e.Start)), Is.EqualTo(length));
        return bytes;
    }

    // Blocks around the scan's edges with 1 MiB blocks (chunk ratio 4,096 at 512-byte sectors, MS-VHDX §2.5):
    // 4095/4096 sit on either side of chunk 0's sector-bitmap entry (index 4096); payload index = b + b / 4096, so
    // block 8190 is entry 8191, the last of BAT page 0 (8,192 entries), and block 8191 is entry 8192, the first of page 1.
    public static IEnumerable<TestCaseData> VhdxPlans()
    {
        long last = Blocks(BigSize, MiB) - 1;
        yield return new TestCaseData(new long[] { 4095, 4096, 8190, 8191, 8192, 40000, last }).SetName("{m}(PageAndChunkEdges)");
        yield return new TestCaseData(new long[] { 40000 }).SetName("{m}(HolesAtBothEndsOfTheBat)");
        yield return new TestCaseData(new long[] { 0, last }).SetName("{m}(FirstAndLastBlock)");
        yield return new TestCaseData(Array.Empty<long>()).SetName("{m}(Empty)");
    }

    /// <summary>qemu-made dynamic VHDX (its new blocks are PAYLOAD_BLOCK_ZERO, not NOT_PRESENT): data exactly where qemu-io wrote.</summary>
    [TestCaseSource(nameof(VhdxPlans))]
    public void QemuVhdx(long[] blocks)
    {
        CreateTools.Require("qemu-img");
        CreateTools.Require("qemu-io");
        string image = Path.Combine(Folder, "q.vhdx");
        OpsImages.Check(CreateTools.Run("qemu-img", "create", "-q", "-f", "vhdx", "-o", "subformat=dynamic,block_size=1M", image, BigSize.ToString()), "qemu-img create");
        if (blocks.Length > 0)
        {
            var args = new List<string> { "-f", "vhdx" };
            for (int i = 0; i < blocks.Length; i++) args.AddRange(["-c", $"write -P {i + 1} {blocks[i] * MiB + 8192} 4096"]);
            args.Add(image);
            OpsImages.Check(CreateTools.Run("qemu-io", [.. args]), "qemu-io");
        }
        var map = VirtualDiskOperations.Map(image);
        Contiguous(map, BigSize);
        Assert.That(Kinds(map), Is.EqualTo(Expected(blocks, MiB, BigSize)));
        for (int i = 0; i < blocks.Length; i++)
            Assert.That(StoredAt(map, blocks[i] * MiB + 8192, 4096), Is.All.EqualTo((byte)(i + 1)), $"block {blocks[i]}");
    }

    /// <summary>Library-made dynamic VHDX (NOT_PRESENT entries; the BAT a hole of the sparse file where nothing was written).</summary>
    [TestCaseSource(nameof(VhdxPlans))]
    public void LibraryVhdx(long[] blocks)
    {
        string image = Path.Combine(Folder, "l.vhdx");
        using (var disk = VirtualDisk.Create(image, new VirtualDiskCreateOptions { Size = BigSize, BlockSize = (uint)MiB }))
        {
            for (int i = 0; i < blocks.Length; i++) disk.Write(blocks[i] * MiB + 8192, Enumerable.Repeat((byte)(i + 1), 4096).ToArray());
            disk.Flush();
        }
        var map = VirtualDiskOperations.Map(image);
        Contiguous(map, BigSize);
        // The library writes whole 4 KiB pages into a new FULLY_PRESENT block: the block is data, as qemu-io's are.
        Assert.That(Kinds(map), Is.EqualTo(Expected(blocks, MiB, BigSize)));
        for (int i = 0; i < blocks.Length; i++)
            Assert.That(StoredAt(map, blocks[i] * MiB + 8192, 4096), Is.All.EqualTo((byte)(i + 1)), $"block {blocks[i]}");
    }

    /// <summary>
    /// Sector-bitmap entries of a dynamic VHDX that are not zero (old qemu wrote garbage there; MS-VHDX §2.5.1.2 they
    /// describe nothing in a non-differencing file) stop the scan but change nothing in the map.
    /// </summary>
    [Test]
    public void NonZeroBitmapEntriesOfADynamicVhdxAreSteppedOver()
    {
        string image = Path.Combine(Folder, "sb.vhdx");
        long[] blocks = [4095, 4097, 30000];
        using (var disk = VirtualDisk.Create(image, new VirtualDiskCreateOptions { Size = BigSize, BlockSize = (uint)MiB }))
        {
            foreach (long b in blocks) disk.Write(b * MiB, new byte[4096].Select(_ => (byte)0x5e).ToArray());
            disk.Flush();
        }
        // The BAT of a library-made VHDX is at 3 MiB (docs/create.md); chunk c's bitmap entry is c·4097 + 4096.
        using (var file = File.OpenHandle(image, FileMode.Open, FileAccess.ReadWrite))
        {
            var entry = new byte[8];
            foreach (long chunk in new long[] { 0, 1, 5, 19 })
            {
                BinaryPrimitives.WriteUInt64LittleEndian(entry, 6UL | (7UL << 20)); // SB_BLOCK_PRESENT at 7 MiB
                RandomAccess.Write(file, entry, 3 * MiB + (chunk * 4097 + 4096) * 8);
            }
        }
        var map = VirtualDiskOperations.Map(image);
        Contiguous(map, BigSize);
        Assert.That(Kinds(map), Is.EqualTo(Expected(blocks, MiB, BigSize)));
        Assert.That(StoredAt(map, 30000 * MiB, 4096), Is.All.EqualTo((byte)0x5e));
    }

    /// <summary>
    /// A differencing VHDX over a dynamic parent: the child's NOT_PRESENT runs go to the parent across chunks whose
    /// sector-bitmap entries are present (a partially present block), and each run names the file that holds it.
    /// </summary>
    [Test]
    public void DifferencingVhdxAcrossChunks()
    {
        string parent = Path.Combine(Folder, "p.vhdx"), child = Path.Combine(Folder, "c.vhdx");
        using (var p = VirtualDisk.Create(parent, new VirtualDiskCreateOptions { Size = BigSize, BlockSize = (uint)MiB }))
        {
            p.Write(10 * MiB, Enumerable.Repeat((byte)0x10, 4096).ToArray());
            p.Write(20000 * MiB, Enumerable.Repeat((byte)0x20, 4096).ToArray());
            p.Flush();
        }
        using (var c = VirtualDisk.Create(child, new VirtualDiskCreateOptions { Format = VirtualDiskFormat.Vhdx, Type = VirtualDiskCreateType.Differencing, ParentPath = parent }))
        {
            c.Write(4095 * MiB + 1024, Enumerable.Repeat((byte)0x31, 512).ToArray()); // one sector: PARTIALLY_PRESENT, chunk 0's bitmap present
            c.Write(4096 * MiB, Enumerable.Repeat((byte)0x32, (int)MiB).ToArray());    // a whole block right after the bitmap entry
            c.Write(9000 * MiB + 4096, Enumerable.Repeat((byte)0x33, 4096).ToArray()); // in BAT page 1
            c.Flush();
        }
        var map = VirtualDiskOperations.Map(child);
        Contiguous(map, BigSize);
        CheckAgainstPlan(map, child, parent,
        [
            (10 * MiB, 4096, 0x10, 1), (20000 * MiB, 4096, 0x20, 1),
            (4095 * MiB + 1024, 512, 0x31, 0), (4096 * MiB, (int)MiB, 0x32, 0), (9000 * MiB + 4096, 4096, 0x33, 0),
        ]);
    }

    /// <summary>
    /// Checks a chain's map against the writes that made it (later writes over earlier ones; everything else zeros):
    /// each written range lies in data runs of the file that wrote it (depth 0 the child), every data run's stored
    /// bytes are the planned content, and no zero run overlaps a write.
    /// </summary>
    private static void CheckAgainstPlan(IReadOnlyList<AllocationMapEntry> map, string child, string parent, (long Offset, int Length, byte Value, int Depth)[] writes)
    {
        byte Expected(long at)
        {
            byte v = 0;
            foreach (var w in writes) if (at >= w.Offset && at < w.Offset + w.Length) v = w.Value;
            return v;
        }
        foreach (var w in writes)
            foreach (var e in map.Where(e => e.Start < w.Offset + w.Length && e.End > w.Offset))
            {
                Assert.That(e.Data, Is.True, $"write at {w.Offset} lies in a data run");
                if (w.Depth == 0) Assert.That(e.Depth, Is.EqualTo(0), $"the child answers for its write at {w.Offset}");
            }
        foreach (var e in map.Where(e => e.Data))
        {
            Assert.That(e.FilePath, Is.EqualTo(Path.GetFullPath(e.Depth == 0 ? child : parent)));
            Assert.That(e.Length, Is.LessThanOrEqualTo(4 * MiB), "only written blocks hold data");
            var stored = new byte[e.Length];
            using var file = File.OpenHandle(e.FilePath);
            Assert.That(RandomAccess.Read(file, stored, e.FileOffset!.Value), Is.EqualTo(stored.Length));
            for (int i = 0; i < stored.Length; i += 512)
                Assert.That(stored[i], Is.EqualTo(Expected(e.Start + i)), $"byte {e.Start + i} of the run at {e.Start} (depth {e.Depth})");
        }
        Assert.That(map.Where(e => !e.Data).All(e => e.Zero && e.Present), Is.True, "the rest reads as zeros");
        Assert.That(map.Where(e => e.Data).Sum(e => e.Length), Is.LessThanOrEqualTo(writes.Length * 2 * MiB), "data only near the writes");
    }

    /// <summary>A qemu-made dynamic VHD whose writes sit on BAT page edges (4,096 entries of 2 MiB blocks) maps as qemu-img maps it.</summary>
    [Test]
    public void QemuVhdAcrossBatPagesMapsAsQemuMapsIt()
    {
        CreateTools.Require("qemu-img");
        CreateTools.Require("qemu-io");
        const long size = (20L << 30) + MiB; // 10,241 blocks of 2 MiB, the last one half used
        string image = Path.Combine(Folder, "q.vhd");
        OpsImages.Check(CreateTools.Run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", image, size.ToString()), "qemu-img create");
        long last = Blocks(size, 2 * MiB) - 1;
        long[] blocks = [4095, 4096, 8191, 8192, last];
        var args = new List<string> { "-f", "vpc" };
        for (int i = 0; i < blocks.Length; i++) args.AddRange(["-c", $"write -P {i + 1} {blocks[i] * 2 * MiB + 4096} 4096"]);
        args.Add(image);
        OpsImages.Check(CreateTools.Run("qemu-io", [.. args]), "qemu-io");
        var map = VirtualDiskOperations.Map(image);
        Contiguous(map, size);
        Assert.That(Kinds(map), Is.EqualTo(OpsImages.QemuMap(image, "vpc")));
        for (int i = 0; i < blocks.Length; i++)
            Assert.That(StoredAt(map, blocks[i] * 2 * MiB + 4096, 4096), Is.All.EqualTo((byte)(i + 1)), $"block {blocks[i]}");
    }

    /// <summary>A library-made differencing VHD: unallocated blocks across BAT pages go to the parent.</summary>
    [Test]
    public void DifferencingVhdAcrossBatPages()
    {
        const long size = 20L << 30;
        string parent = Path.Combine(Folder, "p.vhd"), child = Path.Combine(Folder, "c.vhd");
        using (var p = VirtualDisk.Create(parent, new VirtualDiskCreateOptions { Format = VirtualDiskFormat.Vhd, Size = size }))
        {
            p.Write(4095 * 2 * MiB, Enumerable.Repeat((byte)0x41, 4096).ToArray());
            p.Flush();
        }
        using (var c = VirtualDisk.Create(child, new VirtualDiskCreateOptions { Format = VirtualDiskFormat.Vhd, Type = VirtualDiskCreateType.Differencing, ParentPath = parent }))
        {
            c.Write(4096 * 2 * MiB, Enumerable.Repeat((byte)0x42, 4096).ToArray());
            c.Write(8191 * 2 * MiB + 512, Enumerable.Repeat((byte)0x43, 512).ToArray());
            c.Flush();
        }
        var map = VirtualDiskOperations.Map(child);
        Contiguous(map, size);
        CheckAgainstPlan(map, child, parent,
            [(4095 * 2 * MiB, 4096, 0x41, 1), (4096 * 2 * MiB, 4096, 0x42, 0), (8191 * 2 * MiB + 512, 512, 0x43, 0)]);
    }
}

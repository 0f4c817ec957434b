using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using VirtualDiskManaged.Partitions;
using VirtualDiskManaged.Tests.Hostile.Fuzzing;

namespace VirtualDiskManaged.Tests.Hostile;

/// <summary>
/// The partition table reader (src/VirtualDiskManaged/Partitions) under mutation: seeds laid out from UEFI 2.10 §5.2
/// and §5.3 (an MBR with an extended partition and an EBR chain, a protective MBR with primary and backup GPT), bytes
/// and fields of the tables mutated (CRCs fixed up for half of the GPT mutants so the checks behind them run). Every
/// mutant must read without an exception, within the caps (no more than 4 + 128 MBR partitions, 1024 GPT entries),
/// with every partition inside the disk unless a problem is reported, and a smallest safe size no larger than the
/// disk. Budget: VDM_FUZZ_ITERATIONS × 25 MBR mutants and × 5 GPT mutants (default 400: 10,000 and 2,000), base seed VDM_FUZZ_SEED.
/// </summary>
[TestFixture, Category("Fuzz")]
public sealed class PartitionFuzzTests
{
    private const int Sector = 512;
    private const long DiskSize = 4L << 20;

    internal static byte[] MbrSeed()
    {
        var disk = new byte[DiskSize];
        Record(disk, 0, 0, 0x80, 0x83, 2048, 2048);
        Record(disk, 0, 1, 0, 0x0F, 4096, 4096); // extended: LBA 4096..8191
        // EBR chain: 4096 -> 4096+2048; each holds one logical partition 64 sectors after it.
        Record(disk, 4096, 0, 0, 0x83, 64, 1024);
        Record(disk, 4096, 1, 0, 0x05, 2048, 2048);
        Record(disk, 6144, 0, 0, 0x07, 64, 1024);
        Seal(disk, 0);
        Seal(disk, 4096);
        Seal(disk, 6144);
        return disk;
    }

    private static void Record(byte[] disk, long sectorLba, int index, byte boot, byte type, uint start, uint size)
    {
        int at = (int)(sectorLba * Sector) + MbrSector.PartitionRecordOffset + index * MbrPartitionEntry.Size;
        disk[at + MbrPartitionEntry.BootIndicatorOffset] = boot;
        disk[at + MbrPartitionEntry.OsTypeOffset] = type;
        BinaryPrimitives.WriteUInt32LittleEndian(disk.AsSpan(at + MbrPartitionEntry.StartingLbaOffset), start);
        BinaryPrimitives.WriteUInt32LittleEndian(disk.AsSpan(at + MbrPartitionEntry.SizeInLbaOffset), size);
    }

    private static void Seal(byte[] disk, long lba) =>
        BinaryPrimitives.WriteUInt16LittleEndian(disk.AsSpan((int)(lba * Sector) + MbrSector.SignatureOffset), MbrSector.Signature);

    internal static byte[] GptSeed()
    {
        var disk = new byte[DiskSize];
        long last = DiskSize / Sector - 1;
        Record(disk, 0, 0, 0, MbrPartitionEntry.GptProtective, 1, (uint)last);
        Seal(disk, 0);
        var entries = new byte[128 * 128];
        void Entry(int i, Guid type, long first, long end, string name)
        {
            var e = entries.AsSpan(i * 128, 128);
            type.TryWriteBytes(e[GptPartitionEntry.PartitionTypeGuidOffset..]);
            Guid.NewGuid().TryWriteBytes(e[GptPartitionEntry.UniquePartitionGuidOffset..]);
            BinaryPrimitives.WriteUInt64LittleEndian(e[GptPartitionEntry.StartingLbaOffset..], (ulong)first);
            BinaryPrimitives.WriteUInt64LittleEndian(e[GptPartitionEntry.EndingLbaOffset..], (ulong)end);
            System.Text.Encoding.Unicode.GetBytes(name).CopyTo(e[GptPartitionEntry.PartitionNameOffset..]);
        }
        Entry(0, Guid.Parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b"), 2048, 4095, "EFI");
        Entry(1, Guid.Parse("0fc63daf-8483-4772-8e79-3d69d8477de4"), 4096, 6000, "root");
        entries.CopyTo(disk, 2 * Sector);
        entries.CopyTo(disk, (last - 32) * Sector);
        Header(disk, 1, last, 2);
        Header(disk, last, 1, last - 32);
        return disk;
    }

    private static void Header(byte[] disk, long my, long alternate, long entryLba)
    {
        var h = disk.AsSpan((int)(my * Sector), Sector);
        BinaryPrimitives.WriteUInt64LittleEndian(h, GptHeader.Signature);
        BinaryPrimitives.WriteUInt32LittleEndian(h[GptHeader.RevisionOffset..], 0x00010000);
        BinaryPrimitives.WriteUInt32LittleEndian(h[GptHeader.HeaderSizeOffset..], GptHeader.MinHeaderSize);
        BinaryPrimitives.WriteUInt64LittleEndian(h[GptHeader.MyLbaOffset..], (ulong)my);
        BinaryPrimitives.WriteUInt64LittleEndian(h[GptHeader.AlternateLbaOffset..], (ulong)alternate);
        BinaryPrimitives.WriteUInt64LittleEndian(h[GptHeader.FirstUsableLbaOffset..], 34);
        BinaryPrimitives.WriteUInt64LittleEndian(h[GptHeader.LastUsableLbaOffset..], (ulong)(DiskSize / Sector - 34));
        Guid.NewGuid().TryWriteBytes(h[GptHeader.DiskGuidOffset..]);
        BinaryPrimitives.WriteUInt64LittleEndian(h[GptHeader.PartitionEntryLbaOffset..], (ulong)entryLba);
        BinaryPrimitives.WriteUInt32LittleEndian(h[GptHeader.NumberOfPartitionEntriesOffset..], 128);
        BinaryPrimitives.WriteUInt32LittleEndian(h[GptHeader.SizeOfPartitionEntryOffset..], 128);
        FixCrcs(disk, my);
    }

    /// <summary>Recomputes a header's entry-array CRC and header CRC from its own (possibly mutated) fields, when they stay in bounds.</summary>
    private static void FixCrcs(byte[] disk, long my)
    {
        var h = disk.AsSpan((int)(my * Sector), Sector);
        ulong entryLba = BinaryPrimitives.ReadUInt64LittleEndian(h[GptHeader.PartitionEntryLbaOffset..]);
        long bytes = (long)BinaryPrimitives.ReadUInt32LittleEndian(h[GptHeader.NumberOfPartitionEntriesOffset..]) * BinaryPrimitives.ReadUInt32LittleEndian(h[GptHeader.SizeOfPartitionEntryOffset..]);
        if (entryLba < (ulong)(DiskSize / Sector) && bytes >= 0 && bytes <= DiskSize - (long)entryLba * Sector)
            BinaryPrimitives.WriteUInt32LittleEndian(h[GptHeader.PartitionEntryArrayCrc32Offset..], Crc32.Compute(disk.AsSpan((int)((long)entryLba * Sector), (int)bytes)));
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(h[GptHeader.HeaderSizeOffset..]);
        if (size is < GptHeader.MinHeaderSize or > Sector) return;
        h.Slice(GptHeader.HeaderCrc32Offset, 4).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h[GptHeader.HeaderCrc32Offset..], Crc32.Compute(h[..(int)size]));
    }

    private static ulong BaseSeed
    {
        get
        {
            string? s = Environment.GetEnvironmentVariable("VDM_FUZZ_SEED");
            if (s is null) return 0x5EED_F022;
            return s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? ulong.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) : ulong.Parse(s, CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Offsets a mutation aims at: the MBR records, EBRs, GPT headers and entry arrays.</summary>
    private static readonly (long Start, int Length)[] Hot =
    [
        (446, 66), (4096 * Sector + 446, 66), (6144 * Sector + 446, 66), (Sector, 92), (2 * Sector, 512),
        (DiskSize - Sector, 92), (DiskSize - 33 * Sector, 512),
    ];

    [TestCase("mbr")]
    [TestCase("gpt")]
    public void MutantsReadWithinTheRules(string kind)
    {
        byte[] seed = kind == "mbr" ? MbrSeed() : GptSeed();
        var pristine = Read(seed);
        Assert.That(pristine.Problems, Is.Empty, "the seed is valid");
        Assert.That(pristine.Partitions, Has.Count.EqualTo(kind == "mbr" ? 4 : 2));

        long iterations = FuzzTests.Iterations * (kind == "mbr" ? 25 : 5);
        var rng = new Prng(Prng.Mix(BaseSeed, (ulong)kind.GetHashCode(StringComparison.Ordinal) & 0xFFFF));
        var sw = Stopwatch.StartNew();
        var mutant = (byte[])seed.Clone();
        long withPartitions = 0;
        for (long i = 0; i < iterations; i++)
        {
            // Mutations (and the CRC fix-ups) touch only the hot ranges: restore those (8 bytes of overhang included).
            foreach (var (start, length) in Hot)
            {
                int n = (int)Math.Min(length + 8, seed.Length - start);
                seed.AsSpan((int)start, n).CopyTo(mutant.AsSpan((int)start));
            }
            int edits = 1 + rng.Next(4);
            for (int e = 0; e < edits; e++)
            {
                var (start, length) = rng.Pick(Hot);
                long at = start + rng.Next(length);
                switch (rng.Next(4))
                {
                    case 0: mutant[at] ^= (byte)(1 << rng.Next(8)); break;
                    case 1: mutant[at] = (byte)rng.Next(256); break;
                    case 2: if (at + 4 <= mutant.Length) BinaryPrimitives.WriteUInt32LittleEndian(mutant.AsSpan((int)at), rng.Pick(Interesting)); break;
                    default: if (at + 8 <= mutant.Length) BinaryPrimitives.WriteUInt64LittleEndian(mutant.AsSpan((int)at), rng.NextULong() >> rng.Next(64)); break;
                }
            }
            if (kind == "gpt" && rng.Chance(50)) { FixCrcs(mutant, 1); FixCrcs(mutant, DiskSize / Sector - 1); }
            PartitionLayout layout;
            try { layout = Read(mutant); }
            catch (Exception ex) { Assert.Fail($"mutant {i} of {kind} (seed 0x{BaseSeed:x}): {ex}"); return; }
            Assert.That(layout.SmallestSafeVirtualSize, Is.InRange(0, DiskSize), $"mutant {i}");
            Assert.That(layout.Partitions.Count, Is.LessThanOrEqualTo(kind == "mbr" ? 4 + PartitionReader.MaxLogicalPartitions : PartitionReader.MaxGptEntries), $"mutant {i}");
            if (layout.Problems.Count == 0)
                foreach (var p in layout.Partitions)
                    Assert.That(p.Offset >= 0 && p.Length >= 0 && p.End <= DiskSize, Is.True, $"mutant {i}: partition {p.Number} at {p.Offset}+{p.Length} without a problem reported");
            if (layout.Partitions.Count > 0) withPartitions++;
        }
        TestContext.Out.WriteLine($"partitions {kind}: {iterations} mutants in {sw.Elapsed.TotalSeconds:0.0} s ({iterations / Math.Max(sw.Elapsed.TotalSeconds, 0.001):0} per s), {withPartitions} with partitions");
    }

    private static readonly uint[] Interesting = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 2048, 4096, 8191, 8192, 0xEE, 0x05, 0x0F, 0x85];

    private static PartitionLayout Read(byte[] disk) => PartitionReader.Read((offset, buffer) =>
    {
        if (offset < 0 || offset > disk.Length - buffer.Length) return false;
        disk.AsSpan((int)offset, buffer.Length).CopyTo(buffer);
        return true;
    }, disk.Length, Sector);
}

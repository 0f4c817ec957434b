using System.Buffers.Binary;
using VirtualDiskManaged.Partitions;

namespace VirtualDiskManaged;

/// <summary>The partitioning scheme found on a disk.</summary>
public enum PartitionScheme
{
    /// <summary>No MBR signature at LBA 0 (or a disk too small for one).</summary>
    None = 0,
    /// <summary>A legacy MBR, with any logical partitions of an extended partition (UEFI 2.10 §5.2.1).</summary>
    Mbr = 1,
    /// <summary>A GUID Partition Table behind a protective MBR (UEFI 2.10 §5.3).</summary>
    Gpt = 2,
}

/// <summary>One partition of a disk.</summary>
/// <param name="Number">1-based: the MBR record (1–4) or logical partition (5, 6, …), or the GPT entry index + 1.</param>
/// <param name="Offset">Byte offset of the partition's first sector.</param>
/// <param name="Length">Length in bytes.</param>
/// <param name="MbrType">The MBR OSType byte (MBR partitions only).</param>
/// <param name="TypeGuid">The GPT PartitionTypeGUID (GPT partitions only).</param>
/// <param name="UniqueGuid">The GPT UniquePartitionGUID (GPT partitions only).</param>
/// <param name="Name">The GPT partition name (GPT partitions only).</param>
/// <param name="Bootable">MBR BootIndicator 0x80, or GPT attribute bit 2 (legacy BIOS bootable).</param>
public sealed record PartitionInfo(int Number, long Offset, long Length, byte? MbrType, Guid? TypeGuid, Guid? UniqueGuid, string? Name, bool Bootable)
{
    /// <summary>The byte offset just past the partition.</summary>
    public long End => Offset + Length;
}

/// <summary>
/// The partition table of a disk's virtual content and what it implies for shrinking
/// (GET_VIRTUAL_DISK_INFO_SMALLEST_SAFE_VIRTUAL_SIZE; docs/operations.md "partitions").
/// </summary>
public sealed class PartitionLayout
{
    internal PartitionLayout(PartitionScheme scheme, IReadOnlyList<PartitionInfo> partitions, long smallestSafe, Guid? diskGuid, uint? mbrSignature, IReadOnlyList<string> problems)
    {
        Scheme = scheme;
        Partitions = partitions;
        SmallestSafeVirtualSize = smallestSafe;
        DiskGuid = diskGuid;
        MbrDiskSignature = mbrSignature;
        Problems = problems;
    }

    /// <summary>None, MBR or GPT.</summary>
    public PartitionScheme Scheme { get; }

    /// <summary>The partitions in table order (unused entries left out).</summary>
    public IReadOnlyList<PartitionInfo> Partitions { get; }

    /// <summary>
    /// The smallest virtual size that keeps every partition (and, for GPT, room for the backup partition entries and
    /// header after the last partition, UEFI 2.10 §5.3.1); the virtual size itself when there is no partition table
    /// or the table is damaged (nothing can be told safe).
    /// </summary>
    public long SmallestSafeVirtualSize { get; }

    /// <summary>The GPT DiskGUID.</summary>
    public Guid? DiskGuid { get; }

    /// <summary>The MBR UniqueMBRDiskSignature.</summary>
    public uint? MbrDiskSignature { get; }

    /// <summary>What is wrong with the table (a bad CRC, a partition beyond the disk, an EBR loop); empty when it is sound.</summary>
    public IReadOnlyList<string> Problems { get; }
}

/// <summary>Reads MBR and GPT partition tables from virtual content (UEFI 2.10 §5.2, §5.3).</summary>
internal static class PartitionReader
{
    /// <summary>Cap on logical partitions followed through an EBR chain (cap independent of file values).</summary>
    internal const int MaxLogicalPartitions = 128;

    /// <summary>Cap on GPT entries read (UEFI requires room for at least 128; tables larger than 1024 entries are not read).</summary>
    internal const int MaxGptEntries = 1024;

    /// <summary>Reads <paramref name="buffer"/>.Length bytes at a virtual offset; false when the range is outside the disk.</summary>
    internal delegate bool ReadAt(long offset, Span<byte> buffer);

    public static PartitionLayout Read(ReadAt read, long diskSize, int sectorSize)
    {
        var problems = new List<string>();
        Span<byte> mbr = stackalloc byte[MbrSector.Size];
        if (diskSize < sectorSize || !read(0, mbr) || !MbrSector.HasSignature(mbr))
            return new(PartitionScheme.None, [], diskSize, null, null, problems);
        uint signature = BinaryPrimitives.ReadUInt32LittleEndian(mbr[MbrSector.UniqueMbrDiskSignatureOffset..]);
        bool protective = false;
        for (int i = 0; i < MbrSector.PartitionRecordCount; i++)
            if (MbrSector.Record(mbr, i).OsType == MbrPartitionEntry.GptProtective) protective = true;
        if (protective)
        {
            var gpt = ReadGpt(read, diskSize, sectorSize, problems);
            if (gpt is not null) return gpt;
            return new(PartitionScheme.Gpt, [], diskSize, null, null, problems);
        }
        return ReadMbr(read, mbr, diskSize, sectorSize, signature, problems);
    }

    private static PartitionLayout ReadMbr(ReadAt read, ReadOnlySpan<byte> mbr, long diskSize, int sectorSize, uint signature, List<string> problems)
    {
        var partitions = new List<PartitionInfo>();
        long end = 0;
        for (int i = 0; i < MbrSector.PartitionRecordCount; i++)
        {
            var r = MbrSector.Record(mbr, i);
            if (r.IsEmpty) continue;
            long offset = (long)r.StartingLba * sectorSize, length = (long)r.SizeInLba * sectorSize;
            partitions.Add(new(i + 1, offset, length, r.OsType, null, null, null, r.BootIndicator == 0x80));
            end = Math.Max(end, offset + length);
            if (r.IsExtended) ReadLogical(read, r.StartingLba, r.SizeInLba, diskSize, sectorSize, partitions, problems, ref end);
        }
        foreach (var p in partitions)
            if (p.End > diskSize) problems.Add($"Partition {p.Number} ends at {p.End}, beyond the disk's {diskSize} bytes");
        long safe = problems.Count > 0 ? diskSize : Math.Min(diskSize, Math.Max(end, MbrSector.Size));
        return new(PartitionScheme.Mbr, partitions, safe, null, signature, problems);
    }

    /// <summary>
    /// Logical partitions: each EBR's first record is a partition relative to that EBR, its second the next EBR
    /// relative to the extended partition's start (UEFI 2.10 §5.2.1 leaves EBRs to the legacy convention; this is it).
    /// </summary>
    private static void ReadLogical(ReadAt read, uint extendedStart, uint extendedSize, long diskSize, int sectorSize,
        List<PartitionInfo> partitions, List<string> problems, ref long end)
    {
        Span<byte> ebr = stackalloc byte[MbrSector.Size];
        ulong next = extendedStart;
        var seen = new HashSet<ulong>();
        int number = 5;
        for (int count = 0; count < MaxLogicalPartitions; count++)
        {
            if (!seen.Add(next)) { problems.Add($"The EBR chain loops at LBA {next}"); return; }
            long at = (long)next * sectorSize;
            if (at < 0 || at > diskSize - MbrSector.Size || !read(at, ebr)) { problems.Add($"EBR at LBA {next} is beyond the disk"); return; }
            if (!MbrSector.HasSignature(ebr)) { problems.Add($"EBR at LBA {next} has no 0xAA55 signature"); return; }
            var logical = MbrSector.Record(ebr, 0);
            if (!logical.IsEmpty)
            {
                long offset = (long)(next + logical.StartingLba) * sectorSize, length = (long)logical.SizeInLba * sectorSize;
                partitions.Add(new(number++, offset, length, logical.OsType, null, null, null, logical.BootIndicator == 0x80));
                end = Math.Max(end, offset + length);
            }
            var link = MbrSector.Record(ebr, 1);
            if (link.IsEmpty || !link.IsExtended) return;
            if (link.StartingLba >= extendedSize) { problems.Add($"EBR link to LBA {extendedStart + (ulong)link.StartingLba} leaves the extended partition"); return; }
            next = extendedStart + (ulong)link.StartingLba;
        }
        problems.Add($"More than {MaxLogicalPartitions} logical partitions; the rest were not read");
    }

    private static PartitionLayout? ReadGpt(ReadAt read, long diskSize, int sectorSize, List<string> problems)
    {
        long lastLba = diskSize / sectorSize - 1;
        var block = new byte[sectorSize];
        // UEFI 2.10 §5.3.2: the primary header at LBA 1; if it is invalid, the backup at the last LBA.
        GptHeader header = default;
        bool found = false;
        foreach (long lba in new[] { 1L, lastLba })
        {
            if (lba < 1 || !read(lba * sectorSize, block)) continue;
            string? why = GptHeader.TryParse(block, (ulong)lba, out header);
            if (why is null) { found = true; if (lba != 1) problems.Add("The primary GPT header is invalid; the backup header was used"); break; }
            problems.Add($"GPT header at LBA {lba}: {why}");
        }
        if (!found) return null;
        if (header.NumberOfPartitionEntries > MaxGptEntries)
        {
            problems.Add($"NumberOfPartitionEntries {header.NumberOfPartitionEntries} is above the {MaxGptEntries} read");
            return null;
        }
        long arrayBytes = (long)header.NumberOfPartitionEntries * header.SizeOfPartitionEntry; // ≤ 1024 × 4096
        long arrayOffset = header.PartitionEntryLba <= (ulong)lastLba ? (long)header.PartitionEntryLba * sectorSize : -1;
        var array = new byte[arrayBytes];
        if (arrayOffset < 0 || arrayOffset > diskSize - arrayBytes || !read(arrayOffset, array))
        {
            problems.Add($"The partition entry array at LBA {header.PartitionEntryLba} is beyond the disk");
            return null;
        }
        uint crc = Crc32.Compute(array);
        if (crc != header.PartitionEntryArrayCrc32) problems.Add($"Partition entry array CRC32 {header.PartitionEntryArrayCrc32:X8} stored, {crc:X8} computed");

        var partitions = new List<PartitionInfo>();
        long end = 0;
        for (int i = 0; i < header.NumberOfPartitionEntries; i++)
        {
            var e = GptPartitionEntry.Parse(array.AsSpan(i * (int)header.SizeOfPartitionEntry, GptPartitionEntry.MinSize));
            if (e.IsUnused) continue;
            if (e.EndingLba < e.StartingLba || e.EndingLba > (ulong)lastLba)
            {
                problems.Add($"Entry {i + 1}: LBAs {e.StartingLba}..{e.EndingLba} are not inside the disk");
                continue;
            }
            long offset = (long)e.StartingLba * sectorSize, length = (long)(e.EndingLba - e.StartingLba + 1) * sectorSize;
            partitions.Add(new(i + 1, offset, length, null, e.PartitionTypeGuid, e.UniquePartitionGuid, e.Name, (e.Attributes & 0x4) != 0));
            end = Math.Max(end, offset + length);
        }
        // The backup entry array and header follow the last partition (UEFI 2.10 §5.3.1): keep room for them.
        long backup = ((arrayBytes + sectorSize - 1) / sectorSize + 1) * sectorSize;
        long minimum = Math.Max(end, (long)header.FirstUsableLba * sectorSize) + backup;
        long safe = problems.Count > 0 ? diskSize : Math.Min(diskSize, minimum);
        return new(PartitionScheme.Gpt, partitions, safe, header.DiskGuid, null, problems);
    }
}

using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// A Sparing Table (OSTA UDF 2.60 §2.2.12; tag identifier 0): the reallocation table of a sparable partition. Entries
/// map an original packet (partition-relative LBN of its first block) to an absolute sector; 0xFFFFFFFF marks an
/// available spare and 0xFFFFFFF0 and above are not mapped (§2.2.12, Linux stops there too).
/// </summary>
internal sealed class UdfSparingTable
{
    private const int IdentifierOffset = 16;
    private const int EntryCountOffset = 48;
    private const int SequenceNumberOffset = 52;
    private const int EntriesOffset = 56;
    private const int EntrySize = 8;
    /// <summary>Cap on the table's bytes read (Linux allows one block; 64 KiB holds 8185 entries).</summary>
    public const int MaxSize = 64 * 1024;

    public uint SequenceNumber { get; private init; }
    /// <summary>(original packet LBN, mapped sector), sorted by the original location, only mapped entries.</summary>
    public (uint Original, uint Mapped)[] Entries { get; private init; } = [];
    public int EntryCount { get; private init; }

    /// <summary>Parses a table whose tag was checked; 56 + 8·RT_L must fit the bytes read (CVE-2026-64322).</summary>
    public static bool TryParse(ReadOnlySpan<byte> d, out UdfSparingTable? table, out string? problem)
    {
        table = null;
        problem = null;
        if (d.Length < EntriesOffset) { problem = "Sparing table shorter than its header"; return false; }
        if (!UdfEntityIdentifier.Read(d[IdentifierOffset..]).Is("*UDF Sparing Table")) { problem = "Sparing table identifier is not *UDF Sparing Table"; return false; }
        int count = BinaryPrimitives.ReadUInt16LittleEndian(d[EntryCountOffset..]);
        if (EntriesOffset + (long)count * EntrySize > d.Length) { problem = $"{count} sparing entries exceed the {d.Length}-byte table"; return false; }
        var list = new List<(uint, uint)>(count);
        uint previous = 0;
        bool sorted = true;
        for (int i = 0; i < count; i++)
        {
            uint original = BinaryPrimitives.ReadUInt32LittleEndian(d[(EntriesOffset + i * EntrySize)..]);
            uint mapped = BinaryPrimitives.ReadUInt32LittleEndian(d[(EntriesOffset + i * EntrySize + 4)..]);
            if (original >= 0xFFFF_FFF0) continue;
            if (original < previous) sorted = false;
            previous = original;
            list.Add((original, mapped));
        }
        var entries = list.ToArray();
        if (!sorted) Array.Sort(entries, (a, b) => a.Item1.CompareTo(b.Item1));
        table = new UdfSparingTable { SequenceNumber = BinaryPrimitives.ReadUInt32LittleEndian(d[SequenceNumberOffset..]), Entries = entries, EntryCount = count };
        if (!sorted) problem = "Sparing table entries are not sorted by original location";
        return true;
    }
}

/// <summary>
/// A sparable partition (OSTA UDF 2.60 §2.2.9): a Type 1 partition whose defective packets are reallocated by the
/// sparing table: a block in a remapped packet reads from mapped sector + (LBN mod packet length).
/// </summary>
internal sealed class UdfSparablePartition(int reference, UdfPartitionMap map, UdfPartitionDescriptor descriptor, UdfSparingTable table)
    : UdfPartition(reference, map, descriptor)
{
    public UdfSparingTable Table { get; } = table;
    public override long BlockCount => Descriptor.Length;

    public override bool TryTranslate(uint lbn, bool mirror, out long sector, out long contiguous)
    {
        sector = 0;
        contiguous = 0;
        if (lbn >= BlockCount) return false;
        uint packetLength = Map.PacketLength;
        uint packet = lbn - lbn % packetLength;
        var entries = Table.Entries;
        int lo = 0, hi = entries.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (entries[mid].Original < packet) lo = mid + 1; else hi = mid;
        }
        if (lo < entries.Length && entries[lo].Original == packet)
        {
            sector = entries[lo].Mapped + (long)(lbn - packet);
            contiguous = packet + (long)packetLength - lbn;
            return true;
        }
        sector = Descriptor.Start + (long)lbn;
        long limit = lo < entries.Length ? entries[lo].Original : BlockCount;
        contiguous = Math.Min(limit, BlockCount) - lbn;
        return true;
    }
}

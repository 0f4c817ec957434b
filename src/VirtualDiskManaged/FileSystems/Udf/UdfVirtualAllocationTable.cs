using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// The Virtual Allocation Table (OSTA UDF 1.50 §2.2.10, OSTA UDF 2.60 §2.2.11): the file recorded last on a
/// write-once disc that maps each virtual block to a block of the physical partition. UDF 1.50 form (file type 0):
/// entries, then the regid <c>*UDF Virtual Alloc Tbl</c> and the previous VAT ICB (36 bytes). UDF 2.00+ form (file
/// type 248): a header of LengthOfHeader bytes (≥ 152) with the logical volume identifier, counts and revisions,
/// then the entries.
/// </summary>
internal sealed class UdfVirtualAllocationTable
{
    private const int V15TrailerSize = 36;
    private const int HeaderLengthOffset = 0;
    private const int LogicalVolumeIdentifierOffset = 4;
    private const int FilesOffset = 136;
    private const int DirectoriesOffset = 140;
    private const int MinReadOffset = 144;
    private const int MinWriteOffset = 146;
    private const int MaxWriteOffset = 148;
    private const int MinimumHeader = 152;
    /// <summary>Cap on the VAT's size (udfinfo: 256 blocks; 8 MiB maps 2 million blocks).</summary>
    public const int MaxSize = 8 * 1024 * 1024;
    public const uint Unused = 0xFFFF_FFFF;

    public uint[] Entries { get; private init; } = [];
    public bool IsVersion15 { get; private init; }
    public string? LogicalVolumeIdentifier { get; private init; }
    public uint? Files { get; private init; }
    public uint? Directories { get; private init; }
    public ushort? MinimumReadRevision { get; private init; }
    public ushort? MinimumWriteRevision { get; private init; }
    public ushort? MaximumWriteRevision { get; private init; }

    /// <summary>Parses the VAT's data; LengthOfHeader must not exceed the data (CVE-2026-64323) and one entry must remain.</summary>
    public static bool TryParse(ReadOnlySpan<byte> d, bool version15, out UdfVirtualAllocationTable? vat, out string? problem)
    {
        vat = null;
        problem = null;
        if (version15)
        {
            if (d.Length < V15TrailerSize + 4) { problem = $"UDF 1.50 VAT of {d.Length} bytes"; return false; }
            if (!UdfEntityIdentifier.Read(d[(d.Length - V15TrailerSize)..]).Is("*UDF Virtual Alloc Tbl")) { problem = "UDF 1.50 VAT without the *UDF Virtual Alloc Tbl identifier"; return false; }
            vat = new UdfVirtualAllocationTable { Entries = ReadEntries(d[..((d.Length - V15TrailerSize) & ~3)]), IsVersion15 = true };
            return true;
        }
        if (d.Length < MinimumHeader) { problem = $"VAT of {d.Length} bytes is shorter than its header"; return false; }
        int header = BinaryPrimitives.ReadUInt16LittleEndian(d[HeaderLengthOffset..]);
        if (header < MinimumHeader || header > d.Length - 4) { problem = $"VAT header length {header} for a {d.Length}-byte VAT"; return false; }
        vat = new UdfVirtualAllocationTable
        {
            Entries = ReadEntries(d[header..][..((d.Length - header) & ~3)]),
            LogicalVolumeIdentifier = UdfCompressedUnicode.ReadDString(d.Slice(LogicalVolumeIdentifierOffset, 128)),
            Files = BinaryPrimitives.ReadUInt32LittleEndian(d[FilesOffset..]),
            Directories = BinaryPrimitives.ReadUInt32LittleEndian(d[DirectoriesOffset..]),
            MinimumReadRevision = BinaryPrimitives.ReadUInt16LittleEndian(d[MinReadOffset..]),
            MinimumWriteRevision = BinaryPrimitives.ReadUInt16LittleEndian(d[MinWriteOffset..]),
            MaximumWriteRevision = BinaryPrimitives.ReadUInt16LittleEndian(d[MaxWriteOffset..]),
        };
        return true;
    }

    private static uint[] ReadEntries(ReadOnlySpan<byte> d)
    {
        var e = new uint[d.Length / 4];
        for (int i = 0; i < e.Length; i++) e[i] = BinaryPrimitives.ReadUInt32LittleEndian(d[(4 * i)..]);
        return e;
    }
}

/// <summary>
/// A virtual partition (OSTA UDF 2.60 §2.2.8): virtual block n is physical-partition block VAT[n]; each block maps
/// on its own, so runs are one block long.
/// </summary>
internal sealed class UdfVirtualPartition(int reference, UdfPartitionMap map, UdfPartitionDescriptor descriptor, UdfPartition physical, UdfVirtualAllocationTable vat)
    : UdfPartition(reference, map, descriptor)
{
    public UdfPartition Physical { get; } = physical;
    public UdfVirtualAllocationTable Table { get; } = vat;
    public override long BlockCount => Table.Entries.Length;

    public override bool TryTranslate(uint lbn, bool mirror, out long sector, out long contiguous)
    {
        sector = 0;
        contiguous = 0;
        if (lbn >= (uint)Table.Entries.Length) return false;
        uint target = Table.Entries[lbn];
        if (target == UdfVirtualAllocationTable.Unused) return false;
        if (!Physical.TryTranslate(target, false, out sector, out _)) return false;
        contiguous = 1;
        return true;
    }
}

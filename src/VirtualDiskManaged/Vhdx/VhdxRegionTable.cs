using System.Buffers.Binary;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.Vhdx;

/// <summary>A region (MS-VHDX §2.2.3): where the BAT or metadata lives.</summary>
internal readonly record struct VhdxRegion(long FileOffset, long Length)
{
    public long End => FileOffset + Length;

    public bool Overlaps(long offset, long length) => offset < End && FileOffset < offset + length;
}

/// <summary>A region table at 192 KiB or 256 KiB (MS-VHDX §2.2.3; VHDX rules 8–12, docs/open-path.md §8.2).</summary>
internal readonly struct VhdxRegionTable
{
    public const uint Signature = 0x69676572; // "regi"
    private const int SignatureOffset = 0, ChecksumOffset = 4, EntryCountOffset = 8, ReservedOffset = 12;
    private const int HeaderLength = 16, EntryLength = 32, EntryGuidOffset = 0, EntryFileOffsetOffset = 16,
        EntryLengthOffset = 24, EntryRequiredOffset = 28;
    public const int MaxEntries = 2047;

    public VhdxRegion Bat { get; init; }
    public VhdxRegion Metadata { get; init; }
    public int EntryCount { get; init; }

    /// <summary>The bytes that carry meaning: header and entries (for comparing the two copies).</summary>
    public static int UsedLength(ReadOnlySpan<byte> data)
    {
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(data[EntryCountOffset..]);
        return count > MaxEntries ? HeaderLength : HeaderLength + (int)count * EntryLength;
    }

    /// <summary>Signature, CRC-32C over the whole 64 KiB, entry count ≤ 2047, reserved 0 (VHDX rule 8, docs/open-path.md §8.2).</summary>
    public static bool IsIntact(ReadOnlySpan<byte> data)
    {
        if (data.Length < VhdxConstants.RegionTableSize) return false;
        data = data[..VhdxConstants.RegionTableSize];
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[SignatureOffset..]) != Signature) return false;
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[EntryCountOffset..]) > MaxEntries) return false;
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[ReservedOffset..]) != 0) return false;
        return Crc32C.ComputeWithZeroedField(data, ChecksumOffset) == BinaryPrimitives.ReadUInt32LittleEndian(data[ChecksumOffset..]);
    }

    /// <summary>
    /// Parses the entries of an intact table: offsets ≥ 1 MiB and 1 MiB aligned, lengths 1 MiB multiples and not 0
    /// (VHDX rule 9), no unknown required region (VHDX rule 11), BAT and metadata exactly once (VHDX rule 10), no two regions
    /// overlapping (VHDX rule 12).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out VhdxRegionTable table, out VirtualDiskErrorReason reason, out string? detail)
    {
        if (IsIntact(data)) return TryParseIntact(data, out table, out reason, out detail);
        table = default;
        detail = null;
        reason = VirtualDiskErrorReason.VhdxRegionTableInvalid;
        return false;
    }

    /// <summary>
    /// Reads and parses the first region table copy that is intact and valid (at 192 KiB, else at 256 KiB; MS-VHDX §2.2.3)
    /// into <paramref name="bytes"/> (<see cref="VhdxConstants.RegionTableSize"/> bytes).
    /// </summary>
    public static bool TryReadFirstValid(Host.FileView source, byte[] bytes, out VhdxRegionTable table)
    {
        table = default;
        foreach (long at in new[] { VhdxConstants.RegionTable1Offset, VhdxConstants.RegionTable2Offset })
            if (source.TryReadExactlyAt(at, bytes) && TryParse(bytes, out table, out _, out _)) return true;
        return false;
    }

    /// <summary>As <see cref="TryParse"/> for a table already found intact by <see cref="IsIntact"/> (no second CRC pass).</summary>
    public static bool TryParseIntact(ReadOnlySpan<byte> data, out VhdxRegionTable table, out VirtualDiskErrorReason reason, out string? detail)
    {
        table = default;
        detail = null;
        int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[EntryCountOffset..]);
        VhdxRegion bat = default, metadata = default;
        int batCount = 0, metadataCount = 0;
        for (int i = 0; i < count; i++)
        {
            var e = data.Slice(HeaderLength + i * EntryLength, EntryLength);
            var guid = new Guid(e.Slice(EntryGuidOffset, 16));
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(e[EntryFileOffsetOffset..]);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(e[EntryLengthOffset..]);
            uint required = BinaryPrimitives.ReadUInt32LittleEndian(e[EntryRequiredOffset..]);
            if (offset < VhdxConstants.MiB || offset % VhdxConstants.MiB != 0 || length == 0 || length % VhdxConstants.MiB != 0
                || offset > (ulong)(long.MaxValue / 2))
            {
                reason = VirtualDiskErrorReason.VhdxRegionEntryInvalid;
                detail = $"Entry {i} {guid}: offset {offset}, length {length}";
                return false;
            }
            var region = new VhdxRegion((long)offset, length);
            for (int j = 0; j < i; j++)
            {
                var other = data.Slice(HeaderLength + j * EntryLength, EntryLength);
                long o = (long)BinaryPrimitives.ReadUInt64LittleEndian(other[EntryFileOffsetOffset..]);
                long l = BinaryPrimitives.ReadUInt32LittleEndian(other[EntryLengthOffset..]);
                if (region.Overlaps(o, l))
                {
                    reason = VirtualDiskErrorReason.VhdxStructuresOverlap;
                    detail = $"Regions {j} and {i} overlap";
                    return false;
                }
            }
            if (guid == VhdxConstants.BatRegion) { bat = region; batCount++; }
            else if (guid == VhdxConstants.MetadataRegion) { metadata = region; metadataCount++; }
            else if ((required & 1) != 0)
            {
                reason = VirtualDiskErrorReason.VhdxRegionUnknownRequired;
                detail = $"Region {guid}";
                return false;
            }
        }
        if (batCount != 1 || metadataCount != 1)
        {
            reason = VirtualDiskErrorReason.VhdxRegionMissingOrDuplicate;
            detail = $"{batCount} BAT and {metadataCount} metadata regions";
            return false;
        }
        table = new VhdxRegionTable { Bat = bat, Metadata = metadata, EntryCount = count };
        reason = VirtualDiskErrorReason.None;
        return true;
    }
}

using System.Buffers.Binary;
using VirtualDiskManaged.Vhdx;

namespace VirtualDiskManaged;

/// <summary>One entry of a VHDX metadata table (MS-VHDX §2.6.1.2).</summary>
/// <param name="ItemId">The item's GUID.</param>
/// <param name="Length">The item's length in bytes.</param>
/// <param name="IsUser">A user item (IsUser flag), as opposed to a system item.</param>
/// <param name="IsVirtualDisk">The item describes the virtual disk (IsVirtualDisk flag: a differencing child shares it).</param>
/// <param name="IsRequired">A reader must understand the item (IsRequired flag).</param>
public sealed record VhdxMetadataItemInfo(Guid ItemId, uint Length, bool IsUser, bool IsVirtualDisk, bool IsRequired);

public static partial class VirtualDiskOperations
{
    // MS-VHDX §2.6.1.1 (table header) and §2.6.1.2 (entries).
    private const int MetadataEntryCountOffset = 10, MetadataHeaderLength = 32, MetadataEntryLength = 32;
    private const int MetadataItemIdOffset = 0, MetadataItemOffsetOffset = 16, MetadataItemLengthOffset = 20, MetadataItemFlagsOffset = 24;

    /// <summary>
    /// EnumerateVirtualDiskMetadata: the metadata table entries of an open VHDX's top file (MS-VHDX §2.6.1), system and
    /// user items (read through a replayed log when one was pending). Empty for other formats.
    /// </summary>
    /// <param name="handle">An open image.</param>
    /// <returns>The entries in table order.</returns>
    public static IReadOnlyList<VhdxMetadataItemInfo> EnumerateMetadata(VirtualDiskHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var list = new List<VhdxMetadataItemInfo>();
        if (!TryReadMetadataTable(handle, out var table, out _)) return list;
        int count = BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(MetadataEntryCountOffset));
        count = Math.Min(count, VhdxMetadataTable.MaxEntries); // validated by the open; capped again here
        for (int i = 0; i < count; i++)
        {
            var e = table.AsSpan(MetadataHeaderLength + i * MetadataEntryLength, MetadataEntryLength);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(e[MetadataItemFlagsOffset..]);
            list.Add(new(new Guid(e.Slice(MetadataItemIdOffset, 16)), BinaryPrimitives.ReadUInt32LittleEndian(e[MetadataItemLengthOffset..]),
                (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0));
        }
        return list;
    }

    /// <summary>GetVirtualDiskMetadata: the bytes of one item of an open VHDX (at most 1 MiB, the MS-VHDX §2.6.1.2 limit); null when there is no such item.</summary>
    /// <param name="handle">An open VHDX.</param>
    /// <param name="itemId">The item's GUID.</param>
    /// <returns>The item's bytes, or null.</returns>
    public static byte[]? GetMetadata(VirtualDiskHandle handle, Guid itemId)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!TryReadMetadataTable(handle, out var table, out long regionOffset)) return null;
        int count = Math.Min((int)BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(MetadataEntryCountOffset)), VhdxMetadataTable.MaxEntries);
        for (int i = 0; i < count; i++)
        {
            var e = table.AsSpan(MetadataHeaderLength + i * MetadataEntryLength, MetadataEntryLength);
            if (new Guid(e.Slice(MetadataItemIdOffset, 16)) != itemId) continue;
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(e[MetadataItemOffsetOffset..]);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(e[MetadataItemLengthOffset..]);
            if (length > VhdxMetadataTable.MaxItemLength) return null; // the open refused such tables; the cap stays
            var data = new byte[length];
            if (length > 0 && !handle.TopLayer.Source.TryReadExactlyAt(regionOffset + offset, data)) return null;
            return data;
        }
        return null;
    }

    private static bool TryReadMetadataTable(VirtualDiskHandle handle, out byte[] table, out long regionOffset)
    {
        table = [];
        regionOffset = 0;
        if (handle.Format != VirtualDiskFormat.Vhdx) return false;
        var source = handle.TopLayer.Source;
        var regions = new byte[VhdxConstants.RegionTableSize];
        VhdxRegionTable parsed = default;
        bool ok = false;
        foreach (long at in new[] { VhdxConstants.RegionTable1Offset, VhdxConstants.RegionTable2Offset })
            if (!ok && source.TryReadExactlyAt(at, regions) && VhdxRegionTable.TryParse(regions, out parsed, out _, out _)) ok = true;
        if (!ok) return false;
        table = new byte[VhdxConstants.MetadataTableSize];
        regionOffset = parsed.Metadata.FileOffset;
        return source.TryReadExactlyAt(regionOffset, table);
    }
}

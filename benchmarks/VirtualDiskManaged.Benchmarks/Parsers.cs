using System.Buffers.Binary;
using VirtualDiskManaged.Vhd;
using VirtualDiskManaged.Vhdx;

namespace VirtualDiskManaged.Benchmarks;

/// <summary>
/// The parse paths the header benchmarks measure, written against the internal parsers exactly as the providers
/// use them (same calls, same order), so the benchmarks time parsing and validation alone, without file reads.
/// </summary>
internal static class Parsers
{
    /// <summary>A plain byte sum (the VHD checksum's floor: one add per byte).</summary>
    public static uint ByteSum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        foreach (byte b in data) sum += b;
        return sum;
    }

    public static bool ParseVhdFooter(ReadOnlySpan<byte> footer) => VhdFooter.TryParse(footer, out _, out _);

    public static bool ParseVhdDynamicHeader(ReadOnlySpan<byte> header) => VhdDynamicHeader.TryParse(header, out _, out _);

    public static uint Crc32C(ReadOnlySpan<byte> data) => IO.Crc32C.Compute(data);

    /// <summary>
    /// The VHDX header set as VhdxProvider validates it (MS-VHDX §2.2–§2.6): file type identifier, both headers
    /// (CRC-32C each) and the choice of the current one, both region tables (CRC-32C each) compared and the first
    /// parsed, the metadata table and its items. <paramref name="head"/> is the file's first 320 KiB,
    /// <paramref name="metadata"/> the metadata region's first bytes (table and items).
    /// </summary>
    public static bool ParseVhdxHeaderSet(ReadOnlySpan<byte> head, ReadOnlySpan<byte> metadata)
    {
        if (!VhdxFileIdentifier.TryParse(head[..VhdxFileIdentifier.Size], out _, out _)) return false;
        var raw1 = head.Slice((int)VhdxConstants.Header1Offset, VhdxConstants.HeaderSize);
        var raw2 = head.Slice((int)VhdxConstants.Header2Offset, VhdxConstants.HeaderSize);
        bool valid1 = VhdxHeader.TryParse(raw1, out var h1, out _);
        bool valid2 = VhdxHeader.TryParse(raw2, out var h2, out _);
        int current = VhdxHeader.SelectCurrent(valid1, h1, raw1, valid2, h2, raw2, out _);
        if (current == 0) return false;
        if ((current == 1 ? h1 : h2).CheckCurrent(out _) != VirtualDiskErrorReason.None) return false;

        var t1 = head.Slice((int)VhdxConstants.RegionTable1Offset, VhdxConstants.RegionTableSize);
        var t2 = head.Slice((int)VhdxConstants.RegionTable2Offset, VhdxConstants.RegionTableSize);
        bool intact1 = VhdxRegionTable.IsIntact(t1), intact2 = VhdxRegionTable.IsIntact(t2);
        if (!intact1) return false;
        if (intact2)
        {
            int used = VhdxRegionTable.UsedLength(t1);
            if (used != VhdxRegionTable.UsedLength(t2) || !t1[..used].SequenceEqual(t2[..used])) return false;
        }
        if (!VhdxRegionTable.TryParseIntact(t1, out var regions, out _, out _)) return false;

        if (!VhdxMetadataTable.TryParse(metadata[..VhdxConstants.MetadataTableSize], regions.Metadata.Length, out var table, out _, out _)) return false;
        if (!VhdxFileParameters.TryParse(Item(metadata, table.FileParameters), out var parameters, out _, out _)) return false;
        if (!VhdxMetadataItems.TryParseSectorSize(Item(metadata, table.LogicalSectorSize), "Logical sector size", out int logical, out _, out _)) return false;
        if (table.PhysicalSectorSize.Present && !VhdxMetadataItems.TryParseSectorSize(Item(metadata, table.PhysicalSectorSize), "Physical sector size", out _, out _, out _)) return false;
        if (!VhdxMetadataItems.TryParseVirtualDiskSize(Item(metadata, table.VirtualDiskSize), logical, out long size, out _, out _)) return false;
        if (table.VirtualDiskId.Present) VhdxMetadataItems.ParseVirtualDiskId(Item(metadata, table.VirtualDiskId));
        return size > 0 && parameters.BlockSize > 0;
    }

    private static ReadOnlySpan<byte> Item(ReadOnlySpan<byte> metadata, VhdxItemLocation location) =>
        metadata.Slice((int)location.Offset, (int)location.Length);

    /// <summary>The metadata region's file offset from region table 1 (an independent reading, for the setup).</summary>
    public static long VhdxMetadataOffset(ReadOnlySpan<byte> head)
    {
        var table = head.Slice(192 << 10, 64 << 10);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(table[8..]);
        var metadataRegion = new Guid("8B7CA206-4790-4B9A-B8FE-575F050F886E");
        for (int i = 0; i < count && i < 2047; i++)
        {
            var e = table.Slice(16 + 32 * i, 32);
            if (new Guid(e[..16]) == metadataRegion) return (long)BinaryPrimitives.ReadUInt64LittleEndian(e[16..]);
        }
        throw new InvalidOperationException("No metadata region");
    }
}

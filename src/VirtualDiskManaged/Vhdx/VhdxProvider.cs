using System.Buffers;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;
using VirtualDiskManaged.OpenPath;

namespace VirtualDiskManaged.Vhdx;

/// <summary>
/// Opens VHDX images (docs/open-path.md §8, §8.2, §9; MS-VHDX §2): file type identifier, headers, log replay into memory,
/// region tables, metadata, BAT. The file is only read; a pending log is applied to an in-memory overlay through which
/// every later structure and all payload are read.
/// Decisions: a header is valid when its signature and CRC-32C are right; version, log version and log placement are
/// checked on the current header. Region table 1 is used when intact, else table 2 (warning). IDENTIFIER is the
/// DataWriteGuid (what a child's parent_linkage names). BATs of up to <see cref="VhdxBlockTable.EagerEntryLimit"/>
/// entries are validated whole at open; larger ones page by page on first use, and <see cref="DiskLayer.Verify"/>
/// runs the whole-table checks. A missing Physical Sector Size or Virtual Disk ID item is tolerated.
/// </summary>
internal static class VhdxProvider
{
    public static VirtualDiskDiagnostic? Open(OpenContext context, out DiskLayer? layer)
    {
        layer = null;
        var file = context.File;
        var warnings = context.Warnings;
        string path = file.Path;

        // VHDX rule 1 (docs/open-path.md §8.2): "vhdxfile" at offset 0.
        Span<byte> identifierBytes = stackalloc byte[VhdxFileIdentifier.Size];
        if (!file.TryReadExactlyAt(0, identifierBytes) || !VhdxFileIdentifier.TryParse(identifierBytes, out _, out _))
        {
            string detail = file.Length < 8 ? $"The file is {Counted.Of(file.Length, "byte")}" : "The first 8 bytes are not \"vhdxfile\"";
            return new(VirtualDiskErrorReason.VhdxFileIdentifierMissing, path, detail, 0);
        }

        // VHDX rules 2–5: both headers; the current one is chosen by sequence number.
        Span<byte> raw1 = stackalloc byte[VhdxConstants.HeaderSize];
        Span<byte> raw2 = stackalloc byte[VhdxConstants.HeaderSize];
        bool valid1 = file.TryReadExactlyAt(VhdxConstants.Header1Offset, raw1) & VhdxHeader.TryParse(raw1, out var h1, out _);
        bool valid2 = file.TryReadExactlyAt(VhdxConstants.Header2Offset, raw2) & VhdxHeader.TryParse(raw2, out var h2, out _);
        int current = VhdxHeader.SelectCurrent(valid1, h1, raw1, valid2, h2, raw2, out var selectReason);
        if (current == 0)
        {
            string detail = selectReason == VirtualDiskErrorReason.VhdxHeaderSequenceTie
                ? $"Both have sequence number {h1.SequenceNumber}" : "Signature or CRC-32C wrong in the headers at 64 KiB and 128 KiB";
            return new(selectReason, path, detail, VhdxConstants.Header1Offset);
        }
        if (selectReason == VirtualDiskErrorReason.VhdxHeadersIdentical)
            context.Warn(selectReason, $"Sequence number {h1.SequenceNumber}", VhdxConstants.Header1Offset);
        else if (!valid1 || !valid2)
            context.Warn(VirtualDiskErrorReason.VhdxHeaderInvalid, $"Header {(valid1 ? 2 : 1)} failed its signature or CRC-32C; header {current} was used",
                valid1 ? VhdxConstants.Header2Offset : VhdxConstants.Header1Offset);
        var header = current == 1 ? h1 : h2;
        var headerReason = header.CheckCurrent(out string? headerDetail);
        if (headerReason != VirtualDiskErrorReason.None)
            return new(headerReason, path, headerDetail, current == 1 ? VhdxConstants.Header1Offset : VhdxConstants.Header2Offset);

        // VHDX rules 30–31: replay a pending log into memory before reading anything it may update.
        int warningsBefore = warnings.Count;
        var failure = VhdxLog.Replay(file, header, warnings, out var overlay);
        if (failure is not null) return failure;
        if (overlay is not null && context.Writable && !context.Request.Strict && file.Writable)
        {
            // docs/write.md: an open that may write replays the log into the file before first use (MS-VHDX §2.3),
            // then parses the clean file again.
            string detail = warnings[^1].Detail ?? "";
            warnings.RemoveRange(warningsBefore, warnings.Count - warningsBefore);
            VhdxLogApplier.ReplayIntoFile(file, overlay);
            var reopened = Open(context, out layer);
            if (reopened is null) warnings.Add(new(VirtualDiskErrorReason.VhdxLogReplayedIntoFile, path, detail, (long)header.LogOffset));
            return reopened;
        }
        FileView source = overlay is null ? file : overlay;

        byte[] buffer = ArrayPool<byte>.Shared.Rent(2 * VhdxConstants.RegionTableSize);
        try
        {
            failure = ReadRegionTables(context, source, buffer, out var regions);
            if (failure is not null) return failure;

            // VHDX rule 12: regions must not overlap the log (the header section is excluded by the 1 MiB minimum offset).
            var log = new VhdxRegion((long)header.LogOffset, header.LogLength);
            if (header.LogLength > 0 && (regions.Bat.Overlaps(log.FileOffset, log.Length) || regions.Metadata.Overlaps(log.FileOffset, log.Length)))
                return new(VirtualDiskErrorReason.VhdxStructuresOverlap, path,
                    $"The log ({Counted.Of(log.Length, "byte")} at {log.FileOffset}) overlaps the BAT or metadata region", log.FileOffset);

            failure = ReadMetadata(path, source, regions.Metadata, buffer, out var metadata);
            if (failure is not null) return failure;

            // VHDX rule 24: the BAT region holds every entry the virtual size needs, and those entries are in the file.
            var bat = new VhdxBlockTable(source, regions.Bat.FileOffset, metadata.VirtualSize, metadata.Parameters.BlockSize,
                metadata.LogicalSectorSize, metadata.Parameters.HasParent,
                header.LogLength > 0
                    ? [new VhdxRegion(0, VhdxConstants.HeaderSectionLength), log, regions.Bat, regions.Metadata]
                    : [new VhdxRegion(0, VhdxConstants.HeaderSectionLength), regions.Bat, regions.Metadata]);
            if (bat.ByteLength > regions.Bat.Length)
                return new(VirtualDiskErrorReason.BatRegionTooSmall, path,
                    $"{Counted.Of(bat.EntryCount, "entry", "entries")} need {Counted.Of(bat.ByteLength, "byte")}; the BAT region is {Counted.Of(regions.Bat.Length, "byte")}", regions.Bat.FileOffset);
            if (regions.Bat.FileOffset > source.Length - bat.ByteLength)
                return new(VirtualDiskErrorReason.BatBeyondEndOfFile, path,
                    $"The BAT ({Counted.Of(bat.ByteLength, "byte")} at {regions.Bat.FileOffset}) extends beyond the file ({Counted.Of(source.Length, "byte")})", regions.Bat.FileOffset);
            if (bat.IsEager)
            {
                failure = bat.LoadAll(warnings);
                if (failure is not null) return failure;
            }

            layer = new VhdxLayer(file, source, header, metadata.Parameters, metadata.VirtualSize, metadata.LogicalSectorSize,
                metadata.PhysicalSectorSize, metadata.VirtualDiskId, metadata.Locator, bat, overlay is not null);
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// VHDX rule 8: region table 1 when intact; table 2 when table 1 is not (warning); both broken → 1392. Both intact but
    /// different: table 1 is used (warning). An intact table with bad entries fails with that entry's reason.
    /// </summary>
    private static VirtualDiskDiagnostic? ReadRegionTables(OpenContext context, FileView source, byte[] buffer, out VhdxRegionTable table)
    {
        table = default;
        var t1 = buffer.AsSpan(0, VhdxConstants.RegionTableSize);
        var t2 = buffer.AsSpan(VhdxConstants.RegionTableSize, VhdxConstants.RegionTableSize);
        bool intact1, intact2;
        if (VhdxConstants.RegionTable2Offset == VhdxConstants.RegionTable1Offset + VhdxConstants.RegionTableSize &&
            source.TryReadExactlyAt(VhdxConstants.RegionTable1Offset, buffer.AsSpan(0, 2 * VhdxConstants.RegionTableSize)))
        {
            // The two tables are adjacent: one read for both.
            intact1 = VhdxRegionTable.IsIntact(t1);
            intact2 = VhdxRegionTable.IsIntact(t2);
        }
        else
        {
            intact1 = source.TryReadExactlyAt(VhdxConstants.RegionTable1Offset, t1) && VhdxRegionTable.IsIntact(t1);
            intact2 = source.TryReadExactlyAt(VhdxConstants.RegionTable2Offset, t2) && VhdxRegionTable.IsIntact(t2);
        }
        if (!intact1 && !intact2)
            return new(VirtualDiskErrorReason.VhdxRegionTablesInvalid, context.File.Path,
                "Signature, CRC-32C, entry count or reserved field wrong in the tables at 192 KiB and 256 KiB", VhdxConstants.RegionTable1Offset);
        var use = intact1 ? t1 : t2;
        long at = intact1 ? VhdxConstants.RegionTable1Offset : VhdxConstants.RegionTable2Offset;
        if (!intact1)
            context.Warn(VirtualDiskErrorReason.VhdxRegionTableInvalid, "Region table 1 is damaged; region table 2 was used", VhdxConstants.RegionTable1Offset);
        else if (intact2)
        {
            int used = VhdxRegionTable.UsedLength(t1);
            if (used != VhdxRegionTable.UsedLength(t2) || !t1[..used].SequenceEqual(t2[..used]))
                context.Warn(VirtualDiskErrorReason.VhdxRegionTablesDiffer, "Region table 1 was used", VhdxConstants.RegionTable2Offset);
        }
        if (!VhdxRegionTable.TryParseIntact(use, out table, out var reason, out var detail))
            return new(reason, context.File.Path, detail, at);
        return null;
    }

    private readonly record struct Metadata(VhdxFileParameters Parameters, long VirtualSize, int LogicalSectorSize,
        int PhysicalSectorSize, Guid? VirtualDiskId, VhdxParentLocator? Locator);

    /// <summary>VHDX rules 13–23, 33, 34: the metadata table and every known item.</summary>
    private static VirtualDiskDiagnostic? ReadMetadata(string path, FileView source, VhdxRegion region, byte[] buffer, out Metadata metadata)
    {
        metadata = default;
        var tableBytes = buffer.AsSpan(0, VhdxConstants.MetadataTableSize);
        if (!source.TryReadExactlyAt(region.FileOffset, tableBytes))
            return new(VirtualDiskErrorReason.VhdxMetadataTableInvalid, path, $"The metadata table at {region.FileOffset} is beyond the end of the file", region.FileOffset);
        if (!VhdxMetadataTable.TryParse(tableBytes, region.Length, out var table, out var reason, out var detail))
            return new(reason, path, detail, region.FileOffset);

        // The known fixed-size items (≤ 16 bytes each) usually sit together right after the table: read the span that
        // covers them once (at most 4 KiB) instead of one read per item; items outside it are read singly.
        var items = ItemSpan(source, region, table, buffer.AsSpan(VhdxConstants.MetadataTableSize, ItemSpanLimit), out long itemsAt);
        Span<byte> item = stackalloc byte[16];
        if (!ReadItem(source, region, table.FileParameters, item, out var failure, path, items, itemsAt)) return failure;
        if (!VhdxFileParameters.TryParse(item, out var parameters, out reason, out detail))
            return new(reason, path, detail, region.FileOffset + table.FileParameters.Offset);

        if (!ReadItem(source, region, table.LogicalSectorSize, item, out failure, path, items, itemsAt)) return failure;
        if (!VhdxMetadataItems.TryParseSectorSize(item, "Logical sector size", out int logical, out reason, out detail))
            return new(reason, path, detail, region.FileOffset + table.LogicalSectorSize.Offset);

        int physical = logical;
        if (table.PhysicalSectorSize.Present)
        {
            if (!ReadItem(source, region, table.PhysicalSectorSize, item, out failure, path, items, itemsAt)) return failure;
            if (!VhdxMetadataItems.TryParseSectorSize(item, "Physical sector size", out physical, out reason, out detail))
                return new(reason, path, detail, region.FileOffset + table.PhysicalSectorSize.Offset);
        }

        if (!ReadItem(source, region, table.VirtualDiskSize, item, out failure, path, items, itemsAt)) return failure;
        if (!VhdxMetadataItems.TryParseVirtualDiskSize(item, logical, out long size, out reason, out detail))
            return new(reason, path, detail, region.FileOffset + table.VirtualDiskSize.Offset);

        Guid? id = null;
        if (table.VirtualDiskId.Present)
        {
            if (!ReadItem(source, region, table.VirtualDiskId, item, out failure, path, items, itemsAt)) return failure;
            id = VhdxMetadataItems.ParseVirtualDiskId(item);
        }

        // VHDX rule 34: HasParent ⇔ parent locator. A locator in a disk without HasParent is ignored.
        VhdxParentLocator? locator = null;
        if (parameters.HasParent)
        {
            if (!table.ParentLocator.Present)
                return new(VirtualDiskErrorReason.VhdxParentLocatorMissing, path, "HasParent is set but there is no parent locator item", region.FileOffset);
            var bytes = new byte[table.ParentLocator.Length]; // ≤ 1 MiB (checked by the table)
            if (!source.TryReadExactlyAt(region.FileOffset + table.ParentLocator.Offset, bytes))
                return new(VirtualDiskErrorReason.VhdxMetadataEntryInvalid, path, "The parent locator item is beyond the end of the file", region.FileOffset + table.ParentLocator.Offset);
            if (!VhdxParentLocator.TryParse(bytes, out locator, out reason, out detail))
                return new(reason, path, detail, region.FileOffset + table.ParentLocator.Offset);
        }
        metadata = new Metadata(parameters, size, logical, physical, id, locator);
        return null;
    }

    private const int ItemSpanLimit = 4096;

    /// <summary>The bytes from the first to the end of the last present fixed-size item, when that span is at most <see cref="ItemSpanLimit"/> and inside the file; else empty.</summary>
    private static ReadOnlySpan<byte> ItemSpan(FileView source, VhdxRegion region, in VhdxMetadataTable table, Span<byte> buffer, out long at)
    {
        at = 0;
        ulong lo = ulong.MaxValue, hi = 0;
        foreach (var l in (ReadOnlySpan<VhdxItemLocation>)[table.FileParameters, table.LogicalSectorSize, table.PhysicalSectorSize, table.VirtualDiskSize, table.VirtualDiskId])
        {
            if (!l.Present || l.Length == 0 || l.Length > 16) continue;
            lo = Math.Min(lo, l.Offset);
            hi = Math.Max(hi, (ulong)l.Offset + l.Length);
        }
        if (lo >= hi || hi - lo > (ulong)buffer.Length) return default;
        at = region.FileOffset + (long)lo;
        var span = buffer[..(int)(hi - lo)];
        return source.TryReadExactlyAt(at, span) ? span : default;
    }

    private static bool ReadItem(FileView source, VhdxRegion region, VhdxItemLocation location, Span<byte> item, out VirtualDiskDiagnostic? failure, string path,
        ReadOnlySpan<byte> items = default, long itemsAt = 0)
    {
        failure = null;
        item.Clear();
        long at = region.FileOffset + location.Offset;
        if (location.Length is > 0 and <= 16 && !items.IsEmpty && at >= itemsAt && at + location.Length <= itemsAt + items.Length)
        {
            items.Slice((int)(at - itemsAt), (int)location.Length).CopyTo(item);
            return true;
        }
        if (location.Length == 0)
        {
            // An empty known item is present but unusable: it has the wrong length.
            failure = new(VirtualDiskErrorReason.VhdxMetadataItemLengthInvalid, path, "A required item is empty", region.FileOffset);
            return false;
        }
        if (!source.TryReadExactlyAt(at, item[..(int)location.Length]))
        {
            failure = new(VirtualDiskErrorReason.VhdxMetadataEntryInvalid, path, $"The item at {at} is beyond the end of the file", at);
            return false;
        }
        return true;
    }
}

using System.Buffers.Binary;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.Vhd;
using VirtualDiskManaged.Vhdx;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged;

/// <summary>What <see cref="VirtualDiskOperations.Set"/> changes (SetVirtualDiskInformation; null = unchanged).</summary>
public sealed record SetOptions
{
    /// <summary>
    /// SET_VIRTUAL_DISK_INFO_IDENTIFIER: the VHD footer's unique id, or the VHDX header's DataWriteGuid (MS-VHDX §2.2.2).
    /// A differencing child records its parent's identifier: changing a parent's breaks its children's link.
    /// </summary>
    public Guid? Identifier { get; init; }

    /// <summary>SET_VIRTUAL_DISK_INFO_VIRTUAL_DISK_ID: the VHDX Virtual Disk ID metadata item (MS-VHDX §2.6.2.3); VHD has none.</summary>
    public Guid? VirtualDiskId { get; init; }

    /// <summary>SET_VIRTUAL_DISK_INFO_PHYSICAL_SECTOR_SIZE: 512 or 4096, the VHDX Physical Sector Size item (MS-VHDX §2.6.2.5); VHD has none.</summary>
    public int? PhysicalSectorSize { get; init; }
}

public static partial class VirtualDiskOperations
{
    /// <summary>
    /// Changes identifiers and the physical sector size of a VHD or VHDX (docs/operations.md "set"). VHD: both
    /// footers rewritten, the copy at offset 0 first. VHDX: the identifier by one header update (MS-VHDX §2.2.2: the
    /// other header slot, sequence + 1, flushed), metadata items through the log (MS-VHDX §2.3: a LogGuid set by a
    /// header update, the entry written and flushed, the page applied and flushed, the log marked clean). A crash
    /// leaves the old or the new value. Returns what changed.
    /// </summary>
    /// <param name="path">The image (opened exclusively).</param>
    /// <param name="options">What to change.</param>
    /// <returns>One sentence per change.</returns>
    public static IReadOnlyList<string> Set(string path, SetOptions options)
    {
        if (!TrySet(path, options, out var changes, out var failure)) ThrowHelper.Throw(failure!);
        return changes!;
    }

    /// <summary>Tries to set (see <see cref="Set"/>).</summary>
    /// <param name="path">The image.</param>
    /// <param name="options">What to change.</param>
    /// <param name="changes">What changed, on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    public static bool TrySet(string path, SetOptions options, out IReadOnlyList<string>? changes, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        changes = null;
        if (options.Identifier is null && options.VirtualDiskId is null && options.PhysicalSectorSize is null)
        {
            failure = new(R.SetValueInvalid, path, "Nothing to change");
            return false;
        }
        if (options.PhysicalSectorSize is { } pss && pss is not (512 or 4096))
        {
            failure = new(R.SetValueInvalid, path, $"Physical sector size {pss}: 512 or 4096");
            return false;
        }
        failure = OpenInput(path, out var handle);
        if (failure is not null) return false;
        string full;
        VirtualDiskFormat format;
        bool pending;
        using (handle)
        {
            full = handle!.Path;
            format = handle.Format;
            pending = handle.LogReplayed;
        }
        if (format == VirtualDiskFormat.Vhd && (options.VirtualDiskId is not null || options.PhysicalSectorSize is not (null or 512)))
        {
            failure = new(R.OperationNotSupported, full, "A VHD has no virtual disk id and no physical sector size field (VHD spec \"Hard Disk Footer Format\")");
            return false;
        }
        if (format is not (VirtualDiskFormat.Vhd or VirtualDiskFormat.Vhdx))
        {
            failure = new(R.OperationNotSupported, full, $"Set applies to VHD and VHDX, not {format}");
            return false;
        }
        if (pending)
        {
            failure = new(R.SetPendingLog, full);
            return false;
        }
        var open = HostFile.TryOpen(full, exclusive: true, out var file, writable: true);
        if (open is not null) { failure = new(R.RepairWriteFailed, full, inner: open, code: open.Code); return false; }
        var list = new List<string>();
        using (file)
        {
            IBackingStore store = file!;
            try
            {
                failure = format == VirtualDiskFormat.Vhd ? SetVhd(file!, store, options, list) : SetVhdx(file!, store, options, list);
            }
            catch (IOException e) { failure = new(R.RepairWriteFailed, full, e.Message); }
        }
        if (failure is not null) return false;
        changes = list;
        return true;
    }

    private static VirtualDiskDiagnostic? SetVhd(HostFile file, IBackingStore store, SetOptions o, List<string> changes)
    {
        if (o.Identifier is not { } id) return null;
        long length = file.Length;
        byte[] trailing = new byte[VhdFooter.Size];
        if (!file.TryReadExactlyAt(length - VhdFooter.Size, trailing) || !VhdFooter.TryParse(trailing, out var footer, out var reason) || reason != R.None)
            return new(R.OperationNotSupported, file.Path, "The trailing footer is not a whole 512-byte intact footer; run repair first", length - VhdFooter.Size);
        WriteUniqueId(trailing, id);
        if (footer.IsSparse)
        {
            // The copy first: a crash between the writes leaves the trailing footer (authoritative) with the old id.
            store.WriteAt(0, trailing);
            store.Flush();
        }
        store.WriteAt(length - VhdFooter.Size, trailing);
        store.Flush();
        changes.Add($"Identifier (footer unique id) {footer.UniqueId} -> {id}");
        return null;
    }

    /// <summary>The unique id field (VHD spec: 16 bytes at offset 68, stored as the GUID's bytes in the order Windows writes them) and the checksum.</summary>
    private static void WriteUniqueId(Span<byte> footer, Guid id)
    {
        id.TryWriteBytes(footer.Slice(VhdFooter.UniqueIdOffset, 16), bigEndian: true, out _);
        footer.Slice(VhdFooter.ChecksumOffset, 4).Clear();
        BinaryPrimitives.WriteUInt32BigEndian(footer[VhdFooter.ChecksumOffset..], VhdChecksum.Compute(footer, VhdFooter.ChecksumOffset));
    }

    private static VirtualDiskDiagnostic? SetVhdx(HostFile file, IBackingStore store, SetOptions o, List<string> changes)
    {
        var headers = VhdxHeaderUpdater.TryRead(file);
        if (headers is null) return new(R.OperationNotSupported, file.Path, "No current VHDX header");
        if (o.VirtualDiskId is not null || o.PhysicalSectorSize is not null)
        {
            // The metadata table (MS-VHDX §2.6.1) through the region table (§2.2.3).
            var regionBytes = new byte[VhdxConstants.RegionTableSize];
            if (!file.TryReadExactlyAt(VhdxConstants.RegionTable1Offset, regionBytes) || !VhdxRegionTable.TryParse(regionBytes, out var regions, out _, out _))
                return new(R.OperationNotSupported, file.Path, "The first region table is not intact; run repair first");
            var tableBytes = new byte[VhdxConstants.MetadataTableSize];
            if (!file.TryReadExactlyAt(regions.Metadata.FileOffset, tableBytes) || !VhdxMetadataTable.TryParse(tableBytes, regions.Metadata.Length, out var table, out _, out _))
                return new(R.OperationNotSupported, file.Path, "The metadata table is not intact");
            var pages = new SortedDictionary<long, byte[]>();
            byte[] Page(long at)
            {
                long page = at / 4096 * 4096;
                if (!pages.TryGetValue(page, out var bytes))
                {
                    bytes = new byte[4096];
                    if (!file.TryReadExactlyAt(page, bytes)) throw new IOException($"The metadata page at {page} cannot be read");
                    pages[page] = bytes;
                }
                return bytes;
            }
            if (o.VirtualDiskId is { } vid)
            {
                if (!table.VirtualDiskId.Present || table.VirtualDiskId.Length != 16) return new(R.OperationNotSupported, file.Path, "No 16-byte Virtual Disk ID item");
                long at = regions.Metadata.FileOffset + table.VirtualDiskId.Offset;
                if (at % 4096 > 4096 - 16) return new(R.OperationNotSupported, file.Path, "The Virtual Disk ID item crosses a 4 KiB page");
                vid.TryWriteBytes(Page(at).AsSpan((int)(at % 4096), 16));
                changes.Add($"Virtual disk id -> {vid}");
            }
            if (o.PhysicalSectorSize is { } pss)
            {
                if (!table.PhysicalSectorSize.Present || table.PhysicalSectorSize.Length != 4) return new(R.OperationNotSupported, file.Path, "No 4-byte Physical Sector Size item");
                long at = regions.Metadata.FileOffset + table.PhysicalSectorSize.Offset;
                if (at % 4096 > 4096 - 4) return new(R.OperationNotSupported, file.Path, "The Physical Sector Size item crosses a 4 KiB page");
                BinaryPrimitives.WriteUInt32LittleEndian(Page(at).AsSpan((int)(at % 4096), 4), (uint)pss);
                changes.Add($"Physical sector size -> {pss}");
            }
            var logged = WriteThroughLog(file, store, headers, pages);
            if (logged is not null) return logged;
        }
        if (o.Identifier is { } id)
        {
            headers.Update(store, h => h with { DataWriteGuid = id, FileWriteGuid = Guid.NewGuid() });
            changes.Add($"Identifier (DataWriteGuid) -> {id}");
        }
        return null;
    }

    /// <summary>
    /// Changes 4 KiB metadata pages of a clean VHDX through its log (MS-VHDX §2.3): a header update sets a new LogGuid
    /// and FileWriteGuid, one entry with the pages is written and flushed, the pages are applied and flushed, a header
    /// update clears the LogGuid. A crash before the entry is durable leaves the old pages; after, a replay the new ones.
    /// </summary>
    internal static VirtualDiskDiagnostic? WriteThroughLog(HostFile file, IBackingStore store, VhdxHeaderUpdater headers, SortedDictionary<long, byte[]> pages)
    {
        var header = headers.Current;
        if (header.LogLength == 0) return new(R.OperationNotSupported, file.Path, "The VHDX has no log");
        var logGuid = Guid.NewGuid();
        var log = new VhdxLogWriter((long)header.LogOffset, header.LogLength, logGuid);
        if (pages.Count > log.MaxPagesPerEntry) return new(R.OperationNotSupported, file.Path, $"{pages.Count} pages do not fit one log entry");
        headers.Update(store, h => h with { LogGuid = logGuid, FileWriteGuid = Guid.NewGuid() });
        log.Commit(store, pages.Select(p => (p.Key, p.Value)).ToList()); // one entry: the count was checked above
        headers.Update(store, h => h with { LogGuid = Guid.Empty });
        return null;
    }
}

using System.Buffers.Binary;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.Vhdx;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged;

public static partial class VirtualDiskOperations
{
    /// <summary>Largest virtual size a VHDX may have (MS-VHDX §2.6.2.2: 64 TiB).</summary>
    private const long VhdxMaxSize = 64L << 40;

    /// <summary>
    /// ResizeVirtualDisk, the part written so far: grows a dynamic VHDX whose BAT region already has room for the new
    /// entries (MS-VHDX §2.5; creators reserve whole MiBs) by changing the Virtual Disk Size item through the log
    /// (MS-VHDX §2.3), so a crash leaves the old or the new size. The new blocks are NOT_PRESENT and read as zeros.
    /// Not yet: VHD, fixed VHDX, a BAT region that must grow, shrinking (docs/operations.md "resize").
    /// </summary>
    /// <param name="path">The image (opened exclusively).</param>
    /// <param name="newSize">The new virtual size (a multiple of the logical sector size, at most 64 TiB).</param>
    /// <returns>One sentence saying what changed.</returns>
    public static string Resize(string path, long newSize)
    {
        if (!TryResize(path, newSize, out var change, out var failure)) ThrowHelper.Throw(failure!);
        return change!;
    }

    /// <summary>Tries to resize (see <see cref="Resize"/>).</summary>
    /// <param name="path">The image.</param>
    /// <param name="newSize">The new virtual size.</param>
    /// <param name="change">What changed, on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    public static bool TryResize(string path, long newSize, out string? change, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(path);
        change = null;
        failure = OpenInput(path, out var handle);
        if (failure is not null) return false;
        string full;
        long oldSize;
        int logical;
        uint blockSize;
        VirtualDiskFormat format;
        VirtualDiskProviderSubtype subtype;
        bool pending;
        using (handle)
        {
            full = handle!.Path;
            oldSize = handle.VirtualSize;
            logical = handle.LogicalSectorSize;
            blockSize = handle.Info.Top.BlockSize;
            format = handle.Format;
            subtype = handle.Subtype;
            pending = handle.LogReplayed;
        }
        if (newSize <= 0 || newSize % logical != 0 || newSize > VhdxMaxSize)
        {
            failure = new(R.SetValueInvalid, full, $"Size {newSize}: a multiple of {logical} up to 64 TiB");
            return false;
        }
        if (format != VirtualDiskFormat.Vhdx || subtype != VirtualDiskProviderSubtype.Dynamic)
        {
            failure = new(R.OperationNotSupported, full, $"Resize of a {format} {subtype} disk is not yet written (dynamic VHDX only)");
            return false;
        }
        if (newSize < oldSize)
        {
            failure = new(R.OperationNotSupported, full, $"Shrinking ({oldSize} -> {newSize}) is not yet written");
            return false;
        }
        if (newSize == oldSize) { change = "The size is already " + newSize; return true; }
        if (pending) { failure = new(R.SetPendingLog, full); return false; }

        var open = HostFile.TryOpen(full, exclusive: true, out var file, writable: true);
        if (open is not null) { failure = new(R.RepairWriteFailed, full, inner: open, code: open.Code); return false; }
        using (file)
        {
            try { failure = GrowVhdx(file!, file!, oldSize, newSize, logical, blockSize); }
            catch (IOException e) { failure = new(R.RepairWriteFailed, full, e.Message); }
        }
        if (failure is not null) return false;
        change = $"Virtual size {oldSize} -> {newSize}";
        return true;
    }

    private static VirtualDiskDiagnostic? GrowVhdx(HostFile file, IBackingStore store, long oldSize, long newSize, int logical, uint blockSize)
    {
        var headers = VhdxHeaderUpdater.TryRead(file);
        if (headers is null) return new(R.OperationNotSupported, file.Path, "No current VHDX header");
        var regionBytes = new byte[VhdxConstants.RegionTableSize];
        if (!file.TryReadExactlyAt(VhdxConstants.RegionTable1Offset, regionBytes) || !VhdxRegionTable.TryParse(regionBytes, out var regions, out _, out _))
            return new(R.OperationNotSupported, file.Path, "The first region table is not intact; run repair first");
        var tableBytes = new byte[VhdxConstants.MetadataTableSize];
        if (!file.TryReadExactlyAt(regions.Metadata.FileOffset, tableBytes) || !VhdxMetadataTable.TryParse(tableBytes, regions.Metadata.Length, out var table, out _, out _))
            return new(R.OperationNotSupported, file.Path, "The metadata table is not intact");

        // MS-VHDX §2.5: a dynamic disk needs DataBlocks + floor((DataBlocks - 1) / ChunkRatio) entries.
        long chunkRatio = VhdxConstants.SectorsPerChunk * logical / blockSize;
        static long Entries(long size, long block, long ratio) { long data = (size + block - 1) / block; return data + (data - 1) / ratio; }
        long oldEntries = Entries(oldSize, blockSize, chunkRatio), newEntries = Entries(newSize, blockSize, chunkRatio);
        if (newEntries * VhdxBatEntry.Size > regions.Bat.Length)
            return new(R.OperationNotSupported, file.Path, $"The BAT region ({regions.Bat.Length} bytes) has no room for {newEntries} entries; growing it is not yet written");
        // The entries the new size adds must describe nothing yet (NOT_PRESENT, zero): read them (at most the region, ≤ the open's BAT cap).
        long extraBytes = (newEntries - oldEntries) * VhdxBatEntry.Size;
        var extra = new byte[Math.Min(extraBytes, 1 << 20)];
        for (long done = 0; done < extraBytes; done += extra.Length)
        {
            var part = extra.AsSpan(0, (int)Math.Min(extra.Length, extraBytes - done));
            if (!file.TryReadExactlyAt(regions.Bat.FileOffset + oldEntries * VhdxBatEntry.Size + done, part) || part.ContainsAnyExcept((byte)0))
                return new(R.OperationNotSupported, file.Path, "BAT entries past the current size are not all zero; rewriting them is not yet written");
        }
        if (!table.VirtualDiskSize.Present || table.VirtualDiskSize.Length != 8) return new(R.OperationNotSupported, file.Path, "No 8-byte Virtual Disk Size item");
        long at = regions.Metadata.FileOffset + table.VirtualDiskSize.Offset;
        if (at % 4096 > 4096 - 8) return new(R.OperationNotSupported, file.Path, "The Virtual Disk Size item crosses a 4 KiB page");
        var page = new byte[4096];
        if (!file.TryReadExactlyAt(at / 4096 * 4096, page)) return new(R.OperationNotSupported, file.Path, "The metadata page cannot be read");
        BinaryPrimitives.WriteUInt64LittleEndian(page.AsSpan((int)(at % 4096)), (ulong)newSize);
        return WriteThroughLog(file, store, headers, new SortedDictionary<long, byte[]> { [at / 4096 * 4096] = page });
    }
}

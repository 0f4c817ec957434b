using System.Buffers.Binary;
using VirtualDiskManaged.IO;
using VirtualDiskManaged.Vhdx;

namespace VirtualDiskManaged;

public static partial class VirtualDiskOperations
{
    // MS-VHDX §2.2.3.1 region table header and §2.2.3.2 region table entry.
    private const int RegionChecksumOffset = 4, RegionEntryCountOffset = 8, RegionHeaderLength = 16, RegionEntryLength = 32,
        RegionEntryFileOffsetOffset = 16, RegionEntryLengthOffset = 24;

    /// <summary>BAT pages one resize changes through the log at most (64 MiB of pages; a cap that does not depend on the file).</summary>
    private const int MaxResizeLogPages = 16384;

    private const long Mib = VhdxConstants.MiB;

    /// <summary>
    /// Grows or shrinks a fixed or dynamic VHDX (docs/operations.md "resize"). Everything the open file references changes
    /// through the log (MS-VHDX §2.3): the BAT pages, the region tables (§2.2.3) when the BAT region moves, and the Virtual
    /// Disk Size item (§2.6.2.2). What no structure references yet (a moved BAT region's new place, new fixed blocks past
    /// the end, the tail of the last block past the old size) is written directly and flushed before the log entries. A
    /// grow's last entry holds the region tables and the size, so a crash leaves the old or the new size; a shrink's first
    /// entry holds the size, so the entries it then clears are already past the end.
    /// </summary>
    private static VirtualDiskDiagnostic? ResizeVhdx(ResizeJob job, long oldSize, long newSize, int logical, uint blockSize, bool isFixed)
    {
        var file = job.File;
        var store = job.Store;
        var headers = VhdxHeaderUpdater.TryRead(file);
        if (headers is null) return job.Layout("No current VHDX header");
        var header = headers.Current;
        if (header.LogLength == 0 || header.LogOffset % (ulong)Mib != 0) return job.Layout("The VHDX has no usable log");
        var regionBytes = new byte[VhdxConstants.RegionTableSize];
        if (!file.TryReadExactlyAt(VhdxConstants.RegionTable1Offset, regionBytes) || !VhdxRegionTable.TryParse(regionBytes, out var regions, out _, out _))
            return job.Layout("The first region table is not intact; run repair first", VhdxConstants.RegionTable1Offset);
        var tableBytes = new byte[VhdxConstants.MetadataTableSize];
        if (!file.TryReadExactlyAt(regions.Metadata.FileOffset, tableBytes) || !VhdxMetadataTable.TryParse(tableBytes, regions.Metadata.Length, out var table, out _, out _))
            return job.Layout("The metadata table is not intact", regions.Metadata.FileOffset);
        if (!table.VirtualDiskSize.Present || table.VirtualDiskSize.Length != 8) return job.Layout("No 8-byte Virtual Disk Size item");
        long sizeAt = regions.Metadata.FileOffset + table.VirtualDiskSize.Offset;
        if (sizeAt % 4096 > 4096 - 8) return job.Layout("The Virtual Disk Size item crosses a 4 KiB page", sizeAt);
        var sizePage = new byte[4096];
        file.ReadExactlyAt(sizeAt / 4096 * 4096, sizePage);
        BinaryPrimitives.WriteUInt64LittleEndian(sizePage.AsSpan((int)(sizeAt % 4096)), (ulong)newSize);

        // MS-VHDX §2.5: chunk ratio; a fixed or dynamic disk has DataBlocks + floor((DataBlocks - 1) / ChunkRatio) entries,
        // the sector bitmap entry of chunk k at k·(ChunkRatio + 1) + ChunkRatio.
        long block = blockSize, ratio = VhdxConstants.SectorsPerChunk * logical / block;
        long oldData = (oldSize + block - 1) / block, newData = (newSize + block - 1) / block;
        long oldEntries = oldData + (oldData - 1) / ratio, newEntries = newData + (newData - 1) / ratio;
        bool IsBitmap(long i) => (i + 1) % (ratio + 1) == 0;
        long BlockOf(long i) => i - i / (ratio + 1);
        long length = file.Length;
        var log = new VhdxLogWriter((long)header.LogOffset, header.LogLength, Guid.NewGuid());
        int perEntry = log.MaxPagesPerEntry;
        if (perEntry < 4) return job.Layout($"The log ({header.LogLength} bytes) is too small");

        if (newSize > oldSize)
        {
            bool relocate = newEntries * VhdxBatEntry.Size > regions.Bat.Length;
            long batAt = regions.Bat.FileOffset, batLength = regions.Bat.Length;
            // New structures go past the file's end and past every block the BAT references (a block may run past the end:
            // qemu's fixed files stop at the virtual size), 1 MiB aligned.
            long referenced = ReferencedEnd(job, regionBytes, header, regions.Bat.FileOffset, oldEntries, block, IsBitmap);
            if (referenced < 0) return job.Layout("A BAT entry references a block that starts past the file's end");
            long end = (Math.Max(length, referenced) + Mib - 1) / Mib * Mib;
            if (relocate)
            {
                batLength = (newEntries * VhdxBatEntry.Size + Mib - 1) / Mib * Mib;
                if (batLength > uint.MaxValue / Mib * Mib) return job.Layout($"A BAT region of {batLength} bytes does not fit a region table entry");
                batAt = end;
                end += batLength;
            }
            long firstNewBlock = end;
            long newBlocks = isFixed ? newData - oldData : 0;
            if (isFixed) end += newBlocks * block;
            // The desired value of each entry the new size adds: fixed, FULLY_PRESENT blocks in order at the end (1 MiB aligned);
            // dynamic, NOT_PRESENT; sector bitmap entries SB_BLOCK_NOT_PRESENT (MS-VHDX §2.5.1).
            ulong Desired(long i)
            {
                if (!isFixed || IsBitmap(i)) return 0;
                long offset = firstNewBlock + (BlockOf(i) - oldData) * block;
                return (ulong)offset | (byte)VhdxPayloadState.FullyPresent;
            }
            long tailBlock = oldData - 1, tailFrom = oldSize - tailBlock * block;
            long tailLength = Math.Min(block, newSize - tailBlock * block) - tailFrom;
            var tailEntry = ReadBatEntry(file, regions.Bat.FileOffset, tailBlock + tailBlock / ratio);
            // Only the part inside the file needs clearing: past its end the file is extended with zeros below.
            tailLength = Math.Min(tailLength, Math.Max(0, length - (tailEntry.FileOffset + tailFrom)));
            bool clearTail = oldSize % block != 0 && tailEntry.PayloadState == VhdxPayloadState.FullyPresent && tailLength > 0;
            job.Total = (clearTail ? tailLength : 0) + (relocate ? regions.Bat.Length : 0);
            job.ThrowIfCanceled();
            // The changed BAT pages, computed before anything is written so that a refusal (too many pages) leaves the file
            // as it was. A moved BAT is read at its old place: the copy made below is byte for byte the old region, and past
            // it the new region is space past the file's end, zeros.
            var pages = new SortedDictionary<long, byte[]>();
            var planned = BatPages(job, batAt, oldEntries, newEntries, Desired, pages, null, block, IsBitmap,
                readAt: regions.Bat.FileOffset, readable: relocate ? regions.Bat.Length : long.MaxValue);
            if (planned is not null) return planned;

            // Before anything is written: a new LogGuid and FileWriteGuid (MS-VHDX §2.2.2: FileWriteGuid changes before the first write).
            headers.Update(store, h => h with { LogGuid = log.LogGuid, FileWriteGuid = Guid.NewGuid() });
            if (clearTail)
            {
                // Past the old size: no reader sees these bytes until the size changes.
                job.Fill(tailEntry.FileOffset + tailFrom, tailLength, 0);
                job.Changes.Add($"The last block's {tailLength} bytes past the old size cleared");
            }
            if (end > length) store.SetLength(end);
            var tail = new List<(long, byte[])>();
            if (relocate)
            {
                // The new place is referenced by nothing until the region tables change: written directly.
                job.Copy(regions.Bat.FileOffset, batAt, regions.Bat.Length);
                foreach (var (target, page) in pages) store.WriteAt(target, page);
                pages.Clear();
                var newTable = (byte[])regionBytes.Clone();
                int count = BinaryPrimitives.ReadInt32LittleEndian(newTable.AsSpan(RegionEntryCountOffset));
                for (int i = 0; i < count; i++)
                {
                    var e = newTable.AsSpan(RegionHeaderLength + i * RegionEntryLength, RegionEntryLength);
                    if (new Guid(e[..16]) != VhdxConstants.BatRegion) continue;
                    BinaryPrimitives.WriteUInt64LittleEndian(e[RegionEntryFileOffsetOffset..], (ulong)batAt);
                    BinaryPrimitives.WriteUInt32LittleEndian(e[RegionEntryLengthOffset..], (uint)batLength);
                }
                BinaryPrimitives.WriteUInt32LittleEndian(newTable.AsSpan(RegionChecksumOffset), 0);
                BinaryPrimitives.WriteUInt32LittleEndian(newTable.AsSpan(RegionChecksumOffset), Crc32C.ComputeWithZeroedField(newTable, RegionChecksumOffset));
                // The header and entries are in the table's first 4 KiB; the CRC covers the whole 64 KiB, the rest unchanged.
                tail.Add((VhdxConstants.RegionTable1Offset, newTable[..4096]));
                tail.Add((VhdxConstants.RegionTable2Offset, newTable[..4096]));
                job.Unreferenced += regions.Bat.Length;
                job.Changes.Add($"BAT region moved from {regions.Bat.FileOffset} ({regions.Bat.Length} bytes) to {batAt} ({batLength} bytes); its old place is unreferenced");
            }
            if (newBlocks > 0) job.Changes.Add($"{newBlocks} fully present block(s) allocated at {firstNewBlock}");
            store.Flush();
            tail.Add((sizeAt / 4096 * 4096, sizePage));
            // The BAT pages first (entries past the old size, unseen), the region tables and the size together in the last entry.
            var entries = Chunk(pages.Select(p => (p.Key, p.Value)).ToList(), perEntry);
            if (entries.Count > 0 && entries[^1].Count + tail.Count <= perEntry) entries[^1].AddRange(tail);
            else entries.Add(tail);
            CommitEntries(job, log, entries);
            headers.Update(store, h => h with { LogGuid = Guid.Empty });
            job.Changes.Add("Virtual Disk Size item changed through the log");
            return null;
        }

        // ---- Shrink ----
        {
            var pages = new SortedDictionary<long, byte[]>();
            var freed = new List<(long Offset, long Length)>();
            var failure = BatPages(job, regions.Bat.FileOffset, newEntries, oldEntries, _ => 0, pages, freed, block, IsBitmap,
                readAt: regions.Bat.FileOffset, readable: long.MaxValue);
            if (failure is not null) return failure;
            job.ThrowIfCanceled();
            headers.Update(store, h => h with { LogGuid = log.LogGuid, FileWriteGuid = Guid.NewGuid() });
            // The size first: the entries cleared afterwards are then already past the end.
            var all = pages.Select(p => (p.Key, p.Value)).ToList();
            var firstEntry = new List<(long, byte[])> { (sizeAt / 4096 * 4096, sizePage) };
            int take = Math.Min(all.Count, perEntry - 1);
            firstEntry.AddRange(all.Take(take));
            var entries = new List<List<(long, byte[])>> { firstEntry };
            entries.AddRange(Chunk(all.Skip(take).ToList(), perEntry));
            CommitEntries(job, log, entries);
            headers.Update(store, h => h with { LogGuid = Guid.Empty });
            job.Changes.Add($"Virtual Disk Size item changed through the log; {freed.Count} block(s) past the new size set NOT_PRESENT");

            // Truncate to the end of what is still referenced; freed blocks below it stay as unreferenced space.
            long keep = ReferencedEnd(job, regionBytes, header, regions.Bat.FileOffset, newEntries, block, IsBitmap);
            if (keep < 0) keep = length; // a block past the end (the open path reads it as zeros): nothing is truncated
            keep = (keep + Mib - 1) / Mib * Mib;
            long freedBelow = freed.Sum(f => Math.Max(0, Math.Min(f.Offset + f.Length, keep) - f.Offset));
            if (keep < length)
            {
                store.SetLength(keep);
                store.Flush();
                job.Changes.Add($"File truncated from {length} to {keep} bytes");
            }
            if (freedBelow > 0)
            {
                job.Unreferenced += freedBelow;
                job.Changes.Add($"{freedBelow} bytes of freed blocks are not at the file's end and stay as unreferenced space (compact reclaims them)");
            }
            return null;
        }
    }

    private static VhdxBatEntry ReadBatEntry(Host.HostFile file, long batAt, long index)
    {
        Span<byte> raw = stackalloc byte[VhdxBatEntry.Size];
        file.ReadExactlyAt(batAt + index * VhdxBatEntry.Size, raw);
        return new VhdxBatEntry(BinaryPrimitives.ReadUInt64LittleEndian(raw));
    }

    /// <summary>
    /// The 4 KiB BAT pages (keyed by their place at <paramref name="batAt"/>) that entries [first, last) change to
    /// <paramref name="desired"/>, read from the file and changed in memory; unchanged pages are left out. The pages are
    /// read at <paramref name="readAt"/> (the BAT as it is now), and the first <paramref name="readable"/> bytes there
    /// are read; past them a page is zeros. <paramref name="freed"/> collects the blocks the old entries referenced
    /// (MS-VHDX §2.5.1: FULLY or PARTIALLY_PRESENT payload, SB_BLOCK_PRESENT bitmap).
    /// </summary>
    private static VirtualDiskDiagnostic? BatPages(ResizeJob job, long batAt, long first, long last, Func<long, ulong> desired,
        SortedDictionary<long, byte[]> pages, List<(long, long)>? freed, long blockSize, Func<long, bool> isBitmap, long readAt, long readable)
    {
        const int perPage = 4096 / VhdxBatEntry.Size;
        for (long page = first / perPage; first < last && page <= (last - 1) / perPage; page++)
        {
            var bytes = new byte[4096];
            if (page * 4096 < readable) job.File.ReadExactlyAt(readAt + page * 4096, bytes);
            bool changed = false;
            for (long i = Math.Max(first, page * perPage); i < Math.Min(last, (page + 1) * perPage); i++)
            {
                var span = bytes.AsSpan((int)(i - page * perPage) * VhdxBatEntry.Size, VhdxBatEntry.Size);
                var old = new VhdxBatEntry(BinaryPrimitives.ReadUInt64LittleEndian(span));
                ulong value = desired(i);
                if (old.Raw == value) continue;
                if (freed is not null && old.FileOffset > 0 && old.State is (byte)VhdxPayloadState.FullyPresent or (byte)VhdxPayloadState.PartiallyPresent)
                    freed.Add((old.FileOffset, isBitmap(i) ? Mib : blockSize));
                BinaryPrimitives.WriteUInt64LittleEndian(span, value);
                changed = true;
            }
            if (!changed) continue;
            if (pages.Count >= MaxResizeLogPages) return job.Layout($"More than {MaxResizeLogPages} BAT pages would change");
            pages[batAt + page * 4096] = bytes;
        }
        return null;
    }

    private static List<List<(long, byte[])>> Chunk(List<(long, byte[])> pages, int size)
    {
        var chunks = new List<List<(long, byte[])>>();
        for (int i = 0; i < pages.Count; i += size) chunks.Add(pages.GetRange(i, Math.Min(size, pages.Count - i)));
        return chunks;
    }

    /// <summary>
    /// Each entry written and flushed, its pages applied and flushed (MS-VHDX §2.3: a replay finds the latest entry; every entry
    /// is its own tail, so the previous one's pages are durable before the next is written).
    /// </summary>
    private static void CommitEntries(ResizeJob job, VhdxLogWriter log, List<List<(long, byte[])>> entries)
    {
        foreach (var pages in entries) log.Commit(job.Store, pages); // each within one entry: written as one
    }

    /// <summary>
    /// The end of everything a shrunk VHDX still references: the header section, the log, every region in the table (MS-VHDX
    /// §2.2.3), and the blocks of the entries below <paramref name="entries"/> (read in 1 MiB pieces); -1 when a block starts
    /// past the file's end (a hostile or damaged entry: nothing is placed by it).
    /// </summary>
    private static long ReferencedEnd(ResizeJob job, byte[] regionTable, VhdxHeader header, long batAt, long entries, long blockSize, Func<long, bool> isBitmap)
    {
        long end = Math.Max(VhdxConstants.HeaderSectionLength, (long)header.LogOffset + header.LogLength);
        int count = Math.Min(BinaryPrimitives.ReadInt32LittleEndian(regionTable.AsSpan(RegionEntryCountOffset)), VhdxRegionTable.MaxEntries);
        for (int i = 0; i < count; i++)
        {
            var e = regionTable.AsSpan(RegionHeaderLength + i * RegionEntryLength, RegionEntryLength);
            end = Math.Max(end, (long)BinaryPrimitives.ReadUInt64LittleEndian(e[RegionEntryFileOffsetOffset..]) + BinaryPrimitives.ReadUInt32LittleEndian(e[RegionEntryLengthOffset..]));
        }
        var buffer = new byte[1 << 20];
        for (long done = 0; done < entries; done += buffer.Length / VhdxBatEntry.Size)
        {
            int n = (int)Math.Min(buffer.Length / VhdxBatEntry.Size, entries - done);
            job.File.ReadExactlyAt(batAt + done * VhdxBatEntry.Size, buffer.AsSpan(0, n * VhdxBatEntry.Size));
            for (int k = 0; k < n; k++)
            {
                var entry = new VhdxBatEntry(BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(k * VhdxBatEntry.Size)));
                if (entry.State is not ((byte)VhdxPayloadState.FullyPresent or (byte)VhdxPayloadState.PartiallyPresent)) continue;
                if (entry.FileOffset >= job.File.Length) return -1;
                end = Math.Max(end, entry.FileOffset + (isBitmap(done + k) ? Mib : blockSize));
            }
        }
        return end;
    }
}

using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;
using VirtualDiskManaged.Vhd;
using VirtualDiskManaged.Vhdx;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged;

/// <summary>The phase a <see cref="CompactProgress"/> report is about.</summary>
public enum CompactPhase
{
    /// <summary>Reading the allocated blocks to find the all-zero ones (nothing is written in this phase).</summary>
    Scan = 0,
    /// <summary>Moving blocks from the end of the file into the freed places.</summary>
    Move = 1,
}

/// <summary>Progress of a compact: blocks done out of the phase's total.</summary>
/// <param name="Phase">Scanning or moving.</param>
/// <param name="Done">Blocks scanned (BAT entries visited) or moved so far.</param>
/// <param name="Total">The phase's total.</param>
public readonly record struct CompactProgress(CompactPhase Phase, long Done, long Total);

/// <summary>Options of <see cref="VirtualDiskOperations.Compact"/> (docs/operations.md "compact").</summary>
public sealed record CompactOptions
{
    /// <summary>Scan and plan only: say what would be released and moved and the resulting file size; write nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Receives progress while scanning and moving.</summary>
    public IProgress<CompactProgress>? Progress { get; init; }

    /// <summary>
    /// Cancels the compact between blocks (scan) or between batches of moves: the image then reads the same content,
    /// compacted in part or not at all, and the compact fails with <see cref="VirtualDiskErrorReason.CompactCanceled"/>.
    /// </summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>What <see cref="VirtualDiskOperations.Compact"/> did (or, for a dry run, would do).</summary>
/// <param name="Path">The image's full path.</param>
/// <param name="Format">VHD or VHDX.</param>
/// <param name="Subtype">Dynamic or differencing.</param>
/// <param name="BlocksScanned">Allocated payload blocks read.</param>
/// <param name="BlocksReleased">All-zero blocks released (their BAT entry set to unused, NOT_PRESENT or ZERO).</param>
/// <param name="BlocksMoved">Blocks (VHDX: payload and sector bitmap blocks) moved from the end of the file into freed places.</param>
/// <param name="FileSizeBefore">The file's length before.</param>
/// <param name="FileSizeAfter">The file's length after (dry run: the length it would have).</param>
/// <param name="DryRun">True when nothing was written.</param>
public sealed record CompactResult(string Path, VirtualDiskFormat Format, VirtualDiskProviderSubtype Subtype, long BlocksScanned,
    long BlocksReleased, long BlocksMoved, long FileSizeBefore, long FileSizeAfter, bool DryRun);

public static partial class VirtualDiskOperations
{
    /// <summary>Bytes read or copied per I/O (the bounded buffer of the scan and the moves).</summary>
    private const int CompactChunk = 1 << 20;

    /// <summary>A batch of moves ends after this many blocks or bytes: one barrier for the copies, one BAT commit.</summary>
    private const int MoveBatchBlocks = 64;

    /// <summary>Tests: a smaller batch (more barriers and commits for the crash cuts); 0 = <see cref="MoveBatchBlocks"/>.</summary>
    internal static int MoveBatchBlocksOverride;

    private static int MoveBatch => MoveBatchBlocksOverride > 0 ? MoveBatchBlocksOverride : MoveBatchBlocks;
    private const long MoveBatchBytes = 256L << 20;

    /// <summary>
    /// CompactVirtualDisk, file-system agnostic (docs/operations.md "compact"): the all-zero blocks of a dynamic or
    /// differencing VHD or VHDX are released, blocks from the end of the file are moved into the freed places and the
    /// file is truncated. The virtual content never changes, and at every instant of the operation (a crash at any
    /// write or flush) the image opens with that same content. Fixed disks are refused (<see cref="VirtualDiskErrorReason.CompactFixedDisk"/>).
    /// </summary>
    /// <param name="path">The image (opened for writing; a pending VHDX log is replayed first).</param>
    /// <param name="options">Dry run, progress, cancellation; null = defaults.</param>
    /// <returns>Blocks released and moved, the file size before and after.</returns>
    public static CompactResult Compact(string path, CompactOptions? options = null)
    {
        if (!TryCompact(path, options, out var result, out var failure)) ThrowHelper.Throw(failure!);
        return result!;
    }

    /// <summary>Tries to compact (see <see cref="Compact"/>).</summary>
    /// <param name="path">The image.</param>
    /// <param name="options">Options; null = defaults.</param>
    /// <param name="result">What was done, on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    public static bool TryCompact(string path, CompactOptions? options, out CompactResult? result, out VirtualDiskDiagnostic? failure) =>
        TryCompact(path, options, null, out result, out failure);

    /// <summary>Tests: <paramref name="wrapStore"/> goes in front of the file (to record every write and flush).</summary>
    internal static bool TryCompact(string path, CompactOptions? options, Func<IBackingStore, IBackingStore>? wrapStore,
        out CompactResult? result, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new CompactOptions();
        result = null;
        failure = options.DryRun ? OpenInput(path, out var handle) : OpenForWrite(path, out handle);
        if (failure is not null) return false;
        try
        {
            failure = CompactOpen(handle!, options, wrapStore, out result);
        }
        finally
        {
            // The handle's close flushes the file (the write path's close); a failure there is a write failure too.
            try { handle!.Dispose(); }
            catch (IOException e) { failure ??= new(R.CompactWriteFailed, path, "close: " + e.Message); }
        }
        if (failure is not null) result = null;
        return failure is null;
    }

    private static VirtualDiskDiagnostic? CompactOpen(VirtualDiskHandle handle, CompactOptions options, Func<IBackingStore, IBackingStore>? wrapStore, out CompactResult? result)
    {
        result = null;
        var top = handle.TopLayer;
        string full = handle.Path;
        if (top is not (VhdLayer or VhdxLayer))
            return new(R.OperationNotSupported, full, $"Compact applies to VHD and VHDX, not {handle.Format}");
        if (handle.Subtype is not (VirtualDiskProviderSubtype.Dynamic or VirtualDiskProviderSubtype.Differencing))
            return new(R.CompactFixedDisk, full, $"A {handle.Format} {handle.Subtype} disk");
        if (options.DryRun && handle.LogReplayed)
            return new(R.CompactLayoutNotSupported, full, "The VHDX has a pending log; a dry run does not replay it (repair first, or compact without a dry run)");
        IBackingStore store = top.File;
        if (handle.Writer is { } writer)
        {
            if (wrapStore is not null) writer.WrapStore(wrapStore);
            store = writer.Store;
        }
        var run = new CompactRun(full, store, options, handle.Format, handle.Subtype);
        VirtualDiskDiagnostic? failure;
        try
        {
            failure = top is VhdLayer vhd ? CompactVhd(vhd, run) : CompactVhdx((VhdxLayer)top, run);
        }
        catch (OperationCanceledException) { failure = new(R.CompactCanceled, full, run.Stage); }
        // The store reports its own write and flush failures (EIO, ENOSPC) as these reasons; anything else is a read.
        catch (VirtualDiskException e) when (e.Diagnostic.Reason is R.WriteFailed or R.FlushFailed)
        {
            failure = new(R.CompactWriteFailed, full, $"{run.Stage}: {e.Diagnostic.Detail}", e.Diagnostic.Offset, inner: e.Diagnostic);
        }
        catch (VirtualDiskException e) { failure = new(R.OperationReadFailed, full, e.Diagnostic.Detail, e.Diagnostic.Offset, inner: e.Diagnostic, code: e.Diagnostic.Code); }
        catch (IOException e) { failure = new(R.CompactWriteFailed, full, $"{run.Stage}: {e.Message}"); }
        catch (UnauthorizedAccessException e) { failure = new(R.CompactWriteFailed, full, $"{run.Stage}: {e.Message}"); }
        if (failure is null) result = run.Result();
        return failure;
    }

    /// <summary>The state of one compact: the store, the counters, the progress and the stage (for failure messages).</summary>
    private sealed class CompactRun(string path, IBackingStore store, CompactOptions options, VirtualDiskFormat format, VirtualDiskProviderSubtype subtype)
    {
        public string Path { get; } = path;
        public IBackingStore Store { get; } = store;
        public CompactOptions Options { get; } = options;
        public long Before { get; } = store.Length;
        public long After;
        public long Scanned, Released, Moved;
        public string Stage = "scan";
        public readonly byte[] Buffer = new byte[CompactChunk];
        private long _lastReport = -1;

        public CompactResult Result() => new(Path, format, subtype, Scanned, Released, Moved, Before, After == 0 ? Store.Length : After, Options.DryRun);

        public void Report(CompactPhase phase, long done, long total)
        {
            Options.CancellationToken.ThrowIfCancellationRequested();
            if (Options.Progress is null) return;
            long now = Environment.TickCount64;
            if (done < total && now - _lastReport < 50) return;
            _lastReport = now;
            Options.Progress.Report(new CompactProgress(phase, done, total));
        }

        /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> of the image's file.</summary>
        public void Read(long offset, Span<byte> buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                int n = Store.ReadAt(offset + done, buffer[done..]);
                if (n <= 0) ThrowHelper.Throw(R.OperationReadFailed, Path, $"{buffer.Length} bytes at {offset} are beyond the end of the file", offset);
                done += n;
            }
        }

        /// <summary>Whether <paramref name="length"/> bytes of the file at <paramref name="offset"/> are all zero (read through the bounded buffer).</summary>
        public bool FileIsZero(long offset, long length)
        {
            for (long done = 0; done < length;)
            {
                var part = Buffer.AsSpan(0, (int)Math.Min(Buffer.Length, length - done));
                Read(offset + done, part);
                if (part.ContainsAnyExcept((byte)0)) return false;
                done += part.Length;
            }
            return true;
        }

        /// <summary>Copies <paramref name="length"/> bytes of the file from <paramref name="from"/> to <paramref name="to"/> (not flushed).</summary>
        public void Copy(long from, long to, long length)
        {
            for (long done = 0; done < length;)
            {
                var part = Buffer.AsSpan(0, (int)Math.Min(Buffer.Length, length - done));
                Read(from + done, part);
                Store.WriteAt(to + done, part);
                done += part.Length;
            }
        }
    }

    /// <summary>A used stretch of the file: a block (<paramref name="Index"/> its BAT entry) or a fixed structure (index -1).</summary>
    private readonly record struct Extent(long Index, long Offset, long Length)
    {
        public long End => Offset + Length;
    }

    /// <summary>
    /// Plans the moves (as Windows' compact does: blocks from the end of the file into the freed places): the free gaps
    /// between <paramref name="dataStart"/> and <paramref name="dataEnd"/> are what neither a structure nor a live block
    /// uses; blocks are taken from the highest offset down and each goes into the lowest gap below it where it fits at
    /// the placement <paramref name="place"/> gives. Returns the moves (block, target) and the used end afterwards.
    /// </summary>
    private static (List<(Extent Block, long Target)> Moves, long NewEnd) PlanMoves(List<Extent> structures, List<Extent> live,
        long dataStart, long dataEnd, Func<long, Extent, long> place)
    {
        var used = new List<Extent>(structures.Count + live.Count);
        used.AddRange(structures);
        used.AddRange(live);
        used.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        var gaps = new List<(long Start, long End)>();
        long cursor = dataStart;
        foreach (var u in used)
        {
            if (u.Offset > cursor && cursor < dataEnd) gaps.Add((cursor, Math.Min(u.Offset, dataEnd)));
            cursor = Math.Max(cursor, u.End);
        }
        long minLength = live.Count == 0 ? 0 : live.Min(e => e.Length);
        long maxLength = live.Count == 0 ? 0 : live.Max(e => e.Length);
        gaps.RemoveAll(g => g.End - g.Start < minLength);
        // Two ascending lists: gaps that can take the longest block, and the shorter ones (only shorter blocks — the
        // partial last VHD block, VHDX sector bitmap blocks — look there), so a block of the common length never walks
        // past a run of gaps too small for it.
        var big = gaps.Where(g => g.End - g.Start >= maxLength).ToList();
        var small = gaps.Where(g => g.End - g.Start < maxLength).ToList();

        var moves = new List<(Extent, long)>();
        long newEnd = dataStart;
        foreach (var s in structures) newEnd = Math.Max(newEnd, s.End);
        var order = live.OrderByDescending(e => e.Offset).ToList();
        foreach (var block in order)
        {
            long end = block.End;
            if (block.Length < maxLength && TryPlace(small, block, out long at) || TryPlace(big, block, out at))
            {
                moves.Add((block, at));
                end = at + block.Length;
            }
            newEnd = Math.Max(newEnd, end);
        }
        return (moves, newEnd);

        // The lowest gap of the list below the block where it fits; the gap's unused parts go back in order (into the
        // big list only when they can still take the longest block).
        bool TryPlace(List<(long Start, long End)> list, Extent block, out long at)
        {
            for (int i = 0; i < list.Count && list[i].Start < block.Offset; i++)
            {
                var (start, gapEnd) = list[i];
                at = place(start, block);
                if (at < start || at + block.Length > gapEnd || at + block.Length > block.Offset) continue;
                list.RemoveAt(i);
                long end = at + block.Length;
                foreach (var piece in new[] { (start, at), (end, gapEnd) })
                {
                    long length = piece.Item2 - piece.Item1;
                    if (length < minLength) continue;
                    var target = length >= maxLength ? big : small;
                    int lo = 0, hi = target.Count; // the first gap starting after the piece (binary search: the lists stay sorted)
                    while (lo < hi)
                    {
                        int mid = (lo + hi) >>> 1;
                        if (target[mid].Start > piece.Item1) hi = mid; else lo = mid + 1;
                    }
                    target.Insert(lo, piece);
                }
                return true;
            }
            at = 0;
            return false;
        }
    }

    // ---- VHD (VHD spec "Dynamic Hard Disk Image", "Block Allocation Table and Data Blocks", "Implementing a Differencing Hard Disk") ----

    private static VirtualDiskDiagnostic? CompactVhd(VhdLayer layer, CompactRun run)
    {
        var table = layer.BlockTable!;
        var store = run.Store;
        bool differencing = layer.Subtype == VirtualDiskProviderSubtype.Differencing;
        int bitmapSize = (int)table.BitmapSize;
        var loaded = table.LoadAll();
        if (loaded is not null) return loaded;
        var overlap = table.CheckOverlaps();
        if (overlap is not null) return new(R.CompactLayoutNotSupported, run.Path, inner: overlap, code: overlap.Code);
        long length = store.Length;
        if (length < 2 * VhdSector) return new(R.CompactLayoutNotSupported, run.Path, "The file is shorter than two footers");
        byte[] footer = new byte[VhdFooter.Size];
        run.Read(length - VhdFooter.Size, footer);
        if (!VhdFooter.HasCookie(footer) || !VhdFooter.TryParse(footer, out _, out var footerReason) || footerReason != R.None)
            return new(R.CompactLayoutNotSupported, run.Path, "The trailing footer is not intact; run repair first", length - VhdFooter.Size);

        // ---- Scan: which allocated blocks are all zero (nothing is written) ----
        var released = new List<long>();
        var live = new List<Extent>();
        byte[] bitmap = new byte[bitmapSize];
        byte[] parent = differencing ? new byte[CompactChunk] : [];
        long entries = table.EntryCount;
        for (long b = 0; b < entries; b++)
        {
            run.Report(CompactPhase.Scan, b, entries);
            uint entry = table[b];
            if (entry == VhdBlockTable.Unallocated) continue;
            run.Scanned++;
            long offset = (long)entry * VhdSector;
            long used = (long)table.UsedBlockBytes(b);
            bool release = differencing
                ? VhdDifferencingBlockReleasable(layer, run, b * table.BlockSize, offset, bitmapSize, used, bitmap, parent)
                : run.FileIsZero(offset + bitmapSize, used);
            if (release) released.Add(b);
            else live.Add(new Extent(b, offset, bitmapSize + used));
        }
        run.Report(CompactPhase.Scan, entries, entries);

        // ---- Plan: structures stay; blocks move into the gaps between the BAT and the trailing footer ----
        var structures = new List<Extent>();
        foreach (var (start, end, what) in table.Metadata)
            if (what != "trailing footer") structures.Add(new Extent(-1, (long)start, (long)(end - start)));
        long dataStart = (long)table.TableOffset + ((long)table.EntryCount * 4 + VhdSector - 1) / VhdSector * VhdSector;
        long dataEnd = length - VhdFooter.Size;
        var (moves, newEnd) = PlanMoves(structures, live, dataStart, dataEnd, (start, block) =>
        {
            long at = (start + VhdSector - 1) / VhdSector * VhdSector;
            // A block whose data was on a 4 KiB boundary stays on one (GET_VIRTUAL_DISK_INFO_IS_4K_ALIGNED).
            if ((block.Offset + bitmapSize) % 4096 == 0) at = (at + bitmapSize + 4095) / 4096 * 4096 - bitmapSize;
            return at;
        });
        newEnd = (newEnd + VhdSector - 1) / VhdSector * VhdSector;
        bool truncate = newEnd + VhdFooter.Size < length;
        run.Released = released.Count;
        run.Moved = moves.Count;
        run.After = truncate ? newEnd + VhdFooter.Size : length;
        if (run.Options.DryRun || (released.Count == 0 && !truncate)) return null;

        // ---- Release: BAT entries back to 0xFFFFFFFF, each BAT sector one 512-byte write, then a barrier ----
        // Each change alone leaves the content as it was (the block read zeros, or what the parent reads), so any
        // subset of the sector writes landing is a valid state.
        var current = new Dictionary<long, uint>();
        uint Entry(long b) => current.TryGetValue(b, out uint e) ? e : table[b];
        run.Stage = "release";
        foreach (long b in released) current[b] = VhdBlockTable.Unallocated;
        WriteVhdBatSectors(run, table, released, Entry);
        store.Flush();

        // ---- Move: copy bitmap + data into the freed place, barrier, the BAT sectors, barrier (per batch) ----
        // Targets are free (released and durable, or never used); sources are never written, so until a BAT sector
        // lands the old copy stands, after it the new one, and both hold the same bytes.
        run.Stage = "move";
        int index = 0;
        while (index < moves.Count)
        {
            run.Report(CompactPhase.Move, index, moves.Count);
            var batch = new List<long>();
            long bytes = 0;
            for (; index < moves.Count && batch.Count < MoveBatch && bytes < MoveBatchBytes; index++)
            {
                var (block, target) = moves[index];
                run.Copy(block.Offset, target, block.Length);
                bytes += block.Length;
                current[block.Index] = (uint)(target / VhdSector);
                batch.Add(block.Index);
            }
            store.Flush();
            WriteVhdBatSectors(run, table, batch, Entry);
            store.Flush();
        }
        run.Report(CompactPhase.Move, moves.Count, moves.Count);

        // ---- Truncate: the footer at the new end, barrier, then the length (the old footer stands until then) ----
        if (truncate)
        {
            run.Stage = "truncate";
            store.WriteAt(newEnd, footer);
            store.Flush();
            store.SetLength(newEnd + VhdFooter.Size);
            store.Flush();
        }
        return null;
    }

    /// <summary>
    /// A differencing VHD block may be released (its content then comes from the parent) only when that changes no
    /// byte: every sector whose bitmap bit is set (VHD spec "Implementing a Differencing Hard Disk": MSB first, set =
    /// the sector is in this file) holds zeros here and the parent reads zeros there too. Sectors whose bit is clear
    /// already read the parent's bytes. A block with no bit set is always releasable.
    /// </summary>
    private static bool VhdDifferencingBlockReleasable(VhdLayer layer, CompactRun run, long virtualStart, long offset, int bitmapSize,
        long used, byte[] bitmap, byte[] parentBuffer)
    {
        run.Read(offset, bitmap);
        long sectors = (used + VhdSector - 1) / VhdSector;
        static bool Bit(byte[] bits, long s) => (bits[s >> 3] & (0x80 >> (int)(s & 7))) != 0;
        for (long done = 0; done < used;)
        {
            int n = (int)Math.Min(CompactChunk, used - done);
            long first = done / VhdSector, count = (n + VhdSector - 1) / VhdSector;
            bool any = false;
            for (long s = first; s < first + count && s < sectors && !any; s++) any = Bit(bitmap, s);
            if (any)
            {
                var child = run.Buffer.AsSpan(0, n);
                run.Read(offset + bitmapSize + done, child);
                for (long s = first; s < first + count; s++)
                {
                    if (!Bit(bitmap, s)) continue;
                    int at = (int)((s - first) * VhdSector), len = Math.Min(VhdSector, n - at);
                    if (child.Slice(at, len).ContainsAnyExcept((byte)0)) return false;
                }
                var parent = parentBuffer.AsSpan(0, n);
                ReadParentOrZero(layer, virtualStart + done, parent);
                for (long s = first; s < first + count; s++)
                {
                    if (!Bit(bitmap, s)) continue;
                    int at = (int)((s - first) * VhdSector), len = Math.Min(VhdSector, n - at);
                    if (parent.Slice(at, len).ContainsAnyExcept((byte)0)) return false;
                }
            }
            done += n;
        }
        return true;
    }

    /// <summary>The parent's content at <paramref name="virtualOffset"/>; zeros past its virtual size.</summary>
    private static void ReadParentOrZero(DiskLayer layer, long virtualOffset, Span<byte> buffer)
    {
        buffer.Clear();
        var parent = layer.Parent;
        if (parent is null) ThrowHelper.Throw(R.ParentNotOpened, layer.File.Path, "The parent is not open");
        long n = Math.Min(buffer.Length, parent.VirtualSize - virtualOffset);
        if (n > 0) parent.Read(virtualOffset, buffer[..(int)n]);
    }

    /// <summary>Writes the BAT sectors holding <paramref name="blocks"/>' entries, each sector whole (one 512-byte write; the last may be shorter).</summary>
    private static void WriteVhdBatSectors(CompactRun run, VhdBlockTable table, IEnumerable<long> blocks, Func<long, uint> entry)
    {
        const int perSector = VhdSector / 4;
        Span<byte> sector = stackalloc byte[VhdSector];
        foreach (long group in blocks.Select(b => b / perSector).Distinct().Order())
        {
            long first = group * perSector;
            int count = (int)Math.Min(perSector, table.EntryCount - first);
            for (int i = 0; i < count; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(sector[(i * 4)..], entry(first + i));
            run.Store.WriteAt((long)table.TableOffset + first * 4, sector[..(count * 4)]);
        }
    }

    // ---- VHDX (MS-VHDX §2.5 BAT, §2.5.1.1 payload states, §2.5.1.2 sector bitmap states, §2.3 log) ----

    private static VirtualDiskDiagnostic? CompactVhdx(VhdxLayer layer, CompactRun run)
    {
        var bat = layer.BlockTable;
        var store = run.Store;
        bool differencing = bat.Differencing;
        long blockSize = bat.BlockSize;
        var regionBytes = new byte[VhdxConstants.RegionTableSize];
        run.Read(VhdxConstants.RegionTable1Offset, regionBytes);
        if (!VhdxRegionTable.TryParse(regionBytes, out var regions, out _, out _))
            return new(R.CompactLayoutNotSupported, run.Path, "The first region table is not intact; run repair first", VhdxConstants.RegionTable1Offset);
        if (regions.EntryCount > 2)
            return new(R.CompactLayoutNotSupported, run.Path, $"The region table has {regions.EntryCount} entries; regions other than the BAT and the metadata (MS-VHDX §2.2.3.2) are not moved around", VhdxConstants.RegionTable1Offset);
        var headers = VhdxHeaderUpdater.TryRead(layer.File);
        if (headers is null) return new(R.CompactLayoutNotSupported, run.Path, "No current VHDX header");
        // A LogGuid still set after the open for writing has no entry to replay (the open replayed any into the file,
        // docs/write.md); the first header update below replaces it (MS-VHDX §2.3.3), as the write path does.
        long length = store.Length;

        // ---- Scan ----
        var releases = new List<(long Index, ulong Raw)>();
        var live = new List<Extent>();
        long blocks = bat.DataBlockCount;
        for (long block = 0; block < blocks; block++)
        {
            run.Report(CompactPhase.Scan, block, blocks);
            long index = VhdxBlockTable.PayloadIndex(block, bat.ChunkRatio);
            var e = bat[index];
            if (e.PayloadState is not (VhdxPayloadState.FullyPresent or VhdxPayloadState.PartiallyPresent)) continue;
            run.Scanned++;
            long extent = bat.BlockExtent(block);
            bool zero = e.PayloadState == VhdxPayloadState.FullyPresent
                ? run.FileIsZero(e.FileOffset, extent)
                : ChainIsZero(layer, run, block * blockSize, extent);
            // Dynamic: NOT_PRESENT (the default state of a new block; it reads as zeros). Differencing: NOT_PRESENT
            // would mean "the parent's", so ZERO (reads zeros whatever the parent holds; FileOffsetMB 0, §2.5.1.1).
            if (zero) releases.Add((index, differencing ? (ulong)VhdxPayloadState.Zero : (ulong)VhdxPayloadState.NotPresent));
            else live.Add(new Extent(index, e.FileOffset, blockSize));
        }
        if (differencing)
        {
            // Sector bitmap blocks (1 MiB, SB_BLOCK_PRESENT) are kept and moved like payload blocks (§2.5.1.2).
            long chunks = (blocks + bat.ChunkRatio - 1) / bat.ChunkRatio;
            for (long c = 0; c < chunks; c++)
            {
                long index = c * (bat.ChunkRatio + 1) + bat.ChunkRatio;
                var e = bat[index];
                if (e.State == VhdxBatEntry.SbPresent) live.Add(new Extent(index, e.FileOffset, MiB));
            }
        }
        run.Report(CompactPhase.Scan, blocks, blocks);
        var sorted = live.OrderBy(e => e.Offset).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].Offset < sorted[i - 1].End)
                return new(R.CompactLayoutNotSupported, run.Path, $"BAT entries {sorted[i - 1].Index} and {sorted[i].Index} overlap at file offset {sorted[i].Offset}");
        foreach (var e in sorted)
            if (e.End > length) return new(R.CompactLayoutNotSupported, run.Path, $"BAT entry {e.Index}: its block ends beyond the end of the file", e.Offset);

        // ---- Plan: 1 MiB placement (FileOffsetMB), the header section, log and regions stay ----
        var structures = bat.Reserved.Select(r => new Extent(-1, r.FileOffset, r.Length)).ToList();
        var (moves, newEnd) = PlanMoves(structures, live, VhdxConstants.HeaderSectionLength, length, (start, _) => (start + MiB - 1) / MiB * MiB);
        newEnd = Math.Min(length, (newEnd + MiB - 1) / MiB * MiB);
        bool truncate = newEnd < length;
        run.Released = releases.Count;
        run.Moved = moves.Count;
        run.After = newEnd;
        if (run.Options.DryRun || (releases.Count == 0 && !truncate)) return null;

        var log = new VhdxBatLog(run, headers, bat.FileOffset);

        // ---- Release through the log: each entry change alone keeps the content, so any entry replayed or not is valid ----
        run.Stage = "release";
        foreach (var (index, raw) in releases) log.Set(index, raw);
        log.Commit();

        // ---- Move: copy, barrier, the new offsets through the log (per batch) ----
        // Targets are free (released through a durable log entry, or never used); sources are never written, so
        // before the entry is durable the old copy stands, after it (applied or replayed) the new one.
        run.Stage = "move";
        int next = 0;
        try
        {
            while (next < moves.Count)
            {
                run.Report(CompactPhase.Move, next, moves.Count);
                long bytes = 0;
                int count = 0;
                for (; next < moves.Count && count < MoveBatch && bytes < MoveBatchBytes; next++, count++)
                {
                    var (block, target) = moves[next];
                    run.Copy(block.Offset, target, block.Length);
                    bytes += block.Length;
                    log.Set(block.Index, (log.Get(block.Index) & 0xFFFFF) | (ulong)target); // state and reserved bits kept
                }
                store.Flush();
                log.Commit();
            }
            run.Report(CompactPhase.Move, moves.Count, moves.Count);
        }
        catch (OperationCanceledException)
        {
            // Canceled between batches: every batch so far is committed; the log is closed clean (no truncation), so the
            // image does not open with a pending log afterwards.
            log.Close(truncating: false);
            throw;
        }

        // ---- The log clean (LogGuid cleared), then the truncation: nothing can replay over the cut part ----
        run.Stage = "truncate";
        log.Close(truncate);
        if (truncate)
        {
            store.SetLength(newEnd);
            store.Flush();
        }
        return null;
    }

    /// <summary>Whether the block reads as zeros through the chain (a PARTIALLY_PRESENT block: its sectors and the parent's).</summary>
    private static bool ChainIsZero(VhdxLayer layer, CompactRun run, long virtualStart, long extent)
    {
        for (long done = 0; done < extent;)
        {
            var part = run.Buffer.AsSpan(0, (int)Math.Min(run.Buffer.Length, extent - done));
            layer.Read(virtualStart + done, part);
            if (part.ContainsAnyExcept((byte)0)) return false;
            done += part.Length;
        }
        return true;
    }

    /// <summary>
    /// BAT changes of a compact through the VHDX log (MS-VHDX §2.3): the first commit sets a LogGuid and a new
    /// FileWriteGuid by the header update procedure (§2.2.2.1; the DataWriteGuid stays: the content does not change,
    /// so children linked to it stay valid); each commit writes entries of whole 4 KiB BAT pages, each flushed, then
    /// applied and flushed (each entry is its own tail); closing clears the LogGuid.
    /// </summary>
    private sealed class VhdxBatLog(CompactRun run, VhdxHeaderUpdater headers, long batOffset)
    {
        private const int Page = 4096;
        private readonly Dictionary<long, byte[]> _pages = [];
        private readonly SortedSet<long> _dirty = [];
        private VhdxLogWriter? _log;

        private byte[] PageOf(long index)
        {
            long page = index * VhdxBatEntry.Size / Page;
            if (!_pages.TryGetValue(page, out var bytes))
            {
                bytes = new byte[Page];
                run.Read(batOffset + page * Page, bytes);
                _pages[page] = bytes;
            }
            return bytes;
        }

        public ulong Get(long index) =>
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(PageOf(index).AsSpan((int)(index * VhdxBatEntry.Size % Page)));

        public void Set(long index, ulong raw)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(PageOf(index).AsSpan((int)(index * VhdxBatEntry.Size % Page)), raw);
            _dirty.Add(index * VhdxBatEntry.Size / Page);
        }

        public void Commit()
        {
            if (_dirty.Count == 0) return;
            var store = run.Store;
            if (_log is null)
            {
                var header = headers.Current;
                var logGuid = Guid.NewGuid();
                _log = new VhdxLogWriter((long)header.LogOffset, header.LogLength, logGuid);
                headers.Update(store, h => h with { LogGuid = logGuid, FileWriteGuid = Guid.NewGuid() }); // written and flushed
            }
            var pages = _dirty.Select(p => (Target: batOffset + p * Page, Page: (byte[])_pages[p].Clone())).ToList();
            _dirty.Clear();
            _log.Commit(store, pages);
        }

        /// <summary>Commits what is left and clears the LogGuid; when nothing was logged, still gives the file a new FileWriteGuid before it is truncated (§2.2.2).</summary>
        public void Close(bool truncating)
        {
            Commit();
            if (_log is not null) headers.Update(run.Store, h => h with { LogGuid = Guid.Empty });
            else if (truncating)
            {
                // Both slots in turn, as the write path's first change does: the newest header then has a sequence
                // number above anything the handle's own writer could still write over the other slot on close.
                var fileWrite = Guid.NewGuid();
                headers.Update(run.Store, h => h with { FileWriteGuid = fileWrite, LogGuid = Guid.Empty });
                headers.Update(run.Store, h => h);
            }
        }
    }
}

using System.Buffers;
using System.Buffers.Binary;
using VirtualDiskManaged.Host;

namespace VirtualDiskManaged.Vhdx;

/// <summary>
/// The BAT (MS-VHDX §2.5), read in pages on first use. Payload entries and sector-bitmap entries are interleaved:
/// payload block b is entry b + b / ChunkRatio, the bitmap of chunk c is entry c·(ChunkRatio + 1) + ChunkRatio.
/// Small tables (≤ <see cref="EagerEntryLimit"/> entries) are read and fully validated at open, including the
/// block-against-block overlap check; larger ones validate each page when it is first loaded, and leave the whole-table
/// overlap check to <see cref="Verify"/>. Only the entries the disk has are read and validated (MS-VHDX §2.5): the
/// payload entries of its blocks with the sector-bitmap entries between them, and for a differencing disk the
/// bitmap entry of the last chunk, which ends the table (§2.5.1: a differencing BAT spans whole chunks). The unused
/// payload entries between the last block and that bitmap entry are neither read nor kept (a 16 MiB disk with 1 MiB
/// blocks uses 17 of its chunk's 4,097 entries). Pages publish with <see cref="Interlocked.CompareExchange{T}(ref T, T, T)"/>,
/// so concurrent readers need no lock (two racing loaders produce identical pages; one wins).
/// </summary>
internal sealed class VhdxBlockTable
{
    /// <summary>Tables up to this many entries (512 KiB) are loaded and validated whole at open.</summary>
    public const long EagerEntryLimit = 65536;

    /// <summary>Entries per page at least (64 KiB of table); grown so that a table never has more than <see cref="MaxPages"/> pages.</summary>
    private const int MinPageEntries = 8192;
    private const int MaxPages = 1024;

    private readonly FileView _source;
    private readonly long _batOffset;
    private readonly int _pageShift;
    private readonly ulong[]?[] _pages;
    private readonly long _pagedCount;     // entries 0.._pagedCount-1 are read in pages
    private readonly long _tailIndex;      // differencing: the last chunk's bitmap entry when it lies past the pages; else -1
    private ulong[]? _tail;                // that entry, once read and validated
    private readonly VhdxRegion[] _reserved; // header section, log, BAT and metadata regions: no block may overlap them

    public VhdxBlockTable(FileView source, long batOffset, long virtualSize, uint blockSize, int logicalSectorSize,
        bool differencing, VhdxRegion[] reserved)
    {
        _source = source;
        _batOffset = batOffset;
        _reserved = reserved;
        VirtualSize = virtualSize;
        BlockSize = blockSize;
        LogicalSectorSize = logicalSectorSize;
        Differencing = differencing;
        ChunkRatio = (VhdxConstants.SectorsPerChunk * logicalSectorSize) / blockSize;
        DataBlockCount = (virtualSize + blockSize - 1) / blockSize;
        long bitmapBlocks = (DataBlockCount + ChunkRatio - 1) / ChunkRatio;
        // MS-VHDX §2.5: fixed/dynamic need DataBlocks + floor((DataBlocks − 1) / ChunkRatio) entries; differencing a whole
        // last chunk including its bitmap entry.
        long throughLastBlock = DataBlockCount + (DataBlockCount - 1) / ChunkRatio; // the last payload entry + 1
        EntryCount = differencing ? bitmapBlocks * (ChunkRatio + 1) : throughLastBlock;
        // §2.5: the entries after the last payload entry, up to the last chunk's bitmap entry, describe no block.
        // Differencing: read them in pages only when there are none (the last chunk is full); else the bitmap entry alone.
        _pagedCount = differencing && EntryCount > throughLastBlock + 1 ? throughLastBlock : EntryCount;
        _tailIndex = _pagedCount < EntryCount ? EntryCount - 1 : -1;
        int shift = 13; // MinPageEntries = 2^13
        while (((_pagedCount + (1L << shift) - 1) >> shift) > MaxPages) shift++;
        _pageShift = shift;
        _pages = new ulong[]?[(int)((_pagedCount + (1L << shift) - 1) >> shift)];
    }

    public long VirtualSize { get; }
    public uint BlockSize { get; }
    public int LogicalSectorSize { get; }
    public bool Differencing { get; }
    public long ChunkRatio { get; }
    public long DataBlockCount { get; }

    /// <summary>Entries the table spans for the virtual size (the BAT region may hold more).</summary>
    public long EntryCount { get; }

    /// <summary>Bytes the table spans in the file (what the BAT region must hold).</summary>
    public long ByteLength => EntryCount * VhdxBatEntry.Size;

    /// <summary>Entries that are read and validated: those that describe a block or a sector bitmap of the disk.</summary>
    public long EntriesInUse => _tailIndex >= 0 ? _pagedCount + 1 : _pagedCount;

    public bool IsEager => EntriesInUse <= EagerEntryLimit;

    /// <summary>Set by eager validation: a payload block ends beyond the end of the file.</summary>
    public bool HasPartialLastBlock { get; private set; }

    /// <summary>Pages read so far (diagnostics and tests: a lazily paged table reads none at open).</summary>
    public int LoadedPageCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _pages.Length; i++) if (Volatile.Read(ref _pages[i]) is not null) n++;
            return n;
        }
    }

    public int PageCount => _pages.Length;

    /// <summary>Bytes of entries held in memory (tests: only the entries in use are kept).</summary>
    public long LoadedEntryBytes
    {
        get
        {
            long n = Volatile.Read(ref _tail) is null ? 0 : VhdxBatEntry.Size;
            for (int i = 0; i < _pages.Length; i++) n += (Volatile.Read(ref _pages[i])?.Length ?? 0) * VhdxBatEntry.Size;
            return n;
        }
    }

    public static long PayloadIndex(long block, long chunkRatio) => block + block / chunkRatio;

    public long BitmapIndexOfBlock(long block) => (block / ChunkRatio) * (ChunkRatio + 1) + ChunkRatio;

    internal bool IsBitmapIndex(long index) => index % (ChunkRatio + 1) == ChunkRatio;

    /// <summary>The block number of payload entry <paramref name="index"/> (of the next payload entry's block for a bitmap entry).</summary>
    internal long BlockOfIndex(long index) => index - index / (ChunkRatio + 1);

    /// <summary>Entries scanned per read when a page is not loaded (the bulk scan's buffer: 64 KiB).</summary>
    private const int ScanEntries = 8192;

    /// <summary>
    /// The first index in [<paramref name="from"/>, <paramref name="to"/>) whose raw entry is above
    /// <paramref name="max"/>, or <paramref name="to"/> when none is. Raw values 0 to 3 are the states
    /// PAYLOAD_BLOCK_NOT_PRESENT, UNDEFINED, ZERO and UNMAPPED with no file offset and no reserved bit (MS-VHDX
    /// §2.5.1.1; an all-zero sector bitmap entry is SB_BLOCK_NOT_PRESENT, §2.5.1.2): max 0 finds the next entry that is
    /// not NOT_PRESENT, max 3 the next that is not one of the four. For the map and allocation walks (docs/operations.md "map"):
    /// loaded pages are searched in memory; pages not loaded are neither loaded nor kept: ranges of the BAT that are
    /// holes of a sparse host file are skipped without reading (they read as zeros), the rest is read in 64 KiB pieces
    /// into one scratch buffer and searched vectorised. The entry found is validated when the caller reads it through
    /// the indexer (its page loads then), so the scan trusts nothing it returns. Only the paged entries are scanned.
    /// </summary>
    internal long NextEntryAbove(long from, long to, ulong max)
    {
        to = Math.Min(to, _pagedCount);
        if (from < 0 || from >= to) return Math.Max(from, to);
        ulong[]? scratch = null; // rented once per call that reads; pages already loaded need none
        try
        {
            long index = from;
            while (index < to)
            {
                int page = (int)(index >> _pageShift);
                long pageStart = (long)page << _pageShift;
                long stop = Math.Min(pageStart + (1L << _pageShift), to);
                if (Volatile.Read(ref _pages[page]) is { } entries)
                {
                    int found = entries.AsSpan((int)(index - pageStart), (int)(stop - index)).IndexOfAnyExceptInRange(0UL, max);
                    if (found >= 0) return index + found;
                    index = stop;
                    continue;
                }
                // A hole of the host file reads as zeros: skip to the next data (lseek SEEK_DATA; elsewhere no skip).
                long at = _batOffset + index * VhdxBatEntry.Size;
                // Never past the file's end: entries there are read, so a table cut short fails as a page load would.
                long data = Math.Min(_source.NextData(at), _source.Length);
                if (data > at)
                {
                    long skipped = (data - at) / VhdxBatEntry.Size; // whole entries only; data may start inside one
                    if (skipped >= stop - index) { index = stop; continue; }
                    index += skipped;
                }
                scratch ??= ArrayPool<ulong>.Shared.Rent(ScanEntries);
                int n = (int)Math.Min(ScanEntries, stop - index);
                var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(scratch.AsSpan(0, n));
                _source.ReadExactlyAt(_batOffset + index * VhdxBatEntry.Size, bytes);
                if (!BitConverter.IsLittleEndian)
                    for (int i = 0; i < n; i++) scratch[i] = BinaryPrimitives.ReverseEndianness(scratch[i]);
                int hit = scratch.AsSpan(0, n).IndexOfAnyExceptInRange(0UL, max);
                if (hit >= 0) return index + hit;
                index += n;
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<ulong>.Shared.Return(scratch);
        }
        return to;
    }

    /// <summary>Bytes of the file the block occupies: a whole block, or the virtual part of the disk's last block.</summary>
    public long BlockExtent(long block) => Math.Min(BlockSize, VirtualSize - block * BlockSize);

    /// <summary>The entry at <paramref name="index"/>, loading (and validating) its page on first use.</summary>
    public VhdxBatEntry this[long index]
    {
        get
        {
            if (index >= _pagedCount)
            {
                // The last chunk's sector bitmap entry; the unused entries before it describe nothing (§2.5).
                if (index != _tailIndex) return new VhdxBatEntry(0);
                return new VhdxBatEntry((Volatile.Read(ref _tail) ?? LoadTail())[0]);
            }
            int page = (int)(index >> _pageShift);
            var entries = Volatile.Read(ref _pages[page]) ?? LoadPage(page);
            return new VhdxBatEntry(entries[index & ((1L << _pageShift) - 1)]);
        }
    }

    private void AddWarnings(ref ValidationState state, List<VirtualDiskDiagnostic> warnings)
    {
        if (state.ReservedBitsIndex >= 0)
            warnings.Add(new(VirtualDiskErrorReason.BatEntryReservedBitsSet, _source.Path, $"BAT entry {state.ReservedBitsIndex}", _batOffset + state.ReservedBitsIndex * 8));
        if (state.IgnoredBitmapIndex >= 0)
            warnings.Add(new(VirtualDiskErrorReason.VhdxSectorBitmapEntryIgnored, _source.Path, $"BAT entry {state.IgnoredBitmapIndex}", _batOffset + state.IgnoredBitmapIndex * 8));
        if (state.PartialBlock >= 0)
            warnings.Add(new(VirtualDiskErrorReason.VhdxLastBlockPartial, _source.Path, $"Block {state.PartialBlock} ends beyond the file length {_source.Length}"));
    }

    private ulong[] LoadPage(int page)
    {
        var entries = ReadPage(page);
        var state = new ValidationState();
        var failure = ValidatePage(page, entries, ref state);
        if (failure is not null) ThrowHelper.Throw(failure);
        return Interlocked.CompareExchange(ref _pages[page], entries, null) ?? entries;
    }

    private ulong[] LoadTail()
    {
        var entry = ReadEntries(_tailIndex, 1);
        var state = new ValidationState();
        var failure = ValidateEntries(_tailIndex, entry, ref state);
        if (failure is not null) ThrowHelper.Throw(failure);
        return Interlocked.CompareExchange(ref _tail, entry, null) ?? entry;
    }

    private ulong[] ReadPage(int page)
    {
        long first = (long)page << _pageShift;
        return ReadEntries(first, (int)Math.Min(1L << _pageShift, _pagedCount - first));
    }

    private ulong[] ReadEntries(long first, int count)
    {
        var entries = new ulong[count];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(entries.AsSpan());
        _source.ReadExactlyAt(_batOffset + first * VhdxBatEntry.Size, bytes);
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < entries.Length; i++) entries[i] = BinaryPrimitives.ReverseEndianness(entries[i]);
        return entries;
    }

    private struct ValidationState
    {
        public ValidationState() { }
        public long ReservedBitsIndex = -1, IgnoredBitmapIndex = -1, PartialBlock = -1;
        public long AllocatedBytes, AllocatedBlocks;
        public List<(long Offset, long Length, long Index)>? Allocated;
    }

    /// <summary>VHDX rules 25–29 (docs/open-path.md §8.2) for one page of entries.</summary>
    private VirtualDiskDiagnostic? ValidatePage(int page, ulong[] entries, ref ValidationState state) =>
        ValidateEntries((long)page << _pageShift, entries, ref state);

    /// <summary>VHDX rules 25–29 (docs/open-path.md §8.2) for the entries from index <paramref name="first"/> on.</summary>
    private VirtualDiskDiagnostic? ValidateEntries(long first, ulong[] entries, ref ValidationState state)
    {
        long fileLength = _source.Length;
        for (int i = 0; i < entries.Length; i++)
        {
            long index = first + i;
            var e = new VhdxBatEntry(entries[i]);
            long at = _batOffset + index * VhdxBatEntry.Size;
            if (e.ReservedBitsSet && state.ReservedBitsIndex < 0) state.ReservedBitsIndex = index; // VHDX rule 25: warning
            if (IsBitmapIndex(index))
            {
                if (!Differencing)
                {
                    // VHDX rule 27 / VHDX quirk 4 (docs/decisions.md): sector bitmap entries of fixed/dynamic files are ignored (old qemu wrote garbage).
                    if (e.State != VhdxBatEntry.SbNotPresent && state.IgnoredBitmapIndex < 0) state.IgnoredBitmapIndex = index;
                    continue;
                }
                if (e.State == VhdxBatEntry.SbNotPresent) continue;
                if (e.State != VhdxBatEntry.SbPresent)
                    return new(VirtualDiskErrorReason.BatEntryStateInvalid, _source.Path, $"Sector bitmap entry {index} has state {e.State}", at);
                var failure = CheckPlacement(index, e.FileOffset, VhdxConstants.MiB, fileLength, at, allowPartial: false);
                if (failure is not null) return failure;
                state.Allocated?.Add((e.FileOffset, VhdxConstants.MiB, index));
                continue;
            }
            long block = BlockOfIndex(index);
            if (block >= DataBlockCount) continue; // differencing tables end on a whole chunk: entries past the disk are unused
            switch (e.PayloadState)
            {
                case VhdxPayloadState.NotPresent or VhdxPayloadState.Undefined or VhdxPayloadState.Zero
                    or VhdxPayloadState.Unmapped or VhdxPayloadState.UnmappedV095:
                    continue; // VHDX rule 26; FileOffsetMB is reserved for these states (VHDX quirk 7, docs/decisions.md)
                case VhdxPayloadState.Reserved4:
                    return new(VirtualDiskErrorReason.BatEntryStateInvalid, _source.Path, $"Payload entry {index} (block {block}) has reserved state 4", at);
                case VhdxPayloadState.PartiallyPresent when !Differencing:
                    return new(VirtualDiskErrorReason.VhdxPartialBlockNotDifferencing, _source.Path, $"Payload entry {index} (block {block})", at);
            }
            long extent = BlockExtent(block);
            var placement = CheckPlacement(index, e.FileOffset, extent, fileLength, at, allowPartial: true);
            if (placement is not null) return placement;
            if (e.FileOffset + extent > fileLength && state.PartialBlock < 0) state.PartialBlock = block; // VHDX rule 28: short last block, warning
            state.AllocatedBlocks++;
            state.AllocatedBytes += extent;
            state.Allocated?.Add((e.FileOffset, extent, index));
        }
        return null;
    }

    /// <summary>VHDX rules 28–29: a present block is not at 0, starts inside the file, and overlaps no header, log or region.</summary>
    private VirtualDiskDiagnostic? CheckPlacement(long index, long offset, long length, long fileLength, long at, bool allowPartial)
    {
        if (offset < 0 || offset >= fileLength || (!allowPartial && offset + length > fileLength))
            return new(VirtualDiskErrorReason.BatEntryBeyondEndOfFile, _source.Path, $"Entry {index} points at {(ulong)offset}; the file is {Counted.Of(fileLength, "byte")}", at);
        foreach (var r in _reserved)
            if (r.Overlaps(offset, length))
                return new(VirtualDiskErrorReason.BatBlockOverlapsMetadata, _source.Path,
                    $"Entry {index} at {offset} overlaps the structure at {r.FileOffset} ({Counted.Of(r.Length, "byte")})", at);
        return null;
    }

    private VirtualDiskDiagnostic? CheckOverlaps(List<(long Offset, long Length, long Index)>? blocks)
    {
        if (blocks is null || blocks.Count < 2) return null;
        blocks.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        for (int i = 1; i < blocks.Count; i++)
        {
            var prev = blocks[i - 1];
            var cur = blocks[i];
            if (cur.Offset < prev.Offset + prev.Length)
                return new(VirtualDiskErrorReason.BatBlocksOverlap, _source.Path,
                    $"Entries {prev.Index} and {cur.Index} both use file offset {cur.Offset}", _batOffset + cur.Index * VhdxBatEntry.Size);
        }
        return null;
    }

    private sealed record AllocationSummary(long AllocatedBytes, long Blocks, long AllocatedBlocks);

    private AllocationSummary? _allocation;

    /// <summary>Reads and validates every page now, with the block overlap check (small tables, at open). Adds warnings; returns the first failure.</summary>
    public VirtualDiskDiagnostic? LoadAll(List<VirtualDiskDiagnostic> warnings)
    {
        var state = new ValidationState { Allocated = [] };
        for (int p = 0; p < _pages.Length; p++)
        {
            var entries = ReadPage(p);
            var failure = ValidatePage(p, entries, ref state);
            if (failure is not null) return failure;
            _pages[p] = entries;
        }
        if (_tailIndex >= 0)
        {
            var tail = ReadEntries(_tailIndex, 1);
            var failure = ValidateEntries(_tailIndex, tail, ref state);
            if (failure is not null) return failure;
            _tail = tail;
        }
        var overlap = CheckOverlaps(state.Allocated);
        if (overlap is not null) return overlap;
        if (Differencing)
        {
            // A partially present block needs its chunk's sector bitmap (MS-VHDX §2.5.1.2).
            for (long block = 0; block < DataBlockCount; block++)
                if (this[PayloadIndex(block, ChunkRatio)].PayloadState == VhdxPayloadState.PartiallyPresent
                    && this[BitmapIndexOfBlock(block)].State != VhdxBatEntry.SbPresent)
                    return new(VirtualDiskErrorReason.VhdxSectorBitmapMissing, _source.Path,
                        $"Block {block} is partially present but the sector bitmap of chunk {block / ChunkRatio} is not", _batOffset + BitmapIndexOfBlock(block) * 8);
        }
        AddWarnings(ref state, warnings);
        HasPartialLastBlock = state.PartialBlock >= 0;
        _allocation = new(state.AllocatedBytes, DataBlockCount, state.AllocatedBlocks);
        return null;
    }

    /// <summary>The deep check: every page validated and no two blocks overlapping. Streams the table; caches nothing.</summary>
    public IReadOnlyList<VirtualDiskDiagnostic> Verify()
    {
        var problems = new List<VirtualDiskDiagnostic>();
        var state = new ValidationState { Allocated = [] };
        try
        {
            for (int p = 0; p < _pages.Length; p++)
            {
                var entries = Volatile.Read(ref _pages[p]) ?? ReadPage(p);
                var failure = ValidatePage(p, entries, ref state);
                if (failure is not null) { problems.Add(failure); return problems; }
            }
            if (_tailIndex >= 0)
            {
                var failure = ValidateEntries(_tailIndex, Volatile.Read(ref _tail) ?? ReadEntries(_tailIndex, 1), ref state);
                if (failure is not null) { problems.Add(failure); return problems; }
            }
        }
        catch (VirtualDiskException e)
        {
            problems.Add(e.Diagnostic);
            return problems;
        }
        var overlap = CheckOverlaps(state.Allocated);
        if (overlap is not null) problems.Add(overlap);
        AddWarnings(ref state, problems);
        _allocation ??= new(state.AllocatedBytes, DataBlockCount, state.AllocatedBlocks);
        return problems;
    }

    /// <summary>(allocated bytes, blocks, allocated blocks); a large table is scanned once, in a bounded buffer, when first asked.</summary>
    public (long AllocatedBytes, long Blocks, long AllocatedBlocks) Allocation
    {
        get
        {
            if (_allocation is { } known) return (known.AllocatedBytes, known.Blocks, known.AllocatedBlocks);
            long bytes = 0, allocated = 0;
            byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                for (long index = 0; index < _pagedCount;) // payload entries only: the tail is a bitmap entry
                {
                    int n = (int)Math.Min(buffer.Length / 8, _pagedCount - index);
                    if (!_source.TryReadExactlyAt(_batOffset + index * 8, buffer.AsSpan(0, n * 8))) break;
                    for (int i = 0; i < n; i++, index++)
                    {
                        if (IsBitmapIndex(index) || BlockOfIndex(index) >= DataBlockCount) continue;
                        var e = new VhdxBatEntry(BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(i * 8)));
                        if (e.PayloadState is VhdxPayloadState.FullyPresent or VhdxPayloadState.PartiallyPresent)
                        {
                            allocated++;
                            bytes += BlockExtent(BlockOfIndex(index));
                        }
                    }
                }
            }
            finally { ArrayPool<byte>.Shared.Return(buffer); }
            _allocation = new(bytes, DataBlockCount, allocated);
            return (bytes, DataBlockCount, allocated);
        }
    }

    // ---- Write path (docs/write.md) ----

    /// <summary>The BAT region's file offset.</summary>
    internal long FileOffset => _batOffset;

    /// <summary>The header section, log, BAT and metadata regions (no block may overlap them), for compact.</summary>
    internal IReadOnlyList<VhdxRegion> Reserved => _reserved;

    /// <summary>Replaces entry <paramref name="index"/> in memory (its page is loaded first); readers see it at once.</summary>
    internal void SetEntry(long index, ulong raw)
    {
        _ = this[index];
        if (index >= _pagedCount)
        {
            // Past the paged entries only the last chunk's sector bitmap entry describes anything (§2.5).
            if (index != _tailIndex) throw new InvalidOperationException($"BAT entry {index} describes no block or bitmap.");
            Volatile.Write(ref Volatile.Read(ref _tail)![0], raw);
        }
        else
        {
            var entries = Volatile.Read(ref _pages[(int)(index >> _pageShift)])!;
            Volatile.Write(ref entries[index & ((1L << _pageShift) - 1)], raw);
        }
        _allocation = null;
    }
}

using System.Buffers.Binary;
using VirtualDiskManaged.Host;

namespace VirtualDiskManaged.Vhd;

/// <summary>
/// The VHD block allocation table (VHD spec "Block Allocation Table and Data Blocks"), loaded lazily in pages of <see cref="PageEntries"/> entries.
/// Each page is validated when first loaded (every allocated block inside the file and clear of metadata) and
/// published atomically, so concurrent readers need no lock. Small tables are loaded and checked whole at open,
/// including the sort-based overlap check (VHD rule 17, docs/open-path.md §8.1); for large ones that check is left to <see cref="CheckOverlaps"/> (the deep check).
/// </summary>
internal sealed class VhdBlockTable
{
    public const int PageEntries = 4096;
    private const int PageShift = 12;
    public const uint Unallocated = 0xFFFF_FFFF;

    /// <summary>Tables with at most this many used entries (1 MiB of entries: 512 GiB at 2 MiB blocks) are validated whole at open.</summary>
    public const long EagerEntryLimit = 262_144;

    private readonly FileView _file;
    private readonly ulong _tableOffset;
    private readonly long _entries; // entries that cover the virtual size (≤ MaxTableEntries)
    private readonly uint[]?[] _pages;
    // Per-page bitmap summaries and cached bitmaps: the page arrays are made on first use (reads), not at open, so an
    // open of a 2 TiB disk allocates one array of page references, not three.
    private byte[]?[]? _bitmapStates;
    private byte[]?[]?[]? _bitmaps;
    private long _cachedBitmapBytes;

    /// <summary>Mixed sector bitmaps are cached up to this many bytes per table (64 MiB: 128 Ki blocks of 2 MiB); beyond it they are re-read.</summary>
    public const long BitmapCacheLimit = 64L << 20;
    private readonly (ulong Start, ulong End, string What)[] _metadata;

    public VhdBlockTable(FileView file, ulong tableOffset, long entries, uint blockSize, uint bitmapSize, long virtualSize,
        ulong dataEnd, (ulong Start, ulong End, string What)[] metadata)
    {
        _file = file;
        _tableOffset = tableOffset;
        _entries = entries;
        BlockSize = blockSize;
        BitmapSize = bitmapSize;
        VirtualSize = virtualSize;
        DataEnd = dataEnd;
        _metadata = metadata;
        long pageCount = (entries + PageEntries - 1) >> PageShift;
        _pages = new uint[]?[pageCount];
    }

    public uint BlockSize { get; }
    public uint BitmapSize { get; }
    public long VirtualSize { get; }
    /// <summary>Where block data must end: the trailing footer's offset, or the file length when it is missing.</summary>
    public ulong DataEnd { get; }
    public long EntryCount => _entries;

    /// <summary>The BAT entry (a sector number, or <see cref="Unallocated"/>) of <paramref name="block"/>; loads its page on first use.</summary>
    public uint this[long block]
    {
        get
        {
            var page = Volatile.Read(ref _pages[block >> PageShift]) ?? LoadPage(block >> PageShift);
            return page[block & (PageEntries - 1)];
        }
    }

    /// <summary>
    /// The first block in [<paramref name="from"/>, <paramref name="to"/>) whose entry is not <see cref="Unallocated"/>,
    /// or <paramref name="to"/> when none is (VHD spec "Block Allocation Table": 0xFFFFFFFF = unused). Pages load (and
    /// validate) as the indexer loads them; each is searched vectorised, so a sparse table costs one search per page.
    /// </summary>
    public long NextAllocated(long from, long to)
    {
        to = Math.Min(to, _entries);
        long block = from;
        while (block < to)
        {
            long p = block >> PageShift;
            var page = Volatile.Read(ref _pages[p]) ?? LoadPage(p);
            long pageStart = p << PageShift;
            long stop = Math.Min(pageStart + page.Length, to);
            int found = page.AsSpan((int)(block - pageStart), (int)(stop - block)).IndexOfAnyExcept(Unallocated);
            if (found >= 0) return block + found;
            block = stop;
        }
        return Math.Max(from, to);
    }

    /// <summary>Cached bitmap summary of an allocated block: 0 unknown, 1 all set, 2 all clear, 3 mixed. Races are benign (the value is a pure function of the file).</summary>
    public byte GetBitmapState(long block)
    {
        var top = Volatile.Read(ref _bitmapStates);
        var states = top is null ? null : Volatile.Read(ref top[block >> PageShift]);
        return states is null ? (byte)0 : states[block & (PageEntries - 1)];
    }

    public void SetBitmapState(long block, byte state)
    {
        long p = block >> PageShift;
        var top = Volatile.Read(ref _bitmapStates) ?? Publish(ref _bitmapStates, new byte[]?[_pages.Length]);
        var states = Volatile.Read(ref top[p]);
        if (states is null)
        {
            Interlocked.CompareExchange(ref top[p], new byte[PageLength(p)], null);
            states = Volatile.Read(ref top[p])!;
        }
        // A reader's classification never overwrites a state the writer published (docs/write.md: the writer's is newer).
        Interlocked.CompareExchange(ref states[block & (PageEntries - 1)], state, (byte)0);
    }

    /// <summary>
    /// Write path (docs/write.md): publishes the current sector bitmap of <paramref name="block"/> and its summary,
    /// replacing what readers cached (outside the cache budget: a block the writer touched is always cached, so a
    /// reader never falls back to the file's bitmap, which lags until the next barrier).
    /// </summary>
    public void PublishBitmap(long block, byte[] bitmap, byte state)
    {
        long p = block >> PageShift;
        var top = Volatile.Read(ref _bitmaps) ?? Publish(ref _bitmaps, new byte[]?[]?[_pages.Length]);
        var page = Volatile.Read(ref top[p]);
        if (page is null)
        {
            Interlocked.CompareExchange(ref top[p], new byte[]?[PageLength(p)], null);
            page = Volatile.Read(ref top[p])!;
        }
        Volatile.Write(ref page[block & (PageEntries - 1)], bitmap);
        var stateTop = Volatile.Read(ref _bitmapStates) ?? Publish(ref _bitmapStates, new byte[]?[_pages.Length]);
        var states = Volatile.Read(ref stateTop[p]);
        if (states is null)
        {
            Interlocked.CompareExchange(ref stateTop[p], new byte[PageLength(p)], null);
            states = Volatile.Read(ref stateTop[p])!;
        }
        Volatile.Write(ref states[block & (PageEntries - 1)], state);
    }

    /// <summary>Write path: sets the in-memory BAT entry of <paramref name="block"/> (its page is loaded: writers load the whole table first).</summary>
    public void SetEntry(long block, uint sector)
    {
        var page = Volatile.Read(ref _pages[block >> PageShift]) ?? LoadPage(block >> PageShift);
        Volatile.Write(ref page[block & (PageEntries - 1)], sector);
    }

    /// <summary>The BAT's file offset (VHD spec "Block Allocation Table").</summary>
    public ulong TableOffset => _tableOffset;

    /// <summary>The file's structures that no block may overlap (footers, dynamic header, BAT, parent locator data), for compact.</summary>
    internal IReadOnlyList<(ulong Start, ulong End, string What)> Metadata => _metadata;

    /// <summary>A cached mixed bitmap of <paramref name="block"/>, or null.</summary>
    public byte[]? GetCachedBitmap(long block)
    {
        var top = Volatile.Read(ref _bitmaps);
        var page = top is null ? null : Volatile.Read(ref top[block >> PageShift]);
        return page is null ? null : Volatile.Read(ref page[block & (PageEntries - 1)]);
    }

    /// <summary>Caches a mixed bitmap (immutable once published) while the cache budget allows.</summary>
    public void CacheBitmap(long block, byte[] bitmap)
    {
        if (Interlocked.Add(ref _cachedBitmapBytes, bitmap.Length) > BitmapCacheLimit)
        {
            Interlocked.Add(ref _cachedBitmapBytes, -bitmap.Length);
            return;
        }
        long p = block >> PageShift;
        var top = Volatile.Read(ref _bitmaps) ?? Publish(ref _bitmaps, new byte[]?[]?[_pages.Length]);
        var page = Volatile.Read(ref top[p]);
        if (page is null)
        {
            Interlocked.CompareExchange(ref top[p], new byte[]?[PageLength(p)], null);
            page = Volatile.Read(ref top[p])!;
        }
        if (Interlocked.CompareExchange(ref page[block & (PageEntries - 1)], bitmap, null) is not null)
            Interlocked.Add(ref _cachedBitmapBytes, -bitmap.Length);
    }

    /// <summary>Publishes <paramref name="value"/> into an empty <paramref name="field"/> (or returns what another thread published first).</summary>
    private static T Publish<T>(ref T? field, T value) where T : class =>
        Interlocked.CompareExchange(ref field, value, null) ?? value;

    /// <summary>Entries in page <paramref name="pageIndex"/> (the last page may be partial).</summary>
    private int PageLength(long pageIndex) => (int)Math.Min(PageEntries, _entries - (pageIndex << PageShift));

    /// <summary>Bytes of the block that the virtual size uses (the last block may be partial).</summary>
    public ulong UsedBlockBytes(long block) => (ulong)Math.Min(BlockSize, VirtualSize - block * BlockSize);

    private uint[] LoadPage(long pageIndex)
    {
        var failure = TryLoadPage(pageIndex, out var page);
        if (failure is not null) ThrowHelper.Throw(failure);
        var published = Interlocked.CompareExchange(ref _pages[pageIndex], page, null);
        return published ?? page!;
    }

    // prefix: the first bytes of the file when the caller has them already; a page inside them is not read again.
    private VirtualDiskDiagnostic? TryLoadPage(long pageIndex, out uint[]? page, ReadOnlySpan<byte> prefix = default)
    {
        long first = pageIndex << PageShift;
        int count = PageLength(pageIndex);
        page = new uint[count];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(page.AsSpan());
        long offset = (long)_tableOffset + first * 4;
        if (offset <= prefix.Length - bytes.Length) prefix.Slice((int)offset, bytes.Length).CopyTo(bytes);
        else if (!_file.TryReadExactlyAt(offset, bytes))
            return new(VirtualDiskErrorReason.BatBeyondEndOfFile, _file.Path, (count == 1 ? $"BAT entry {first}" : $"BAT entries {first}..{first + count - 1}") + $" at offset {offset} could not be read", offset);
        for (int i = 0; i < count; i++)
        {
            uint entry = BinaryPrimitives.ReverseEndianness(page[i]);
            page[i] = entry;
            if (entry == Unallocated) continue;
            var failure = CheckEntry(first + i, entry);
            if (failure is not null) { page = null; return failure; }
        }
        return null;
    }

    /// <summary>VHD rules 16 and 17 (docs/open-path.md §8.1) (metadata part) for one allocated entry.</summary>
    private VirtualDiskDiagnostic? CheckEntry(long block, uint entry)
    {
        ulong start = (ulong)entry * 512;
        ulong end = start + BitmapSize + UsedBlockBytes(block);
        long entryOffset = (long)_tableOffset + block * 4;
        if (end > DataEnd)
            return new(VirtualDiskErrorReason.BatEntryBeyondEndOfFile, _file.Path,
                $"BAT[{block}] = sector {entry}: block bytes {start}..{end} end beyond {DataEnd} (end of block data)", entryOffset);
        foreach (var (mStart, mEnd, what) in _metadata)
        {
            if (start < mEnd && mStart < end)
                return new(VirtualDiskErrorReason.BatBlockOverlapsMetadata, _file.Path,
                    $"BAT[{block}] = sector {entry}: block bytes {start}..{end} overlap the {what} at {mStart}..{mEnd}", entryOffset);
        }
        return null;
    }

    /// <summary>Loads every page now (open of a small table); returns the first failure.</summary>
    /// <param name="prefix">The first bytes of the file, if already read (the BAT of a small disk usually lies inside them).</param>
    public VirtualDiskDiagnostic? LoadAll(ReadOnlySpan<byte> prefix = default)
    {
        for (long p = 0; p < _pages.Length; p++)
        {
            if (Volatile.Read(ref _pages[p]) is not null) continue;
            var failure = TryLoadPage(p, out var page, prefix);
            if (failure is not null) return failure;
            Interlocked.CompareExchange(ref _pages[p], page, null);
        }
        return null;
    }

    /// <summary>VHD rule 17 (docs/open-path.md §8.1): no two blocks overlap (found by sorting the block starts). Loads the whole table.</summary>
    /// <param name="prefix">The first bytes of the file, if already read.</param>
    public VirtualDiskDiagnostic? CheckOverlaps(ReadOnlySpan<byte> prefix = default)
    {
        var failure = LoadAll(prefix);
        if (failure is not null) return failure;
        int allocated = 0;
        for (long b = 0; b < _entries; b++) if (this[b] != Unallocated) allocated++;
        if (allocated < 2) return null;
        var starts = new ulong[allocated];
        int n = 0;
        for (long b = 0; b < _entries; b++)
        {
            uint e = this[b];
            if (e != Unallocated) starts[n++] = ((ulong)e << 32) | (uint)b; // sector in the high half, block index in the low half
        }
        Array.Sort(starts);
        for (int i = 1; i < starts.Length; i++)
        {
            uint prevSector = (uint)(starts[i - 1] >> 32), sector = (uint)(starts[i] >> 32);
            long prevBlock = (uint)starts[i - 1], block = (uint)starts[i];
            ulong prevEnd = (ulong)prevSector * 512 + BitmapSize + UsedBlockBytes(prevBlock);
            if ((ulong)sector * 512 < prevEnd)
                return new(VirtualDiskErrorReason.BatBlocksOverlap, _file.Path,
                    $"BAT[{prevBlock}] (sector {prevSector}) and BAT[{block}] (sector {sector}) overlap", (long)_tableOffset + block * 4);
        }
        return null;
    }

    /// <summary>Counts allocated entries (loads the whole table; failures of lazily loaded pages throw).</summary>
    public long CountAllocated()
    {
        long n = 0;
        for (long b = 0; b < _entries; b++) if (this[b] != Unallocated) n++;
        return n;
    }

    /// <summary>Whether every allocated block's data starts on a 4 KiB boundary (loaded pages only).</summary>
    public bool DataIs4KAligned()
    {
        for (long p = 0; p < _pages.Length; p++)
        {
            var page = Volatile.Read(ref _pages[p]);
            if (page is null) continue;
            foreach (uint e in page)
                if (e != Unallocated && (((ulong)e * 512 + BitmapSize) & 4095) != 0) return false;
        }
        return true;
    }
}

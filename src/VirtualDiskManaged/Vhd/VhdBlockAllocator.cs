using System.Buffers.Binary;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.Vhd;

/// <summary>
/// The VHD write path (docs/write.md). Fixed disks write in place. Dynamic and differencing disks allocate blocks in
/// the crash-safe order: the footer moves to the new end first and is flushed (VHD spec "Dynamic Hard Disk Image":
/// the footer is moved to the end each time a block is added; here it moves first, so the old footer is interior
/// space before anything is written over it), then sector bitmap and data go into the new block, then — after a
/// second barrier — the BAT entry. A crash in between leaves at worst an unreferenced block (leaked space).
/// Barriers are batched: blocks are reserved <see cref="ReserveBlocks"/> at a time, doubling up to
/// <see cref="MaxReserveBlocks"/> (one footer move and one flush per reservation), and BAT entries and sector-bitmap changes wait for the next barrier (a reservation, a full pending
/// list, <see cref="LayerWriter.Flush"/> or close). Bitmap rules (VHD spec "Implementing a Differencing Hard Disk"):
/// MSB-first, a bit is set only after its sector's data is durable; differencing blocks start all clear and a write
/// covering part of a sector first copies the parent's bytes of that sector; dynamic blocks start all set (their
/// fresh data area reads as zeros). The footer copy at offset 0 never changes (its fields do not change here).
/// </summary>
internal sealed class VhdBlockAllocator : LayerWriter
{
    private const int SectorSize = 512;

    /// <summary>Blocks reserved by the first footer move; each further reservation doubles, up to <see cref="MaxReserveBlocks"/>.</summary>
    internal const int ReserveBlocks = 64;

    /// <summary>The largest reservation in blocks; also never more than <see cref="MaxReserveBytes"/>, nor more blocks than are still unallocated.
    /// Reserved space is a hole until written, and is given back on close.</summary>
    internal const int MaxReserveBlocks = 1024;

    private const long MaxReserveBytes = 1L << 30;

    /// <summary>Tests: the size of the next reservation (small ones make a short workload move the footer often).</summary>
    internal long NextReserve { set => _reserve = Math.Max(1, value); }
    private long _unallocated;

    private long _reserve = ReserveBlocks;

    /// <summary>Pending metadata items (BAT entries + bitmaps) that force a barrier.</summary>
    private const int CommitThreshold = 256;

    private readonly VhdLayer _vhd;
    private readonly VhdBlockTable? _table;
    private readonly bool _differencing;
    private readonly long _blockSize;
    private readonly int _bitmapSize;
    private readonly long _slotSize;
    private readonly long _stride;     // slot size rounded up to 4 KiB: every block's data starts on a 4 KiB boundary
    private readonly byte[] _footer = new byte[VhdFooter.Size];
    private long _nextSlot;     // where the next block goes
    private long _footerAt;     // where the trailing footer is (the end of the reserved space)
    private readonly Dictionary<long, byte[]> _bitmaps = [];   // current bitmaps of blocks this writer touched (immutable arrays)
    private readonly SortedSet<long> _pendingEntries = [];
    private readonly HashSet<long> _pendingBitmaps = [];
    private bool _tidyOnClose;

    private VhdBlockAllocator(VhdLayer layer, IBackingStore store, long granularity) : base(layer, store, granularity)
    {
        _vhd = layer;
        _table = layer.BlockTable;
        _differencing = layer.Subtype == VirtualDiskProviderSubtype.Differencing;
        if (_table is not null)
        {
            _blockSize = _table.BlockSize;
            _bitmapSize = (int)_table.BitmapSize;
            _slotSize = _bitmapSize + _blockSize;
            _stride = (_slotSize + 4095) / 4096 * 4096;
        }
    }

    /// <summary>Makes the writer of a VHD layer opened for writing; fails for layouts it does not change.</summary>
    public static VirtualDiskDiagnostic? TryCreate(VhdLayer layer, HostFile file, out LayerWriter? writer)
    {
        writer = null;
        var table = layer.BlockTable;
        if (table is null)
        {
            writer = new VhdBlockAllocator(layer, file, 1 << 20);
            return null;
        }
        if (layer.ShortFooter)
            return new(VirtualDiskErrorReason.WriteLayoutNotSupported, file.Path, "A 511-byte footer (Virtual PC before 2004) is not rewritten");
        if (table.TableOffset % SectorSize != 0)
            return new(VirtualDiskErrorReason.WriteLayoutNotSupported, file.Path, $"The BAT at {table.TableOffset} is not sector aligned");
        var failure = table.LoadAll();
        if (failure is not null) return failure;
        var w = new VhdBlockAllocator(layer, file, table.BlockSize) { _unallocated = table.EntryCount - table.CountAllocated() };
        long length = file.Length;
        if (length < VhdFooter.Size || !file.TryReadExactlyAt(length - VhdFooter.Size, w._footer) || !VhdFooter.HasCookie(w._footer)
            || !VhdFooter.TryParse(w._footer, out _, out var reason) || reason != VirtualDiskErrorReason.None)
            return new(VirtualDiskErrorReason.WriteLayoutNotSupported, file.Path, "The trailing footer is missing or damaged (the copy at offset 0 was used); it is not rewritten");
        // New blocks go where the trailing footer is (every structure lies before it), on a sector boundary.
        w._footerAt = length - VhdFooter.Size;
        // The first slot: its data on a 4 KiB boundary (GET_VIRTUAL_DISK_INFO_IS_4K_ALIGNED stays true; page-aligned
        // writes), the bitmap right before it. The old footer, if it lies before, becomes unused interior space.
        long at = (w._footerAt + SectorSize - 1) / SectorSize * SectorSize;
        w._nextSlot = (at + w._bitmapSize + 4095) / 4096 * 4096 - w._bitmapSize;
        w._footerAt = w._nextSlot;
        writer = w;
        return null;
    }

    protected override void WriteCore(long offset, ReadOnlySpan<byte> data)
    {
        if (_table is null)
        {
            Store.WriteAt(offset, data); // fixed: virtual offset = file offset
            return;
        }
        int done = 0;
        while (done < data.Length)
        {
            long at = offset + done;
            long block = at / _blockSize;
            long inBlock = at - block * _blockSize;
            int piece = (int)Math.Min(data.Length - done, _blockSize - inBlock);
            uint entry = _table[block];
            if (entry == VhdBlockTable.Unallocated) Allocate(block, inBlock, data.Slice(done, piece));
            else WriteExisting(block, entry, inBlock, data.Slice(done, piece));
            done += piece;
        }
    }

    private static bool Bit(ReadOnlySpan<byte> bits, long sector) => (bits[(int)(sector >> 3)] & (0x80 >> (int)(sector & 7))) != 0;

    private static void SetBits(Span<byte> bits, long first, long last)
    {
        for (long s = first; s <= last; s++) bits[(int)(s >> 3)] |= (byte)(0x80 >> (int)(s & 7));
    }

    /// <summary>The current bitmap of an allocated block: this writer's copy, else the file's (which is current for untouched blocks).</summary>
    private byte[] CurrentBitmap(long block, uint entry)
    {
        lock (AllocationLock)
        {
            if (_bitmaps.TryGetValue(block, out var known)) return known;
            var bits = new byte[_bitmapSize];
            Store.ReadAt((long)entry * SectorSize, bits);
            PublishBitmap(block, bits); // read once: later writes (and reads) of the block use the summary and this copy
            return bits;
        }
    }

    /// <summary>A write into an allocated block: in place; sectors whose bit is clear get whole-sector data first, then their bits (after the next barrier).</summary>
    private void WriteExisting(long block, uint entry, long inBlock, ReadOnlySpan<byte> piece)
    {
        long dataStart = (long)entry * SectorSize + _bitmapSize;
        long first = inBlock / SectorSize, last = (inBlock + piece.Length - 1) / SectorSize;
        var bits = _table!.GetBitmapState(block) == 1 ? null : CurrentBitmap(block, entry);
        bool allSet = bits is null || AllSet(bits, first, last);
        if (allSet)
        {
            Store.WriteAt(dataStart + inBlock, piece);
            return;
        }
        WriteWholeSectors(block * _blockSize, dataStart, inBlock, piece, SectorSize, bits);
        lock (AllocationLock)
        {
            var current = _bitmaps.TryGetValue(block, out var known) ? known : bits!;
            var updated = (byte[])current.Clone();
            SetBits(updated, first, last);
            PublishBitmap(block, updated);
            _pendingBitmaps.Add(block);
            MaybeCommit();
        }
    }

    private static bool AllSet(ReadOnlySpan<byte> bits, long first, long last)
    {
        for (long s = first; s <= last; s++) if (!Bit(bits, s)) return false;
        return true;
    }

    protected override bool SectorPresent(byte[] bits, long index) => Bit(bits, index);

    /// <summary>A dynamic disk's absent sectors read as zeros; a differencing disk's are its parent's (VHD spec "Block Bitmap").</summary>
    protected override void ReadAbsentSector(long virtualOffset, Span<byte> sector)
    {
        if (_differencing) ReadParent(virtualOffset, sector);
        else sector.Clear();
    }

    /// <summary>A write into an unallocated block: a reserved slot gets its bitmap and data now, its BAT entry after the next barrier.</summary>
    private void Allocate(long block, long inBlock, ReadOnlySpan<byte> piece)
    {
        lock (AllocationLock)
        {
            if (_nextSlot + _slotSize > _footerAt) Reserve();
            long slot = _nextSlot;
            _nextSlot += _stride;
            _unallocated--;
            long first = inBlock / SectorSize, last = (inBlock + piece.Length - 1) / SectorSize;
            var bitmap = new byte[_bitmapSize];
            if (_differencing) SetBits(bitmap, first, last);
            else bitmap.AsSpan().Fill(0xFF);
            Store.WriteAt(slot, bitmap);

            WriteWholeSectors(block * _blockSize, slot + _bitmapSize, inBlock, piece, SectorSize, null);

            PublishBitmap(block, bitmap);
            _table!.SetEntry(block, (uint)(slot / SectorSize));
            _pendingEntries.Add(block);
            MaybeCommit();
        }
    }

    /// <summary>Publishes a block's bitmap to readers with its summary (1 all set, 2 all clear, 3 mixed over the sectors the disk uses).</summary>
    private void PublishBitmap(long block, byte[] bitmap)
    {
        _bitmaps[block] = bitmap;
        long sectors = (long)(_table!.UsedBlockBytes(block) + SectorSize - 1) / SectorSize;
        int full = (int)(sectors / 8), tail = (int)(sectors % 8);
        byte mask = (byte)(0xFF << (8 - tail));
        var bits = bitmap.AsSpan();
        byte state;
        if (!bits[..full].ContainsAnyExcept((byte)0xFF) && (tail == 0 || (bits[full] & mask) == mask)) state = 1;
        else if (!bits[..full].ContainsAnyExcept((byte)0) && (tail == 0 || (bits[full] & mask) == 0)) state = 2;
        else state = 3;
        _table.PublishBitmap(block, bitmap, state);
    }

    /// <summary>Reserves slots: the footer goes to the end of the new space and is made durable before any slot is written.</summary>
    private void Reserve()
    {
        long n = Math.Min(Math.Min(_reserve, Math.Max(1, MaxReserveBytes / _stride)), Math.Max(1, _unallocated));
        _reserve = Math.Min(MaxReserveBlocks, _reserve * 2);
        // BAT entries are 32-bit sector numbers (VHD spec "Block Allocation Table"; 0xFFFFFFFF means unused).
        while (n > 0 && (_nextSlot + (n - 1) * _stride) / SectorSize >= VhdBlockTable.Unallocated) n--;
        if (n == 0)
            ThrowHelper.Throw(VirtualDiskErrorReason.BlockAllocationFailed, Store.Path, $"A block at byte {_nextSlot} cannot be addressed by a 32-bit sector number");
        long footerAt = _nextSlot + n * _stride;
        Store.WriteAt(footerAt, _footer);
        Barrier(); // the new footer is durable before the old one (now inside the reserved space) is overwritten
        _footerAt = footerAt;
        _tidyOnClose = true;
    }

    private void MaybeCommit()
    {
        if (_pendingEntries.Count + _pendingBitmaps.Count >= CommitThreshold) Barrier();
    }

    /// <summary>The barrier, then the metadata whose data it made durable: bitmaps, then BAT entries (each BAT sector written whole).</summary>
    private void Barrier()
    {
        Store.Flush();
        if (_pendingBitmaps.Count == 0 && _pendingEntries.Count == 0) return;
        foreach (long block in _pendingBitmaps)
        {
            if (_pendingEntries.Contains(block)) continue; // written below with its entry's batch (bitmap first)
            Store.WriteAt((long)_table![block] * SectorSize, _bitmaps[block]);
        }
        foreach (long block in _pendingEntries)
            if (_pendingBitmaps.Contains(block)) Store.WriteAt((long)_table![block] * SectorSize, _bitmaps[block]);
        _pendingBitmaps.Clear();
        Span<byte> sector = stackalloc byte[SectorSize];
        long previous = -1;
        foreach (long block in _pendingEntries)
        {
            long group = block / (SectorSize / 4);
            if (group == previous) continue;
            previous = group;
            long firstEntry = group * (SectorSize / 4);
            int count = (int)Math.Min(SectorSize / 4, _table!.EntryCount - firstEntry);
            for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt32BigEndian(sector[(i * 4)..], _table[firstEntry + i]);
            Store.WriteAt((long)_table.TableOffset + firstEntry * 4, sector[..(count * 4)]);
        }
        _pendingEntries.Clear();
    }

    protected override void FlushCore()
    {
        if (_pendingEntries.Count + _pendingBitmaps.Count > 0) Barrier();
        Store.Flush();
    }

    protected override void CloseCore()
    {
        if (_table is null)
        {
            Store.Flush();
            return;
        }
        if (_pendingEntries.Count + _pendingBitmaps.Count > 0) Barrier();
        if (_tidyOnClose && _nextSlot < _footerAt)
        {
            // Give back the unused reserved space: a footer at the end of the used space first (the one at the old end
            // stays authoritative until the truncation), then the truncation.
            Store.WriteAt(_nextSlot, _footer);
            Store.Flush();
            Store.SetLength(_nextSlot + VhdFooter.Size);
        }
        Store.Flush();
    }
}

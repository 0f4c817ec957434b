using System.Buffers.Binary;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.Vhdx;

/// <summary>
/// The VHDX write path (docs/write.md).
/// <list type="bullet">
/// <item>The first write of a session updates the headers (MS-VHDX §2.2.2.1): a new FileWriteGuid and DataWriteGuid,
/// both slots in turn, each flushed, before anything else in the file changes.</item>
/// <item>Writes into FULLY_PRESENT blocks (and into present sectors of PARTIALLY_PRESENT blocks) go in place; they need
/// no metadata change and no log.</item>
/// <item>New payload blocks go at the end of the file, 1 MiB aligned (MS-VHDX §2.5: FileOffsetMB), the file grows by
/// whole blocks, and the fresh space reads as zeros (so the unwritten part of a block reads as before: zeros for
/// NOT_PRESENT/ZERO/UNMAPPED/UNDEFINED in fixed and dynamic files).</item>
/// <item>Differencing files: a partial write into a NOT_PRESENT block makes it PARTIALLY_PRESENT with the chunk's
/// sector bitmap block (1 MiB at the end of the file, SB_BLOCK_PRESENT) and sets the bits of the written sectors
/// (MS-VHDX §2.5.1.1, §2.5.1.2); a write covering part of a sector first copies the parent's bytes of that sector;
/// a block whose every sector is present becomes FULLY_PRESENT.</item>
/// <item>BAT entries and sector bitmaps change only through the log (MS-VHDX §2.3). They change in memory at once
/// (readers see new blocks immediately) and are committed in batches: barrier (the data they publish is durable),
/// log entry with the whole 4 KiB pages, barrier, then the pages at their final offsets. The next commit's barrier
/// makes those durable before its own entry, so each entry is its own tail.</item>
/// </list>
/// </summary>
internal sealed class VhdxBlockAllocator : LayerWriter
{
    private const int Page = 4096;
    private const long MiB = VhdxConstants.MiB;

    /// <summary>Allocated blocks that force a commit.</summary>
    private const int CommitBlocks = 64;

    private readonly VhdxLayer _vhdx;
    private readonly VhdxBlockTable _bat;
    private readonly VhdxHeaderUpdater _headers;
    private readonly long _logOffset;
    private readonly uint _logLength;
    private VhdxLogWriter? _log;
    private readonly long _blockSize;
    private readonly int _sectorSize;
    private readonly long _sectorsPerBlock;
    private readonly bool _differencing;
    private long _nextFree;
    private volatile bool _session;
    private readonly SortedSet<long> _dirtyBatPages = [];
    private readonly SortedSet<long> _dirtyBitmapPages = [];
    private readonly Dictionary<long, byte[]> _bitmapPages = []; // file offset of a 4 KiB bitmap page → its current bytes
    private int _pendingBlocks;

    private VhdxBlockAllocator(VhdxLayer layer, HostFile file, VhdxHeaderUpdater headers) : base(layer, file, layer.BlockTable.BlockSize)
    {
        _vhdx = layer;
        _bat = layer.BlockTable;
        _headers = headers;
        _logOffset = (long)headers.Current.LogOffset;
        _logLength = headers.Current.LogLength;
        _blockSize = _bat.BlockSize;
        _sectorSize = layer.LogicalSectorSize;
        _sectorsPerBlock = _blockSize / _sectorSize;
        _differencing = _bat.Differencing;
        _nextFree = (file.Length + MiB - 1) / MiB * MiB;
    }

    public static VirtualDiskDiagnostic? TryCreate(VhdxLayer layer, HostFile file, out LayerWriter? writer)
    {
        writer = null;
        if (!ReferenceEquals(layer.Source, file))
            return new(VirtualDiskErrorReason.WriteLayoutNotSupported, file.Path, "The log was replayed into memory only (strict open)");
        if (layer.BlockTable.HasPartialLastBlock)
            return new(VirtualDiskErrorReason.WriteLayoutNotSupported, file.Path, "The last payload block ends beyond the end of the file");
        var headers = VhdxHeaderUpdater.TryRead(file);
        if (headers is null) return new(VirtualDiskErrorReason.VhdxHeadersInvalid, file.Path, "The headers changed since the open");
        if (headers.Current.LogLength < MiB)
            return new(VirtualDiskErrorReason.WriteLayoutNotSupported, file.Path, $"The log is {headers.Current.LogLength} bytes; metadata changes need at least 1 MiB");
        writer = new VhdxBlockAllocator(layer, file, headers);
        return null;
    }

    /// <summary>MS-VHDX §2.2.2.1: before the first change of the session, the headers get a new FileWriteGuid and DataWriteGuid (both slots, each flushed).</summary>
    private void EnsureSession()
    {
        if (_session) return;
        lock (AllocationLock)
        {
            if (_session) return;
            var fileWrite = Guid.NewGuid();
            var dataWrite = Guid.NewGuid();
            // A LogGuid without entries (nothing to replay) is dropped: this session's log gets a fresh one.
            _headers.Update(Store, h => h with { FileWriteGuid = fileWrite, DataWriteGuid = dataWrite, LogGuid = Guid.Empty });
            _headers.Update(Store, h => h);
            _session = true;
        }
    }

    protected override void WriteCore(long offset, ReadOnlySpan<byte> data)
    {
        EnsureSession();
        int done = 0;
        while (done < data.Length)
        {
            long at = offset + done;
            long block = at / _blockSize;
            long inBlock = at - block * _blockSize;
            int piece = (int)Math.Min(data.Length - done, _blockSize - inBlock);
            var slice = data.Slice(done, piece);
            var entry = _bat[VhdxBlockTable.PayloadIndex(block, _bat.ChunkRatio)];
            switch (entry.PayloadState)
            {
                case VhdxPayloadState.FullyPresent:
                    Store.WriteAt(entry.FileOffset + inBlock, slice);
                    break;
                case VhdxPayloadState.PartiallyPresent:
                    WritePartial(block, entry.FileOffset, inBlock, slice);
                    break;
                case VhdxPayloadState.NotPresent when _differencing && piece < _bat.BlockExtent(block):
                    AllocatePartial(block, inBlock, slice);
                    break;
                default:
                    AllocateFull(block, inBlock, slice);
                    break;
            }
            done += piece;
        }
    }

    /// <summary>The next 1 MiB-aligned space at the end of the file; the file grows over it (the new bytes read as zeros).</summary>
    private long Take(long length)
    {
        long at = _nextFree;
        if (at > (1L << 52) - length) // FileOffsetMB is 44 bits (MS-VHDX §2.5)
            ThrowHelper.Throw(VirtualDiskErrorReason.BlockAllocationFailed, Store.Path, $"No file offset for {length} more bytes after {at}");
        _nextFree = at + length;
        if (Store.Length < _nextFree) Store.SetLength(_nextFree);
        return at;
    }

    /// <summary>A block that becomes FULLY_PRESENT: data into fresh space (the rest reads as zeros, as the block did).</summary>
    private void AllocateFull(long block, long inBlock, ReadOnlySpan<byte> piece)
    {
        lock (AllocationLock)
        {
            long at = Take(_blockSize);
            Store.WriteAt(at + inBlock, piece);
            SetPayload(block, at, VhdxPayloadState.FullyPresent);
            _pendingBlocks++;
            MaybeCommit();
        }
    }

    /// <summary>Differencing, NOT_PRESENT, partial write: a PARTIALLY_PRESENT block whose written sectors (only) come from this file.</summary>
    private void AllocatePartial(long block, long inBlock, ReadOnlySpan<byte> piece)
    {
        lock (AllocationLock)
        {
            long sbIndex = _bat.BitmapIndexOfBlock(block);
            if (_bat[sbIndex].State != VhdxBatEntry.SbPresent)
            {
                long sb = Take(MiB); // MS-VHDX §2.5: sector bitmap blocks are 1 MiB
                _bat.SetEntry(sbIndex, (ulong)sb | VhdxBatEntry.SbPresent);
                _dirtyBatPages.Add(sbIndex * VhdxBatEntry.Size / Page); // its pages are fresh space: all bits clear (all parent)
            }
            long at = Take(_blockSize);
            WriteWholeSectors(block * _blockSize, at, inBlock, piece, _sectorSize, bits: null);
            SetBits(block, inBlock, piece.Length);
            SetPayload(block, at, VhdxPayloadState.PartiallyPresent);
            _pendingBlocks++;
            MaybeCommit();
        }
    }

    /// <summary>A PARTIALLY_PRESENT block: present sectors in place; others get whole-sector data, then their bits (logged).</summary>
    private void WritePartial(long block, long blockOffset, long inBlock, ReadOnlySpan<byte> piece)
    {
        byte[] bits;
        lock (AllocationLock) bits = BlockBits(block);
        long first = inBlock / _sectorSize, last = (inBlock + piece.Length - 1) / _sectorSize;
        bool allSet = true;
        for (long s = first; s <= last && allSet; s++) allSet = Bit(bits, s);
        if (allSet)
        {
            Store.WriteAt(blockOffset + inBlock, piece);
            return;
        }
        WriteWholeSectors(block * _blockSize, blockOffset, inBlock, piece, _sectorSize, bits);
        lock (AllocationLock)
        {
            SetBits(block, inBlock, piece.Length);
            MaybeCommit();
        }
    }

    private static bool Bit(ReadOnlySpan<byte> bits, long sector) => (bits[(int)(sector >> 3)] & (1 << (int)(sector & 7))) != 0;

    protected override bool SectorPresent(byte[] bits, long index) => Bit(bits, index);

    /// <summary>The bitmap page (4 KiB of the chunk's sector bitmap block) at <paramref name="fileOffset"/>, read once.</summary>
    private byte[] BitmapPage(long fileOffset)
    {
        if (_bitmapPages.TryGetValue(fileOffset, out var page)) return page;
        page = new byte[Page];
        Store.ReadAt(fileOffset, page);
        _bitmapPages[fileOffset] = page;
        return page;
    }

    /// <summary>Where the block's bits start in the file (inside its chunk's sector bitmap block), and how many bytes they take.</summary>
    private (long Offset, int Length) BitsLocation(long block)
    {
        var sb = _bat[_bat.BitmapIndexOfBlock(block)];
        long bytesPerBlock = _sectorsPerBlock / 8; // ≥ 64 (1 MiB / 4096 / 8... blocks are ≥ 1 MiB)
        return (sb.FileOffset + (block % _bat.ChunkRatio) * bytesPerBlock, (int)bytesPerBlock);
    }

    /// <summary>A copy of the block's current bits (LSB first, one per logical sector).</summary>
    private byte[] BlockBits(long block)
    {
        var (offset, length) = BitsLocation(block);
        var bits = new byte[length];
        for (int done = 0; done < length;)
        {
            long at = offset + done;
            long pageAt = at / Page * Page;
            int within = (int)(at - pageAt);
            int n = Math.Min(length - done, Page - within);
            BitmapPage(pageAt).AsSpan(within, n).CopyTo(bits.AsSpan(done));
            done += n;
        }
        return bits;
    }

    /// <summary>Sets the bits of the sectors the piece touches, publishes them to readers, and makes the block FULLY_PRESENT when every sector it uses is present.</summary>
    private void SetBits(long block, long inBlock, int length)
    {
        var (offset, _) = BitsLocation(block);
        long first = inBlock / _sectorSize, last = (inBlock + length - 1) / _sectorSize;
        for (long s = first; s <= last; s++)
        {
            long at = offset + (s >> 3);
            long pageAt = at / Page * Page;
            BitmapPage(pageAt)[at - pageAt] |= (byte)(1 << (int)(s & 7));
            _dirtyBitmapPages.Add(pageAt);
        }
        var bits = BlockBits(block);
        _vhdx.PublishBlockBitmap(block, bits);
        long used = (_bat.BlockExtent(block) + _sectorSize - 1) / _sectorSize;
        bool whole = true;
        for (long s = 0; s < used && whole; s++) whole = Bit(bits, s);
        var entry = _bat[VhdxBlockTable.PayloadIndex(block, _bat.ChunkRatio)];
        if (whole && entry.PayloadState == VhdxPayloadState.PartiallyPresent) SetPayload(block, entry.FileOffset, VhdxPayloadState.FullyPresent);
    }

    private void SetPayload(long block, long fileOffset, VhdxPayloadState state)
    {
        long index = VhdxBlockTable.PayloadIndex(block, _bat.ChunkRatio);
        _bat.SetEntry(index, (ulong)fileOffset | (byte)state);
        _dirtyBatPages.Add(index * VhdxBatEntry.Size / Page);
    }

    private void MaybeCommit()
    {
        if (_pendingBlocks >= CommitBlocks || _dirtyBatPages.Count + _dirtyBitmapPages.Count >= (_log?.MaxPagesPerEntry ?? 63)) Commit();
    }

    /// <summary>
    /// Commits the metadata changed in memory (MS-VHDX §2.3): barrier (the payload the entries publish is durable; the
    /// first commit also sets a LogGuid through the header update procedure), then per entry: the entry, barrier, the
    /// pages at their final offsets. Each next entry starts with a barrier, which makes the pages applied before durable.
    /// </summary>
    private void Commit()
    {
        _pendingBlocks = 0;
        if (_dirtyBatPages.Count == 0 && _dirtyBitmapPages.Count == 0) return;
        if (_log is null)
        {
            var logGuid = Guid.NewGuid();
            _headers.Update(Store, h => h with { LogGuid = logGuid }); // writes and flushes: the commit's first barrier
            _log = new VhdxLogWriter(_logOffset, _logLength, logGuid);
        }
        else Store.Flush();

        var pages = new List<(long Target, byte[] Page)>(_dirtyBatPages.Count + _dirtyBitmapPages.Count);
        long batEntries = _bat.EntryCount;
        foreach (long p in _dirtyBatPages)
        {
            var page = new byte[Page];
            long target = _bat.FileOffset + p * Page;
            Store.ReadAt(target, page); // entries past the table's end stay as they are
            long firstEntry = p * (Page / VhdxBatEntry.Size);
            int count = (int)Math.Min(Page / VhdxBatEntry.Size, batEntries - firstEntry);
            for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt64LittleEndian(page.AsSpan(i * 8), _bat[firstEntry + i].Raw);
            pages.Add((target, page));
        }
        foreach (long at in _dirtyBitmapPages) pages.Add((at, (byte[])_bitmapPages[at].Clone()));
        _dirtyBatPages.Clear();
        _dirtyBitmapPages.Clear();

        int max = _log.MaxPagesPerEntry;
        for (int start = 0; start < pages.Count; start += max)
        {
            if (start > 0) Store.Flush();
            var group = pages.GetRange(start, Math.Min(max, pages.Count - start));
            long length = Store.Length;
            _log.WriteEntry(Store, group, length, length);
            Store.Flush();
            foreach (var (target, page) in group) Store.WriteAt(target, page);
        }
    }

    protected override void FlushCore()
    {
        if (_dirtyBatPages.Count + _dirtyBitmapPages.Count > 0) Commit(); // ends with the entry durable: replay completes it
        else Store.Flush();
    }

    protected override void CloseCore()
    {
        Commit();
        Store.Flush();
        if (_headers.Current.LogGuid != Guid.Empty)
            _headers.Update(Store, h => h with { LogGuid = Guid.Empty }); // a clean close: nothing to replay (MS-VHDX §2.3)
    }
}

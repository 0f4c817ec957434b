using System.Buffers;
using VirtualDiskManaged.Host;

namespace VirtualDiskManaged.IO;

/// <summary>
/// The write path of the top layer of a writable handle (docs/write.md). Splits a write into block pieces and runs
/// them under per-range locks taken in ascending order (two-phase locking: overlapping writes from many threads
/// serialise, so the result equals some serial order), while allocations and metadata changes are serialised by one
/// allocation lock per layer. Reads never take a lock. After any failed write or flush the writer is faulted and
/// refuses further writes, so a half-done metadata change is never followed by more.
/// </summary>
internal abstract class LayerWriter
{
    private const int StripeCount = 64;
    private readonly object[] _stripes;
    private volatile VirtualDiskDiagnostic? _fault;

    /// <summary>Serialises allocations, metadata changes and flushes of this layer.</summary>
    protected readonly object AllocationLock = new();

    protected LayerWriter(DiskLayer layer, IBackingStore store, long lockGranularity)
    {
        Layer = layer;
        Store = store;
        LockGranularity = lockGranularity;
        _stripes = new object[StripeCount];
        for (int i = 0; i < _stripes.Length; i++) _stripes[i] = new object();
    }

    public DiskLayer Layer { get; }

    /// <summary>Where writes, growth and flushes go: the layer's file, or (tests) a fault injector in front of it.</summary>
    public IBackingStore Store { get; private set; }

    /// <summary>Bytes covered by one range lock (the block size for sparse layouts).</summary>
    protected long LockGranularity { get; }

    private int _started;

    /// <summary>Tests: puts <paramref name="wrap"/>(current store) in place; only before the first write.</summary>
    internal void WrapStore(Func<IBackingStore, IBackingStore> wrap)
    {
        lock (AllocationLock)
        {
            if (Volatile.Read(ref _started) != 0) throw new InvalidOperationException("The store can be replaced only before the first write");
            Store = wrap(Store);
        }
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> (the caller checked the bounds).</summary>
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        ThrowIfFaulted();
        Volatile.Write(ref _started, 1);
        long first = offset / LockGranularity, last = (offset + data.Length - 1) / LockGranularity;
        Span<bool> taken = stackalloc bool[StripeCount];
        bool all = last - first + 1 >= StripeCount;
        int count = 0;
        try
        {
            // Ascending stripe order for every writer: no deadlock between overlapping multi-range writes.
            for (int s = 0; s < StripeCount; s++)
            {
                bool needed = all || Covers(first, last, s);
                if (!needed) continue;
                Monitor.Enter(_stripes[s]);
                taken[s] = true;
                count++;
            }
            ThrowIfFaulted(); // another writer may have failed while this one waited
            WriteCore(offset, data);
        }
        catch (VirtualDiskException e) when (e.Diagnostic.Reason is VirtualDiskErrorReason.WriteFailed or VirtualDiskErrorReason.FlushFailed
            or VirtualDiskErrorReason.HostIoError or VirtualDiskErrorReason.BackingFileShrank)
        {
            _fault ??= e.Diagnostic;
            throw;
        }
        finally
        {
            for (int s = StripeCount - 1; s >= 0; s--) if (taken[s]) Monitor.Exit(_stripes[s]);
        }
    }

    private static bool Covers(long first, long last, int stripe)
    {
        // Stripe of range r is r % StripeCount; the covered ranges are first..last (fewer than StripeCount of them).
        long f = first % StripeCount;
        long span = last - first;
        long d = (stripe - f + StripeCount) % StripeCount;
        return d <= span;
    }

    /// <summary>Makes everything written so far durable (data and the metadata it needs).</summary>
    public void Flush()
    {
        ThrowIfFaulted();
        lock (AllocationLock) Guard(FlushCore);
    }

    /// <summary>The handle closes: commit what is pending, leave the file clean (VHDX: LogGuid 0), flush. Never throws for I/O faults.</summary>
    public void Close()
    {
        if (_fault is not null || Volatile.Read(ref _started) == 0) return;
        try
        {
            lock (AllocationLock) Guard(CloseCore);
        }
        catch (VirtualDiskException) { /* the image stays valid; the fault is recorded */ }
    }

    protected void Guard(Action action)
    {
        try { action(); }
        catch (VirtualDiskException e) when (e.Diagnostic.Reason is VirtualDiskErrorReason.WriteFailed or VirtualDiskErrorReason.FlushFailed
            or VirtualDiskErrorReason.HostIoError or VirtualDiskErrorReason.BackingFileShrank)
        {
            _fault ??= e.Diagnostic;
            throw;
        }
    }

    private void ThrowIfFaulted()
    {
        if (_fault is { } f) ThrowHelper.Throw(VirtualDiskErrorReason.WriteHandleFaulted, Store.Path, f.Message);
    }

    /// <summary>The format's write of one request, under the range locks of every range it touches.</summary>
    protected abstract void WriteCore(long offset, ReadOnlySpan<byte> data);

    /// <summary>Under the allocation lock: commit pending metadata, then the barrier.</summary>
    protected abstract void FlushCore();

    /// <summary>Under the allocation lock: commit, tidy (trim reserved space, clear the VHDX log), flush.</summary>
    protected abstract void CloseCore();

    /// <summary>Whether sector <paramref name="index"/> of a block holds this file's bytes (the format's sector bitmap bit).</summary>
    protected abstract bool SectorPresent(byte[] bits, long index);

    /// <summary>An edge sector's bytes where this file holds none: the parent's (differencing; zeros without a parent).</summary>
    protected virtual void ReadAbsentSector(long virtualOffset, Span<byte> sector) => ReadParent(virtualOffset, sector);

    /// <summary>
    /// Writes the whole sectors a piece of a block touches: the piece itself when it is sector aligned, else the piece
    /// with each partly covered edge sector completed from its current content — this file's when
    /// <paramref name="bits"/> marks it present, else <see cref="ReadAbsentSector"/> (VHD spec "Block Bitmap",
    /// MS-VHDX §2.5.1.1 PARTIALLY_PRESENT). <paramref name="blockStart"/> is the block's virtual offset,
    /// <paramref name="dataStart"/> the file offset of its data.
    /// </summary>
    protected void WriteWholeSectors(long blockStart, long dataStart, long inBlock, ReadOnlySpan<byte> piece, int sectorSize, byte[]? bits)
    {
        if (inBlock % sectorSize == 0 && piece.Length % sectorSize == 0)
        {
            Store.WriteAt(dataStart + inBlock, piece);
            return;
        }
        long first = inBlock / sectorSize, last = (inBlock + piece.Length - 1) / sectorSize;
        long alignedStart = first * sectorSize;
        int alignedLength = (int)((last + 1) * sectorSize - alignedStart);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(alignedLength);
        try
        {
            var span = buffer.AsSpan(0, alignedLength);
            bool startPartial = inBlock % sectorSize != 0, endPartial = (inBlock + piece.Length) % sectorSize != 0;
            if (startPartial || (first == last && endPartial)) FillSector(span[..sectorSize], first);
            if (endPartial && last != first) FillSector(span.Slice((int)((last - first) * sectorSize), sectorSize), last);
            piece.CopyTo(span[(int)(inBlock - alignedStart)..]);
            Store.WriteAt(dataStart + alignedStart, span);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }

        void FillSector(Span<byte> sector, long index)
        {
            if (bits is not null && SectorPresent(bits, index)) Store.ReadAt(dataStart + index * sectorSize, sector);
            else ReadAbsentSector(blockStart + index * sectorSize, sector);
        }
    }

    /// <summary>Reads the virtual bytes the parent (or zeros without one) has at <paramref name="offset"/>: the old content of a differencing sector.</summary>
    protected void ReadParent(long offset, Span<byte> buffer)
    {
        if (Layer.Parent is { } parent) parent.Read(offset, buffer);
        else if (Layer.ParentsOmitted)
            ThrowHelper.Throw(VirtualDiskErrorReason.ParentNotOpened, Store.Path, $"A partial-sector write at {offset} needs the parent's bytes", offset);
        else buffer.Clear();
    }
}

using System.Buffers;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.Vhd;

/// <summary>
/// One VHD file of a chain (VHD spec "Implementing a Dynamic Disk" and "Implementing a Differencing Hard Disk"): fixed (the file minus its footer), dynamic (BAT + sector bitmaps,
/// unallocated reads as zeros) or differencing (the sector bitmap decides this file or the parent, sector by sector).
/// </summary>
internal sealed class VhdLayer : DiskLayer
{
    private const byte StateUnknown = 0, StateAllSet = 1, StateAllClear = 2, StateMixed = 3;

    private readonly VhdFooter _footer;
    private readonly VhdDynamicHeader _header;
    private readonly VhdBlockTable? _table;
    private readonly string? _parentName;
    private readonly IReadOnlyList<ParentLocator> _locators;
    private readonly bool _shortFooter;

    public VhdLayer(HostFile file, VhdFooter footer, VhdDynamicHeader header, VhdBlockTable? table, string? parentName,
        IReadOnlyList<ParentLocator> locators, bool shortFooter) : base(file, file)
    {
        _footer = footer;
        _header = header;
        _table = table;
        _parentName = parentName;
        _locators = locators;
        _shortFooter = shortFooter;
        VirtualSize = (long)footer.CurrentSize;
        if (footer.DiskType == VhdDiskType.Differencing)
        {
            ParentLink = new ParentLink
            {
                Locators = locators,
                ParentDeviceId = VirtualStorageDeviceId.Vhd,
                ParentIdentifier = header.ParentUniqueId,
                ParentTimestamp = header.ParentTimeStamp,
                Verify = VerifyParent,
            };
        }
    }

    public VhdFooter Footer => _footer;

    /// <summary>The BAT of a dynamic or differencing disk (null for fixed disks).</summary>
    internal VhdBlockTable? BlockTable => _table;

    public override long VirtualSize { get; }

    public override uint DeviceId => VirtualStorageDeviceId.Vhd;

    public override VirtualDiskProviderSubtype Subtype => _footer.DiskType switch
    {
        VhdDiskType.Fixed => VirtualDiskProviderSubtype.Fixed,
        VhdDiskType.Dynamic => VirtualDiskProviderSubtype.Dynamic,
        _ => VirtualDiskProviderSubtype.Differencing,
    };

    public override uint BlockSize => _table?.BlockSize ?? 0;

    public override Guid Identifier => _footer.UniqueId;

    public override bool Is4KAligned => _table is null || _table.DataIs4KAligned();

    public override ParentLink? ParentLink { get; }

    /// <summary>docs/open-path.md §10: the parent's footer unique id must be the child's ParentUniqueId; time stamp 0 is not checked.</summary>
    private (VirtualDiskErrorReason, string?) VerifyParent(DiskLayer candidate)
    {
        if (candidate is not VhdLayer parent)
            return (VirtualDiskErrorReason.ParentFormatMismatch, $"The parent of a VHD must be a VHD; {candidate.File.Path} is not");
        if (parent._footer.UniqueId != _header.ParentUniqueId)
            return (VirtualDiskErrorReason.ParentIdMismatch, $"Parent unique id {parent._footer.UniqueId}, child {File.Path} records {_header.ParentUniqueId}");
        uint recorded = _header.ParentTimeStamp;
        if (recorded == 0 || recorded == parent._footer.TimeStamp) return (VirtualDiskErrorReason.None, null);
        long modified;
        try
        {
            modified = (long)(System.IO.File.GetLastWriteTimeUtc(parent.File.Path) - VhdFooter.VhdEpoch.UtcDateTime).TotalSeconds;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { modified = -1; }
        if (modified == recorded) return (VirtualDiskErrorReason.None, null);
        return (VirtualDiskErrorReason.ParentTimestampMismatch,
            $"{File.Path} records parent time stamp {recorded} ({VhdFooter.ToDate(recorded):u}); the parent's footer says {parent._footer.TimeStamp} and its file was last written at {modified}");
    }

    /// <summary>Requests are split into pieces of at most this many bytes for the fragmented differencing path.</summary>
    private const int MaxOverlayPiece = 4 << 20;

    /// <summary>The overlay path is taken when runs average less than this many bytes.</summary>
    private const int OverlayRunThreshold = 64 << 10;

    /// <summary>
    /// Differencing layers: where a block's sector bitmap alternates between this file and the parent, reading each
    /// run separately costs one I/O call per run at every level. Instead the piece is read from the parent in one
    /// call, this file's span of the block in one call, and this file's runs are copied over the parent's bytes.
    /// Other layouts use the generic run-by-run path (which already merges contiguous data runs).
    /// </summary>
    public override void Read(long virtualOffset, Span<byte> buffer)
    {
        if (_table is null || _footer.DiskType != VhdDiskType.Differencing)
        {
            base.Read(virtualOffset, buffer);
            return;
        }
        long blockSize = _table.BlockSize;
        int done = 0;
        while (done < buffer.Length)
        {
            long offset = virtualOffset + done;
            long within = offset % blockSize;
            int piece = (int)Math.Min(Math.Min(buffer.Length - done, blockSize - within), MaxOverlayPiece);
            var target = buffer.Slice(done, piece);
            if (!TryOverlayRead(offset, target)) base.Read(offset, target);
            done += piece;
        }
    }

    /// <summary>The overlay read of one piece inside one block; false when the piece has at most one run of each kind (the generic path is then as good).</summary>
    private bool TryOverlayRead(long offset, Span<byte> target)
    {
        long block = offset / _table!.BlockSize;
        uint entry = _table[block];
        if (entry == VhdBlockTable.Unallocated) return false;
        int dataRuns = 0, parentRuns = 0;
        for (long pos = 0; pos < target.Length;)
        {
            var run = MapRun(offset + pos, target.Length - pos);
            if (run.Kind == RunKind.Data) dataRuns++; else parentRuns++;
            pos += run.Length;
        }
        // Few or long runs: one call per run is cheap and reads no byte twice.
        if (dataRuns <= 1 || parentRuns <= 1 || target.Length / (dataRuns + parentRuns) >= OverlayRunThreshold) return false;

        var parent = Parent;
        if (parent is not null) parent.Read(offset, target);
        else if (ParentsOmitted) return false; // the generic path reports the first sector that needs the parent
        else target.Clear();

        long within = offset - block * _table.BlockSize;
        long fileStart = (long)entry * 512 + _table.BitmapSize + within;
        byte[] own = ArrayPool<byte>.Shared.Rent(target.Length);
        try
        {
            Source.ReadExactlyAt(fileStart, own.AsSpan(0, target.Length));
            for (long pos = 0; pos < target.Length;)
            {
                var run = MapRun(offset + pos, target.Length - pos);
                if (run.Kind == RunKind.Data) own.AsSpan((int)pos, (int)run.Length).CopyTo(target.Slice((int)pos, (int)run.Length));
                pos += run.Length;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(own);
        }
        return true;
    }

    /// <summary>
    /// Blocks with the unused BAT entry 0xFFFFFFFF (VHD spec "Block Allocation Table") read from the parent of a
    /// differencing disk and as zeros otherwise (see <see cref="MapRun"/>); <see cref="VhdBlockTable.NextAllocated"/> finds the next used one.
    /// </summary>
    protected override long EmptyBlocksEnd(long blockStart, long end, RunKind kind)
    {
        if (_table is null || kind != (_footer.DiskType == VhdDiskType.Differencing ? RunKind.Parent : RunKind.Zero)) return blockStart;
        long blockSize = _table.BlockSize;
        if (blockStart % blockSize != 0 || end <= blockStart) return blockStart;
        long next = _table.NextAllocated(blockStart / blockSize, (end + blockSize - 1) / blockSize);
        return Math.Min(end, next * blockSize);
    }

    protected override Run MapRun(long virtualOffset, long maxLength)
    {
        if (_table is null) return Run.Data(maxLength, virtualOffset);
        var table = _table;
        long blockSize = table.BlockSize;
        long block = virtualOffset / blockSize;
        long within = virtualOffset - block * blockSize;
        long inBlock = Math.Min(maxLength, blockSize - within);
        uint entry = table[block];
        bool differencing = _footer.DiskType == VhdDiskType.Differencing;
        if (entry == VhdBlockTable.Unallocated)
        {
            // Merge following unallocated blocks into one run (bounded by maxLength), found by a bulk scan of the table.
            long length = inBlock;
            if (length < maxLength)
            {
                long lastBlock = (virtualOffset + maxLength - 1) / blockSize; // the block holding the run's last byte
                long next = table.NextAllocated(block + 1, Math.Min(lastBlock + 1, table.EntryCount));
                length = Math.Min(maxLength, next * blockSize - virtualOffset);
            }
            return differencing ? Run.FromParent(length) : Run.Zero(length);
        }

        long dataStart = (long)entry * 512 + table.BitmapSize;
        byte state = table.GetBitmapState(block);
        if (state == StateUnknown) state = ClassifyBitmap(block, entry);
        if (state == StateAllSet) return Run.Data(inBlock, dataStart + within);
        if (state == StateAllClear) return differencing ? Run.FromParent(inBlock) : Run.Zero(inBlock);

        // Mixed: the longest run of equal bits from this sector, within the block and maxLength (bitmap MSB first).
        int firstSector = (int)(within / 512);
        long endByte = within + inBlock;
        int lastSector = (int)((endByte + 511) / 512); // exclusive
        var cached = table.GetCachedBitmap(block);
        if (cached is not null) return MixedRun(cached, 0, firstSector, lastSector, within, endByte, dataStart, differencing);
        if (table.BitmapSize <= 4096)
        {
            var bitmap = new byte[(int)((table.UsedBlockBytes(block) + 511) / 512 + 7) / 8];
            Source.ReadExactlyAt((long)entry * 512, bitmap);
            table.CacheBitmap(block, bitmap);
            return MixedRun(bitmap, 0, firstSector, lastSector, within, endByte, dataStart, differencing);
        }
        // Huge blocks: read only the bitmap bytes this range needs.
        int firstByte = firstSector / 8, lastByte = (lastSector + 7) / 8;
        byte[] rented = ArrayPool<byte>.Shared.Rent(lastByte - firstByte);
        try
        {
            Source.ReadExactlyAt((long)entry * 512 + firstByte, rented.AsSpan(0, lastByte - firstByte));
            return MixedRun(rented.AsSpan(0, lastByte - firstByte), firstByte * 8, firstSector, lastSector, within, endByte, dataStart, differencing);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The run from <paramref name="firstSector"/>: sectors whose bit equals the first one's, up to <paramref name="lastSector"/>.
    /// <paramref name="bits"/> holds the bitmap from sector <paramref name="bitsBase"/> on.
    /// </summary>
    private static Run MixedRun(ReadOnlySpan<byte> bits, int bitsBase, int firstSector, int lastSector, long within, long endByte, long dataStart, bool differencing)
    {
        bool set = Bit(bits, firstSector - bitsBase);
        int s = firstSector + 1;
        while (s < lastSector)
        {
            int rel = s - bitsBase;
            if ((rel & 7) == 0)
            {
                // Skip whole bytes that match.
                var rest = bits[(rel >> 3)..];
                int diff = set ? rest.IndexOfAnyExcept((byte)0xFF) : rest.IndexOfAnyExcept((byte)0);
                if (diff < 0) { s = lastSector; break; }
                s += diff * 8;
                if (s >= lastSector) break;
                rel = s - bitsBase;
            }
            if (Bit(bits, rel) != set) break;
            s++;
        }
        long runEnd = Math.Min((long)Math.Min(s, lastSector) * 512, endByte);
        long length = runEnd - within;
        if (set) return Run.Data(length, dataStart + within);
        return differencing ? Run.FromParent(length) : Run.Zero(length);
    }

    private static bool Bit(ReadOnlySpan<byte> bits, int index) => (bits[index >> 3] & (0x80 >> (index & 7))) != 0;

    /// <summary>Reads a block's sector bitmap once and caches whether it is all set, all clear or mixed (only the bits the virtual size uses count).</summary>
    private byte ClassifyBitmap(long block, uint entry)
    {
        var table = _table!;
        long sectors = (long)(table.UsedBlockBytes(block) + 511) / 512;
        int bytes = (int)((sectors + 7) / 8);
        byte[] rented = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            var bits = rented.AsSpan(0, bytes);
            Source.ReadExactlyAt((long)entry * 512, bits);
            int full = (int)(sectors / 8);
            int tail = (int)(sectors % 8);
            byte mask = (byte)(0xFF << (8 - tail));
            byte state;
            if (!bits[..full].ContainsAnyExcept((byte)0xFF) && (tail == 0 || (bits[full] & mask) == mask)) state = StateAllSet;
            else if (!bits[..full].ContainsAnyExcept((byte)0) && (tail == 0 || (bits[full] & mask) == 0)) state = StateAllClear;
            else state = StateMixed;
            table.SetBitmapState(block, state);
            return state;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override (long AllocatedBytes, long Blocks, long AllocatedBlocks) Allocation
    {
        get
        {
            if (_table is null) return (VirtualSize, 0, 0);
            long allocated = _table.CountAllocated();
            return (allocated * (_table.BlockSize + (long)_table.BitmapSize), _table.EntryCount, allocated);
        }
    }

    public override IReadOnlyList<VirtualDiskDiagnostic> Verify()
    {
        if (_table is null) return [];
        try
        {
            var failure = _table.CheckOverlaps();
            return failure is null ? [] : [failure];
        }
        catch (VirtualDiskException e)
        {
            return [e.Diagnostic];
        }
    }

    public override VirtualDiskFileInfo Describe()
    {
        long blocks = 0, allocatedBlocks = 0;
        if (_table is not null)
        {
            blocks = _table.EntryCount;
            try { allocatedBlocks = _table.CountAllocated(); } catch (VirtualDiskException) { allocatedBlocks = -1; }
        }
        bool differencing = _footer.DiskType == VhdDiskType.Differencing;
        return new VirtualDiskFileInfo
        {
            Path = File.Path,
            Format = VirtualDiskFormat.Vhd,
            Subtype = Subtype,
            VirtualSize = VirtualSize,
            FileSize = File.Length,
            BlockSize = BlockSize,
            Identifier = _footer.UniqueId,
            Creator = VhdFooter.TagText(_footer.CreatorApplication),
            CreatorVersion = $"{_footer.CreatorVersion >> 16}.{_footer.CreatorVersion & 0xFFFF}",
            CreatorHostOs = VhdFooter.TagText(_footer.CreatorHostOs),
            Timestamp = VhdFooter.ToDate(_footer.TimeStamp),
            Geometry = new DiskGeometry(_footer.Cylinders, _footer.Heads, _footer.SectorsPerTrack),
            OriginalSize = (long)Math.Min(_footer.OriginalSize, long.MaxValue),
            ParentIdentifier = differencing ? _header.ParentUniqueId : null,
            ParentTimestamp = differencing ? VhdFooter.ToDate(_header.ParentTimeStamp) : null,
            ParentName = differencing ? _parentName : null,
            ParentLocators = differencing ? _locators.Select(l => $"{l.Kind}: {l.Path}").ToArray() : [],
            BlockCount = blocks,
            AllocatedBlockCount = allocatedBlocks,
        };
    }

    /// <summary>True when the footer was the 511-byte form of Virtual PC before 2004.</summary>
    public bool ShortFooter => _shortFooter;
}

using VirtualDiskManaged.Host;
using VirtualDiskManaged.IO;

namespace VirtualDiskManaged.Vhdx;

/// <summary>
/// A parsed VHDX file: fixed, dynamic or differencing, 512 or 4096-byte logical sectors. Payload and sector bitmaps
/// are read through <see cref="DiskLayer.Source"/> (the file, or the replayed log overlay).
/// </summary>
internal sealed class VhdxLayer : DiskLayer
{
    private readonly VhdxBlockTable _bat;
    private readonly VhdxHeader _header;
    private readonly VhdxFileParameters _parameters;
    private readonly Guid? _virtualDiskId;
    private readonly VhdxParentLocator? _locator;
    private readonly ParentLink? _parentLink;
    private readonly bool _logReplayed;

    public VhdxLayer(HostFile file, FileView source, VhdxHeader header, VhdxFileParameters parameters, long virtualSize,
        int logicalSectorSize, int physicalSectorSize, Guid? virtualDiskId, VhdxParentLocator? locator,
        VhdxBlockTable bat, bool logReplayed) : base(file, source)
    {
        _header = header;
        _parameters = parameters;
        VirtualSize = virtualSize;
        LogicalSectorSize = logicalSectorSize;
        PhysicalSectorSize = physicalSectorSize;
        _virtualDiskId = virtualDiskId;
        _locator = locator;
        _bat = bat;
        _logReplayed = logReplayed;
        if (parameters.HasParent && locator is not null) _parentLink = BuildParentLink(locator);
    }

    public override long VirtualSize { get; }

    public override uint DeviceId => VirtualStorageDeviceId.Vhdx;

    /// <summary>PROVIDER_SUBTYPE: HasParent → differencing (4); LeaveBlockAllocated → fixed (2); else dynamic (3).</summary>
    public override VirtualDiskProviderSubtype Subtype => _parameters.HasParent ? VirtualDiskProviderSubtype.Differencing
        : _parameters.LeaveBlockAllocated ? VirtualDiskProviderSubtype.Fixed : VirtualDiskProviderSubtype.Dynamic;

    public override int LogicalSectorSize { get; }

    public override int PhysicalSectorSize { get; }

    public override uint BlockSize => _parameters.BlockSize;

    /// <summary>
    /// IDENTIFIER is the DataWriteGuid: it is what a child's parent_linkage records, so IDENTIFIER of a parent equals
    /// PARENT_IDENTIFIER of its child, as for VHD (docs/decisions.md, VHDX quirk 10). VIRTUAL_DISK_ID carries the page 83 GUID.
    /// </summary>
    public override Guid Identifier => _header.DataWriteGuid;

    /// <summary>Every VHDX structure and block sits on a 1 MiB boundary (MS-VHDX §2.2.3.2, §2.5).</summary>
    public override bool Is4KAligned => true;

    public override ParentLink? ParentLink => _parentLink;

    internal VhdxBlockTable BlockTable => _bat;

    public override (long AllocatedBytes, long Blocks, long AllocatedBlocks) Allocation => _bat.Allocation;

    public override IReadOnlyList<VirtualDiskDiagnostic> Verify() => _bat.Verify();

    public override Guid? VirtualDiskId => _virtualDiskId;

    public override VirtualDiskFileInfo Describe()
    {
        // The creator string is for display only: decoded here, not at open (open stays allocation-light).
        Span<byte> identifier = stackalloc byte[VhdxFileIdentifier.Size];
        string? creator = File.TryReadExactlyAt(0, identifier) ? VhdxFileIdentifier.ReadCreator(identifier) : null;
        var (_, blocks, allocatedBlocks) = _bat.Allocation;
        var locators = new List<string>();
        if (_locator is not null)
            foreach (var kv in _locator.Entries) locators.Add($"{kv.Key}: {kv.Value}");
        return new VirtualDiskFileInfo
        {
            Path = File.Path,
            Format = VirtualDiskFormat.Vhdx,
            Subtype = Subtype,
            VirtualSize = VirtualSize,
            FileSize = File.Length,
            BlockSize = BlockSize,
            LogicalSectorSize = LogicalSectorSize,
            PhysicalSectorSize = PhysicalSectorSize,
            Identifier = Identifier,
            VirtualDiskId = _virtualDiskId,
            FileWriteGuid = _header.FileWriteGuid,
            LogGuid = _header.LogGuid,
            Creator = creator,
            ParentIdentifier = _parentLink?.ParentIdentifier,
            ParentLocators = locators,
            LogReplayed = _logReplayed,
            BlockCount = blocks,
            AllocatedBlockCount = allocatedBlocks,
        };
    }

    /// <summary>
    /// MS-VHDX §2.6.2.6.3; docs/open-path.md §10: relative_path, volume_path, absolute_win32_path in that order; the parent is recognised by
    /// its DataWriteGuid equal to parent_linkage (or parent_linkage2). A VHDX child's parent is a VHDX.
    /// </summary>
    private static ParentLink BuildParentLink(VhdxParentLocator locator)
    {
        var locators = new List<ParentLocator>(3);
        if (locator.RelativePath is { Length: > 0 } relative) locators.Add(new("relative_path", relative, IsRelative: true));
        if (locator.VolumePath is { Length: > 0 } volume) locators.Add(new("volume_path", volume, IsRelative: false, WindowsOnly: true));
        if (locator.AbsoluteWin32Path is { Length: > 0 } absolute)
        {
            // Drive-letter and \\?\ paths are meaningful on Windows only; tools on Linux write POSIX paths here too.
            string trimmed = absolute.StartsWith(@"\\?\", StringComparison.Ordinal) ? absolute[4..] : absolute;
            bool windowsOnly = (trimmed.Length >= 2 && char.IsAsciiLetter(trimmed[0]) && trimmed[1] == ':') || trimmed.StartsWith(@"\\", StringComparison.Ordinal)
                || trimmed.StartsWith("Volume{", StringComparison.OrdinalIgnoreCase);
            locators.Add(new("absolute_win32_path", absolute, IsRelative: false, WindowsOnly: windowsOnly));
        }
        Guid linkage = locator.ParentLinkage;
        Guid? linkage2 = locator.ParentLinkage2;
        return new ParentLink
        {
            Locators = locators,
            ParentDeviceId = VirtualStorageDeviceId.Vhdx,
            ParentIdentifier = linkage,
            Verify = parent =>
            {
                if (parent is not VhdxLayer)
                    return (VirtualDiskErrorReason.ParentFormatMismatch, "The parent of a VHDX must be a VHDX");
                if (parent.Identifier == linkage || (linkage2 is { } l2 && parent.Identifier == l2))
                    return (VirtualDiskErrorReason.None, null);
                return (VirtualDiskErrorReason.ParentIdMismatch,
                    $"The parent's DataWriteGuid is {VhdxParentLocator.Format(parent.Identifier)}; the child's parent_linkage is {VhdxParentLocator.Format(linkage)}"
                    + (linkage2 is { } g ? $" (parent_linkage2 {VhdxParentLocator.Format(g)})" : ""));
            },
        };
    }

    /// <summary>Maps a virtual offset to a run within one payload block (MS-VHDX §2.4, §2.5: read resolution).</summary>
    protected override Run MapRun(long virtualOffset, long maxLength)
    {
        long blockSize = _bat.BlockSize;
        long block = virtualOffset / blockSize;
        long inBlock = virtualOffset - block * blockSize;
        long length = Math.Min(maxLength, blockSize - inBlock);
        var entry = _bat[VhdxBlockTable.PayloadIndex(block, _bat.ChunkRatio)];
        switch (entry.PayloadState)
        {
            case VhdxPayloadState.FullyPresent:
                return DataRun(entry.FileOffset + inBlock, length);
            case VhdxPayloadState.PartiallyPresent:
                return PartialRun(block, inBlock, entry.FileOffset, length);
            case VhdxPayloadState.NotPresent:
                // Differencing: not in this file, read the parent. Fixed/dynamic: undefined contents, read as zeros.
                return _parameters.HasParent ? Run.FromParent(length) : Run.Zero(length);
            default:
                // UNDEFINED, ZERO, UNMAPPED (and the draft's 5) read as zeros; state 4 was refused when the page loaded.
                return Run.Zero(length);
        }
    }

    /// <summary>
    /// The stretch of blocks from <paramref name="blockStart"/> that read as <paramref name="kind"/> by their BAT entry's
    /// state alone (see <see cref="MapRun"/>, MS-VHDX §2.5.1.1), found by <see cref="VhdxBlockTable.NextEntryAbove"/>:
    /// without a parent, the states NOT_PRESENT, UNDEFINED, ZERO and UNMAPPED all read as zeros (qemu-img marks the
    /// blocks of a new dynamic disk ZERO, Windows NOT_PRESENT); with one, NOT_PRESENT reads from the parent. Entries
    /// with an offset or a reserved bit set stop the scan and are mapped one by one. Sector bitmap entries between the
    /// payload entries describe no payload and are stepped over.
    /// </summary>
    protected override long EmptyBlocksEnd(long blockStart, long end, RunKind kind)
    {
        ulong max;
        if (!_parameters.HasParent && kind == RunKind.Zero) max = (ulong)VhdxPayloadState.Unmapped;
        else if (_parameters.HasParent && kind == RunKind.Parent) max = (ulong)VhdxPayloadState.NotPresent;
        else return blockStart;
        long blockSize = _bat.BlockSize;
        if (blockStart % blockSize != 0 || end <= blockStart) return blockStart;
        long block = blockStart / blockSize;
        long endBlock = Math.Min(_bat.DataBlockCount, (end + blockSize - 1) / blockSize);
        long ratio = _bat.ChunkRatio;
        long to = VhdxBlockTable.PayloadIndex(endBlock - 1, ratio) + 1;
        while (block < endBlock)
        {
            long index = _bat.NextEntryAbove(VhdxBlockTable.PayloadIndex(block, ratio), to, max);
            if (index >= to) { block = endBlock; break; }
            if (!_bat.IsBitmapIndex(index)) { block = _bat.BlockOfIndex(index); break; }
            _ = _bat[index]; // a non-zero bitmap entry: its page loads and is validated (MS-VHDX §2.5.1.2), as a per-block walk would have
            block = _bat.BlockOfIndex(index + 1); // the first block of the next chunk
        }
        return Math.Min(end, block * blockSize);
    }

    /// <summary>Payload bytes at <paramref name="fileOffset"/>; the part of a short last block beyond the file reads as zeros.</summary>
    private Run DataRun(long fileOffset, long length)
    {
        long available = Source.Length - fileOffset;
        if (available <= 0) return Run.Zero(length);
        return Run.Data(Math.Min(length, available), fileOffset);
    }

    /// <summary>Cached sector bitmaps of partially present blocks are kept up to this many bytes per layer; beyond it they are re-read.</summary>
    internal const long BitmapCacheLimit = 64L << 20;

    private System.Collections.Concurrent.ConcurrentDictionary<long, byte[]>? _bitmaps;
    private long _cachedBitmapBytes;

    /// <summary>
    /// The sector bitmap bits of <paramref name="block"/> (one bit per logical sector, LSB first), read once per block
    /// and published immutable; null when the cache budget is spent. Its size is fixed by the validated block and
    /// sector sizes (at most 256 MiB / 512 / 8 = 64 KiB).
    /// </summary>
    private byte[]? BlockBitmap(long block, long bitmapBlockOffset, long sectorsPerBlock)
    {
        var map = Volatile.Read(ref _bitmaps);
        if (map is not null && map.TryGetValue(block, out var hit)) return hit;
        int bytes = (int)(sectorsPerBlock / 8);
        if (Interlocked.Add(ref _cachedBitmapBytes, bytes) > BitmapCacheLimit)
        {
            Interlocked.Add(ref _cachedBitmapBytes, -bytes);
            return null;
        }
        var bits = new byte[bytes];
        Source.ReadExactlyAt(bitmapBlockOffset + (block % _bat.ChunkRatio) * (sectorsPerBlock / 8), bits);
        if (map is null)
        {
            Interlocked.CompareExchange(ref _bitmaps, new System.Collections.Concurrent.ConcurrentDictionary<long, byte[]>(), null);
            map = Volatile.Read(ref _bitmaps)!;
        }
        var published = map.GetOrAdd(block, bits);
        if (!ReferenceEquals(published, bits)) Interlocked.Add(ref _cachedBitmapBytes, -bytes);
        return published;
    }

    /// <summary>
    /// Write path (docs/write.md): publishes the current sector-bitmap bits of <paramref name="block"/> (an immutable
    /// array), outside the cache budget, so readers never fall back to the file's bits, which lag until the next commit.
    /// </summary>
    internal void PublishBlockBitmap(long block, byte[] bits)
    {
        var map = Volatile.Read(ref _bitmaps);
        if (map is null)
        {
            Interlocked.CompareExchange(ref _bitmaps, new System.Collections.Concurrent.ConcurrentDictionary<long, byte[]>(), null);
            map = Volatile.Read(ref _bitmaps)!;
        }
        if (!map.ContainsKey(block)) Interlocked.Add(ref _cachedBitmapBytes, bits.Length);
        map[block] = bits;
    }

    /// <summary>How many bits from <paramref name="start"/> (at most <paramref name="limit"/>) equal <paramref name="set"/>; whole bytes are skipped vectorised.</summary>
    private static long SameBits(ReadOnlySpan<byte> bits, long start, long limit, bool set)
    {
        long i = start, end = start + limit;
        byte uniform = set ? (byte)0xFF : (byte)0;
        while (i < end)
        {
            if ((i & 7) == 0 && i + 8 <= end)
            {
                int from = (int)(i >> 3), to = (int)(end >> 3);
                int diff = bits[from..to].IndexOfAnyExcept(uniform);
                if (diff < 0) { i = (long)to << 3; continue; }
                i = (long)(from + diff) << 3;
            }
            if (((bits[(int)(i >> 3)] & (1 << (int)(i & 7))) != 0) != set) break;
            i++;
        }
        return i - start;
    }

    /// <summary>A partially present block: the chunk's sector bitmap says, per logical sector, this file (1) or the parent (0).</summary>
    private Run PartialRun(long block, long inBlock, long blockOffset, long length)
    {
        var bitmapEntry = _bat[_bat.BitmapIndexOfBlock(block)];
        if (bitmapEntry.State != VhdxBatEntry.SbPresent)
            ThrowHelper.Throw(VirtualDiskErrorReason.VhdxSectorBitmapMissing, File.Path,
                $"Block {block} is partially present but the sector bitmap of chunk {block / _bat.ChunkRatio} is not");

        int sectorSize = LogicalSectorSize;
        long sectorsPerBlock = _bat.BlockSize / sectorSize;
        long sectorInBlock = inBlock / sectorSize;
        long bit = (block % _bat.ChunkRatio) * sectorsPerBlock + sectorInBlock; // bit k of the chunk's bitmap, LSB first (MS-VHDX §2.5)
        long sectorsWanted = Math.Min(sectorsPerBlock - sectorInBlock, (inBlock % sectorSize + length + sectorSize - 1) / sectorSize);

        // The block's part of the chunk bitmap (BlockSize / sector size / 8 bytes: 512 B for 2 MiB blocks), read once and
        // kept while the cache budget allows; a run is then found without a read.
        var cached = BlockBitmap(block, bitmapEntry.FileOffset, sectorsPerBlock);
        if (cached is not null)
        {
            bool set = (cached[(int)(sectorInBlock >> 3)] & (1 << (int)(sectorInBlock & 7))) != 0;
            long equal = SameBits(cached, sectorInBlock, sectorsWanted, set);
            long run = Math.Min(length, equal * sectorSize - inBlock % sectorSize);
            return set ? DataRun(blockOffset + inBlock, run) : Run.FromParent(run);
        }

        Span<byte> bits = stackalloc byte[512];
        long firstByte = bit / 8;
        int bytes = (int)Math.Min(bits.Length, (bit % 8 + sectorsWanted + 7) / 8);
        Source.ReadExactlyAt(bitmapEntry.FileOffset + firstByte, bits[..bytes]);
        long limit = Math.Min(sectorsWanted, (long)bytes * 8 - bit % 8);
        bool present = (bits[0] & (1 << (int)(bit % 8))) != 0;
        long count = 1;
        byte same = present ? (byte)0xFF : (byte)0x00;
        while (count < limit)
        {
            long b = bit % 8 + count;
            // Whole bytes of equal bits at a time, then bit by bit.
            if (b % 8 == 0 && count + 8 <= limit && bits[(int)(b / 8)] == same) { count += 8; continue; }
            if (((bits[(int)(b / 8)] >> (int)(b % 8)) & 1) != (present ? 1 : 0)) break;
            count++;
        }
        long runLength = Math.Min(length, count * sectorSize - inBlock % sectorSize);
        return present ? DataRun(blockOffset + inBlock, runLength) : Run.FromParent(runLength);
    }
}

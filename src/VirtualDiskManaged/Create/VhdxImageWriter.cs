using System.Buffers.Binary;
using VirtualDiskManaged.Vhdx;

namespace VirtualDiskManaged.Create;

/// <summary>
/// Writes a new VHDX laid out as Hyper-V lays it out (MS-VHDX §2.1; docs/create.md): the 1 MiB header section (file
/// type identifier, two headers, two region tables), the log at 1 MiB (1 MiB, empty: LogGuid is zero, §2.3), the
/// metadata region at 2 MiB (1 MiB), the BAT at 3 MiB (its length rounded up to 1 MiB), and payload blocks from the
/// end of the BAT region (4 MiB for disks up to 128 GiB in 32 MiB blocks), every object 1 MiB aligned.
/// <list type="bullet">
/// <item>dynamic and differencing: every BAT entry PAYLOAD_BLOCK_NOT_PRESENT / SB_BLOCK_NOT_PRESENT (all zero, so the
/// region is left as a hole and creation takes the same time for any size); the file ends at the BAT region's end;</item>
/// <item>fixed: every payload entry PAYLOAD_BLOCK_FULLY_PRESENT at consecutive offsets, sector bitmap entries
/// SB_BLOCK_NOT_PRESENT (§2.5.1.1, §2.5.1.2), the file extended to the last block's end; File Parameters has
/// LeaveBlockAllocated set (§2.6.2.1);</item>
/// <item>a source copy into a dynamic disk allocates FULLY_PRESENT blocks at the end of the file, in order, only for
/// units that hold a non-zero byte.</item>
/// </list>
/// </summary>
internal sealed class VhdxImageWriter : ImageWriter
{
    private const long MiB = VhdxConstants.MiB;
    private const long LogOffset = 1 * MiB, MetadataOffset = 2 * MiB, BatOffset = 3 * MiB;
    private const uint LogLength = (uint)MiB;
    private const int BatPage = 4096;
    private const ulong FullyPresent = (ulong)VhdxPayloadState.FullyPresent;

    private readonly ParentInfo? _parent;
    private readonly Guid _virtualDiskId;
    private readonly bool _fixed;
    private readonly long _blocks, _chunkRatio, _batEntries, _batLength, _dataStart;
    private readonly Dictionary<long, byte[]> _batPages = [];
    private long _end;

    public VhdxImageWriter(CreatePlan plan, ParentInfo? parent, Guid virtualDiskId) : base(plan)
    {
        _parent = parent;
        _virtualDiskId = virtualDiskId;
        _fixed = plan.Subtype == VirtualDiskProviderSubtype.Fixed;
        // §2.4 / §2.5: chunk ratio = 2^23 · logical sector size / block size; BAT entries interleave one sector
        // bitmap entry after every chunk-ratio payload entries.
        _chunkRatio = VhdxConstants.SectorsPerChunk * plan.LogicalSectorSize / plan.BlockSize;
        _blocks = (plan.Size + plan.BlockSize - 1) / plan.BlockSize;
        long bitmapBlocks = (_blocks + _chunkRatio - 1) / _chunkRatio;
        _batEntries = parent is not null ? bitmapBlocks * (_chunkRatio + 1) : _blocks + (_blocks - 1) / _chunkRatio;
        _batLength = Align(_batEntries * VhdxBatEntry.Size, MiB);
        _dataStart = BatOffset + _batLength;
        _end = _dataStart;
    }

    public override int CopyUnit => (int)Plan.BlockSize;

    public override long FinalFileLength => _fixed ? _dataStart + _blocks * Plan.BlockSize : _end;

    protected override void Begin()
    {
        var section = new byte[VhdxConstants.RegionTableSize];
        // §2.2.1 file type identifier at 0.
        VhdxHeaderWriter.WriteFileIdentifier(section);
        Target.Write(0, section.AsSpan(0, VhdxFileIdentifier.Size));
        // §2.2.2 two headers with consecutive sequence numbers and the same GUIDs, as Windows leaves a new file.
        var fileWrite = Guid.NewGuid();
        var dataWrite = Guid.NewGuid();
        VhdxHeaderWriter.WriteHeader(section, 1, fileWrite, dataWrite, LogOffset, LogLength);
        Target.Write(VhdxConstants.Header1Offset, section.AsSpan(0, VhdxConstants.HeaderSize));
        VhdxHeaderWriter.WriteHeader(section, 2, fileWrite, dataWrite, LogOffset, LogLength);
        Target.Write(VhdxConstants.Header2Offset, section.AsSpan(0, VhdxConstants.HeaderSize));
        // §2.2.3 two identical region tables.
        VhdxRegionTableWriter.Write(section, new VhdxRegion(BatOffset, _batLength), new VhdxRegion(MetadataOffset, MiB));
        Target.Write(VhdxConstants.RegionTable1Offset, section);
        Target.Write(VhdxConstants.RegionTable2Offset, section);

        // §2.6 metadata region.
        VhdxLocatorValues? locator = _parent is null ? null : LocatorValues(_parent, Plan.Path, _parent.Identifier);
        var metadata = new byte[2 * VhdxConstants.MetadataTableSize + 3 * 65536];
        int used = VhdxMetadataWriter.Write(metadata, Plan.BlockSize, _fixed, _parent is not null, Plan.Size,
            Plan.LogicalSectorSize, Plan.PhysicalSectorSize, _virtualDiskId, locator);
        Target.Write(MetadataOffset, metadata.AsSpan(0, used));

        if (_fixed) WriteFixedBat();
        Target.SetLength(FinalFileLength);
    }

    /// <summary>
    /// The parent locator's values for a child at <paramref name="childPath"/> (MS-VHDX §2.6.2.6.3): relative_path,
    /// volume_path where the host has volume GUIDs, absolute_win32_path (with the \\?\ prefix on Windows). Also used by set-parent.
    /// </summary>
    internal static VhdxLocatorValues LocatorValues(ParentInfo parent, string childPath, Guid linkage, Guid? linkage2 = null)
    {
        string absolute = parent.AbsolutePath;
        if (OperatingSystem.IsWindows() && !absolute.StartsWith(@"\\", StringComparison.Ordinal)) absolute = @"\\?\" + absolute;
        // volume_path (\\?\Volume{GUID}\...) needs the host's volume GUID: Windows has one, other hosts none (docs/create.md).
        string? volume = Host.WindowsNative.TryGetVolumeGuidPath(parent.AbsolutePath);
        return new VhdxLocatorValues(linkage, parent.RelativePathFrom(childPath), volume, absolute, linkage2);
    }

    /// <summary>Fixed disks: payload block b at data start + b · BlockSize, FULLY_PRESENT; bitmap entries zero.</summary>
    private void WriteFixedBat()
    {
        var buffer = new byte[MiB];
        long entry = 0;
        long block = 0;
        for (long pageStart = 0; pageStart < _batEntries * VhdxBatEntry.Size; pageStart += buffer.Length)
        {
            buffer.AsSpan().Clear();
            int count = (int)Math.Min(buffer.Length / VhdxBatEntry.Size, _batEntries - entry);
            for (int i = 0; i < count; i++, entry++)
            {
                if ((entry + 1) % (_chunkRatio + 1) == 0) continue; // a sector bitmap entry: SB_BLOCK_NOT_PRESENT
                long offset = _dataStart + block * Plan.BlockSize;
                BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(i * VhdxBatEntry.Size), FullyPresent | (ulong)offset);
                block++;
            }
            Target.Write(BatOffset + pageStart, buffer.AsSpan(0, count * VhdxBatEntry.Size));
        }
    }

    private long _currentBlock = -1, _currentOffset;

    public override void WriteData(long virtualOffset, ReadOnlySpan<byte> data)
    {
        if (_fixed)
        {
            Target.Write(_dataStart + virtualOffset, data);
            return;
        }
        long block = virtualOffset / Plan.BlockSize;
        if (block != _currentBlock)
        {
            // The block's first non-zero piece allocates it at the end of the file; the parts of the block no piece
            // covers are holes of the new file and read as zeros.
            _currentBlock = block;
            _currentOffset = _end;
            _end += Plan.BlockSize; // whole blocks (§2.4): a partial last block still takes a full block
            SetEntry(block, _currentOffset);
        }
        Target.Write(_currentOffset + (virtualOffset - block * Plan.BlockSize), data);
    }

    /// <summary>The payload entry of <paramref name="block"/>: FULLY_PRESENT at <paramref name="offset"/> (§2.5.1.1).</summary>
    private void SetEntry(long block, long offset)
    {
        long index = block + block / _chunkRatio;
        long byteOffset = index * VhdxBatEntry.Size;
        if (!_batPages.TryGetValue(byteOffset / BatPage, out var page)) _batPages[byteOffset / BatPage] = page = new byte[BatPage];
        // FileOffsetMB in bits 20–63: the offset is a 1 MiB multiple, so it is its own field value.
        BinaryPrimitives.WriteUInt64LittleEndian(page.AsSpan((int)(byteOffset % BatPage)), FullyPresent | (ulong)offset);
    }

    public override void Finish()
    {
        foreach (var (pageIndex, page) in _batPages) Target.Write(BatOffset + pageIndex * BatPage, page);
        if (!_fixed) Target.SetLength(_end);
    }
}

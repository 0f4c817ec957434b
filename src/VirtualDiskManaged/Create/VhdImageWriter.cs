using System.Buffers.Binary;
using System.Text;
using VirtualDiskManaged.Vhd;

namespace VirtualDiskManaged.Create;

/// <summary>
/// Writes a new VHD (VHD spec sections "Hard Disk Footer Format", "Dynamic Disk Header Format", "Block Allocation Table
/// and Data Blocks", "Implementing a Differencing Hard Disk"), laid out as Windows lays it out (docs/create.md):
/// <list type="bullet">
/// <item>fixed: <c>[data: Size bytes][footer]</c>;</item>
/// <item>dynamic: footer copy at 0, dynamic header at 512, BAT at 1536 (MaxTableEntries = ceil(Size / BlockSize) exactly,
/// padded with 0xFFFFFFFF to a 512-byte multiple), then the blocks;</item>
/// <item>differencing: footer copy, header, the W2ku locator data at 4 KiB (4096 bytes reserved), the BAT at the next
/// 4 KiB boundary, the W2ru locator data after it (65536 bytes reserved), then the blocks;</item>
/// <item>each block's data starts on a 4 KiB boundary with its 512-byte sector bitmap just before it, blocks are
/// 4 KiB + BlockSize apart, and the trailing footer sits where the next block's bitmap would go, so the file ends on a
/// 4 KiB boundary.</item>
/// </list>
/// </summary>
internal sealed class VhdImageWriter : ImageWriter
{
    private const int W2kuSpace = 4096, W2ruSpace = 65536, DataAlignment = 4096;
    private const int FixedCopyUnit = 4 << 20;

    private readonly ParentInfo? _parent;
    private readonly VhdDiskType _type;
    private readonly uint _timeStamp;
    private readonly uint _blockSize;
    private readonly uint _entries;
    private readonly long _tableOffset;
    private readonly byte[]? _bat;
    private readonly long _firstData;
    private readonly long _stride;
    private readonly List<VhdLocatorData> _locators = [];
    private long _allocated;

    public VhdImageWriter(CreatePlan plan, ParentInfo? parent) : base(plan)
    {
        _parent = parent;
        _type = plan.Subtype switch
        {
            VirtualDiskProviderSubtype.Fixed => VhdDiskType.Fixed,
            VirtualDiskProviderSubtype.Differencing => VhdDiskType.Differencing,
            _ => VhdDiskType.Dynamic,
        };
        _timeStamp = VhdFooterWriter.TimeStamp(DateTimeOffset.UtcNow);
        if (_type == VhdDiskType.Fixed) return;

        _blockSize = plan.BlockSize;
        // "Dynamic Disk Header Format": Max Table Entries = the number of blocks the disk needs (ceil), never more
        // (Azure refuses a BAT one entry longer).
        _entries = (uint)((plan.Size + _blockSize - 1) / _blockSize);
        long position = VhdFooter.Size + VhdDynamicHeader.Size;
        if (parent is not null)
        {
            string absolute = parent.AbsolutePath;
            position = Align(position, DataAlignment);
            _locators.Add(new(VhdParentLocatorEntry.CodeW2ku, Encoding.Unicode.GetBytes(absolute), position, (int)Math.Max(W2kuSpace, Align(absolute.Length * 2L, DataAlignment))));
            position += _locators[0].Space;
            position = Align(position, DataAlignment);
        }
        _tableOffset = position;
        int batBytes = (int)Align(_entries * 4L, 512);
        _bat = new byte[batBytes];
        _bat.AsSpan().Fill(0xFF); // 0xFFFFFFFF: block not allocated; the padding is 0xFF too
        position += batBytes;
        if (parent is not null)
        {
            position = Align(position, DataAlignment);
            string relative = parent.RelativePathFrom(plan.Path);
            _locators.Add(new(VhdParentLocatorEntry.CodeW2ru, Encoding.Unicode.GetBytes(relative), position, (int)Math.Max(W2ruSpace, Align(relative.Length * 2L, DataAlignment))));
            position += _locators[1].Space;
        }
        _firstData = Align(position + VhdDynamicHeader.BitmapSizeFor(_blockSize), DataAlignment);
        _stride = Align(VhdDynamicHeader.BitmapSizeFor(_blockSize), DataAlignment) + _blockSize;
    }

    private int BitmapSize => (int)VhdDynamicHeader.BitmapSizeFor(_blockSize);

    public override int CopyUnit => _type == VhdDiskType.Fixed ? FixedCopyUnit : (int)_blockSize;


    /// <summary>Where the trailing footer of a file with <paramref name="blocks"/> allocated blocks goes.</summary>
    private long FooterOffset(long blocks) => _firstData - BitmapSize + blocks * _stride;

    public override long FinalFileLength => _type == VhdDiskType.Fixed ? Plan.Size + VhdFooter.Size : FooterOffset(_allocated) + VhdFooter.Size;

    protected override void Begin()
    {
        if (_type == VhdDiskType.Fixed)
        {
            Target.SetLength(Plan.Size + VhdFooter.Size);
            return;
        }
        Span<byte> header = stackalloc byte[VhdDynamicHeader.Size];
        VhdDynamicHeaderWriter.Write(header, _tableOffset, _entries, _blockSize, _parent?.Identifier ?? Guid.Empty,
            parentTimeStamp: 0, ParentName(), _locators);
        Target.Write(VhdFooter.Size, header);
        foreach (var l in _locators) Target.Write(l.Offset, l.Data);
    }

    /// <summary>The parent's name: its absolute path as Windows writes it, or only its file name when the path exceeds 256 units.</summary>
    private string? ParentName() => _parent is null ? null : ParentNameOf(_parent.AbsolutePath);

    /// <summary>The Parent Unicode Name for a parent at <paramref name="absolutePath"/> (also used by set-parent).</summary>
    internal static string ParentNameOf(string absolutePath) =>
        absolutePath.Length <= VhdDynamicHeader.ParentUnicodeNameLength / 2 ? absolutePath : System.IO.Path.GetFileName(absolutePath);

    private long _currentBlock = -1, _currentData;
    private byte[]? _fullBitmap;

    public override void WriteData(long virtualOffset, ReadOnlySpan<byte> data)
    {
        if (_type == VhdDiskType.Fixed)
        {
            Target.Write(virtualOffset, data);
            return;
        }
        long block = virtualOffset / _blockSize;
        if (block != _currentBlock)
        {
            // The block's first non-zero piece allocates it at the end of the blocks so far.
            long bitmapOffset = _firstData - BitmapSize + _allocated * _stride;
            // "Block Allocation Table and Data Blocks": the BAT entry is the sector offset of the block's bitmap.
            BinaryPrimitives.WriteUInt32BigEndian(_bat.AsSpan((int)(block * 4)), (uint)(bitmapOffset / 512));
            // Dynamic disk: a set bit means the sector holds data; all of the block's sectors are marked, as qemu does
            // (the parts of the data area no piece covers are holes of the new file and read as zeros).
            if (_fullBitmap is null)
            {
                _fullBitmap = new byte[BitmapSize];
                _fullBitmap.AsSpan(0, (int)(_blockSize / 512 / 8)).Fill(0xFF);
            }
            Target.Write(bitmapOffset, _fullBitmap);
            _currentBlock = block;
            _currentData = bitmapOffset + BitmapSize;
            _allocated++;
        }
        Target.Write(_currentData + (virtualOffset - block * _blockSize), data);
    }

    public override void Finish()
    {
        Span<byte> footer = stackalloc byte[VhdFooter.Size];
        VhdFooterWriter.Write(footer, _type, Plan.Size, Plan.UniqueId, _timeStamp);
        if (_type == VhdDiskType.Fixed)
        {
            Target.Write(Plan.Size, footer);
            return;
        }
        Target.Write(0, footer); // the copy at offset 0 ("Dynamic Hard Disk Image": a copy of the footer at the start)
        Target.Write(_tableOffset, _bat);
        long footerOffset = FooterOffset(_allocated);
        Target.Write(footerOffset, footer);
        Target.SetLength(footerOffset + VhdFooter.Size);
    }
}

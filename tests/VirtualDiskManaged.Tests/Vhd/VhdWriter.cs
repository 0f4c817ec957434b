using System.Buffers.Binary;
using System.Text;

namespace VirtualDiskManaged.Tests.Vhd;

/// <summary>
/// Writes VHD images from the format description (fixed, dynamic, differencing) for tests: chosen ids and time stamps,
/// parent locators, and arbitrary sector contents. Independent of the library's parser (it writes, never reads).
/// Layout of sparse images: footer copy at 0, dynamic header at 512, BAT at 1536 (padded to 512 with 0xFF), parent
/// locator data, data blocks in block order, trailing footer. <see cref="Build"/> returns the bytes and where each
/// structure is, so corruption tests can patch fields and re-seal checksums with <see cref="VhdImage"/>.
/// </summary>
internal sealed class VhdWriter
{
    public const int Fixed = 2, Dynamic = 3, Differencing = 4;
    public const uint W2ru = 0x57327275, W2ku = 0x57326B75;

    private readonly SortedDictionary<long, byte[]> _sectors = []; // lba → 512 bytes written
    private readonly List<(uint Code, string Path)> _locators = [];

    private VhdWriter(int diskType, long size, uint blockSize)
    {
        DiskType = diskType;
        Size = size;
        BlockSize = blockSize;
    }

    /// <summary>A fixed disk of <paramref name="size"/> bytes.</summary>
    public static VhdWriter NewFixed(long size) => new(Fixed, size, 0);

    /// <summary>A dynamic disk of <paramref name="size"/> bytes in blocks of <paramref name="blockSize"/> (default 2 MiB).</summary>
    public static VhdWriter NewDynamic(long size, uint blockSize = 2 << 20) => new(Dynamic, size, blockSize);

    /// <summary>A differencing disk over <paramref name="parent"/> (same size, its id and time stamp recorded); locators are added with <see cref="Locator"/>.</summary>
    public static VhdWriter NewDifferencing(VhdWriter parent, uint blockSize = 2 << 20) =>
        new(Differencing, parent.Size, blockSize) { ParentUniqueId = parent.UniqueId, ParentTimeStamp = parent.TimeStamp };

    public int DiskType { get; }
    public long Size { get; }
    public uint BlockSize { get; }
    public Guid UniqueId { get; set; } = Guid.NewGuid();
    /// <summary>Seconds since 2000-01-01 UTC.</summary>
    public uint TimeStamp { get; set; } = 800_000_000;
    public string CreatorApplication { get; set; } = "vtst";
    public Guid ParentUniqueId { get; set; }
    public uint ParentTimeStamp { get; set; }
    /// <summary>The parent's Unicode name (UTF-16 BE in the header).</summary>
    public string ParentName { get; set; } = "";
    /// <summary>Number of BAT entries written (default: exactly what the size needs).</summary>
    public uint? MaxTableEntries { get; set; }

    /// <summary>Adds a parent locator (W2ru / W2ku are written UTF-16 LE).</summary>
    public VhdWriter Locator(uint code, string path)
    {
        _locators.Add((code, path));
        return this;
    }

    /// <summary>Writes <paramref name="data"/> (whole sectors) at <paramref name="offset"/> (sector aligned); in sparse disks this allocates blocks and sets bitmap bits.</summary>
    public VhdWriter Write(long offset, ReadOnlySpan<byte> data)
    {
        if (offset % 512 != 0 || data.Length % 512 != 0 || offset + data.Length > Size) throw new ArgumentException("whole sectors inside the disk");
        for (int i = 0; i < data.Length; i += 512) _sectors[(offset + i) / 512] = data.Slice(i, 512).ToArray();
        return this;
    }

    /// <summary>Fills <paramref name="length"/> bytes at <paramref name="offset"/> with <paramref name="value"/>.</summary>
    public VhdWriter Fill(long offset, int length, byte value)
    {
        var buffer = new byte[length];
        buffer.AsSpan().Fill(value);
        return Write(offset, buffer);
    }

    /// <summary>The virtual content a correct reader returns (parent content for sectors a differencing disk lacks).</summary>
    public byte[] ExpectedContent(byte[]? parentContent = null)
    {
        var content = parentContent is null ? new byte[Size] : (byte[])parentContent.Clone();
        foreach (var (lba, sector) in _sectors) sector.CopyTo(content, lba * 512);
        return content;
    }

    /// <summary>Lays the image out.</summary>
    public VhdImage Build()
    {
        var footer = new byte[512];
        if (DiskType == Fixed)
        {
            var bytes = new byte[Size + 512];
            foreach (var (lba, sector) in _sectors) sector.CopyTo(bytes, lba * 512);
            WriteFooter(footer, ulong.MaxValue);
            footer.CopyTo(bytes, Size);
            return new VhdImage(bytes, DiskType, FooterOffset: Size, HeaderOffset: -1, BatOffset: -1, new Dictionary<long, long>(), []);
        }

        uint needed = (uint)((Size + BlockSize - 1) / BlockSize);
        uint entries = MaxTableEntries ?? needed;
        long batOffset = 1536;
        long batBytes = ((long)entries * 4 + 511) / 512 * 512;
        long next = batOffset + batBytes;
        var locatorData = new List<(uint Code, byte[] Data, long Offset)>();
        foreach (var (code, path) in _locators)
        {
            byte[] data = code is W2ru or W2ku ? Encoding.Unicode.GetBytes(path) : Encoding.Latin1.GetBytes(path);
            locatorData.Add((code, data, next));
            next += Math.Max(512, (data.Length + 511) / 512 * 512);
        }
        long bitmapBytes = ((long)BlockSize / 512 / 8 + 511) / 512 * 512;
        var blocks = _sectors.Keys.Select(lba => lba * 512 / BlockSize).Distinct().ToList();
        var blockOffsets = new Dictionary<long, long>();
        foreach (long b in blocks)
        {
            blockOffsets[b] = next;
            next += bitmapBytes + BlockSize;
        }
        var image = new byte[next + 512];
        WriteFooter(footer, 512);
        footer.CopyTo(image, 0);
        footer.CopyTo(image, next);

        var header = image.AsSpan(512, 1024);
        "cxsparse"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt64BigEndian(header[8..], ulong.MaxValue);
        BinaryPrimitives.WriteUInt64BigEndian(header[16..], (ulong)batOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header[24..], 0x00010000);
        BinaryPrimitives.WriteUInt32BigEndian(header[28..], entries);
        BinaryPrimitives.WriteUInt32BigEndian(header[32..], BlockSize);
        if (DiskType == Differencing)
        {
            ParentUniqueId.TryWriteBytes(header[40..56], bigEndian: true, out _);
            BinaryPrimitives.WriteUInt32BigEndian(header[56..], ParentTimeStamp);
            var name = Encoding.BigEndianUnicode.GetBytes(ParentName);
            name.AsSpan(0, Math.Min(name.Length, 512)).CopyTo(header[64..]);
            for (int i = 0; i < locatorData.Count && i < 8; i++)
            {
                var entry = header.Slice(576 + 24 * i, 24);
                var (code, data, offset) = locatorData[i];
                BinaryPrimitives.WriteUInt32BigEndian(entry, code);
                BinaryPrimitives.WriteUInt32BigEndian(entry[4..], (uint)Math.Max(512, (data.Length + 511) / 512 * 512));
                BinaryPrimitives.WriteUInt32BigEndian(entry[8..], (uint)data.Length);
                BinaryPrimitives.WriteUInt64BigEndian(entry[16..], (ulong)offset);
                data.CopyTo(image, offset);
            }
        }
        VhdImage.Seal(header, 36);

        image.AsSpan((int)batOffset, (int)batBytes).Fill(0xFF);
        foreach (var (b, offset) in blockOffsets)
            BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan((int)(batOffset + b * 4)), (uint)(offset / 512));
        foreach (var (lba, sector) in _sectors)
        {
            long b = lba * 512 / BlockSize;
            long s = lba - b * (BlockSize / 512);
            long blockOffset = blockOffsets[b];
            image[blockOffset + s / 8] |= (byte)(0x80 >> (int)(s % 8));
            sector.CopyTo(image, blockOffset + bitmapBytes + s * 512);
        }
        return new VhdImage(image, DiskType, FooterOffset: next, HeaderOffset: 512, BatOffset: batOffset, blockOffsets,
            locatorData.Select(l => l.Offset).ToArray());
    }

    /// <summary>Builds and writes the image to <paramref name="path"/>; returns the layout.</summary>
    public VhdImage Save(string path)
    {
        var image = Build();
        File.WriteAllBytes(path, image.Bytes);
        return image;
    }

    private void WriteFooter(Span<byte> f, ulong dataOffset)
    {
        f.Clear();
        "conectix"u8.CopyTo(f);
        BinaryPrimitives.WriteUInt32BigEndian(f[8..], 2);
        BinaryPrimitives.WriteUInt32BigEndian(f[12..], 0x00010000);
        BinaryPrimitives.WriteUInt64BigEndian(f[16..], dataOffset);
        BinaryPrimitives.WriteUInt32BigEndian(f[24..], TimeStamp);
        Encoding.Latin1.GetBytes(CreatorApplication.PadRight(4)[..4]).CopyTo(f[28..]);
        BinaryPrimitives.WriteUInt32BigEndian(f[32..], 0x00010000);
        "Wi2k"u8.CopyTo(f[36..]);
        BinaryPrimitives.WriteUInt64BigEndian(f[40..], (ulong)Size);
        BinaryPrimitives.WriteUInt64BigEndian(f[48..], (ulong)Size);
        BinaryPrimitives.WriteUInt16BigEndian(f[56..], 65535);
        f[58] = 16;
        f[59] = 255;
        BinaryPrimitives.WriteUInt32BigEndian(f[60..], (uint)DiskType);
        UniqueId.TryWriteBytes(f[68..84], bigEndian: true, out _);
        VhdImage.Seal(f, 64);
    }
}

/// <summary>A built VHD image and where its structures are, with helpers to patch fields and re-seal checksums.</summary>
internal sealed record VhdImage(byte[] Bytes, int DiskType, long FooterOffset, long HeaderOffset, long BatOffset,
    IReadOnlyDictionary<long, long> BlockOffsets, long[] LocatorOffsets)
{
    /// <summary>Sets the one's-complement byte-sum checksum of a footer (offset 64) or dynamic header (offset 36).</summary>
    public static void Seal(Span<byte> structure, int checksumOffset)
    {
        structure.Slice(checksumOffset, 4).Clear();
        uint sum = 0;
        foreach (byte b in structure) sum += b;
        BinaryPrimitives.WriteUInt32BigEndian(structure[checksumOffset..], ~sum);
    }

    public Span<byte> TrailingFooter => Bytes.AsSpan((int)FooterOffset, 512);
    public Span<byte> FooterCopy => Bytes.AsSpan(0, 512);
    public Span<byte> Header => Bytes.AsSpan((int)HeaderOffset, 1024);

    /// <summary>Writes a big-endian field into both footers (when sparse) and re-seals their checksums.</summary>
    public VhdImage SetFooterField(int offset, ulong value, int width)
    {
        Put(TrailingFooter[offset..], value, width);
        Seal(TrailingFooter, 64);
        if (DiskType != VhdWriter.Fixed)
        {
            Put(FooterCopy[offset..], value, width);
            Seal(FooterCopy, 64);
        }
        return this;
    }

    /// <summary>Writes a big-endian field into the dynamic header and re-seals its checksum.</summary>
    public VhdImage SetHeaderField(int offset, ulong value, int width)
    {
        Put(Header[offset..], value, width);
        Seal(Header, 36);
        return this;
    }

    /// <summary>Sets BAT entry <paramref name="block"/> (a sector number, 0xFFFFFFFF = unallocated).</summary>
    public VhdImage SetBatEntry(long block, uint sector)
    {
        BinaryPrimitives.WriteUInt32BigEndian(Bytes.AsSpan((int)(BatOffset + block * 4)), sector);
        return this;
    }

    private static void Put(Span<byte> at, ulong value, int width)
    {
        switch (width)
        {
            case 1: at[0] = (byte)value; break;
            case 2: BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32BigEndian(at, (uint)value); break;
            default: BinaryPrimitives.WriteUInt64BigEndian(at, value); break;
        }
    }

    /// <summary>Writes the bytes to <paramref name="path"/> and returns the path.</summary>
    public string SaveTo(string path)
    {
        File.WriteAllBytes(path, Bytes);
        return path;
    }
}

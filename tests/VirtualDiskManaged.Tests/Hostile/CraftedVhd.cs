using System.Buffers.Binary;
using System.Text;

namespace VirtualDiskManaged.Tests.Hostile;

/// <summary>
/// Builds small VHD images byte by byte from the published layout (the Microsoft VHD specification) for
/// hostile-input tests: valid images to start from, whose fields tests then patch (and re-checksum with
/// <see cref="FixChecksums"/>) to reach one specific validation rule.
/// </summary>
internal sealed class CraftedVhd
{
    public const int Footer = 512;
    public const int DynamicHeaderOffset = 512;
    public const int BatOffset = 1536;

    /// <summary>2 fixed, 3 dynamic, 4 differencing.</summary>
    public uint DiskType { get; init; } = 3;
    public long VirtualSize { get; init; } = 4 * 1024 * 1024;
    public uint BlockSize { get; init; } = 512 * 1024;
    public Guid UniqueId { get; init; } = Guid.NewGuid();
    public Guid ParentUniqueId { get; init; }
    /// <summary>Parent Unicode Name (differencing).</summary>
    public string? ParentName { get; init; }
    /// <summary>Parent locators (code such as "W2ru"/"W2ku", path stored UTF-16 LE).</summary>
    public List<(string Code, string Path)> Locators { get; init; } = [];
    /// <summary>Blocks to allocate (dynamic/differencing), filled with <see cref="Pattern"/> and a full bitmap.</summary>
    public IReadOnlyCollection<int> AllocatedBlocks { get; init; } = [0];
    /// <summary>The byte at a virtual offset in allocated data (fixed disks: everywhere).</summary>
    public Func<long, byte> Pattern { get; init; } = DefaultPattern;

    public static byte DefaultPattern(long offset) => (byte)((offset / 512 * 31 + offset % 512) & 0xFF);

    public uint MaxTableEntries => (uint)((VirtualSize + BlockSize - 1) / BlockSize);

    public int BitmapBytes => (int)((BlockSize / 512 / 8 + 511) / 512 * 512);

    public byte[] Build()
    {
        if (DiskType == 2)
        {
            var img = new byte[VirtualSize + Footer];
            for (long i = 0; i < VirtualSize; i++) img[i] = Pattern(i);
            WriteFooter(img.AsSpan((int)VirtualSize, Footer), ulong.MaxValue);
            FixChecksums(img);
            return img;
        }
        uint entries = MaxTableEntries;
        long batBytes = (entries * 4L + 511) / 512 * 512;
        long next = BatOffset + batBytes;
        var locatorData = new List<(string Code, byte[] Data, long Offset)>();
        foreach (var (code, path) in Locators)
        {
            byte[] data = Encoding.Unicode.GetBytes(path);
            locatorData.Add((code, data, next));
            next += (data.Length + 511) / 512 * 512;
        }
        long blockStride = BitmapBytes + BlockSize;
        var blockAt = new Dictionary<int, long>();
        foreach (int b in AllocatedBlocks.Order())
        {
            blockAt[b] = next;
            next += blockStride;
        }
        var image = new byte[next + Footer];
        WriteFooter(image.AsSpan(0, Footer), DynamicHeaderOffset);
        var header = image.AsSpan(DynamicHeaderOffset, 1024);
        "cxsparse"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt64BigEndian(header[8..], ulong.MaxValue);
        BinaryPrimitives.WriteUInt64BigEndian(header[16..], BatOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header[24..], 0x00010000);
        BinaryPrimitives.WriteUInt32BigEndian(header[28..], entries);
        BinaryPrimitives.WriteUInt32BigEndian(header[32..], BlockSize);
        ParentUniqueId.ToByteArray().CopyTo(header[40..]);
        if (ParentName is not null) Encoding.BigEndianUnicode.GetBytes(ParentName).AsSpan(0, Math.Min(512, ParentName.Length * 2)).CopyTo(header[64..]);
        for (int i = 0; i < locatorData.Count && i < 8; i++)
        {
            var e = header.Slice(576 + 24 * i, 24);
            Encoding.ASCII.GetBytes(locatorData[i].Code).CopyTo(e);
            BinaryPrimitives.WriteUInt32BigEndian(e[4..], (uint)((locatorData[i].Data.Length + 511) / 512 * 512));
            BinaryPrimitives.WriteUInt32BigEndian(e[8..], (uint)locatorData[i].Data.Length);
            BinaryPrimitives.WriteUInt64BigEndian(e[16..], (ulong)locatorData[i].Offset);
            locatorData[i].Data.CopyTo(image.AsSpan((int)locatorData[i].Offset));
        }
        image.AsSpan(BatOffset, (int)batBytes).Fill(0xFF);
        foreach (var (b, at) in blockAt)
        {
            BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(BatOffset + 4 * b), (uint)(at / 512));
            image.AsSpan((int)at, BitmapBytes).Fill(0xFF);
            long start = (long)b * BlockSize;
            long n = Math.Min(BlockSize, VirtualSize - start);
            for (long i = 0; i < n; i++) image[at + BitmapBytes + i] = Pattern(start + i);
        }
        image.AsSpan(0, Footer).CopyTo(image.AsSpan((int)next));
        FixChecksums(image);
        return image;
    }

    /// <summary>The virtual disk's expected bytes (allocated blocks hold the pattern, the rest zeros).</summary>
    public byte[] ExpectedContent()
    {
        var content = new byte[VirtualSize];
        for (long i = 0; i < VirtualSize; i++)
        {
            bool allocated = DiskType == 2 || AllocatedBlocks.Contains((int)(i / BlockSize));
            content[i] = allocated ? Pattern(i) : (byte)0;
        }
        return content;
    }

    private void WriteFooter(Span<byte> f, ulong dataOffset)
    {
        "conectix"u8.CopyTo(f);
        BinaryPrimitives.WriteUInt32BigEndian(f[8..], 2);
        BinaryPrimitives.WriteUInt32BigEndian(f[12..], 0x00010000);
        BinaryPrimitives.WriteUInt64BigEndian(f[16..], dataOffset);
        BinaryPrimitives.WriteUInt32BigEndian(f[24..], 0x30000000);
        "vdmt"u8.CopyTo(f[28..]);
        BinaryPrimitives.WriteUInt32BigEndian(f[32..], 0x00010000);
        BinaryPrimitives.WriteUInt32BigEndian(f[36..], 0x5769326B);
        BinaryPrimitives.WriteUInt64BigEndian(f[40..], (ulong)VirtualSize);
        BinaryPrimitives.WriteUInt64BigEndian(f[48..], (ulong)VirtualSize);
        var (c, h, s) = Geometry(VirtualSize);
        BinaryPrimitives.WriteUInt16BigEndian(f[56..], c);
        f[58] = h;
        f[59] = s;
        BinaryPrimitives.WriteUInt32BigEndian(f[60..], DiskType);
        UniqueId.ToByteArray().CopyTo(f[68..]);
    }

    /// <summary>CHS geometry by the algorithm of the VHD specification's appendix.</summary>
    public static (ushort C, byte H, byte S) Geometry(long size)
    {
        long total = Math.Min(size / 512, 65535L * 16 * 255);
        long spt, heads, cth;
        if (total >= 65535L * 16 * 63) { spt = 255; heads = 16; cth = total / spt; }
        else
        {
            spt = 17;
            cth = total / spt;
            heads = Math.Max((cth + 1023) / 1024, 4);
            if (cth >= heads * 1024 || heads > 16) { spt = 31; heads = 16; cth = total / spt; }
            if (cth >= heads * 1024) { spt = 63; heads = 16; cth = total / spt; }
        }
        return ((ushort)(cth / heads), (byte)heads, (byte)spt);
    }

    /// <summary>Recomputes the checksums of the trailing footer, the footer copy at 0 and the dynamic header (where present).</summary>
    public static void FixChecksums(byte[] image)
    {
        FixSum(image, image.Length - Footer, Footer, 64);
        if (image.AsSpan(0, 8).SequenceEqual("conectix"u8) && image.Length >= 2 * Footer) FixSum(image, 0, Footer, 64);
        if (image.Length >= DynamicHeaderOffset + 1024 && image.AsSpan(DynamicHeaderOffset, 8).SequenceEqual("cxsparse"u8))
            FixSum(image, DynamicHeaderOffset, 1024, 36);
    }

    private static void FixSum(byte[] image, int start, int length, int checksumOffset)
    {
        var s = image.AsSpan(start, length);
        s.Slice(checksumOffset, 4).Clear();
        uint sum = 0;
        foreach (byte b in s) sum += b;
        BinaryPrimitives.WriteUInt32BigEndian(s.Slice(checksumOffset, 4), ~sum);
    }

    /// <summary>Sets a big-endian field in the trailing footer and the copy at 0.</summary>
    public static void PatchFooter(byte[] image, int fieldOffset, ulong value, int size)
    {
        foreach (int f in new[] { image.Length - Footer, 0 })
        {
            if (f == 0 && !image.AsSpan(0, 8).SequenceEqual("conectix"u8)) continue;
            WriteBig(image.AsSpan(f + fieldOffset, size), value);
        }
        FixChecksums(image);
    }

    /// <summary>Sets a big-endian field of the dynamic header.</summary>
    public static void PatchHeader(byte[] image, int fieldOffset, ulong value, int size)
    {
        WriteBig(image.AsSpan(DynamicHeaderOffset + fieldOffset, size), value);
        FixChecksums(image);
    }

    private static void WriteBig(Span<byte> s, ulong v)
    {
        if (s.Length == 8) BinaryPrimitives.WriteUInt64BigEndian(s, v);
        else if (s.Length == 4) BinaryPrimitives.WriteUInt32BigEndian(s, (uint)v);
        else BinaryPrimitives.WriteUInt16BigEndian(s, (ushort)v);
    }

    /// <summary>A differencing child of <paramref name="parent"/> named <paramref name="parentFileName"/>, with W2ru and ParentName locators.</summary>
    public static CraftedVhd ChildOf(CraftedVhd parent, string parentFileName, IReadOnlyCollection<int>? allocated = null, List<(string, string)>? locators = null) => new()
    {
        DiskType = 4,
        VirtualSize = parent.VirtualSize,
        BlockSize = parent.BlockSize,
        ParentUniqueId = parent.UniqueId,
        ParentName = parentFileName,
        Locators = locators ?? [("W2ru", ".\\" + parentFileName)],
        AllocatedBlocks = allocated ?? [],
    };
}

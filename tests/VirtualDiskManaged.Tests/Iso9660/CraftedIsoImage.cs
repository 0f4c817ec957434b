using System.Buffers.Binary;
using System.Text;

namespace VirtualDiskManaged.Tests.Iso9660;

/// <summary>
/// A byte-level ISO 9660 writer for crafted tests (ECMA-119 §8.4 descriptors, §9.1 directory records, §9.4 path
/// tables; IEEE P1281/P1282 SUSP/RRIP entries; El Torito catalogs). Each test lays out exactly the structures
/// it needs — including the broken ones — at chosen sectors.
/// </summary>
internal sealed class CraftedIsoImage
{
    public const int Sector = 2048;

    public byte[] Image { get; }

    public CraftedIsoImage(int sectors) => Image = new byte[sectors * Sector];

    public int Sectors => Image.Length / Sector;

    public Span<byte> At(long sector, int length = Sector) => Image.AsSpan((int)(sector * Sector), length);

    private static void Both32(Span<byte> b, uint v)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], v);
    }

    private static void Both16(Span<byte> b, ushort v)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        BinaryPrimitives.WriteUInt16BigEndian(b[2..], v);
    }

    /// <summary>A primary (type 1) or supplementary (type 2, Joliet %/E when <paramref name="joliet"/>) descriptor.</summary>
    public CraftedIsoImage Descriptor(int sector, byte type, uint rootExtent, uint rootLength, bool joliet = false, uint? volumeSpace = null,
        uint pathTableSize = 0, uint pathL = 0, uint pathM = 0, byte version = 1)
    {
        var d = At(sector);
        d[0] = type;
        "CD001"u8.CopyTo(d[1..]);
        d[6] = version;
        Encoding.ASCII.GetBytes("CRAFTED".PadRight(32)).CopyTo(d[40..]);
        if (joliet)
        {
            Encoding.BigEndianUnicode.GetBytes("CRAFTED".PadRight(16)).CopyTo(d[40..]);
            d[88] = 0x25; d[89] = 0x2F; d[90] = 0x45;
        }
        Both32(d[80..], volumeSpace ?? (uint)Sectors);
        Both16(d[120..], 1);
        Both16(d[124..], 1);
        Both16(d[128..], Sector);
        Both32(d[132..], pathTableSize);
        BinaryPrimitives.WriteUInt32LittleEndian(d[140..], pathL);
        BinaryPrimitives.WriteUInt32BigEndian(d[148..], pathM);
        Record(rootExtent, rootLength, 0x02, [0]).CopyTo(d[156..]);
        d[881] = version == 2 ? (byte)2 : (byte)1;
        d.Slice(883, 512).Fill((byte)' ');
        return this;
    }

    public CraftedIsoImage Terminator(int sector)
    {
        var d = At(sector);
        d[0] = 255;
        "CD001"u8.CopyTo(d[1..]);
        d[6] = 1;
        return this;
    }

    /// <summary>An El Torito boot record pointing at the catalog.</summary>
    public CraftedIsoImage BootRecord(int sector, uint catalog)
    {
        var d = At(sector);
        d[0] = 0;
        "CD001"u8.CopyTo(d[1..]);
        d[6] = 1;
        "EL TORITO SPECIFICATION"u8.CopyTo(d[7..]);
        BinaryPrimitives.WriteUInt32LittleEndian(d[71..], catalog);
        return this;
    }

    /// <summary>A directory record (ECMA-119 §9.1) with the System Use bytes given.</summary>
    public static byte[] Record(uint extent, uint length, byte flags, ReadOnlySpan<byte> id, ReadOnlySpan<byte> systemUse = default,
        byte unit = 0, byte gap = 0, byte ear = 0)
    {
        int su = 33 + id.Length + ((id.Length & 1) == 0 ? 1 : 0);
        int len = su + systemUse.Length;
        len += len & 1;
        var r = new byte[len];
        r[0] = (byte)len;
        r[1] = ear;
        Both32(r.AsSpan(2), extent);
        Both32(r.AsSpan(10), length);
        r[18] = 123; r[19] = 11; r[20] = 14; r[21] = 22; r[22] = 13; r[23] = 20; // 2023-11-14 22:13:20 GMT
        r[25] = flags;
        r[26] = unit;
        r[27] = gap;
        Both16(r.AsSpan(28), 1);
        r[32] = (byte)id.Length;
        id.CopyTo(r.AsSpan(33));
        systemUse.CopyTo(r.AsSpan(su));
        return r;
    }

    public static byte[] Name(string s) => Encoding.ASCII.GetBytes(s);

    public static byte[] Ucs2(string s) => Encoding.BigEndianUnicode.GetBytes(s);

    /// <summary>Packs records into the directory's sectors (none crosses a sector, ECMA-119 §6.8.1.1); returns the data length.</summary>
    public uint Directory(int sector, uint parent, uint parentLength, int sectors, IEnumerable<byte[]> records, ReadOnlySpan<byte> dotSystemUse = default)
    {
        uint length = (uint)(sectors * Sector);
        var all = new List<byte[]> { Record((uint)sector, length, 0x02, [0], dotSystemUse), Record(parent, parentLength, 0x02, [1]) };
        all.AddRange(records);
        int s = 0, pos = 0;
        foreach (var r in all)
        {
            if (pos + r.Length > Sector) { s++; pos = 0; }
            if (s >= sectors) throw new InvalidOperationException("directory too small");
            r.CopyTo(At(sector + s)[pos..]);
            pos += r.Length;
        }
        return length;
    }

    // ---- SUSP / RRIP entries (IEEE P1281 §5, P1282 §4.1) ----

    public static byte[] Entry(string sig, ReadOnlySpan<byte> data, byte version = 1)
    {
        var e = new byte[4 + data.Length];
        e[0] = (byte)sig[0]; e[1] = (byte)sig[1]; e[2] = (byte)e.Length; e[3] = version;
        data.CopyTo(e.AsSpan(4));
        return e;
    }

    public static byte[] Sp(byte skip = 0) => Entry("SP", [0xBE, 0xEF, skip]);

    public static byte[] Er() => Entry("ER", [10, 0, 0, 1, .. "RRIP_1991A"u8]);

    public static byte[] Nm(string name, byte flags = 0) => Entry("NM", [flags, .. Encoding.UTF8.GetBytes(name)]);

    public static byte[] Px(uint mode, uint links = 1, uint uid = 0, uint gid = 0)
    {
        var d = new byte[32];
        Both32(d, mode); Both32(d.AsSpan(8), links); Both32(d.AsSpan(16), uid); Both32(d.AsSpan(24), gid);
        return Entry("PX", d);
    }

    public static byte[] Ce(uint block, uint offset, uint length)
    {
        var d = new byte[24];
        Both32(d, block); Both32(d.AsSpan(8), offset); Both32(d.AsSpan(16), length);
        return Entry("CE", d);
    }

    public static byte[] Location(string sig, uint location)
    {
        var d = new byte[8];
        Both32(d, location);
        return Entry(sig, d);
    }

    public static byte[] Re() => Entry("RE", []);

    public static byte[] Zf(uint size, byte log2 = 15, string algorithm = "pz", byte headerDiv4 = 4)
    {
        var d = new byte[12];
        Encoding.ASCII.GetBytes(algorithm).CopyTo(d, 0);
        d[2] = headerDiv4; d[3] = log2;
        Both32(d.AsSpan(4), size);
        return Entry("ZF", d);
    }

    /// <summary>A zisofs file body (header, pointers, zlib blocks) for <paramref name="content"/>.</summary>
    public static byte[] Zisofs(ReadOnlySpan<byte> content, int log2 = 15)
    {
        int bs = 1 << log2;
        int blocks = (content.Length + bs - 1) / bs;
        var body = new MemoryStream();
        var header = new byte[16 + 4 * (blocks + 1)];
        new byte[] { 0x37, 0xE4, 0x53, 0x96, 0xC9, 0xDB, 0xD6, 0x07 }.CopyTo(header, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)content.Length);
        header[12] = 4; header[13] = (byte)log2;
        body.Write(header);
        for (int i = 0; i < blocks; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16 + 4 * i), (uint)body.Length);
            var chunk = content.Slice(i * bs, Math.Min(bs, content.Length - i * bs));
            if (chunk.IndexOfAnyExcept((byte)0) >= 0)
            {
                using var z = new System.IO.Compression.ZLibStream(body, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true);
                z.Write(chunk);
            }
        }
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16 + 4 * blocks), (uint)body.Length);
        var bytes = body.ToArray();
        header.CopyTo(bytes, 0);
        return bytes;
    }

    public static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>
    /// A small Rock Ridge + Joliet image: root (sector 20) with SP/ER, a file "hello.txt" (NM through a CE area at
    /// sector 23), a subdirectory "sub" (sector 21) and its file; Joliet root at sector 22. Tests patch it.
    /// </summary>
    public static CraftedIsoImage RockRidgeBase(out (long HelloRecord, long SubRecord, long JolietRoot) at)
    {
        var iso = new CraftedIsoImage(40);
        iso.Descriptor(16, 1, 20, Sector).Descriptor(17, 2, 22, Sector, joliet: true).Terminator(18);
        Encoding.ASCII.GetBytes("hello.txt").CopyTo(iso.At(30));
        Encoding.ASCII.GetBytes("inner").CopyTo(iso.At(31));
        // CE area: the rest of hello's name.
        var ce = Nm(".txt");
        ce.CopyTo(iso.At(23));
        var hello = Record(30, 9, 0, Name("HELLO.TXT;1"), Cat(Px(0x81A4), Nm("hello", 1), Ce(23, 0, (uint)ce.Length)));
        var sub = Record(21, Sector, 0x02, Name("SUB"), Cat(Px(0x41ED), Nm("sub")));
        iso.Directory(20, 20, Sector, 1, [hello, sub], Cat(Sp(), Px(0x41ED), Er()));
        iso.Directory(21, 20, Sector, 1, [Record(31, 5, 0, Name("INNER.;1"), Cat(Px(0x81A4), Nm("inner")))]);
        var jHello = Record(30, 9, 0, Ucs2("hello.txt"));
        var jSub = Record(24, Sector, 0x02, Ucs2("sub"));
        iso.Directory(22, 22, Sector, 1, [jHello, jSub]);
        iso.Directory(24, 22, Sector, 1, [Record(31, 5, 0, Ucs2("inner"))]);
        // Locate the records for patching.
        at = (Find(iso.Image, 20, "HELLO.TXT;1"), Find(iso.Image, 20, "SUB"), 22L * Sector);
        return iso;
    }

    public static long Find(byte[] image, int sector, string id)
    {
        var b = Encoding.ASCII.GetBytes(id);
        for (int pos = 0; pos < Sector;)
        {
            int len = image[sector * Sector + pos];
            if (len == 0) break;
            if (image[sector * Sector + pos + 32] == b.Length && image.AsSpan(sector * Sector + pos + 33, b.Length).SequenceEqual(b)) return (long)sector * Sector + pos;
            pos += len;
        }
        throw new InvalidOperationException(id + " not found");
    }

    /// <summary>
    /// Multi-extent "big.bin" (3 sections at sectors 30, 32, 31 — the last out of order), an interleaved
    /// "inter.bin" (unit 1, gap 1 from sector 34), a zisofs "z.txt", a Rock Ridge symlink, an El Torito catalog
    /// (sector 25) with a 1.44 MB floppy default entry and a hard-disk section entry.
    /// </summary>
    public static CraftedIsoImage Features()
    {
        var iso = new CraftedIsoImage(48);
        iso.Descriptor(16, 1, 20, Sector).BootRecord(17, 25).Terminator(18);
        for (int s = 30; s < 40; s++) iso.At(s).Fill((byte)('a' + s - 30));
        var z = Zisofs(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("zz top ", 9000))));
        z.CopyTo(iso.At(40, z.Length));
        var records = new List<byte[]>
        {
            Record(30, Sector, 0x80, Name("BIG.BIN;1"), Cat(Px(0x81A4), Nm("big.bin"))),
            Record(32, Sector, 0x80, Name("BIG.BIN;1"), Cat(Px(0x81A4), Nm("big.bin"))),
            Record(31, 1000, 0, Name("BIG.BIN;1"), Cat(Px(0x81A4), Nm("big.bin"))),
            Record(34, 3 * Sector, 0, Name("INTER.BIN;1"), Cat(Px(0x81A4), Nm("inter.bin")), unit: 1, gap: 1),
            Record(40, (uint)z.Length, 0, Name("Z.TXT;1"), Cat(Px(0x81A4), Nm("z.txt"), Zf(9000 * 7))),
            Record(0, 0, 0, Name("LINK.;1"), Cat(Px(0xA1FF), Nm("link"), Entry("SL", [0, 8, 0, 0, 3, .. "etc"u8, 0, 6, .. "passwd"u8]))),
        };
        iso.Directory(20, 20, Sector, 1, records, Cat(Sp(), Px(0x41ED), Er()));
        // El Torito: validation (platform 0), default entry 1.44 MB floppy at 26, final section header (platform 0xEF), hard-disk entry at 27.
        var cat = iso.At(25);
        cat[0] = 1; cat[30] = 0x55; cat[31] = 0xAA;
        ushort sum = 0;
        for (int i = 0; i < 32; i += 2) sum += BinaryPrimitives.ReadUInt16LittleEndian(cat[i..]);
        BinaryPrimitives.WriteUInt16LittleEndian(cat[28..], (ushort)(0x10000 - sum));
        cat[32] = 0x88; cat[33] = 2; cat[38] = 1; BinaryPrimitives.WriteUInt32LittleEndian(cat[40..], 26);
        cat[64] = 0x91; cat[65] = 0xEF; cat[66] = 1;
        cat[96] = 0x88; cat[97] = 4; cat[102] = 1; BinaryPrimitives.WriteUInt32LittleEndian(cat[104..], 27);
        // The hard-disk image's MBR: one partition, sectors 1–3 (of 512).
        var mbr = iso.At(27);
        mbr[446 + 4] = 0x0C; BinaryPrimitives.WriteUInt32LittleEndian(mbr[(446 + 8)..], 1); BinaryPrimitives.WriteUInt32LittleEndian(mbr[(446 + 12)..], 3);
        mbr[510] = 0x55; mbr[511] = 0xAA;
        return iso;
    }

    /// <summary>Crafted seeds for the fuzzer's ISO file-system walk.</summary>
    public static IEnumerable<(string, byte[], string)> FuzzSeeds()
    {
        yield return ("crafted-rr-joliet.iso", RockRidgeBase(out _).Image, "CraftedIsoImage.RockRidgeBase (RR with CE, Joliet)");
        yield return ("crafted-features.iso", Features().Image, "CraftedIsoImage.Features (multi-extent, interleaved, zisofs, symlink, El Torito floppy + hard disk)");
    }
}

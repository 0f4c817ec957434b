using System.Buffers.Binary;

namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>Byte order of a header field (how a field-aware mutation writes its new value).</summary>
internal enum Endian : byte { Bytes, Big, Little }

/// <summary>How a structure's checksum is recomputed after a mutation (so the mutant reaches deeper validation).</summary>
internal enum FixKind : byte
{
    /// <summary>VHD footer / dynamic header: one's complement of the byte sum, big-endian u32.</summary>
    VhdSum,
    /// <summary>VHDX header, region table, log entry: CRC-32C over the structure, little-endian u32.</summary>
    Crc32C,
}

/// <summary>A checksummed structure: [Start, Start+Length) with its checksum field at Start+ChecksumOffset.</summary>
internal readonly record struct Fixup(FixKind Kind, long Start, int Length, int ChecksumOffset);

/// <summary>One known header field of a seed image. <see cref="Fixup"/> is the index of its checksummed structure, or -1.</summary>
internal readonly record struct Field(string Name, long Offset, int Size, Endian Endian, int Fixup);

/// <summary>
/// The known header fields of a seed image (VHD footer and dynamic header, parent locators and BAT; VHDX identifier,
/// headers, region tables, metadata table and items, BAT and log entry; ISO / UDF volume descriptors), located by
/// following the pointers in the pristine image. Mutations aim at these fields; their checksums can be fixed afterwards.
/// </summary>
internal sealed partial class FieldMap
{
    private const int MaxEntriesPerTable = 64;

    public List<Field> Fields { get; } = [];

    public List<Fixup> Fixups { get; } = [];

    private int AddFixup(FixKind kind, long start, int length, int checksumOffset)
    {
        Fixups.Add(new Fixup(kind, start, length, checksumOffset));
        return Fixups.Count - 1;
    }

    private void Add(string name, long offset, int size, Endian endian, int fixup = -1) =>
        Fields.Add(new Field(name, offset, size, endian, fixup));

    public static FieldMap Build(ReadOnlySpan<byte> image)
    {
        var map = new FieldMap();
        map.AddVhd(image);
        map.AddVhdx(image);
        map.AddIso(image);
        map.AddIsoTree(image);
        return map;
    }

    /// <summary>Recomputes the checksum of <paramref name="fixup"/> in <paramref name="data"/> (skipped when the structure no longer fits).</summary>
    public static void Apply(Fixup fixup, Span<byte> data)
    {
        if (fixup.Start < 0 || fixup.Start + fixup.Length > data.Length) return;
        var s = data.Slice((int)fixup.Start, fixup.Length);
        if (fixup.Kind == FixKind.Crc32C)
        {
            Crc32C.Fix(s, fixup.ChecksumOffset);
            return;
        }
        s.Slice(fixup.ChecksumOffset, 4).Clear();
        uint sum = 0;
        foreach (byte b in s) sum += b;
        BinaryPrimitives.WriteUInt32BigEndian(s.Slice(fixup.ChecksumOffset, 4), ~sum);
    }

    // ---- VHD (formats.md §A.2, §A.5, §A.6, §A.7) ----

    private void AddVhd(ReadOnlySpan<byte> image)
    {
        long len = image.Length;
        var footers = new List<long>();
        if (len >= 512 && image.Slice((int)(len - 512), 8).SequenceEqual("conectix"u8)) footers.Add(len - 512);
        else if (len >= 511 && image.Slice((int)(len - 511), 8).SequenceEqual("conectix"u8)) footers.Add(len - 511);
        if (len >= 1024 && image[..8].SequenceEqual("conectix"u8)) footers.Add(0);
        foreach (long f in footers)
        {
            int size = (int)Math.Min(512, len - f);
            int fix = size == 512 ? AddFixup(FixKind.VhdSum, f, 512, 64) : -1;
            string p = f == 0 ? "vhd.footerCopy." : "vhd.footer.";
            Add(p + "cookie", f, 8, Endian.Bytes, fix);
            Add(p + "features", f + 8, 4, Endian.Big, fix);
            Add(p + "version", f + 12, 4, Endian.Big, fix);
            Add(p + "dataOffset", f + 16, 8, Endian.Big, fix);
            Add(p + "timeStamp", f + 24, 4, Endian.Big, fix);
            Add(p + "originalSize", f + 40, 8, Endian.Big, fix);
            Add(p + "currentSize", f + 48, 8, Endian.Big, fix);
            Add(p + "geometry", f + 56, 4, Endian.Big, fix);
            Add(p + "diskType", f + 60, 4, Endian.Big, fix);
            Add(p + "checksum", f + 64, 4, Endian.Big);
            Add(p + "uniqueId", f + 68, 16, Endian.Bytes, fix);
            Add(p + "savedState", f + 84, 1, Endian.Bytes, fix);
            Add(p + "reserved", f + 85, 16, Endian.Bytes, fix);
        }
        if (footers.Count == 0) return;
        long footer = footers[0];
        ulong dataOffset = BinaryPrimitives.ReadUInt64BigEndian(image.Slice((int)footer + 16, 8));
        if (dataOffset > (ulong)len - 1024 || len < 1024) return;
        long h = (long)dataOffset;
        if (!image.Slice((int)h, 8).SequenceEqual("cxsparse"u8)) return;
        int hfix = AddFixup(FixKind.VhdSum, h, 1024, 36);
        Add("vhd.dyn.cookie", h, 8, Endian.Bytes, hfix);
        Add("vhd.dyn.dataOffset", h + 8, 8, Endian.Big, hfix);
        Add("vhd.dyn.tableOffset", h + 16, 8, Endian.Big, hfix);
        Add("vhd.dyn.version", h + 24, 4, Endian.Big, hfix);
        Add("vhd.dyn.maxTableEntries", h + 28, 4, Endian.Big, hfix);
        Add("vhd.dyn.blockSize", h + 32, 4, Endian.Big, hfix);
        Add("vhd.dyn.checksum", h + 36, 4, Endian.Big);
        Add("vhd.dyn.parentUniqueId", h + 40, 16, Endian.Bytes, hfix);
        Add("vhd.dyn.parentTimeStamp", h + 56, 4, Endian.Big, hfix);
        Add("vhd.dyn.reserved", h + 60, 4, Endian.Big, hfix);
        Add("vhd.dyn.parentName", h + 64, 64, Endian.Bytes, hfix);
        for (int i = 0; i < 8; i++)
        {
            long e = h + 576 + 24 * i;
            Add($"vhd.locator{i}.code", e, 4, Endian.Big, hfix);
            Add($"vhd.locator{i}.dataSpace", e + 4, 4, Endian.Big, hfix);
            Add($"vhd.locator{i}.dataLength", e + 8, 4, Endian.Big, hfix);
            Add($"vhd.locator{i}.reserved", e + 12, 4, Endian.Big, hfix);
            Add($"vhd.locator{i}.dataOffset", e + 16, 8, Endian.Big, hfix);
            uint code = BinaryPrimitives.ReadUInt32BigEndian(image.Slice((int)e, 4));
            uint dlen = BinaryPrimitives.ReadUInt32BigEndian(image.Slice((int)e + 8, 4));
            ulong doff = BinaryPrimitives.ReadUInt64BigEndian(image.Slice((int)e + 16, 8));
            if (code != 0 && dlen > 0 && doff < (ulong)len && doff + dlen <= (ulong)len)
                Add($"vhd.locator{i}.data", (long)doff, (int)Math.Min(dlen, 64), Endian.Bytes);
        }
        ulong table = BinaryPrimitives.ReadUInt64BigEndian(image.Slice((int)h + 16, 8));
        uint entries = BinaryPrimitives.ReadUInt32BigEndian(image.Slice((int)h + 28, 4));
        uint blockSize = BinaryPrimitives.ReadUInt32BigEndian(image.Slice((int)h + 32, 4));
        if (table >= (ulong)len) return;
        long count = Math.Min(entries, (uint)MaxEntriesPerTable);
        for (long i = 0; i < count && (long)table + 4 * i + 4 <= len; i++)
        {
            long at = (long)table + 4 * i;
            Add($"vhd.bat[{i}]", at, 4, Endian.Big);
            uint sector = BinaryPrimitives.ReadUInt32BigEndian(image.Slice((int)at, 4));
            if (sector != uint.MaxValue && (long)sector * 512 + 16 <= len && i < 8)
                Add($"vhd.block{i}.bitmap", (long)sector * 512, 16, Endian.Bytes);
        }
        if (entries > count && (long)table + 4L * entries <= len)
            Add("vhd.bat[last]", (long)table + 4L * (entries - 1), 4, Endian.Big);
        _ = blockSize;
    }

    // ---- VHDX (formats.md §B.3–§B.8) ----

    private static ReadOnlySpan<byte> BatGuid => [0x66, 0x77, 0xC2, 0x2D, 0x23, 0xF6, 0x00, 0x42, 0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08];
    private static ReadOnlySpan<byte> MetadataGuid => [0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B, 0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E];

    private void AddVhdx(ReadOnlySpan<byte> image)
    {
        long len = image.Length;
        if (len < 320 * 1024 || !image[..8].SequenceEqual("vhdxfile"u8)) return;
        Add("vhdx.identifier", 0, 8, Endian.Bytes);
        long bestHeader = -1;
        ulong bestSeq = 0;
        foreach (long hOff in new long[] { 64 * 1024, 128 * 1024 })
        {
            int fix = AddFixup(FixKind.Crc32C, hOff, 4096, 4);
            string p = hOff == 64 * 1024 ? "vhdx.header1." : "vhdx.header2.";
            Add(p + "signature", hOff, 4, Endian.Bytes, fix);
            Add(p + "checksum", hOff + 4, 4, Endian.Little);
            Add(p + "sequence", hOff + 8, 8, Endian.Little, fix);
            Add(p + "fileWriteGuid", hOff + 16, 16, Endian.Bytes, fix);
            Add(p + "dataWriteGuid", hOff + 32, 16, Endian.Bytes, fix);
            Add(p + "logGuid", hOff + 48, 16, Endian.Bytes, fix);
            Add(p + "logVersion", hOff + 64, 2, Endian.Little, fix);
            Add(p + "version", hOff + 66, 2, Endian.Little, fix);
            Add(p + "logLength", hOff + 68, 4, Endian.Little, fix);
            Add(p + "logOffset", hOff + 72, 8, Endian.Little, fix);
            Add(p + "reserved", hOff + 80, 8, Endian.Bytes, fix);
            ulong seq = BinaryPrimitives.ReadUInt64LittleEndian(image.Slice((int)hOff + 8, 8));
            if (image.Slice((int)hOff, 4).SequenceEqual("head"u8) && (bestHeader < 0 || seq > bestSeq)) { bestHeader = hOff; bestSeq = seq; }
        }
        long metadataRegion = -1, metadataLength = 0, batRegion = -1, batLength = 0;
        foreach (long rOff in new long[] { 192 * 1024, 256 * 1024 })
        {
            int fix = AddFixup(FixKind.Crc32C, rOff, 64 * 1024, 4);
            string p = rOff == 192 * 1024 ? "vhdx.regions1." : "vhdx.regions2.";
            Add(p + "signature", rOff, 4, Endian.Bytes, fix);
            Add(p + "checksum", rOff + 4, 4, Endian.Little);
            Add(p + "entryCount", rOff + 8, 4, Endian.Little, fix);
            Add(p + "reserved", rOff + 12, 4, Endian.Little, fix);
            uint count = Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(image.Slice((int)rOff + 8, 4)), 16u);
            for (int i = 0; i < count; i++)
            {
                long e = rOff + 16 + 32 * i;
                Add($"{p}entry{i}.guid", e, 16, Endian.Bytes, fix);
                Add($"{p}entry{i}.fileOffset", e + 16, 8, Endian.Little, fix);
                Add($"{p}entry{i}.length", e + 24, 4, Endian.Little, fix);
                Add($"{p}entry{i}.required", e + 28, 4, Endian.Little, fix);
                if (rOff != 192 * 1024) continue;
                ulong off = BinaryPrimitives.ReadUInt64LittleEndian(image.Slice((int)e + 16, 8));
                uint rlen = BinaryPrimitives.ReadUInt32LittleEndian(image.Slice((int)e + 24, 4));
                if (off >= (ulong)len) continue;
                if (image.Slice((int)e, 16).SequenceEqual(MetadataGuid)) { metadataRegion = (long)off; metadataLength = rlen; }
                if (image.Slice((int)e, 16).SequenceEqual(BatGuid)) { batRegion = (long)off; batLength = rlen; }
            }
        }
        if (metadataRegion >= 0 && metadataRegion + 65536 <= len)
        {
            long m = metadataRegion;
            Add("vhdx.metadata.signature", m, 8, Endian.Bytes);
            Add("vhdx.metadata.reserved", m + 8, 2, Endian.Little);
            Add("vhdx.metadata.entryCount", m + 10, 2, Endian.Little);
            int count = Math.Min((int)BinaryPrimitives.ReadUInt16LittleEndian(image.Slice((int)m + 10, 2)), 32);
            for (int i = 0; i < count; i++)
            {
                long e = m + 32 + 32 * i;
                Add($"vhdx.metadata.entry{i}.itemId", e, 16, Endian.Bytes);
                Add($"vhdx.metadata.entry{i}.offset", e + 16, 4, Endian.Little);
                Add($"vhdx.metadata.entry{i}.length", e + 20, 4, Endian.Little);
                Add($"vhdx.metadata.entry{i}.flags", e + 24, 4, Endian.Little);
                Add($"vhdx.metadata.entry{i}.reserved", e + 28, 4, Endian.Little);
                uint io = BinaryPrimitives.ReadUInt32LittleEndian(image.Slice((int)e + 16, 4));
                uint il = BinaryPrimitives.ReadUInt32LittleEndian(image.Slice((int)e + 20, 4));
                if (il == 0 || io >= metadataLength || m + io + il > len) continue;
                long v = m + io;
                // Item values: numbers in 4-byte steps (file parameters, size, sector sizes), and the locator's first bytes.
                if (il <= 16)
                    for (int k = 0; k + 4 <= il; k += 4) Add($"vhdx.metadata.item{i}+{k}", v + k, 4, Endian.Little);
                if (il is 8) Add($"vhdx.metadata.item{i}.u64", v, 8, Endian.Little);
                if (il > 16)
                {
                    Add($"vhdx.metadata.item{i}.locatorType", v, 16, Endian.Bytes);
                    Add($"vhdx.metadata.item{i}.keyValueCount", v + 18, 2, Endian.Little);
                    int kv = Math.Min((int)BinaryPrimitives.ReadUInt16LittleEndian(image.Slice((int)v + 18, 2)), 8);
                    for (int k = 0; k < kv && 20 + 12 * (k + 1) <= il; k++)
                    {
                        long ke = v + 20 + 12 * k;
                        Add($"vhdx.locator.kv{k}.keyOffset", ke, 4, Endian.Little);
                        Add($"vhdx.locator.kv{k}.valueOffset", ke + 4, 4, Endian.Little);
                        Add($"vhdx.locator.kv{k}.keyLength", ke + 8, 2, Endian.Little);
                        Add($"vhdx.locator.kv{k}.valueLength", ke + 10, 2, Endian.Little);
                    }
                    Add($"vhdx.metadata.item{i}.bytes", v + 20, (int)Math.Min(il - 20, 64), Endian.Bytes);
                }
            }
        }
        if (batRegion >= 0)
        {
            long n = Math.Min(batLength / 8, MaxEntriesPerTable);
            for (long i = 0; i < n && batRegion + 8 * i + 8 <= len; i++)
                Add($"vhdx.bat[{i}]", batRegion + 8 * i, 8, Endian.Little);
        }
        if (bestHeader >= 0)
        {
            uint logLength = BinaryPrimitives.ReadUInt32LittleEndian(image.Slice((int)bestHeader + 68, 4));
            ulong logOffset = BinaryPrimitives.ReadUInt64LittleEndian(image.Slice((int)bestHeader + 72, 8));
            if (logOffset < (ulong)len && logOffset + 4096 <= (ulong)len && image.Slice((int)logOffset, 4).SequenceEqual("loge"u8))
            {
                long l = (long)logOffset;
                uint entryLength = BinaryPrimitives.ReadUInt32LittleEndian(image.Slice((int)l + 8, 4));
                int fix = entryLength is > 0 and <= 8 * 1024 * 1024 && entryLength <= logLength && l + entryLength <= len
                    ? AddFixup(FixKind.Crc32C, l, (int)entryLength, 4) : -1;
                Add("vhdx.log.signature", l, 4, Endian.Bytes, fix);
                Add("vhdx.log.checksum", l + 4, 4, Endian.Little);
                Add("vhdx.log.entryLength", l + 8, 4, Endian.Little, fix);
                Add("vhdx.log.tail", l + 12, 4, Endian.Little, fix);
                Add("vhdx.log.sequence", l + 16, 8, Endian.Little, fix);
                Add("vhdx.log.descriptorCount", l + 24, 4, Endian.Little, fix);
                Add("vhdx.log.logGuid", l + 32, 16, Endian.Bytes, fix);
                Add("vhdx.log.flushedFileOffset", l + 48, 8, Endian.Little, fix);
                Add("vhdx.log.lastFileOffset", l + 56, 8, Endian.Little, fix);
                uint descriptors = Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(image.Slice((int)l + 24, 4)), 8u);
                for (int d = 0; d < descriptors; d++)
                {
                    long de = l + 64 + 32 * d;
                    Add($"vhdx.log.desc{d}.signature", de, 4, Endian.Bytes, fix);
                    Add($"vhdx.log.desc{d}.lengthOrTrailing", de + 4, 4, Endian.Little, fix);
                    Add($"vhdx.log.desc{d}.zeroLengthOrLeading", de + 8, 8, Endian.Little, fix);
                    Add($"vhdx.log.desc{d}.fileOffset", de + 16, 8, Endian.Little, fix);
                    Add($"vhdx.log.desc{d}.sequence", de + 24, 8, Endian.Little, fix);
                }
            }
        }
    }

    // ---- ISO 9660 / UDF (formats.md §C.2, §C.4, §C.6) ----

    private void AddIso(ReadOnlySpan<byte> image)
    {
        const int sector = 2048;
        long len = image.Length;
        for (int i = 0; i < 16; i++)
        {
            long d = 32768 + (long)sector * i;
            if (d + sector > len) break;
            var desc = image.Slice((int)d, sector);
            Add($"iso.vd{i}.type", d, 1, Endian.Bytes);
            Add($"iso.vd{i}.identifier", d + 1, 5, Endian.Bytes);
            Add($"iso.vd{i}.version", d + 6, 1, Endian.Bytes);
            if (desc[1..6].SequenceEqual("CD001"u8) && desc[0] is 1 or 2)
            {
                Add($"iso.vd{i}.volumeSpaceSize", d + 80, 8, Endian.Little);
                Add($"iso.vd{i}.logicalBlockSize", d + 128, 4, Endian.Little);
                Add($"iso.vd{i}.pathTableSize", d + 132, 8, Endian.Little);
                Add($"iso.vd{i}.pathTableL", d + 140, 4, Endian.Little);
                Add($"iso.vd{i}.root.length", d + 156, 1, Endian.Bytes);
                Add($"iso.vd{i}.root.extent", d + 158, 8, Endian.Little);
                Add($"iso.vd{i}.root.dataLength", d + 166, 8, Endian.Little);
                Add($"iso.vd{i}.root.flags", d + 181, 1, Endian.Bytes);
                Add($"iso.vd{i}.volumeId", d + 40, 32, Endian.Bytes);
            }
            if (desc[0] == 0 && desc[1..6].SequenceEqual("CD001"u8))
                Add($"iso.vd{i}.bootCatalog", d + 71, 4, Endian.Little);
            if (desc[0] == 255) break;
        }
        if (len >= 257 * sector)
        {
            long a = 256L * sector;
            Add("udf.avdp.tagId", a, 2, Endian.Little);
            Add("udf.avdp.tagLocation", a + 12, 4, Endian.Little);
            Add("udf.avdp.mainVds", a + 16, 8, Endian.Little);
        }
    }
}

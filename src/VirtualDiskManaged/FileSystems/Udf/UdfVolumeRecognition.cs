namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// The Volume Recognition Sequence (ECMA-167 2/8.3, 2/9; bridge discs 2/8.3.1, OSTA UDF 2.60 §2.1.7): 2048-byte
/// volume structure descriptors from byte 32768, one per max(block size, 2048) bytes. BEA01 opens the extended area,
/// NSR02 (ECMA-167 2nd edition, UDF 1.02/1.50) or NSR03 (3rd edition, UDF 2.00+) says a UDF volume is recorded, TEA01
/// closes it; ISO 9660 descriptors (CD001) may precede it on bridge discs.
/// </summary>
internal sealed class UdfVolumeRecognition
{
    public const long Start = 32768;
    private const int DescriptorSize = 2048;
    private const int TypeOffset = 0;
    private const int IdentifierOffset = 1;
    private const int IdentifierLength = 5;
    private const int JolietEscapeOffset = 88;

    /// <summary>Cap on descriptors examined (udfinfo examines 64; Linux stops at 8 MiB).</summary>
    private const int MaxDescriptors = 64;

    public bool HasNsr { get; private init; }
    public int NsrVersion { get; private init; }
    public bool HasIso9660 { get; private init; }
    public bool HasJoliet { get; private init; }

    /// <summary>Scans with a 2048-byte stride, then a 4096-byte stride (4 KiB blocks, one descriptor per block).</summary>
    public static UdfVolumeRecognition Scan(VolumeSource source)
    {
        var buffer = new byte[MaxDescriptors * DescriptorSize];
        int got = source.ReadAt(Start, buffer);
        var data = buffer.AsSpan(0, Math.Max(0, got));
        var r = ScanStride(data, DescriptorSize);
        if (!r.HasNsr)
        {
            var wide = ScanStride(data, 4096);
            if (wide.HasNsr) return wide;
        }
        return r;
    }

    private static UdfVolumeRecognition ScanStride(ReadOnlySpan<byte> data, int stride)
    {
        bool iso = false, joliet = false, bea = false;
        for (int off = 0; off + DescriptorSize <= data.Length; off += stride)
        {
            var d = data.Slice(off, DescriptorSize);
            var id = d.Slice(IdentifierOffset, IdentifierLength);
            if (id.SequenceEqual("CD001"u8))
            {
                iso = true;
                // Joliet: a supplementary descriptor (type 2) with a UCS-2 escape sequence (ECMA-119 §8.5; Joliet spec).
                if (d[TypeOffset] == 2 && d[JolietEscapeOffset] == '%' && d[JolietEscapeOffset + 1] == '/'
                    && d[JolietEscapeOffset + 2] is (byte)'@' or (byte)'C' or (byte)'E') joliet = true;
                continue;
            }
            if (id.SequenceEqual("BEA01"u8)) { bea = true; continue; }
            if (id.SequenceEqual("NSR02"u8) || id.SequenceEqual("NSR03"u8))
                return new UdfVolumeRecognition { HasNsr = true, NsrVersion = id[4] - '0', HasIso9660 = iso, HasJoliet = joliet };
            if (id.SequenceEqual("BOOT2"u8) || id.SequenceEqual("CDW02"u8)) continue;
            // TEA01 or anything else ends the sequence (2/9.3).
            break;
        }
        _ = bea;
        return new UdfVolumeRecognition { HasIso9660 = iso, HasJoliet = joliet };
    }
}

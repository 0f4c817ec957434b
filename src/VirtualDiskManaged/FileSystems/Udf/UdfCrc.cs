namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// The descriptor CRC of ECMA-167 3/7.2.6 and 4/7.2.6: CRC-ITU-T (x^16 + x^12 + x^5 + 1), initial value 0,
/// most significant bit first, no final XOR (OSTA UDF 2.60 §6.5 gives the same algorithm). check("123456789") = 0x31C3.
/// Eight bytes per step ("slicing by 8"): every file entry of a listing is checked, and many writers give the CRC
/// the whole 2 KiB block, so a byte-at-a-time loop dominated UDF listing.
/// </summary>
internal static class UdfCrc
{
    private const int Slices = 8;

    /// <summary>Tables[k][i]: the CRC of byte i followed by k zero bytes (Tables[0] is the classic byte table).</summary>
    private static readonly ushort[] Tables = Build();

    private static ushort[] Build()
    {
        var t = new ushort[Slices * 256];
        for (int i = 0; i < 256; i++)
        {
            int c = i << 8;
            for (int b = 0; b < 8; b++) c = (c & 0x8000) != 0 ? (c << 1) ^ 0x1021 : c << 1;
            t[i] = (ushort)c;
        }
        for (int k = 1; k < Slices; k++)
            for (int i = 0; i < 256; i++)
            {
                int prev = t[(k - 1) * 256 + i];
                t[k * 256 + i] = (ushort)(t[prev >> 8] ^ (prev << 8));
            }
        return t;
    }

    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        var t = Tables;
        uint crc = 0;
        int i = 0;
        for (; i + Slices <= data.Length; i += Slices)
        {
            var d = data.Slice(i, Slices);
            crc = (uint)(t[7 * 256 + (d[0] ^ (int)(crc >> 8))] ^ t[6 * 256 + (d[1] ^ (int)(crc & 0xFF))]
                ^ t[5 * 256 + d[2]] ^ t[4 * 256 + d[3]] ^ t[3 * 256 + d[4]] ^ t[2 * 256 + d[5]] ^ t[256 + d[6]] ^ t[d[7]]);
        }
        for (; i < data.Length; i++) crc = (uint)(t[(int)(((crc >> 8) ^ data[i]) & 0xFF)] ^ (crc << 8)) & 0xFFFF;
        return (ushort)crc;
    }
}

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// The descriptor CRC of ECMA-167 3/7.2.6 and 4/7.2.6: CRC-ITU-T (x^16 + x^12 + x^5 + 1), initial value 0,
/// most significant bit first, no final XOR (OSTA UDF 2.60 §6.5 gives the same algorithm). check("123456789") = 0x31C3.
/// </summary>
internal static class UdfCrc
{
    private static readonly ushort[] Table = Build();

    private static ushort[] Build()
    {
        var t = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            int c = i << 8;
            for (int b = 0; b < 8; b++) c = (c & 0x8000) != 0 ? (c << 1) ^ 0x1021 : c << 1;
            t[i] = (ushort)c;
        }
        return t;
    }

    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        var table = Table;
        uint crc = 0;
        foreach (byte b in data) crc = (uint)(table[(int)(((crc >> 8) ^ b) & 0xFF)] ^ (crc << 8)) & 0xFFFF;
        return (ushort)crc;
    }
}

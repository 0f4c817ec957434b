namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as MS-VHDX uses for headers, region tables and log entries.</summary>
internal static class Crc32C
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>Zeroes the 4-byte checksum field at <paramref name="checksumOffset"/> of <paramref name="structure"/> and stores the CRC over the whole structure there (little-endian).</summary>
    public static void Fix(Span<byte> structure, int checksumOffset)
    {
        structure.Slice(checksumOffset, 4).Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(structure.Slice(checksumOffset, 4), Compute(structure));
    }
}

using System.Buffers.Binary;

namespace VirtualDiskManaged.Benchmarks;

/// <summary>
/// Adapters to the internal parsers and CRC-32C (they arrive with the VHD and VHDX providers). Kept in one place
/// so the benchmarks read the same whatever the parsers' exact names are.
/// </summary>
internal static class Pending
{
    /// <summary>A plain byte sum (the VHD checksum's floor: one add per byte).</summary>
    public static uint ByteSum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        foreach (byte b in data) sum += b;
        return sum;
    }

    public static bool ParseVhdFooter(ReadOnlySpan<byte> footer) => throw new NotImplementedException("VHD provider not merged yet");

    public static bool ParseVhdDynamicHeader(ReadOnlySpan<byte> header) => throw new NotImplementedException("VHD provider not merged yet");

    public static uint Crc32C(ReadOnlySpan<byte> data) => throw new NotImplementedException("Crc32C not merged yet");

    public static bool ParseVhdxHeaderSet(ReadOnlySpan<byte> head, ReadOnlySpan<byte> metadata) => throw new NotImplementedException("VHDX provider not merged yet");

    /// <summary>The metadata region's file offset from region table 1 (an independent reading, for the setup).</summary>
    public static long VhdxMetadataOffset(ReadOnlySpan<byte> head)
    {
        var table = head.Slice(192 << 10, 64 << 10);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(table[8..]);
        var metadataRegion = new Guid("8B7CA206-4790-4B9A-B8FE-575F050F886E");
        for (int i = 0; i < count && i < 2047; i++)
        {
            var e = table.Slice(16 + 32 * i, 32);
            if (new Guid(e[..16]) == metadataRegion) return (long)BinaryPrimitives.ReadUInt64LittleEndian(e[16..]);
        }
        throw new InvalidOperationException("No metadata region");
    }
}

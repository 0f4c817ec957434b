namespace VirtualDiskManaged.Vhd;

/// <summary>formats.md §A.2.1: one's complement of the byte sum, the 4 checksum bytes counted as zero (raw bytes).</summary>
internal static class VhdChecksum
{
    public static uint Compute(ReadOnlySpan<byte> structure, int checksumOffset)
    {
        uint sum = 0;
        for (int i = 0; i < structure.Length; i++) sum += structure[i];
        for (int i = checksumOffset; i < checksumOffset + 4; i++) sum -= structure[i];
        return ~sum;
    }
}

using System.Numerics;
using System.Runtime.InteropServices;

namespace VirtualDiskManaged.Vhd;

/// <summary>formats.md §A.2.1: one's complement of the byte sum, the 4 checksum bytes counted as zero (raw bytes).</summary>
internal static class VhdChecksum
{
    public static uint Compute(ReadOnlySpan<byte> structure, int checksumOffset)
    {
        uint sum = Sum(structure);
        for (int i = checksumOffset; i < checksumOffset + 4; i++) sum -= structure[i];
        return ~sum;
    }

    /// <summary>Wrapping 32-bit sum of every byte (vectorised: bytes widened to 16-bit lanes, flushed before they can overflow).</summary>
    private static uint Sum(ReadOnlySpan<byte> bytes)
    {
        uint sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && bytes.Length >= Vector<byte>.Count)
        {
            var vectors = MemoryMarshal.Cast<byte, Vector<byte>>(bytes);
            var acc = Vector<ushort>.Zero;
            int pending = 0;
            foreach (var v in vectors)
            {
                Vector.Widen(v, out var lo, out var hi);
                acc += lo + hi; // each lane grows by at most 510 per step
                if (++pending == 128)
                {
                    sum += Flush(acc);
                    acc = Vector<ushort>.Zero;
                    pending = 0;
                }
            }
            sum += Flush(acc);
            i = vectors.Length * Vector<byte>.Count;
        }
        for (; i < bytes.Length; i++) sum += bytes[i];
        return sum;
    }

    private static uint Flush(Vector<ushort> acc)
    {
        Vector.Widen(acc, out var lo, out var hi);
        return Vector.Sum(lo + hi);
    }
}

using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VirtualDiskManaged.Vhd;

/// <summary>VHD spec "Hard Disk Footer Format", Checksum: one's complement of the byte sum, the 4 checksum bytes counted as zero (raw bytes).</summary>
internal static class VhdChecksum
{
    public static uint Compute(ReadOnlySpan<byte> structure, int checksumOffset)
    {
        uint sum = Sum(structure);
        for (int i = checksumOffset; i < checksumOffset + 4; i++) sum -= structure[i];
        return ~sum;
    }

    /// <summary>Wrapping 32-bit sum of every byte: PSADBW against zero where available, else 8 bytes at a time.</summary>
    private static uint Sum(ReadOnlySpan<byte> bytes)
    {
        ulong sum = 0;
        int i = 0;
        ref byte start = ref MemoryMarshal.GetReference(bytes);
        if (Avx2.IsSupported)
        {
            var acc = Vector256<ulong>.Zero;
            for (; i + 32 <= bytes.Length; i += 32)
                acc = Avx2.Add(acc, Avx2.SumAbsoluteDifferences(Vector256.LoadUnsafe(ref start, (nuint)i), Vector256<byte>.Zero).AsUInt64());
            sum = Vector256.Sum(acc);
        }
        else if (Sse2.IsSupported)
        {
            var acc = Vector128<ulong>.Zero;
            for (; i + 16 <= bytes.Length; i += 16)
                acc = Sse2.Add(acc, Sse2.SumAbsoluteDifferences(Vector128.LoadUnsafe(ref start, (nuint)i), Vector128<byte>.Zero).AsUInt64());
            sum = Vector128.Sum(acc);
        }
        else
        {
            // Eight bytes at a time: pairs of bytes summed in 16-bit lanes (at most 510 per step, flushed every 64 steps).
            ulong lanes = 0;
            int steps = 0;
            for (; i + 8 <= bytes.Length; i += 8)
            {
                ulong v = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
                lanes += (v & 0x00FF00FF00FF00FFUL) + ((v >> 8) & 0x00FF00FF00FF00FFUL);
                if (++steps == 64) { sum += Fold(lanes); lanes = 0; steps = 0; }
            }
            sum += Fold(lanes);
        }
        for (; i < bytes.Length; i++) sum += bytes[i];
        return (uint)sum;
    }

    private static ulong Fold(ulong lanes) => (lanes & 0xFFFF) + ((lanes >> 16) & 0xFFFF) + ((lanes >> 32) & 0xFFFF) + (lanes >> 48);

    /// <summary>The stored checksum field of a structure.</summary>
    public static uint Stored(ReadOnlySpan<byte> structure, int checksumOffset) => BinaryPrimitives.ReadUInt32BigEndian(structure[checksumOffset..]);
}

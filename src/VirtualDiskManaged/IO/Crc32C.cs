using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VirtualDiskManaged.IO;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF) as VHDX uses it
/// (MS-VHDX §2.2.2: the Checksum field of headers, region tables and log entries). <see cref="BitOperations.Crc32C(uint, ulong)"/> is hardware-accelerated where the CPU has it.
/// Large inputs run three independent CRC streams side by side (the instruction's latency, not its throughput,
/// limits a single stream) and join them by shifting the earlier state over the later stream's length of zeros:
/// CRC is linear over GF(2), so that shift is a fixed 32×32 bit matrix, applied here with four 256-entry tables.
/// </summary>
internal static class Crc32C
{
    /// <summary>Bytes per stream in one round of the interleaved path (a multiple of 8).</summary>
    private const int StreamLength = 512;
    private const int RoundLength = 3 * StreamLength;

    /// <summary>Below this the plain loop is used (the interleaved path's combine costs more than it saves).</summary>
    internal const int InterleaveThreshold = 2 * RoundLength;

    /// <summary>Bytes per stream in the long rounds used while at least <see cref="LongRoundLength"/> bytes remain (the combine then costs ~1 %, not ~15 %).</summary>
    private const int LongStreamLength = 4096;
    private const int LongRoundLength = 3 * LongStreamLength;

    /// <summary>ShiftTable[k*256 + b]: the state that byte value b in byte k of a state becomes after StreamLength zero bytes.</summary>
    private static readonly uint[] ShiftTable = BuildShiftTable(StreamLength);

    /// <summary>The same for <see cref="LongStreamLength"/> zero bytes.</summary>
    private static readonly uint[] LongShiftTable = BuildShiftTable(LongStreamLength);

    /// <summary>Bytes per stream of the single round that covers a 4 KiB structure (3 × 1360 = 4080; 16 bytes are left to the plain loop).</summary>
    private const int MidStreamLength = 1360;
    private const int MidRoundLength = 3 * MidStreamLength;

    /// <summary>The same for <see cref="MidStreamLength"/> zero bytes.</summary>
    private static readonly uint[] MidShiftTable = BuildShiftTable(MidStreamLength);

    /// <summary>The finalised CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(0xFFFFFFFFu, data);

    /// <summary>
    /// The finalised CRC-32C of <paramref name="data"/> as if the four bytes at <paramref name="fieldOffset"/> were
    /// zero (how VHDX checksums its headers, region tables and log entries), without copying the data.
    /// </summary>
    public static uint ComputeWithZeroedField(ReadOnlySpan<byte> data, int fieldOffset)
    {
        uint state = Update(0xFFFFFFFFu, data[..fieldOffset]);
        state = BitOperations.Crc32C(state, 0u);
        return ~Update(state, data[(fieldOffset + 4)..]);
    }

    /// <summary>Continues a raw (not finalised) CRC state over <paramref name="data"/>. Start with 0xFFFFFFFF; finish with ~.</summary>
    public static uint Update(uint state, ReadOnlySpan<byte> data) =>
        data.Length >= InterleaveThreshold ? UpdateInterleaved(state, data) : UpdateSimple(state, data);

    /// <summary>The plain loop: eight bytes per instruction, then the tail byte by byte. Correct for any length.</summary>
    internal static uint UpdateSimple(uint state, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length, i = 0;
        for (; i + 8 <= length; i += 8)
            state = BitOperations.Crc32C(state, ReadUInt64(ref p, i));
        for (; i < length; i++)
            state = BitOperations.Crc32C(state, Unsafe.Add(ref p, i));
        return state;
    }

    /// <summary>
    /// Three streams over consecutive slices, combined per round: 3 × 4 KiB rounds while they fit, then one 3 × 1360-byte
    /// round when at least 4,080 bytes remain (a 4 KiB header or log sector in one round), then 3 × 512-byte rounds;
    /// the remainder takes the plain loop.
    /// </summary>
    internal static uint UpdateInterleaved(uint state, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length, offset = 0;
        while (offset + LongRoundLength <= length)
        {
            state = Round(state, ref Unsafe.Add(ref p, offset), LongStreamLength, LongShiftTable);
            offset += LongRoundLength;
        }
        if (offset + MidRoundLength <= length)
        {
            state = Round(state, ref Unsafe.Add(ref p, offset), MidStreamLength, MidShiftTable);
            offset += MidRoundLength;
        }
        while (offset + RoundLength <= length)
        {
            state = Round(state, ref Unsafe.Add(ref p, offset), StreamLength, ShiftTable);
            offset += RoundLength;
        }
        return UpdateSimple(state, data[(int)offset..]);
    }

    /// <summary>One round: three independent CRC streams over three consecutive <paramref name="streamLength"/>-byte slices (a multiple of 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Round(uint state, ref byte s0, int streamLength, uint[] table)
    {
        uint a = state, b = 0, c = 0;
        ref byte s1 = ref Unsafe.Add(ref s0, streamLength);
        ref byte s2 = ref Unsafe.Add(ref s0, 2 * streamLength);
        for (nuint i = 0; i < (nuint)streamLength; i += 16)
        {
            a = BitOperations.Crc32C(a, ReadUInt64(ref s0, i));
            b = BitOperations.Crc32C(b, ReadUInt64(ref s1, i));
            c = BitOperations.Crc32C(c, ReadUInt64(ref s2, i));
            a = BitOperations.Crc32C(a, ReadUInt64(ref s0, i + 8));
            b = BitOperations.Crc32C(b, ReadUInt64(ref s1, i + 8));
            c = BitOperations.Crc32C(c, ReadUInt64(ref s2, i + 8));
        }
        // state(A‖B) = shift(state(A), |B|) ⊕ state₀(B), where state₀ starts from 0.
        return Shift(table, Shift(table, a) ^ b) ^ c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Shift(uint[] table, uint state)
    {
        ref uint t = ref MemoryMarshal.GetArrayDataReference(table);
        return Unsafe.Add(ref t, (int)(state & 0xFF))
             ^ Unsafe.Add(ref t, 256 + (int)((state >> 8) & 0xFF))
             ^ Unsafe.Add(ref t, 512 + (int)((state >> 16) & 0xFF))
             ^ Unsafe.Add(ref t, 768 + (int)(state >> 24));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadUInt64(ref byte p, nuint offset)
    {
        ulong v = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, offset));
        return BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);
    }

    private static uint[] BuildShiftTable(int streamLength)
    {
        // The image of each single-bit state after StreamLength zero bytes (crc32c of a zero word = shift by 64 bits).
        Span<uint> basis = stackalloc uint[32];
        for (int bit = 0; bit < 32; bit++)
        {
            uint s = 1u << bit;
            for (int i = 0; i < streamLength / 8; i++) s = BitOperations.Crc32C(s, 0UL);
            basis[bit] = s;
        }
        var table = new uint[4 * 256];
        for (int k = 0; k < 4; k++)
            for (int v = 0; v < 256; v++)
            {
                uint r = 0;
                for (int bit = 0; bit < 8; bit++)
                    if ((v & (1 << bit)) != 0) r ^= basis[k * 8 + bit];
                table[k * 256 + v] = r;
            }
        return table;
    }
}

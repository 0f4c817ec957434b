using System.Buffers.Binary;
using System.Text;

namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>
/// A seed image in memory plus the mutant being built from it. Mutations record the byte range they touched and
/// the new length, so the on-disk copy can be patched and restored without rewriting the whole file.
/// </summary>
internal sealed class MutantBuffer
{
    /// <summary>How far a mutant may grow beyond its seed.</summary>
    public const int MaxGrowth = 64 * 1024;

    public MutantBuffer(byte[] original)
    {
        Original = original;
        Data = new byte[original.Length + MaxGrowth];
        original.CopyTo(Data, 0);
        Length = original.Length;
    }

    public byte[] Original { get; }

    /// <summary>The mutant's bytes (valid up to <see cref="Length"/>).</summary>
    public byte[] Data { get; }

    public int Length { get; set; }

    public int DirtyLo { get; private set; } = int.MaxValue;

    public int DirtyHi { get; private set; }

    public bool IsDirty => DirtyHi > DirtyLo || Length != Original.Length;

    public Span<byte> Span => Data.AsSpan(0, Length);

    public void Touch(int lo, int hi)
    {
        DirtyLo = Math.Min(DirtyLo, lo);
        DirtyHi = Math.Max(DirtyHi, hi);
    }

    /// <summary>Restores the seed's bytes in memory (the file is restored by <see cref="FuzzWorkspace"/>).</summary>
    public void Reset()
    {
        if (DirtyHi > DirtyLo)
        {
            int hi = Math.Min(DirtyHi, Original.Length);
            if (hi > DirtyLo) Original.AsSpan(DirtyLo, hi - DirtyLo).CopyTo(Data.AsSpan(DirtyLo));
        }
        if (Length > Original.Length) Data.AsSpan(Original.Length, Length - Original.Length).Clear();
        if (Length < Original.Length) Original.AsSpan(Length).CopyTo(Data.AsSpan(Length));
        Length = Original.Length;
        DirtyLo = int.MaxValue;
        DirtyHi = 0;
    }

    public byte[] ToArray() => Data.AsSpan(0, Length).ToArray();
}

/// <summary>
/// Deterministic mutations: bit flips, byte sets, splices, truncations, growth, and field-aware mutations of the known
/// header fields (with the structure's checksum optionally fixed afterwards so the mutant gets past checksums).
/// </summary>
internal static class Mutator
{
    private static readonly ulong[] Interesting64 =
    [
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x1FF, 0x200, 0x201, 0xFFF, 0x1000, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x100000,
        0x200000, 0x10000000, 0x20000000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF, 0x100000000,
        0x400000000000, 0x400000000200, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFE00,
        0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFF00000,
    ];

    private static readonly byte[] InterestingBytes = [0, 1, 0x7F, 0x80, 0xFE, 0xFF, 0x2E, 0x2F, 0x5C, 0x20];

    /// <summary>Applies 1–4 stacked mutations; returns a short description (for the regression's sidecar).</summary>
    public static string Mutate(MutantBuffer m, FieldMap map, ref Prng rng, IReadOnlyList<byte[]> donors)
    {
        var what = new StringBuilder();
        int count = 1 + (rng.Chance(60) ? 0 : rng.Next(4));
        bool fieldTouched = false;
        for (int i = 0; i < count; i++)
        {
            if (i > 0) what.Append("; ");
            int op = rng.Next(100);
            if (op < 45 && map.Fields.Count > 0) { FieldMutation(m, map, ref rng, what); fieldTouched = true; }
            else if (op < 60) BitFlips(m, map, ref rng, what);
            else if (op < 70) ByteSets(m, map, ref rng, what);
            else if (op < 80) Splice(m, map, ref rng, donors, what);
            else if (op < 92) Truncate(m, ref rng, what);
            else if (op < 96) Grow(m, ref rng, what);
            else if (map.Fields.Count > 0) FieldMutation(m, map, ref rng, what, structureCopy: true);
            else BitFlips(m, map, ref rng, what);
        }
        // Fix the checksums of the structures touched (most of the time) so the mutant reaches deeper validation.
        if (map.Fixups.Count > 0 && rng.Chance(fieldTouched ? 75 : 50))
        {
            int fixedCount = 0;
            foreach (var fix in map.Fixups)
            {
                if (fix.Start < m.DirtyHi && fix.Start + fix.Length > m.DirtyLo && fix.Start + fix.Length <= m.Length)
                {
                    FieldMap.Apply(fix, m.Span);
                    m.Touch((int)fix.Start, (int)(fix.Start + fix.Length));
                    fixedCount++;
                }
            }
            if (fixedCount > 0) what.Append(" +fixed ").Append(fixedCount).Append(" checksum(s)");
        }
        return what.ToString();
    }

    private static void FieldMutation(MutantBuffer m, FieldMap map, ref Prng rng, StringBuilder what, bool structureCopy = false)
    {
        var f = rng.Pick(map.Fields);
        if (f.Offset + f.Size > m.Length) { BitFlips(m, map, ref rng, what); return; }
        int at = (int)f.Offset;
        var span = m.Data.AsSpan(at, f.Size);
        if (structureCopy)
        {
            // Copy one known field's bytes over another of the same size (a GUID, an offset, a length...).
            var same = map.Fields.Where(x => x.Size == f.Size && x.Offset != f.Offset && x.Offset + x.Size <= m.Length).ToList();
            if (same.Count > 0)
            {
                var src = rng.Pick(same);
                m.Data.AsSpan((int)src.Offset, f.Size).CopyTo(span);
                m.Touch(at, at + f.Size);
                what.Append("copy ").Append(src.Name).Append(" -> ").Append(f.Name);
                return;
            }
        }
        if (f.Endian == Endian.Bytes || f.Size is not (1 or 2 or 4 or 8))
        {
            switch (rng.Next(4))
            {
                case 0: span.Clear(); what.Append("zero "); break;
                case 1: span.Fill(0xFF); what.Append("ff "); break;
                case 2: for (int k = 0; k < span.Length; k++) span[k] = (byte)rng.Next(256); what.Append("random "); break;
                default: span[rng.Next(span.Length)] ^= (byte)(1 << rng.Next(8)); what.Append("flip "); break;
            }
            m.Touch(at, at + f.Size);
            what.Append(f.Name);
            return;
        }
        ulong old = Read(span, f.Endian);
        ulong value = ChooseValue(old, f.Size, m.Length, ref rng);
        Write(span, f.Endian, value);
        m.Touch(at, at + f.Size);
        what.Append(f.Name).Append('=').Append("0x").Append(value.ToString("X"));
    }

    private static ulong ChooseValue(ulong old, int size, long fileLength, ref Prng rng)
    {
        ulong mask = size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;
        ulong v = rng.Next(10) switch
        {
            0 or 1 or 2 => Interesting64[rng.Next(Interesting64.Length)],
            3 => old + 1,
            4 => old - 1,
            5 => rng.Chance(50) ? old << 1 : old >> 1,
            6 => old ^ (1UL << rng.Next(size * 8)),
            7 => (ulong)fileLength + (ulong)(rng.Next(5) - 2) * 512 + (ulong)(rng.Chance(50) ? 0 : rng.Next(1024 * 1024)),
            8 => (ulong)fileLength / (ulong)(rng.Chance(50) ? 512 : 1024 * 1024) + (ulong)rng.Next(3),
            _ => rng.NextULong(),
        };
        return v & mask;
    }

    private static ulong Read(ReadOnlySpan<byte> s, Endian e) => s.Length switch
    {
        1 => s[0],
        2 => e == Endian.Big ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s),
        4 => e == Endian.Big ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s),
        _ => e == Endian.Big ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s),
    };

    private static void Write(Span<byte> s, Endian e, ulong v)
    {
        switch (s.Length)
        {
            case 1: s[0] = (byte)v; break;
            case 2: if (e == Endian.Big) BinaryPrimitives.WriteUInt16BigEndian(s, (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)v); break;
            case 4: if (e == Endian.Big) BinaryPrimitives.WriteUInt32BigEndian(s, (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(s, (uint)v); break;
            default: if (e == Endian.Big) BinaryPrimitives.WriteUInt64BigEndian(s, v); else BinaryPrimitives.WriteUInt64LittleEndian(s, v); break;
        }
    }

    /// <summary>A position near a known field most of the time (where parsers look), anywhere otherwise.</summary>
    private static int Position(MutantBuffer m, FieldMap map, ref Prng rng)
    {
        if (m.Length == 0) return 0;
        if (map.Fields.Count > 0 && rng.Chance(70))
        {
            var f = rng.Pick(map.Fields);
            long p = f.Offset + rng.Next(Math.Max(f.Size, 1));
            if (p < m.Length) return (int)p;
        }
        return rng.Next(m.Length);
    }

    private static void BitFlips(MutantBuffer m, FieldMap map, ref Prng rng, StringBuilder what)
    {
        if (m.Length == 0) return;
        int n = 1 + rng.Next(8);
        int at = Position(m, map, ref rng);
        for (int i = 0; i < n; i++)
        {
            int p = Math.Min(m.Length - 1, at + rng.Next(16));
            m.Data[p] ^= (byte)(1 << rng.Next(8));
            m.Touch(p, p + 1);
        }
        what.Append("flip ").Append(n).Append(" bit(s) near ").Append(at);
    }

    private static void ByteSets(MutantBuffer m, FieldMap map, ref Prng rng, StringBuilder what)
    {
        if (m.Length == 0) return;
        int at = Position(m, map, ref rng);
        int n = Math.Min(1 + rng.Next(16), m.Length - at);
        for (int i = 0; i < n; i++)
            m.Data[at + i] = rng.Chance(50) ? InterestingBytes[rng.Next(InterestingBytes.Length)] : (byte)rng.Next(256);
        m.Touch(at, at + n);
        what.Append("set ").Append(n).Append(" byte(s) at ").Append(at);
    }

    private static void Splice(MutantBuffer m, FieldMap map, ref Prng rng, IReadOnlyList<byte[]> donors, StringBuilder what)
    {
        if (m.Length == 0) return;
        int at = Position(m, map, ref rng);
        int size = rng.Chance(50) ? 1 + rng.Next(64) : rng.Pick(new[] { 512, 1024, 4096, 65536 });
        size = Math.Min(size, m.Length - at);
        byte[] source = donors.Count > 0 && rng.Chance(30) ? donors[rng.Next(donors.Count)] : m.Original;
        if (source.Length == 0 || size <= 0) return;
        int from = rng.Next(source.Length);
        size = Math.Min(size, source.Length - from);
        source.AsSpan(from, size).CopyTo(m.Data.AsSpan(at));
        m.Touch(at, at + size);
        what.Append("splice ").Append(size).Append(" byte(s) from ").Append(source == m.Original ? "self" : "donor").Append('@').Append(from).Append(" to ").Append(at);
    }

    private static void Truncate(MutantBuffer m, ref Prng rng, StringBuilder what)
    {
        if (m.Length == 0) return;
        int newLength = rng.Next(5) switch
        {
            0 => rng.Next(m.Length),
            1 => Math.Max(0, m.Length - 1 - rng.Next(1024)),
            2 => Math.Max(0, m.Length - 512),
            3 => rng.Next(m.Length) / 512 * 512,
            _ => rng.Next(m.Length) / (1024 * 1024) * (1024 * 1024),
        };
        m.Length = newLength;
        m.Touch(newLength, newLength);
        what.Append("truncate to ").Append(newLength);
    }

    private static void Grow(MutantBuffer m, ref Prng rng, StringBuilder what)
    {
        int room = m.Original.Length + MutantBuffer.MaxGrowth - m.Length;
        if (room <= 0) return;
        int add = Math.Min(room, rng.Chance(50) ? 1 + rng.Next(1024) : 512 * (1 + rng.Next(64)));
        var tail = m.Data.AsSpan(m.Length, add);
        if (rng.Chance(50)) tail.Clear();
        else for (int i = 0; i < tail.Length; i++) tail[i] = (byte)rng.Next(256);
        int old = m.Length;
        m.Length += add;
        m.Touch(old, m.Length);
        what.Append("grow by ").Append(add);
    }
}

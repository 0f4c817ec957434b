using System.Buffers.Binary;
using System.Text;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>The numeric, date and text encodings of ECMA-119 §7 and §8.4.26.1 / §9.1.5, read from spans.</summary>
internal static class IsoBytes
{
    /// <summary>ECMA-119 §7.3.3 (733): a 32-bit number recorded little-endian then big-endian; the LE copy is used (as Linux does).</summary>
    public static uint BothEndian32(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(offset, 4));

    /// <summary>True when the two copies of a 733 field agree.</summary>
    public static bool BothEndian32Agrees(ReadOnlySpan<byte> b, int offset) =>
        BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(offset, 4)) == BinaryPrimitives.ReadUInt32BigEndian(b.Slice(offset + 4, 4));

    /// <summary>ECMA-119 §7.2.3 (723): a 16-bit number recorded LE then BE; the LE copy is used.</summary>
    public static ushort BothEndian16(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(offset, 2));

    /// <summary>True when the two copies of a 723 field agree.</summary>
    public static bool BothEndian16Agrees(ReadOnlySpan<byte> b, int offset) =>
        BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(offset, 2)) == BinaryPrimitives.ReadUInt16BigEndian(b.Slice(offset + 2, 2));

    /// <summary>
    /// ECMA-119 §9.1.5: the 7-byte recording date (years since 1900, month, day, hour, minute, second, GMT offset
    /// in 15-minute units). Null when the fields are out of range (all zero = not recorded).
    /// </summary>
    public static DateTimeOffset? RecordingDate(ReadOnlySpan<byte> b)
    {
        if (b.Length < 7) return null;
        int month = b[1], day = b[2], hour = b[3], minute = b[4], second = b[5];
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(1900 + b[0], month) || hour > 23 || minute > 59 || second > 59) return null;
        return Build(1900 + b[0], month, day, hour, minute, second, 0, (sbyte)b[6]);
    }

    /// <summary>
    /// ECMA-119 §8.4.26.1: the 17-byte date (16 ASCII digits YYYYMMDDhhmmsscc, then a signed GMT offset in
    /// 15-minute units). Null for "not specified" (all zero digits) or anything that is not a valid date.
    /// </summary>
    public static DateTimeOffset? DecimalDate(ReadOnlySpan<byte> b)
    {
        if (b.Length < 17) return null;
        int year = Digits(b, 0, 4), month = Digits(b, 4, 2), day = Digits(b, 6, 2), hour = Digits(b, 8, 2),
            minute = Digits(b, 10, 2), second = Digits(b, 12, 2), hundredths = Digits(b, 14, 2);
        if (year <= 0 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour is < 0 or > 23 || minute is < 0 or > 59 || second is < 0 or > 59 || hundredths < 0) return null;
        return Build(year, month, day, hour, minute, second, hundredths * 10, (sbyte)b[16]);
    }

    private static DateTimeOffset? Build(int year, int month, int day, int hour, int minute, int second, int ms, sbyte tz)
    {
        // ECMA-119 §9.1.5 / §8.4.26.1: offsets range −48 … +52; others are ignored (as Linux does).
        var offset = tz is >= -48 and <= 52 ? TimeSpan.FromMinutes(tz * 15) : TimeSpan.Zero;
        // Year 1 with a positive offset or 9999 with a negative one falls outside DateTimeOffset's UTC range.
        var local = new DateTime(year, month, day, hour, minute, second, ms);
        if ((offset > TimeSpan.Zero && local - DateTime.MinValue < offset) || (offset < TimeSpan.Zero && DateTime.MaxValue - local < -offset)) offset = TimeSpan.Zero;
        return new DateTimeOffset(local, offset);
    }

    private static int Digits(ReadOnlySpan<byte> b, int offset, int count)
    {
        int v = 0;
        for (int i = 0; i < count; i++)
        {
            int c = b[offset + i];
            if (c is < '0' or > '9') return -1;
            v = v * 10 + c - '0';
        }
        return v;
    }

    /// <summary>An a-/d-character field (ECMA-119 §7.4) as text without its trailing space or NUL padding.</summary>
    public static string AText(ReadOnlySpan<byte> b) => Encoding.Latin1.GetString(b.TrimEnd((byte)' ').TrimEnd((byte)0).TrimEnd((byte)' '));

    /// <summary>A Joliet descriptor text field: UCS-2 big-endian, space or NUL padded.</summary>
    public static string Ucs2Text(ReadOnlySpan<byte> b)
    {
        if ((b.Length & 1) != 0) b = b[..^1];
        var s = Encoding.BigEndianUnicode.GetString(b);
        return s.TrimEnd(' ', '\0');
    }
}

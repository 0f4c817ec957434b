using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// The 12-byte timestamp of ECMA-167 1/7.3 (OSTA UDF 2.60 §2.1.4): type and time zone, year, month, day, hour,
/// minute, second, centiseconds, hundreds of microseconds, microseconds.
/// </summary>
internal static class UdfTimestamp
{
    public const int Size = 12;
    private const int TypeAndZoneOffset = 0;
    private const int YearOffset = 2;
    private const int MonthOffset = 4;
    private const int DayOffset = 5;
    private const int HourOffset = 6;
    private const int MinuteOffset = 7;
    private const int SecondOffset = 8;
    private const int CentisecondsOffset = 9;
    private const int HundredsOfMicrosecondsOffset = 10;
    private const int MicrosecondsOffset = 11;

    /// <summary>
    /// The time, or null when unrecorded or out of range (a bad timestamp never fails a listing). Type 0 (UTC) and
    /// 1 (local) honour the 12-bit signed zone offset in minutes, -1440..1440; -2047 means "not specified" and is read
    /// as UTC (1/7.3.1, OSTA UDF 2.60 §2.1.4.1).
    /// </summary>
    public static DateTimeOffset? Read(ReadOnlySpan<byte> d)
    {
        if (d.Length < Size) return null;
        ushort typeAndZone = BinaryPrimitives.ReadUInt16LittleEndian(d[TypeAndZoneOffset..]);
        int year = BinaryPrimitives.ReadUInt16LittleEndian(d[YearOffset..]);
        int month = d[MonthOffset], day = d[DayOffset], hour = d[HourOffset], minute = d[MinuteOffset], second = d[SecondOffset];
        int centi = d[CentisecondsOffset], hundredMicro = d[HundredsOfMicrosecondsOffset], micro = d[MicrosecondsOffset];
        if (year == 0 && month == 0 && day == 0) return null;
        if (year is < 1 or > 9999 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59 || centi > 99 || hundredMicro > 99 || micro > 99) return null;
        int type = typeAndZone >> 12;
        int zone = typeAndZone & 0x0FFF;
        if ((zone & 0x0800) != 0) zone -= 0x1000;
        if (type > 1 || zone == -2047 || zone is < -1440 or > 1440) zone = 0;
        long ticks = centi * 100_000L + hundredMicro * 1_000L + micro * 10L;
        try
        {
            var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(ticks);
            // DateTimeOffset allows at most ±14 hours; a legal ±24 h zone beyond that is shown in UTC.
            if (zone is < -840 or > 840) return new DateTimeOffset(local.AddMinutes(-zone), TimeSpan.Zero);
            return new DateTimeOffset(local, TimeSpan.FromMinutes(zone));
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}

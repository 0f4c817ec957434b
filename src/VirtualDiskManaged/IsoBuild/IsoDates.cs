using System.Globalization;

namespace VirtualDiskManaged.IsoBuild;

/// <summary>The two ISO 9660 date forms, always written in UTC (offset 0).</summary>
internal static class IsoDates
{
    /// <summary>The 7-byte recording date (ECMA-119 §9.1.5): years since 1900 (clamped to 1900–2155).</summary>
    public static void WriteRecordingDate(Span<byte> at, DateTimeOffset time)
    {
        var t = time.UtcDateTime;
        if (t.Year < 1900) t = new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        if (t.Year > 2155) t = new DateTime(2155, 12, 31, 23, 59, 59, DateTimeKind.Utc);
        at[0] = (byte)(t.Year - 1900);
        at[1] = (byte)t.Month;
        at[2] = (byte)t.Day;
        at[3] = (byte)t.Hour;
        at[4] = (byte)t.Minute;
        at[5] = (byte)t.Second;
        at[6] = 0;
    }

    /// <summary>The 17-byte volume date (ECMA-119 §8.4.26.1): 16 ASCII digits and offset 0; null = "not specified".</summary>
    public static void WriteVolumeDate(Span<byte> at, DateTimeOffset? time)
    {
        if (time is null)
        {
            at[..16].Fill((byte)'0');
            at[16] = 0;
            return;
        }
        var t = time.Value.UtcDateTime;
        string s = t.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + (t.Millisecond / 10).ToString("00", CultureInfo.InvariantCulture);
        for (int i = 0; i < 16; i++) at[i] = (byte)s[i];
        at[16] = 0;
    }
}

using System.Globalization;

namespace VirtualDiskManaged;

/// <summary>Counts in messages with the right noun form: "1 entry", "2 entries", "1 byte".</summary>
internal static class Counted
{
    /// <summary><paramref name="count"/> and the singular or plural noun (plural default: singular + "s").</summary>
    public static string Of(long count, string singular, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? singular : plural ?? singular + "s")}");

    /// <summary>As <see cref="Of(long, string, string?)"/> for an unsigned count.</summary>
    public static string Of(ulong count, string singular, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? singular : plural ?? singular + "s")}");
}

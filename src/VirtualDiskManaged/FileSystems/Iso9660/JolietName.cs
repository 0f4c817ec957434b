using System.Text;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// Identifier decoding (Joliet specification: UCS-2 big-endian, ECMA-119 §7.2.2 byte order; ISO 9660 and
/// Rock Ridge: bytes, UTF-8 where they are valid UTF-8, else Latin-1 so that no byte is lost).
/// </summary>
internal static class JolietName
{
    /// <summary>
    /// Decodes a Joliet identifier. <paramref name="invalid"/> is set for an odd byte count (the last byte is
    /// dropped) or an unpaired surrogate (replaced by U+FFFD); no fixed buffer is involved, so a name of any
    /// recorded length decodes (the libarchive UTF-16 overflow class cannot arise).
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> id, out bool invalid)
    {
        invalid = (id.Length & 1) != 0;
        int units = id.Length / 2;
        if (units == 0) return "";
        Span<char> chars = units <= 128 ? stackalloc char[units] : new char[units];
        for (int i = 0; i < units; i++) chars[i] = (char)(id[2 * i] << 8 | id[2 * i + 1]);
        for (int i = 0; i < units; i++)
        {
            char c = chars[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < units && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
                chars[i] = '\uFFFD';
                invalid = true;
            }
            else if (char.IsLowSurrogate(c))
            {
                chars[i] = '\uFFFD';
                invalid = true;
            }
        }
        return new string(chars);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Bytes as text: ASCII and valid UTF-8 as such, anything else as Latin-1 (one char per byte).</summary>
    public static string Bytes(ReadOnlySpan<byte> id)
    {
        if (System.Text.Ascii.IsValid(id)) return Encoding.ASCII.GetString(id);
        try { return StrictUtf8.GetString(id); }
        catch (DecoderFallbackException) { return Encoding.Latin1.GetString(id); }
    }

    /// <summary>
    /// ISO 9660 name mapping as Linux (isofs_name_translate) and libarchive do: drop a trailing ";1" version,
    /// then one trailing "." (ECMA-119 §7.5.1 requires the separator even without an extension).
    /// </summary>
    public static string MapIso(string raw)
    {
        int n = raw.Length;
        if (n > 2 && raw[n - 2] == ';' && raw[n - 1] == '1') n -= 2;
        if (n > 1 && raw[n - 1] == '.') n--;
        return n == raw.Length ? raw : raw[..n];
    }

    /// <summary>Joliet: drop a trailing ";1" (Linux joliet.c and libarchive do; producers often omit it).</summary>
    public static string MapJoliet(string raw)
    {
        int n = raw.Length;
        if (n > 2 && raw[n - 2] == ';' && raw[n - 1] == '1') return raw[..(n - 2)];
        return raw;
    }
}

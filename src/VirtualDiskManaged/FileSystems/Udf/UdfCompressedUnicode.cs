namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// OSTA Compressed Unicode (OSTA UDF 2.60 §2.1.1, the CS0 character set of ECMA-167 1/7.2.1) and d-strings
/// (ECMA-167 1/7.2.12, OSTA UDF 2.60 §2.1.3). The first byte is the compression id: 8 = one byte per code point,
/// 16 = big-endian 16-bit units; 254 and 255 are the same for deleted FIDs (OSTA UDF 2.60 §2.3.4.6 via DCN-5049).
/// </summary>
internal static class UdfCompressedUnicode
{
    /// <summary>Decodes a CS0 string (compression id first); false when the id is unknown or a 16-bit string has an odd length.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> d, out string text)
    {
        text = "";
        if (d.IsEmpty) return true;
        byte id = d[0];
        var body = d[1..];
        switch (id)
        {
            case 8 or 254:
                text = string.Create(body.Length, body.ToArray(), static (span, bytes) =>
                {
                    for (int i = 0; i < span.Length; i++) span[i] = (char)bytes[i];
                });
                return true;
            case 16 or 255:
                if ((body.Length & 1) != 0) return false;
                var chars = new char[body.Length / 2];
                for (int i = 0; i < chars.Length; i++) chars[i] = (char)(body[2 * i] << 8 | body[2 * i + 1]);
                text = new string(chars);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// A d-string field: the last byte is the count of used bytes (compression id included); a count of 0 or 1 is
    /// empty; a count beyond the field is clamped (1/7.2.12). Trailing NULs are dropped. Unknown ids read as "".
    /// </summary>
    public static string ReadDString(ReadOnlySpan<byte> field)
    {
        if (field.Length < 2) return "";
        int used = field[^1];
        if (used > field.Length - 1) used = field.Length - 1;
        if (used <= 1) return "";
        var body = field[..used];
        if ((body[0] == 16) && (used - 1) % 2 != 0) body = body[..^1];
        if (!TryDecode(body, out var s)) return "";
        return s.TrimEnd('\0');
    }
}

using System.Buffers.Binary;
using System.Text;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// The 32-byte entity identifier (regid) of ECMA-167 1/7.4 (OSTA UDF 2.60 §2.1.5): flags, a 23-byte identifier and
/// an 8-byte suffix; for domain and UDF identifiers the suffix starts with the UDF revision (§2.1.5.3).
/// </summary>
internal readonly record struct UdfEntityIdentifier(string Identifier, ushort SuffixRevision)
{
    public const int Size = 32;
    private const int IdentifierOffset = 1;
    private const int IdentifierLength = 23;
    private const int SuffixOffset = 24;

    public static UdfEntityIdentifier Read(ReadOnlySpan<byte> d)
    {
        if (d.Length < Size) return new("", 0);
        var id = d.Slice(IdentifierOffset, IdentifierLength);
        int end = id.IndexOf((byte)0);
        if (end >= 0) id = id[..end];
        var sb = new StringBuilder(id.Length);
        foreach (byte b in id) sb.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        return new(sb.ToString(), BinaryPrimitives.ReadUInt16LittleEndian(d[SuffixOffset..]));
    }

    public bool Is(string identifier) => string.Equals(Identifier, identifier, StringComparison.Ordinal);
}

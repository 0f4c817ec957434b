using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// A File Identifier Descriptor (ECMA-167 4/14.4, OSTA UDF 2.60 §2.3.4): one directory entry, 38 bytes of header,
/// implementation use, the CS0 name and zero padding to a multiple of 4 bytes (4/14.4.9).
/// </summary>
internal readonly record struct UdfFileIdentifierDescriptor(byte Characteristics, UdfAllocationDescriptor Icb, int ImplementationUseLength, int NameLength, int TotalLength)
{
    public const int HeaderSize = 38;
    private const int CharacteristicsOffset = 18;
    private const int NameLengthOffset = 19;
    private const int IcbOffset = 20;
    private const int ImplementationUseLengthOffset = 36;

    // File characteristics (4/14.4.3).
    public const byte Hidden = 1;
    public const byte Directory = 2;
    public const byte Deleted = 4;
    public const byte Parent = 8;
    public const byte Metadata = 16;

    public bool IsHidden => (Characteristics & Hidden) != 0;
    public bool IsDirectory => (Characteristics & Directory) != 0;
    public bool IsDeleted => (Characteristics & Deleted) != 0;
    public bool IsParent => (Characteristics & Parent) != 0;

    public int NameOffset => HeaderSize + ImplementationUseLength;

    /// <summary>The total length from the header at <paramref name="header"/> (38 bytes): 4·⌈(38 + L_IU + L_FI)/4⌉.</summary>
    public static int LengthFromHeader(ReadOnlySpan<byte> header)
    {
        int iu = BinaryPrimitives.ReadUInt16LittleEndian(header[ImplementationUseLengthOffset..]);
        int fi = header[NameLengthOffset];
        return (HeaderSize + iu + fi + 3) & ~3;
    }

    public static UdfFileIdentifierDescriptor Parse(ReadOnlySpan<byte> d) => new(
        d[CharacteristicsOffset],
        UdfAllocationDescriptor.ReadLong(d[IcbOffset..]),
        BinaryPrimitives.ReadUInt16LittleEndian(d[ImplementationUseLengthOffset..]),
        d[NameLengthOffset],
        LengthFromHeader(d));
}

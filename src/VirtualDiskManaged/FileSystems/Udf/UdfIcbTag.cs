using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// The ICB tag (ECMA-167 4/14.6, OSTA UDF 2.60 §2.3.5) at offset 16 of every FE, EFE, IE and TE: the strategy
/// (4 or 4096, which readers shall support, §2.3.5.1), the file type (4/14.6.6) and the flags (4/14.6.8).
/// </summary>
internal readonly record struct UdfIcbTag(ushort Strategy, byte FileType, ushort Flags)
{
    public const int Offset = 16;
    public const int Size = 20;
    private const int StrategyOffset = 4;
    private const int FileTypeOffset = 11;
    private const int FlagsOffset = 18;

    // File types (4/14.6.6; OSTA UDF 2.60 §2.3.5.2).
    public const byte TypeUnspecified = 0;
    public const byte TypeIndirect = 3;
    public const byte TypeDirectory = 4;
    public const byte TypeFile = 5;
    public const byte TypeBlockDevice = 6;
    public const byte TypeCharacterDevice = 7;
    public const byte TypeExtendedAttributes = 8;
    public const byte TypeFifo = 9;
    public const byte TypeSocket = 10;
    public const byte TypeTerminal = 11;
    public const byte TypeSymlink = 12;
    public const byte TypeStreamDirectory = 13;
    public const byte TypeVat = 248;
    public const byte TypeRealTime = 249;
    public const byte TypeMetadata = 250;
    public const byte TypeMetadataMirror = 251;
    public const byte TypeMetadataBitmap = 252;

    // Flags (4/14.6.8).
    public const ushort FlagSetUid = 1 << 6;
    public const ushort FlagSetGid = 1 << 7;
    public const ushort FlagSticky = 1 << 8;

    public int AllocationForm => Flags & 7;

    public static UdfIcbTag Read(ReadOnlySpan<byte> descriptor)
    {
        var d = descriptor.Slice(Offset, Size);
        return new(BinaryPrimitives.ReadUInt16LittleEndian(d[StrategyOffset..]), d[FileTypeOffset], BinaryPrimitives.ReadUInt16LittleEndian(d[FlagsOffset..]));
    }
}

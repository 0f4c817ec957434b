namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>The File Set Descriptor (ECMA-167 4/14.1, OSTA UDF 2.60 §2.3.2): the root and system stream directories.</summary>
internal sealed class UdfFileSetDescriptor
{
    private const int LogicalVolumeIdentifierOffset = 112;
    private const int FileSetIdentifierOffset = 304;
    private const int IdentifierLength32 = 32;
    private const int RootOffset = 400;
    private const int DomainOffset = 416;
    private const int SystemStreamDirectoryOffset = 464;
    public const int MinimumSize = 512;

    public string LogicalVolumeIdentifier { get; private init; } = "";
    public string FileSetIdentifier { get; private init; } = "";
    public UdfAllocationDescriptor Root { get; private init; }
    public ushort DomainRevision { get; private init; }
    public UdfAllocationDescriptor SystemStreamDirectory { get; private init; }

    public static UdfFileSetDescriptor Parse(ReadOnlySpan<byte> d) => new()
    {
        LogicalVolumeIdentifier = UdfCompressedUnicode.ReadDString(d.Slice(LogicalVolumeIdentifierOffset, 128)),
        FileSetIdentifier = UdfCompressedUnicode.ReadDString(d.Slice(FileSetIdentifierOffset, IdentifierLength32)),
        Root = UdfAllocationDescriptor.ReadLong(d[RootOffset..]),
        DomainRevision = UdfEntityIdentifier.Read(d[DomainOffset..]).SuffixRevision,
        SystemStreamDirectory = UdfAllocationDescriptor.ReadLong(d[SystemStreamDirectoryOffset..]),
    };
}

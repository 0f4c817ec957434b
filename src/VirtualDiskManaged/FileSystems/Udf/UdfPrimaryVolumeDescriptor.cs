using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>The Primary Volume Descriptor (ECMA-167 3/10.1, OSTA UDF 2.60 §2.2.2): the fields the reader shows.</summary>
internal sealed class UdfPrimaryVolumeDescriptor
{
    private const int SequenceNumberOffset = 16;
    private const int VolumeIdentifierOffset = 24;
    private const int VolumeIdentifierLength = 32;
    private const int VolumeSetIdentifierOffset = 72;
    private const int VolumeSetIdentifierLength = 128;
    private const int ApplicationIdentifierOffset = 344;
    private const int RecordingTimeOffset = 376;
    private const int ImplementationIdentifierOffset = 388;
    public const int MinimumSize = 512;

    public uint SequenceNumber { get; private init; }
    public string VolumeIdentifier { get; private init; } = "";
    public string VolumeSetIdentifier { get; private init; } = "";
    public string ApplicationIdentifier { get; private init; } = "";
    public string ImplementationIdentifier { get; private init; } = "";
    public DateTimeOffset? RecordingTime { get; private init; }

    public static UdfPrimaryVolumeDescriptor Parse(ReadOnlySpan<byte> d) => new()
    {
        SequenceNumber = BinaryPrimitives.ReadUInt32LittleEndian(d[SequenceNumberOffset..]),
        VolumeIdentifier = UdfCompressedUnicode.ReadDString(d.Slice(VolumeIdentifierOffset, VolumeIdentifierLength)),
        VolumeSetIdentifier = UdfCompressedUnicode.ReadDString(d.Slice(VolumeSetIdentifierOffset, VolumeSetIdentifierLength)),
        ApplicationIdentifier = UdfEntityIdentifier.Read(d[ApplicationIdentifierOffset..]).Identifier,
        ImplementationIdentifier = UdfEntityIdentifier.Read(d[ImplementationIdentifierOffset..]).Identifier,
        RecordingTime = UdfTimestamp.Read(d[RecordingTimeOffset..]),
    };
}

using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>The Partition Descriptor (ECMA-167 3/10.5, OSTA UDF 2.60 §2.2.14).</summary>
internal sealed class UdfPartitionDescriptor
{
    private const int SequenceNumberOffset = 16;
    private const int NumberOffset = 22;
    private const int ContentsOffset = 24;
    private const int AccessTypeOffset = 184;
    private const int StartOffset = 188;
    private const int LengthOffset = 192;
    public const int MinimumSize = 512;

    public uint SequenceNumber { get; private init; }
    public ushort Number { get; private init; }
    public string Contents { get; private init; } = "";
    /// <summary>3/10.5.7: 0 unspecified (pseudo-overwritable in UDF 2.60), 1 read-only, 2 write-once, 3 rewritable, 4 overwritable.</summary>
    public uint AccessType { get; private init; }
    /// <summary>First sector of the partition (3/10.5.8).</summary>
    public uint Start { get; private init; }
    /// <summary>Length in sectors (3/10.5.9).</summary>
    public uint Length { get; private init; }
    public long DescriptorOffset { get; private init; }

    public static UdfPartitionDescriptor Parse(ReadOnlySpan<byte> d, long offset) => new()
    {
        SequenceNumber = BinaryPrimitives.ReadUInt32LittleEndian(d[SequenceNumberOffset..]),
        Number = BinaryPrimitives.ReadUInt16LittleEndian(d[NumberOffset..]),
        Contents = UdfEntityIdentifier.Read(d[ContentsOffset..]).Identifier,
        AccessType = BinaryPrimitives.ReadUInt32LittleEndian(d[AccessTypeOffset..]),
        Start = BinaryPrimitives.ReadUInt32LittleEndian(d[StartOffset..]),
        Length = BinaryPrimitives.ReadUInt32LittleEndian(d[LengthOffset..]),
        DescriptorOffset = offset,
    };
}

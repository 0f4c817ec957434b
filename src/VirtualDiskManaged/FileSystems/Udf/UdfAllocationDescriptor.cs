using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// One allocation descriptor, whatever its form (ECMA-167 4/14.14.1 short_ad, 4/14.14.2 long_ad, 4/14.14.3 ext_ad;
/// OSTA UDF 2.60 §2.3.10): the extent length in bytes (the low 30 bits), the extent type (the top 2 bits: 0 recorded,
/// 1 allocated but not recorded, 2 neither, 3 the next extent of allocation descriptors, 4/14.14.1.1), and the
/// partition-relative location.
/// </summary>
internal readonly record struct UdfAllocationDescriptor(uint Length, int Type, uint Block, ushort Partition)
{
    public const int ShortSize = 8;
    public const int LongSize = 16;
    public const int ExtendedSize = 20;
    private const int LengthOffset = 0;
    private const int ShortPositionOffset = 4;
    private const int LongBlockOffset = 4;
    private const int LongPartitionOffset = 8;
    private const int ExtendedBlockOffset = 12;
    private const int ExtendedPartitionOffset = 16;

    public const int Recorded = 0;
    public const int AllocatedNotRecorded = 1;
    public const int NotAllocated = 2;
    public const int NextExtent = 3;

    /// <summary>Allocation descriptor forms (ICB tag flags bits 0–2, 4/14.6.8).</summary>
    public const int FormShort = 0, FormLong = 1, FormExtended = 2, FormEmbedded = 3;

    public static int SizeOf(int form) => form switch { FormShort => ShortSize, FormLong => LongSize, FormExtended => ExtendedSize, _ => 0 };

    /// <summary>Reads a descriptor of <paramref name="form"/>; a short_ad takes the partition of the ICB (4/14.14.1).</summary>
    public static UdfAllocationDescriptor Read(ReadOnlySpan<byte> d, int form, ushort icbPartition)
    {
        uint raw = BinaryPrimitives.ReadUInt32LittleEndian(d[LengthOffset..]);
        uint length = raw & 0x3FFF_FFFF;
        int type = (int)(raw >> 30);
        return form switch
        {
            FormShort => new(length, type, BinaryPrimitives.ReadUInt32LittleEndian(d[ShortPositionOffset..]), icbPartition),
            FormLong => new(length, type, BinaryPrimitives.ReadUInt32LittleEndian(d[LongBlockOffset..]), BinaryPrimitives.ReadUInt16LittleEndian(d[LongPartitionOffset..])),
            _ => new(length, type, BinaryPrimitives.ReadUInt32LittleEndian(d[ExtendedBlockOffset..]), BinaryPrimitives.ReadUInt16LittleEndian(d[ExtendedPartitionOffset..])),
        };
    }

    /// <summary>A long_ad (4/14.14.2) as used by the FSD, FIDs and the LVD contents use.</summary>
    public static UdfAllocationDescriptor ReadLong(ReadOnlySpan<byte> d) => Read(d, FormLong, 0);
}

using System.Buffers.Binary;

namespace VirtualDiskManaged.Partitions;

/// <summary>
/// One 16-byte partition record of a Master Boot Record or an Extended Boot Record (UEFI 2.10 §5.2.1, Table 5-2
/// "Legacy MBR Partition Record").
/// </summary>
internal readonly struct MbrPartitionEntry
{
    public const int Size = 16;
    public const int BootIndicatorOffset = 0;
    public const int StartingChsOffset = 1;
    public const int OsTypeOffset = 4;
    public const int EndingChsOffset = 5;
    public const int StartingLbaOffset = 8;
    public const int SizeInLbaOffset = 12;

    /// <summary>OSType 0xEE: the protective MBR of a GPT disk (UEFI 2.10 §5.2.3).</summary>
    public const byte GptProtective = 0xEE;

    public byte BootIndicator { get; init; }
    public byte OsType { get; init; }
    public uint StartingLba { get; init; }
    public uint SizeInLba { get; init; }

    /// <summary>An unused record: OSType 0 or no sectors (UEFI 2.10 §5.2.1).</summary>
    public bool IsEmpty => OsType == 0 || SizeInLba == 0;

    /// <summary>Types that describe an extended partition holding a chain of EBRs (0x05 CHS, 0x0F LBA, 0x85 Linux).</summary>
    public bool IsExtended => OsType is 0x05 or 0x0F or 0x85;

    public static MbrPartitionEntry Parse(ReadOnlySpan<byte> record) => new()
    {
        BootIndicator = record[BootIndicatorOffset],
        OsType = record[OsTypeOffset],
        StartingLba = BinaryPrimitives.ReadUInt32LittleEndian(record[StartingLbaOffset..]),
        SizeInLba = BinaryPrimitives.ReadUInt32LittleEndian(record[SizeInLbaOffset..]),
    };
}

/// <summary>The fixed layout of a 512-byte MBR or EBR sector (UEFI 2.10 §5.2.1, Table 5-1 "Legacy MBR").</summary>
internal static class MbrSector
{
    public const int Size = 512;
    public const int UniqueMbrDiskSignatureOffset = 440;
    public const int PartitionRecordOffset = 446;
    public const int PartitionRecordCount = 4;
    public const int SignatureOffset = 510;
    public const ushort Signature = 0xAA55;

    public static bool HasSignature(ReadOnlySpan<byte> sector) =>
        sector.Length >= Size && BinaryPrimitives.ReadUInt16LittleEndian(sector[SignatureOffset..]) == Signature;

    public static MbrPartitionEntry Record(ReadOnlySpan<byte> sector, int index) =>
        MbrPartitionEntry.Parse(sector.Slice(PartitionRecordOffset + index * MbrPartitionEntry.Size, MbrPartitionEntry.Size));
}

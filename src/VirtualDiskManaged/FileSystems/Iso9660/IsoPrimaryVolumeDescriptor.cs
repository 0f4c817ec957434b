using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// The layout the Primary (ECMA-119 §8.4), Supplementary and Enhanced (§8.5) volume descriptors share: every
/// field read-only, text decoded (UCS-2 big-endian for Joliet, else as recorded without padding).
/// </summary>
public abstract class IsoVolumeSpaceDescriptor : IsoVolumeDescriptor
{
    // ECMA-119 §8.4 byte positions (BP n = offset n − 1).
    internal const int FlagsOffset = 7, SystemIdentifierOffset = 8, VolumeIdentifierOffset = 40, VolumeSpaceSizeOffset = 80,
        EscapeSequencesOffset = 88, VolumeSetSizeOffset = 120, VolumeSequenceNumberOffset = 124, LogicalBlockSizeOffset = 128,
        PathTableSizeOffset = 132, TypeLPathTableOffset = 140, OptionalTypeLPathTableOffset = 144, TypeMPathTableOffset = 148,
        OptionalTypeMPathTableOffset = 152, RootDirectoryRecordOffset = 156, VolumeSetIdentifierOffset = 190,
        PublisherIdentifierOffset = 318, DataPreparerIdentifierOffset = 446, ApplicationIdentifierOffset = 574,
        CopyrightFileIdentifierOffset = 702, AbstractFileIdentifierOffset = 739, BibliographicFileIdentifierOffset = 776,
        CreationDateOffset = 813, ModificationDateOffset = 830, ExpirationDateOffset = 847, EffectiveDateOffset = 864,
        FileStructureVersionOffset = 881, ApplicationUseOffset = 883;

    /// <summary>ECMA-119 §8.4.20: the length of the Application Use field (where implantisomd5 writes).</summary>
    public const int ApplicationUseLength = 512;

    /// <summary>ECMA-119 §8.4.18: the root directory record is 34 bytes.</summary>
    internal const int RootRecordLength = 34;

    private protected IsoVolumeSpaceDescriptor(ReadOnlySpan<byte> sector, long sectorNumber, bool ucs2) : base(sector, sectorNumber)
    {
        SystemIdentifier = Text(sector, SystemIdentifierOffset, 32, ucs2);
        VolumeIdentifier = Text(sector, VolumeIdentifierOffset, 32, ucs2);
        VolumeSpaceSize = IsoBytes.BothEndian32(sector, VolumeSpaceSizeOffset);
        VolumeSpaceSizeBigEndian = BinaryPrimitives.ReadUInt32BigEndian(sector.Slice(VolumeSpaceSizeOffset + 4, 4));
        VolumeSetSize = IsoBytes.BothEndian16(sector, VolumeSetSizeOffset);
        VolumeSequenceNumber = IsoBytes.BothEndian16(sector, VolumeSequenceNumberOffset);
        LogicalBlockSize = IsoBytes.BothEndian16(sector, LogicalBlockSizeOffset);
        PathTableSize = IsoBytes.BothEndian32(sector, PathTableSizeOffset);
        TypeLPathTable = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(TypeLPathTableOffset, 4));
        OptionalTypeLPathTable = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(OptionalTypeLPathTableOffset, 4));
        TypeMPathTable = BinaryPrimitives.ReadUInt32BigEndian(sector.Slice(TypeMPathTableOffset, 4));
        OptionalTypeMPathTable = BinaryPrimitives.ReadUInt32BigEndian(sector.Slice(OptionalTypeMPathTableOffset, 4));
        RootDirectoryRecord = sector.Slice(RootDirectoryRecordOffset, RootRecordLength).ToArray();
        VolumeSetIdentifier = Text(sector, VolumeSetIdentifierOffset, 128, ucs2);
        PublisherIdentifier = Text(sector, PublisherIdentifierOffset, 128, ucs2);
        DataPreparerIdentifier = Text(sector, DataPreparerIdentifierOffset, 128, ucs2);
        ApplicationIdentifier = Text(sector, ApplicationIdentifierOffset, 128, ucs2);
        CopyrightFileIdentifier = Text(sector, CopyrightFileIdentifierOffset, 37, ucs2);
        AbstractFileIdentifier = Text(sector, AbstractFileIdentifierOffset, 37, ucs2);
        BibliographicFileIdentifier = Text(sector, BibliographicFileIdentifierOffset, 37, ucs2);
        CreationTime = IsoBytes.DecimalDate(sector.Slice(CreationDateOffset, 17));
        ModificationTime = IsoBytes.DecimalDate(sector.Slice(ModificationDateOffset, 17));
        ExpirationTime = IsoBytes.DecimalDate(sector.Slice(ExpirationDateOffset, 17));
        EffectiveTime = IsoBytes.DecimalDate(sector.Slice(EffectiveDateOffset, 17));
        FileStructureVersion = sector[FileStructureVersionOffset];
        ApplicationUse = sector.Slice(ApplicationUseOffset, ApplicationUseLength).ToArray();
        BothEndianAgree = IsoBytes.BothEndian32Agrees(sector, VolumeSpaceSizeOffset) && IsoBytes.BothEndian16Agrees(sector, VolumeSetSizeOffset)
            && IsoBytes.BothEndian16Agrees(sector, VolumeSequenceNumberOffset) && IsoBytes.BothEndian16Agrees(sector, LogicalBlockSizeOffset)
            && IsoBytes.BothEndian32Agrees(sector, PathTableSizeOffset);
    }

    private static string Text(ReadOnlySpan<byte> sector, int offset, int length, bool ucs2) =>
        ucs2 ? IsoBytes.Ucs2Text(sector.Slice(offset, length)) : IsoBytes.AText(sector.Slice(offset, length));

    /// <summary>System Identifier.</summary>
    public string SystemIdentifier { get; }

    /// <summary>Volume Identifier (the volume's label).</summary>
    public string VolumeIdentifier { get; }

    /// <summary>Volume Space Size in logical blocks (the little-endian copy, ECMA-119 §8.4.8).</summary>
    public uint VolumeSpaceSize { get; }

    /// <summary>The big-endian copy of the Volume Space Size (what isomd5sum reads).</summary>
    public uint VolumeSpaceSizeBigEndian { get; }

    /// <summary>Volume Set Size.</summary>
    public ushort VolumeSetSize { get; }

    /// <summary>Volume Sequence Number.</summary>
    public ushort VolumeSequenceNumber { get; }

    /// <summary>Logical Block Size in bytes (2048 on every real image).</summary>
    public ushort LogicalBlockSize { get; }

    /// <summary>Path Table Size in bytes (unpadded).</summary>
    public uint PathTableSize { get; }

    /// <summary>Location (logical block) of the Type L path table.</summary>
    public uint TypeLPathTable { get; }

    /// <summary>Location of the optional Type L path table (0 = none).</summary>
    public uint OptionalTypeLPathTable { get; }

    /// <summary>Location (logical block) of the Type M path table.</summary>
    public uint TypeMPathTable { get; }

    /// <summary>Location of the optional Type M path table (0 = none).</summary>
    public uint OptionalTypeMPathTable { get; }

    /// <summary>The 34-byte root directory record as recorded (ECMA-119 §8.4.18).</summary>
    public ReadOnlyMemory<byte> RootDirectoryRecord { get; }

    /// <summary>The root directory's extent (logical block), from the root record.</summary>
    public uint RootExtent => IsoBytes.BothEndian32(RootDirectoryRecord.Span, IsoDirectoryRecord.ExtentOffset);

    /// <summary>The root directory's data length in bytes, from the root record.</summary>
    public uint RootDataLength => IsoBytes.BothEndian32(RootDirectoryRecord.Span, IsoDirectoryRecord.DataLengthOffset);

    /// <summary>Volume Set Identifier.</summary>
    public string VolumeSetIdentifier { get; }

    /// <summary>Publisher Identifier.</summary>
    public string PublisherIdentifier { get; }

    /// <summary>Data Preparer Identifier.</summary>
    public string DataPreparerIdentifier { get; }

    /// <summary>Application Identifier.</summary>
    public string ApplicationIdentifier { get; }

    /// <summary>Copyright File Identifier.</summary>
    public string CopyrightFileIdentifier { get; }

    /// <summary>Abstract File Identifier.</summary>
    public string AbstractFileIdentifier { get; }

    /// <summary>Bibliographic File Identifier.</summary>
    public string BibliographicFileIdentifier { get; }

    /// <summary>Volume Creation Date and Time (null when not specified).</summary>
    public DateTimeOffset? CreationTime { get; }

    /// <summary>Volume Modification Date and Time.</summary>
    public DateTimeOffset? ModificationTime { get; }

    /// <summary>Volume Expiration Date and Time.</summary>
    public DateTimeOffset? ExpirationTime { get; }

    /// <summary>Volume Effective Date and Time.</summary>
    public DateTimeOffset? EffectiveTime { get; }

    /// <summary>File Structure Version (1; 2 for the enhanced descriptor).</summary>
    public byte FileStructureVersion { get; }

    /// <summary>The 512 bytes of Application Use (implantisomd5 keeps its record here).</summary>
    public ReadOnlyMemory<byte> ApplicationUse { get; }

    /// <summary>False when a both-endian field's two copies differ (the little-endian copies are used).</summary>
    public bool BothEndianAgree { get; }
}

/// <summary>The Primary Volume Descriptor (ECMA-119 §8.4).</summary>
public sealed class IsoPrimaryVolumeDescriptor : IsoVolumeSpaceDescriptor
{
    internal IsoPrimaryVolumeDescriptor(ReadOnlySpan<byte> sector, long sectorNumber) : base(sector, sectorNumber, ucs2: false) { }
}

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>What <see cref="IsoDirectoryRecord.TryParse"/> found at a position of a directory sector.</summary>
internal enum IsoRecordStatus
{
    Ok,
    /// <summary>LEN_DR = 0: no more records in this sector (ECMA-119 §6.8.1.1).</summary>
    EndOfSector,
    /// <summary>The record does not end in the sector in which it begins (ECMA-119 §6.8.1.1).</summary>
    CrossesSector,
    /// <summary>LEN_DR below 34, or LEN_FI zero or longer than the record allows (ECMA-119 §9.1.1, §9.1.10).</summary>
    LengthInvalid,
}

/// <summary>
/// One directory record (ECMA-119 §9.1), parsed from a span without copying: the fixed fields and where the
/// identifier and the System Use area lie inside the record.
/// </summary>
internal readonly struct IsoDirectoryRecord
{
    // ECMA-119 §9.1 byte positions (BP n = offset n − 1).
    public const int LengthOffset = 0, EarLengthOffset = 1, ExtentOffset = 2, DataLengthOffset = 10, RecordingDateOffset = 18,
        FlagsOffset = 25, FileUnitSizeOffset = 26, InterleaveGapOffset = 27, VolumeSequenceOffset = 28, IdentifierLengthOffset = 32,
        IdentifierOffset = 33;

    /// <summary>33 fixed bytes and a 1-byte identifier (ECMA-119 §9.1.10: LEN_FI ≥ 1).</summary>
    public const int MinimumLength = 34;

    /// <summary>A directory's records are grouped in 2048-byte logical sectors (ECMA-119 §6.8.1.1).</summary>
    public const int SectorSize = 2048;

    // ECMA-119 §9.1.6 file flags.
    public const byte FlagHidden = 0x01, FlagDirectory = 0x02, FlagAssociated = 0x04, FlagRecord = 0x08, FlagProtection = 0x10, FlagMultiExtent = 0x80;

    public int Length { get; init; }
    public int EarLength { get; init; }
    public uint Extent { get; init; }
    public uint DataLength { get; init; }
    public byte Flags { get; init; }
    public byte FileUnitSize { get; init; }
    public byte InterleaveGap { get; init; }
    public int IdentifierLength { get; init; }

    /// <summary>Offset of the System Use area inside the record (ECMA-119 §9.1.12: one pad byte when LEN_FI is even).</summary>
    public int SystemUseOffset { get; init; }

    public int SystemUseLength => Length - SystemUseOffset;

    public bool IsDirectory => (Flags & FlagDirectory) != 0;

    public bool IsMultiExtent => (Flags & FlagMultiExtent) != 0;

    public bool IsInterleaved => FileUnitSize != 0 || InterleaveGap != 0;

    /// <summary>Parses the record at <paramref name="position"/> of <paramref name="sector"/> (the bytes of one logical sector).</summary>
    public static IsoRecordStatus TryParse(ReadOnlySpan<byte> sector, int position, out IsoDirectoryRecord record)
    {
        record = default;
        if ((uint)position >= (uint)sector.Length) return IsoRecordStatus.EndOfSector;
        int length = sector[position];
        if (length == 0) return IsoRecordStatus.EndOfSector;
        // ECMA-119 §6.8.1.1: a record ends in the sector in which it begins.
        if (length > sector.Length - position) return length < MinimumLength ? IsoRecordStatus.LengthInvalid : IsoRecordStatus.CrossesSector;
        if (length < MinimumLength) return IsoRecordStatus.LengthInvalid;
        var r = sector.Slice(position, length);
        int idLength = r[IdentifierLengthOffset];
        // ECMA-119 §9.1.10: LEN_FI ≥ 1 and the identifier inside the record.
        if (idLength == 0 || IdentifierOffset + idLength > length) return IsoRecordStatus.LengthInvalid;
        int su = IdentifierOffset + idLength + ((idLength & 1) == 0 ? 1 : 0);
        if (su > length) su = length; // an even LEN_FI without its pad byte: no System Use
        record = new IsoDirectoryRecord
        {
            Length = length,
            EarLength = r[EarLengthOffset],
            Extent = IsoBytes.BothEndian32(r, ExtentOffset),
            DataLength = IsoBytes.BothEndian32(r, DataLengthOffset),
            Flags = r[FlagsOffset],
            FileUnitSize = r[FileUnitSizeOffset],
            InterleaveGap = r[InterleaveGapOffset],
            IdentifierLength = idLength,
            SystemUseOffset = su,
        };
        return IsoRecordStatus.Ok;
    }

    /// <summary>True for the "." (0x00) or ".." (0x01) identifier (ECMA-119 §6.8.2.2).</summary>
    public static bool IsDotOrDotDot(ReadOnlySpan<byte> identifier) => identifier.Length == 1 && identifier[0] <= 1;
}

using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>Tag identifiers (ECMA-167 3/7.2.1 and 4/7.2.1; 0 is the UDF sparing table, OSTA UDF 2.60 §2.2.12).</summary>
internal static class UdfTagId
{
    public const ushort SparingTable = 0;
    public const ushort PrimaryVolume = 1;
    public const ushort AnchorPointer = 2;
    public const ushort VolumePointer = 3;
    public const ushort ImplementationUse = 4;
    public const ushort Partition = 5;
    public const ushort LogicalVolume = 6;
    public const ushort UnallocatedSpace = 7;
    public const ushort Terminating = 8;
    public const ushort LogicalVolumeIntegrity = 9;
    public const ushort FileSet = 256;
    public const ushort FileIdentifier = 257;
    public const ushort AllocationExtent = 258;
    public const ushort IndirectEntry = 259;
    public const ushort TerminalEntry = 260;
    public const ushort FileEntry = 261;
    public const ushort ExtendedAttributeHeader = 262;
    public const ushort UnallocatedSpaceEntry = 263;
    public const ushort SpaceBitmap = 264;
    public const ushort PartitionIntegrity = 265;
    public const ushort ExtendedFileEntry = 266;
}

/// <summary>What is wrong with a descriptor tag (none when it is sound).</summary>
internal enum UdfTagProblem
{
    None = 0,
    TooShort,
    Checksum,
    Identifier,
    Version,
    Location,
    CrcLength,
    Crc,
}

/// <summary>
/// The 16-byte descriptor tag that starts every UDF descriptor (ECMA-167 3/7.2, 4/7.2; OSTA UDF 2.60 §2.2.1).
/// Every descriptor the reader follows is checked here: checksum, identifier, version 2 or 3, reserved byte zero,
/// tag location equal to where it was read (partition-relative for part-4 descriptors, 4/7.2.8) and the CRC.
/// </summary>
internal readonly struct UdfTag
{
    public const int Size = 16;
    private const int IdentifierOffset = 0;
    private const int VersionOffset = 2;
    private const int ChecksumOffset = 4;
    private const int ReservedOffset = 5;
    private const int CrcOffset = 8;
    private const int CrcLengthOffset = 10;
    private const int LocationOffset = 12;

    public ushort Identifier { get; init; }
    public ushort Version { get; init; }
    public ushort CrcLength { get; init; }
    public uint Location { get; init; }

    /// <summary>Reads the tag fields without checking anything (false when fewer than 16 bytes).</summary>
    public static bool TryRead(ReadOnlySpan<byte> d, out UdfTag tag)
    {
        tag = default;
        if (d.Length < Size) return false;
        tag = new UdfTag
        {
            Identifier = BinaryPrimitives.ReadUInt16LittleEndian(d[IdentifierOffset..]),
            Version = BinaryPrimitives.ReadUInt16LittleEndian(d[VersionOffset..]),
            CrcLength = BinaryPrimitives.ReadUInt16LittleEndian(d[CrcLengthOffset..]),
            Location = BinaryPrimitives.ReadUInt32LittleEndian(d[LocationOffset..]),
        };
        return true;
    }

    /// <summary>The tag checksum of ECMA-167 3/7.2.3: bytes 0–3 and 5–15 summed modulo 256.</summary>
    public static byte Checksum(ReadOnlySpan<byte> d)
    {
        int sum = 0;
        for (int i = 0; i < Size; i++) if (i != ChecksumOffset) sum += d[i];
        return (byte)sum;
    }

    /// <summary>
    /// Checks the tag at the start of <paramref name="d"/> (the bytes available for the descriptor).
    /// <paramref name="expectedId"/> &lt; 0 accepts any identifier. The CRC covers bytes [16, 16 + CRC length)
    /// (3/7.2.6); a CRC length reaching past <paramref name="d"/> is a problem (OSTA UDF 2.60 §2.2.1.2 says it
    /// never gives the descriptor's length, so it must at least fit what was read).
    /// </summary>
    public static UdfTagProblem Check(ReadOnlySpan<byte> d, int expectedId, uint expectedLocation, out UdfTag tag)
    {
        if (!TryRead(d, out tag)) return UdfTagProblem.TooShort;
        if (d[ChecksumOffset] != Checksum(d) || d[ReservedOffset] != 0) return UdfTagProblem.Checksum;
        if (expectedId >= 0 && tag.Identifier != expectedId) return UdfTagProblem.Identifier;
        // 3/7.2.2: version 2 on NSR02 volumes (ECMA-167 2nd edition), 3 on NSR03.
        if (tag.Version is not (2 or 3)) return UdfTagProblem.Version;
        if (tag.Location != expectedLocation) return UdfTagProblem.Location;
        if (Size + tag.CrcLength > d.Length) return UdfTagProblem.CrcLength;
        ushort crc = BinaryPrimitives.ReadUInt16LittleEndian(d[CrcOffset..]);
        if (UdfCrc.Compute(d.Slice(Size, tag.CrcLength)) != crc) return UdfTagProblem.Crc;
        return UdfTagProblem.None;
    }

    /// <summary>The reason for a tag problem.</summary>
    public static VirtualDiskErrorReason ReasonOf(UdfTagProblem p) => p switch
    {
        UdfTagProblem.Checksum => VirtualDiskErrorReason.UdfTagChecksumMismatch,
        UdfTagProblem.Crc or UdfTagProblem.CrcLength => VirtualDiskErrorReason.UdfTagCrcMismatch,
        UdfTagProblem.Location => VirtualDiskErrorReason.UdfTagLocationMismatch,
        _ => VirtualDiskErrorReason.UdfTagUnexpected,
    };

    public static string Describe(UdfTagProblem p, ReadOnlySpan<byte> d, int expectedId, uint expectedLocation)
    {
        TryRead(d, out var tag);
        return p switch
        {
            UdfTagProblem.TooShort => "Fewer than 16 bytes",
            UdfTagProblem.Checksum => $"Tag checksum {(d.Length > 4 ? d[4] : 0)} (sum {(d.Length >= Size ? Checksum(d) : 0)}), reserved byte {(d.Length > 5 ? d[5] : 0)}",
            UdfTagProblem.Identifier => $"Tag identifier {tag.Identifier}, expected {expectedId}",
            UdfTagProblem.Version => $"Descriptor version {tag.Version}",
            UdfTagProblem.Location => $"Tag location {tag.Location}, read at block {expectedLocation}",
            UdfTagProblem.CrcLength => $"CRC length {tag.CrcLength} exceeds the {d.Length} bytes of the descriptor",
            UdfTagProblem.Crc => "Descriptor CRC does not match",
            _ => "",
        };
    }
}

using System.Buffers.Binary;

namespace VirtualDiskManaged.Vhd;

/// <summary>VHD disk types (VHD spec "Hard Disk Footer Format", footer offset 60).</summary>
internal enum VhdDiskType : uint
{
    None = 0,
    Fixed = 2,
    Dynamic = 3,
    Differencing = 4,
}

/// <summary>
/// The 512-byte VHD hard disk footer (VHD spec "Hard Disk Footer Format"). <see cref="TryParse"/> checks only what the footer's own
/// bytes can tell: cookie, checksum (over the raw bytes), format version and disk type. Offsets and sizes are
/// checked against the file by the provider.
/// </summary>
internal readonly struct VhdFooter
{
    public const int Size = 512;
    /// <summary>Footers of Virtual PC before 2004 lack the last reserved byte (docs/decisions.md, "511-byte footers and the footer copy").</summary>
    public const int ShortSize = 511;

    public const int CookieOffset = 0;
    public const int FeaturesOffset = 8;
    public const int FormatVersionOffset = 12;
    public const int DataOffsetOffset = 16;
    public const int TimeStampOffset = 24;
    public const int CreatorApplicationOffset = 28;
    public const int CreatorVersionOffset = 32;
    public const int CreatorHostOsOffset = 36;
    public const int OriginalSizeOffset = 40;
    public const int CurrentSizeOffset = 48;
    public const int CylindersOffset = 56;
    public const int HeadsOffset = 58;
    public const int SectorsPerTrackOffset = 59;
    public const int DiskTypeOffset = 60;
    public const int ChecksumOffset = 64;
    public const int UniqueIdOffset = 68;
    public const int SavedStateOffset = 84;
    public const int ReservedOffset = 85;

    public const uint SupportedVersion = 0x0001_0000;
    public const uint FeatureTemporary = 0x1;
    public const uint FeatureReserved = 0x2;
    /// <summary>Fixed disks: "no next structure" (all 64 bits set; the spec text's 32-bit form is accepted with a warning).</summary>
    public const ulong NoDataOffset = ulong.MaxValue;
    public const ulong SpecLiteralNoDataOffset = 0x0000_0000_FFFF_FFFF;

    /// <summary>"conectix".</summary>
    public static ReadOnlySpan<byte> Cookie => "conectix"u8;

    public uint Features { get; init; }
    public uint FormatVersion { get; init; }
    public ulong DataOffset { get; init; }
    public uint TimeStamp { get; init; }
    public uint CreatorApplication { get; init; }
    public uint CreatorVersion { get; init; }
    public uint CreatorHostOs { get; init; }
    public ulong OriginalSize { get; init; }
    public ulong CurrentSize { get; init; }
    public ushort Cylinders { get; init; }
    public byte Heads { get; init; }
    public byte SectorsPerTrack { get; init; }
    public VhdDiskType DiskType { get; init; }
    public uint Checksum { get; init; }
    /// <summary>The unique id as a Guid read in RFC 4122 (big-endian) order, so its text matches other tools.</summary>
    public Guid UniqueId { get; init; }
    public byte SavedState { get; init; }
    /// <summary>VHD rule 5 (docs/open-path.md §8.1) (reserved bytes zero) is informational only: the checksum covers them, and only 7-Zip rejects.</summary>
    public static bool ReservedBytesZero(ReadOnlySpan<byte> bytes) => !bytes[ReservedOffset..Size].ContainsAnyExcept((byte)0);

    public bool IsSparse => DiskType is VhdDiskType.Dynamic or VhdDiskType.Differencing;

    /// <summary>True when <paramref name="bytes"/> starts with "conectix".</summary>
    public static bool HasCookie(ReadOnlySpan<byte> bytes) => bytes.Length >= 8 && bytes[..8].SequenceEqual(Cookie);

    /// <summary>
    /// Parses a footer from 512 bytes (a 511-byte footer is passed padded with a zero byte).
    /// Failures: <see cref="VirtualDiskErrorReason.VhdFooterMissing"/> (no cookie),
    /// <see cref="VirtualDiskErrorReason.VhdFooterChecksumMismatch"/>, <see cref="VirtualDiskErrorReason.VhdFormatVersionUnsupported"/>,
    /// <see cref="VirtualDiskErrorReason.VhdDiskTypeInvalid"/>.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out VhdFooter footer, out VirtualDiskErrorReason reason)
    {
        footer = default;
        if (bytes.Length < Size || !HasCookie(bytes)) { reason = VirtualDiskErrorReason.VhdFooterMissing; return false; }
        bytes = bytes[..Size];
        uint checksum = BinaryPrimitives.ReadUInt32BigEndian(bytes[ChecksumOffset..]);
        // VHD spec "Hard Disk Footer Format", Checksum, VHD rule 2 (docs/open-path.md §8.1): checksum over the raw bytes.
        if (VhdChecksum.Compute(bytes, ChecksumOffset) != checksum) { reason = VirtualDiskErrorReason.VhdFooterChecksumMismatch; return false; }
        footer = new VhdFooter
        {
            Features = BinaryPrimitives.ReadUInt32BigEndian(bytes[FeaturesOffset..]),
            FormatVersion = BinaryPrimitives.ReadUInt32BigEndian(bytes[FormatVersionOffset..]),
            DataOffset = BinaryPrimitives.ReadUInt64BigEndian(bytes[DataOffsetOffset..]),
            TimeStamp = BinaryPrimitives.ReadUInt32BigEndian(bytes[TimeStampOffset..]),
            CreatorApplication = BinaryPrimitives.ReadUInt32BigEndian(bytes[CreatorApplicationOffset..]),
            CreatorVersion = BinaryPrimitives.ReadUInt32BigEndian(bytes[CreatorVersionOffset..]),
            CreatorHostOs = BinaryPrimitives.ReadUInt32BigEndian(bytes[CreatorHostOsOffset..]),
            OriginalSize = BinaryPrimitives.ReadUInt64BigEndian(bytes[OriginalSizeOffset..]),
            CurrentSize = BinaryPrimitives.ReadUInt64BigEndian(bytes[CurrentSizeOffset..]),
            Cylinders = BinaryPrimitives.ReadUInt16BigEndian(bytes[CylindersOffset..]),
            Heads = bytes[HeadsOffset],
            SectorsPerTrack = bytes[SectorsPerTrackOffset],
            DiskType = (VhdDiskType)BinaryPrimitives.ReadUInt32BigEndian(bytes[DiskTypeOffset..]),
            Checksum = checksum,
            UniqueId = new Guid(bytes.Slice(UniqueIdOffset, 16), bigEndian: true),
            SavedState = bytes[SavedStateOffset],
        };
        // VHD rule 3 (docs/open-path.md §8.1): format version 1.0.
        if (footer.FormatVersion != SupportedVersion) { reason = VirtualDiskErrorReason.VhdFormatVersionUnsupported; return false; }
        // VHD rule 6 (docs/open-path.md §8.1): disk type fixed, dynamic or differencing.
        if (footer.DiskType is not (VhdDiskType.Fixed or VhdDiskType.Dynamic or VhdDiskType.Differencing))
        {
            reason = VirtualDiskErrorReason.VhdDiskTypeInvalid;
            return false;
        }
        reason = VirtualDiskErrorReason.None;
        return true;
    }

    /// <summary>VHD rule 4 (docs/open-path.md §8.1): features must have the reserved bit 0x2 and no bits other than 0x1.</summary>
    public bool FeaturesValid => (Features & FeatureReserved) != 0 && (Features & ~(FeatureReserved | FeatureTemporary)) == 0;

    /// <summary>A 4-byte big-endian tag as text ("qemu", "win ", "Wi2k"), NULs kept as "\0".</summary>
    public static string TagText(uint tag)
    {
        Span<char> c = stackalloc char[4];
        for (int i = 0; i < 4; i++)
        {
            byte b = (byte)(tag >> (24 - 8 * i));
            c[i] = b is >= 0x20 and < 0x7F ? (char)b : b == 0 ? '\0' : '?';
        }
        return new string(c).TrimEnd('\0');
    }

    /// <summary>Seconds since 2000-01-01 UTC (the VHD epoch) as a date.</summary>
    public static DateTimeOffset ToDate(uint seconds) => VhdEpoch.AddSeconds(seconds);

    public static readonly DateTimeOffset VhdEpoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
}

using System.Buffers.Binary;

namespace VirtualDiskManaged.Vhd;

/// <summary>
/// The 1024-byte dynamic disk header (VHD spec "Dynamic Disk Header Format"). <see cref="TryParse"/> checks cookie, checksum (raw bytes),
/// version and block size; the BAT's place and size are checked against the file by the provider.
/// </summary>
internal readonly struct VhdDynamicHeader
{
    public const int Size = 1024;
    public const int CookieOffset = 0;
    public const int DataOffsetOffset = 8;
    public const int TableOffsetOffset = 16;
    public const int HeaderVersionOffset = 24;
    public const int MaxTableEntriesOffset = 28;
    public const int BlockSizeOffset = 32;
    public const int ChecksumOffset = 36;
    public const int ParentUniqueIdOffset = 40;
    public const int ParentTimeStampOffset = 56;
    public const int Reserved1Offset = 60;
    public const int ParentUnicodeNameOffset = 64;
    public const int ParentUnicodeNameLength = 512;
    public const int ParentLocatorsOffset = 576;
    public const int ParentLocatorCount = 8;
    public const int Reserved2Offset = 768;

    public const uint SupportedVersion = 0x0001_0000;
    public const uint MinBlockSize = 512;

    /// <summary>"cxsparse".</summary>
    public static ReadOnlySpan<byte> Cookie => "cxsparse"u8;

    public ulong DataOffset { get; init; }
    public ulong TableOffset { get; init; }
    public uint HeaderVersion { get; init; }
    public uint MaxTableEntries { get; init; }
    public uint BlockSize { get; init; }
    public uint Checksum { get; init; }
    /// <summary>The parent's footer unique id, RFC 4122 order (compare with the parent's <see cref="VhdFooter.UniqueId"/>).</summary>
    public Guid ParentUniqueId { get; init; }
    public uint ParentTimeStamp { get; init; }
    /// <summary>VHD rule 12 (docs/open-path.md §8.1) (reserved fields zero) is not enforced: the checksum covers them, and peers disagree (only 7-Zip rejects).</summary>
    public static bool ReservedFieldsZero(ReadOnlySpan<byte> bytes)
    {
        bool zero = BinaryPrimitives.ReadUInt32BigEndian(bytes[Reserved1Offset..]) == 0 && !bytes[Reserved2Offset..Size].ContainsAnyExcept((byte)0);
        for (int i = 0; i < ParentLocatorCount; i++)
            zero &= BinaryPrimitives.ReadUInt32BigEndian(bytes[(ParentLocatorsOffset + i * VhdParentLocatorEntry.Size + VhdParentLocatorEntry.ReservedOffset)..]) == 0;
        return zero;
    }

    /// <summary>
    /// Parses 1024 bytes. Failures: <see cref="VirtualDiskErrorReason.VhdDynamicHeaderCookieInvalid"/>,
    /// <see cref="VirtualDiskErrorReason.VhdDynamicHeaderChecksumMismatch"/>, <see cref="VirtualDiskErrorReason.VhdDynamicHeaderVersionUnsupported"/>,
    /// <see cref="VirtualDiskErrorReason.VhdBlockSizeInvalid"/>.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out VhdDynamicHeader header, out VirtualDiskErrorReason reason)
    {
        header = default;
        // VHD rule 9 (docs/open-path.md §8.1): cookie.
        if (bytes.Length < Size || !bytes[..8].SequenceEqual(Cookie)) { reason = VirtualDiskErrorReason.VhdDynamicHeaderCookieInvalid; return false; }
        bytes = bytes[..Size];
        uint checksum = BinaryPrimitives.ReadUInt32BigEndian(bytes[ChecksumOffset..]);
        // VHD rule 10 (docs/open-path.md §8.1): checksum over the raw bytes (VHD spec "Hard Disk Footer Format", Checksum).
        if (VhdChecksum.Compute(bytes, ChecksumOffset) != checksum) { reason = VirtualDiskErrorReason.VhdDynamicHeaderChecksumMismatch; return false; }
        header = new VhdDynamicHeader
        {
            DataOffset = BinaryPrimitives.ReadUInt64BigEndian(bytes[DataOffsetOffset..]),
            TableOffset = BinaryPrimitives.ReadUInt64BigEndian(bytes[TableOffsetOffset..]),
            HeaderVersion = BinaryPrimitives.ReadUInt32BigEndian(bytes[HeaderVersionOffset..]),
            MaxTableEntries = BinaryPrimitives.ReadUInt32BigEndian(bytes[MaxTableEntriesOffset..]),
            BlockSize = BinaryPrimitives.ReadUInt32BigEndian(bytes[BlockSizeOffset..]),
            Checksum = checksum,
            ParentUniqueId = new Guid(bytes.Slice(ParentUniqueIdOffset, 16), bigEndian: true),
            ParentTimeStamp = BinaryPrimitives.ReadUInt32BigEndian(bytes[ParentTimeStampOffset..]),
        };
        // VHD rule 11 (docs/open-path.md §8.1): version 1.0.
        if (header.HeaderVersion != SupportedVersion) { reason = VirtualDiskErrorReason.VhdDynamicHeaderVersionUnsupported; return false; }
        // VHD rule 13 (docs/open-path.md §8.1): block size a power of two, at least one sector.
        if (header.BlockSize < MinBlockSize || !uint.IsPow2(header.BlockSize)) { reason = VirtualDiskErrorReason.VhdBlockSizeInvalid; return false; }
        reason = VirtualDiskErrorReason.None;
        return true;
    }

    /// <summary>Bytes of a block's sector bitmap: one bit per sector, rounded up to whole sectors (VHD spec "Block Allocation Table and Data Blocks").</summary>
    public uint BitmapSize => BitmapSizeFor(BlockSize);

    public static uint BitmapSizeFor(uint blockSize) => (uint)(((ulong)blockSize / 512 / 8 + 511) / 512 * 512);

    /// <summary>Entry <paramref name="index"/> (0..7) of the locator table inside a raw header.</summary>
    public static VhdParentLocatorEntry Locator(ReadOnlySpan<byte> headerBytes, int index)
    {
        VhdParentLocatorEntry.TryParse(headerBytes.Slice(ParentLocatorsOffset + index * VhdParentLocatorEntry.Size, VhdParentLocatorEntry.Size), out var entry, out _);
        return entry;
    }

    /// <summary>The parent's Unicode name (UTF-16 BE, NUL padded), decoded leniently.</summary>
    public static string ParentUnicodeName(ReadOnlySpan<byte> headerBytes)
    {
        var raw = headerBytes.Slice(ParentUnicodeNameOffset, ParentUnicodeNameLength);
        string text = System.Text.Encoding.BigEndianUnicode.GetString(raw);
        int nul = text.IndexOf('\0');
        return nul >= 0 ? text[..nul] : text;
    }
}

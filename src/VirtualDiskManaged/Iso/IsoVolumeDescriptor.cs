namespace VirtualDiskManaged.Iso;

/// <summary>
/// Recognises the volume descriptor at byte 32,768 (ECMA-119 §8.1, High Sierra, ECMA-167 2/9.1 volume
/// recognition sequence). docs/open-path.md §5: the identifier is read at bytes 1–5, or "CDROM" at bytes 9–13.
/// </summary>
internal static class IsoVolumeDescriptor
{
    public const int SectorSize = 2048;
    public const long FirstDescriptorOffset = 16 * SectorSize; // 32,768: after the 16-sector system area
    public const long MinimumImageSize = FirstDescriptorOffset + SectorSize; // 34,816
    private const int StandardIdentifierOffset = 1;
    private const int HighSierraIdentifierOffset = 9;
    private const int IdentifierLength = 5;

    // ECMA-119 "CD001"; ECMA-167 volume structure descriptors; ECMA-168 "CDW02".
    private static ReadOnlySpan<byte> Cd001 => "CD001"u8;
    private static ReadOnlySpan<byte> Bea01 => "BEA01"u8;
    private static ReadOnlySpan<byte> Nsr02 => "NSR02"u8;
    private static ReadOnlySpan<byte> Nsr03 => "NSR03"u8;
    private static ReadOnlySpan<byte> Tea01 => "TEA01"u8;
    private static ReadOnlySpan<byte> Boot2 => "BOOT2"u8;
    private static ReadOnlySpan<byte> Cdw02 => "CDW02"u8;
    private static ReadOnlySpan<byte> Cdrom => "CDROM"u8;

    /// <summary>Returns the recognised identifier ("CD001", ..., "CDROM") or null.</summary>
    public static string? Recognise(ReadOnlySpan<byte> descriptor)
    {
        if (descriptor.Length < HighSierraIdentifierOffset + IdentifierLength) return null;
        var id = descriptor.Slice(StandardIdentifierOffset, IdentifierLength);
        if (id.SequenceEqual(Cd001)) return "CD001";
        if (id.SequenceEqual(Bea01)) return "BEA01";
        if (id.SequenceEqual(Nsr02)) return "NSR02";
        if (id.SequenceEqual(Nsr03)) return "NSR03";
        if (id.SequenceEqual(Tea01)) return "TEA01";
        if (id.SequenceEqual(Boot2)) return "BOOT2";
        if (id.SequenceEqual(Cdw02)) return "CDW02";
        // High Sierra: an 8-byte block number precedes the type byte, so the identifier sits at 9–13.
        if (descriptor.Slice(HighSierraIdentifierOffset, IdentifierLength).SequenceEqual(Cdrom)) return "CDROM";
        return null;
    }

    /// <summary>True when <paramref name="descriptor"/> is "NSR02" or "NSR03" (UDF present).</summary>
    public static bool IsNsr(ReadOnlySpan<byte> descriptor) =>
        descriptor.Length > 6 && (descriptor.Slice(1, 5).SequenceEqual(Nsr02) || descriptor.Slice(1, 5).SequenceEqual(Nsr03));

    // ECMA-119 §8.2: boot record (type 0); El Torito puts "EL TORITO SPECIFICATION" in the boot system id at 7.
    private static ReadOnlySpan<byte> ElTorito => "EL TORITO SPECIFICATION"u8;

    public static bool IsElToritoBootRecord(ReadOnlySpan<byte> descriptor) =>
        descriptor.Length >= 7 + 23 && descriptor[0] == 0 && descriptor.Slice(1, 5).SequenceEqual(Cd001) &&
        descriptor.Slice(7, ElTorito.Length).SequenceEqual(ElTorito);

    /// <summary>Primary volume descriptor (type 1, "CD001"): the volume identifier at bytes 40–71 (ECMA-119 §8.4.6).</summary>
    public static string? PrimaryVolumeLabel(ReadOnlySpan<byte> descriptor)
    {
        if (descriptor.Length < 72 || descriptor[0] != 1 || !descriptor.Slice(1, 5).SequenceEqual(Cd001)) return null;
        return System.Text.Encoding.ASCII.GetString(descriptor.Slice(40, 32)).TrimEnd(' ', '\0');
    }

    public static bool IsSetTerminator(ReadOnlySpan<byte> descriptor) =>
        descriptor.Length > 6 && descriptor[0] == 255 && descriptor.Slice(1, 5).SequenceEqual(Cd001);
}

namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// A Supplementary Volume Descriptor (ECMA-119 §8.5): Joliet when its escape sequences are %/@, %/C or %/E
/// (Joliet specification, UCS-2 levels 1–3), or the ISO 9660:1999 Enhanced Volume Descriptor (version 2 and
/// file structure version 2, ISO 9660:1988/Amd.1).
/// </summary>
public sealed class IsoSupplementaryVolumeDescriptor : IsoVolumeSpaceDescriptor
{
    private const int EscapeSequencesLength = 32;

    internal IsoSupplementaryVolumeDescriptor(ReadOnlySpan<byte> sector, long sectorNumber)
        : base(sector, sectorNumber, ucs2: JolietLevelOf(sector) != 0)
    {
        VolumeFlags = sector[FlagsOffset];
        EscapeSequences = sector.Slice(EscapeSequencesOffset, EscapeSequencesLength).ToArray();
        JolietLevel = JolietLevelOf(sector);
        IsEnhanced = Version == 2 && FileStructureVersion == 2;
    }

    /// <summary>
    /// Joliet specification: escape sequences "%/@" (level 1), "%/C" (level 2), "%/E" (level 3) at the start of
    /// the field; 0 when the descriptor is not Joliet. Volume Flags bit 0 must be 0 (registered sequences only).
    /// </summary>
    internal static int JolietLevelOf(ReadOnlySpan<byte> sector)
    {
        if (sector[VersionOffset] != 1 || (sector[FlagsOffset] & 1) != 0) return 0;
        var esc = sector.Slice(EscapeSequencesOffset, 3);
        if (esc[0] != 0x25 || esc[1] != 0x2F) return 0;
        return esc[2] switch { 0x40 => 1, 0x43 => 2, 0x45 => 3, _ => 0 };
    }

    /// <summary>Volume Flags (bit 0: escape sequences not registered per ISO 2375).</summary>
    public byte VolumeFlags { get; }

    /// <summary>The 32 bytes of Escape Sequences as recorded.</summary>
    public ReadOnlyMemory<byte> EscapeSequences { get; }

    /// <summary>The Joliet UCS-2 level (1–3), or 0 when this is not a Joliet descriptor.</summary>
    public int JolietLevel { get; }

    /// <summary>True for Joliet.</summary>
    public bool IsJoliet => JolietLevel != 0;

    /// <summary>True for the ISO 9660:1999 Enhanced Volume Descriptor.</summary>
    public bool IsEnhanced { get; }
}

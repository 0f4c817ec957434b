namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>El Torito platform IDs (El Torito §2.1 figure 2; 0xEF from UEFI 2.x §13.3.2.1).</summary>
public enum ElToritoPlatform : byte
{
    /// <summary>80x86 BIOS.</summary>
    X86 = 0,

    /// <summary>PowerPC.</summary>
    PowerPC = 1,

    /// <summary>Mac.</summary>
    Mac = 2,

    /// <summary>UEFI.</summary>
    Efi = 0xEF,
}

/// <summary>El Torito boot media type (the low 4 bits of the media byte, El Torito §2.2 figure 3).</summary>
public enum ElToritoMediaType : byte
{
    /// <summary>No emulation.</summary>
    NoEmulation = 0,

    /// <summary>1.2 MB diskette.</summary>
    Floppy12 = 1,

    /// <summary>1.44 MB diskette.</summary>
    Floppy144 = 2,

    /// <summary>2.88 MB diskette.</summary>
    Floppy288 = 3,

    /// <summary>Hard disk (drive 80h).</summary>
    HardDisk = 4,
}

/// <summary>How <see cref="ElToritoBootEntry.ImageSize"/> was found (the sector count is not a size, El Torito §2.2).</summary>
public enum ElToritoImageSizeRule
{
    /// <summary>The ISO 9660 file whose extent starts at the load RBA (as xorriso reports it).</summary>
    FileAtLoadRba,

    /// <summary>A diskette emulation: 1,228,800, 1,474,560 or 2,949,120 bytes.</summary>
    FloppyEmulation,

    /// <summary>Hard-disk emulation: the end of the last partition of the image's MBR.</summary>
    HardDiskMbr,

    /// <summary>A FAT boot sector at the image start: total sectors × bytes per sector.</summary>
    FatBootSector,

    /// <summary>UEFI §13.3.2.1: a no-emulation EFI image with a sector count of 0 or 1 runs to the end of the volume.</summary>
    UefiToEndOfVolume,

    /// <summary>The sector count × 512 (what the firmware loads).</summary>
    SectorCount,
}

/// <summary>A section header of the boot catalog (El Torito §2.3 figure 4).</summary>
/// <param name="Index">0-based among the catalog's section headers.</param>
/// <param name="HeaderIndicator">0x90 (more headers follow) or 0x91 (final header).</param>
/// <param name="PlatformId">The platform of the section's entries.</param>
/// <param name="EntryCount">Number of section entries that follow.</param>
/// <param name="IdString">Bytes 4–31, as text without padding.</param>
/// <param name="Offset">Byte offset of the header in the image.</param>
public sealed record ElToritoSectionHeader(int Index, byte HeaderIndicator, byte PlatformId, int EntryCount, string IdString, long Offset);

/// <summary>
/// The boot-info table ISOLINUX and mkisofs -boot-info-table patch into a no-emulation image at bytes 8–63
/// (libisofs doc/boot_sectors.txt): the primary descriptor's sector, the image's sector, its length and the
/// 32-bit sum of its words from byte 64.
/// </summary>
public sealed record ElToritoBootInfoTable(uint PrimaryVolumeDescriptorSector, uint FileSector, uint FileLength, uint Checksum, bool ChecksumMatches);

/// <summary>
/// One bootable (or not) image of the boot catalog: the Initial/Default Entry (El Torito §2.2 figure 3) or a
/// Section Entry (§2.4 figure 5) with its extension entries (§2.5 figure 6), every field as recorded.
/// </summary>
public sealed class ElToritoBootEntry
{
    internal ElToritoBootEntry() { }

    /// <summary>0-based position among the catalog's entries (the default entry is 0).</summary>
    public int Index { get; internal init; }

    /// <summary>True for the Initial/Default Entry.</summary>
    public bool IsDefault { get; internal init; }

    /// <summary>The section header this entry belongs to (null for the default entry).</summary>
    public ElToritoSectionHeader? Section { get; internal init; }

    /// <summary>The platform ID (the validation entry's for the default entry, else the section header's).</summary>
    public byte PlatformId { get; internal init; }

    /// <summary>The Boot Indicator byte: 0x88 bootable, 0x00 not bootable.</summary>
    public byte BootIndicator { get; internal init; }

    /// <summary>True when the Boot Indicator is 0x88.</summary>
    public bool IsBootable => BootIndicator == 0x88;

    /// <summary>The media byte as recorded (low 4 bits: type; section entries: bit 5 extension follows, 6 ATAPI, 7 SCSI).</summary>
    public byte MediaByte { get; internal init; }

    /// <summary>The emulation (the low 4 bits of <see cref="MediaByte"/>).</summary>
    public ElToritoMediaType MediaType => (ElToritoMediaType)(MediaByte & 0x0F);

    /// <summary>Load Segment as recorded (0 means 0x7C0 for x86).</summary>
    public ushort LoadSegment { get; internal init; }

    /// <summary>System Type (the partition type of the emulated disk).</summary>
    public byte SystemType { get; internal init; }

    /// <summary>Sector Count: 512-byte virtual sectors the firmware loads.</summary>
    public ushort SectorCount { get; internal init; }

    /// <summary>Load RBA: the image's first 2048-byte sector.</summary>
    public uint LoadRba { get; internal init; }

    /// <summary>Section entries: the selection criteria type (0 none, 1 language and version).</summary>
    public byte SelectionCriteriaType { get; internal init; }

    /// <summary>The 32 bytes of the entry as recorded.</summary>
    public ReadOnlyMemory<byte> RawEntry { get; internal init; }

    /// <summary>Each extension entry (0x44) that follows the entry, 32 bytes as recorded.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Extensions { get; internal init; } = [];

    /// <summary>Byte offset of the entry in the image.</summary>
    public long Offset { get; internal init; }

    /// <summary>The image's length in bytes, by <see cref="ImageSizeRule"/>, clamped to the volume and the image file.</summary>
    public long ImageSize { get; internal set; }

    /// <summary>Which rule gave <see cref="ImageSize"/>.</summary>
    public ElToritoImageSizeRule ImageSizeRule { get; internal set; }

    /// <summary>The boot-info table in the image, when one is there (its sectors and length match).</summary>
    public ElToritoBootInfoTable? BootInfoTable { get; internal set; }

    /// <inheritdoc />
    public override string ToString() =>
        $"#{Index} platform 0x{PlatformId:X2} {(IsBootable ? "bootable" : "not bootable")} {MediaType} RBA {LoadRba} count {SectorCount} size {ImageSize} ({ImageSizeRule})";
}

namespace VirtualDiskManaged;

/// <summary>The image formats this library reads.</summary>
public enum VirtualDiskFormat
{
    /// <summary>ISO 9660 / High Sierra / UDF optical image.</summary>
    Iso = 1,
    /// <summary>VHD (Virtual PC / Hyper-V version 1).</summary>
    Vhd = 2,
    /// <summary>VHDX (Hyper-V version 2).</summary>
    Vhdx = 3,
}

/// <summary>CHS geometry as recorded in a VHD footer.</summary>
/// <param name="Cylinders">Cylinders.</param>
/// <param name="Heads">Heads.</param>
/// <param name="SectorsPerTrack">Sectors per track.</param>
public readonly record struct DiskGeometry(int Cylinders, int Heads, int SectorsPerTrack)
{
    /// <summary>C·H·S·512: the size a CHS-addressing guest sees.</summary>
    public long Capacity => (long)Cylinders * Heads * SectorsPerTrack * 512;
}

/// <summary>What the library knows about one file of a chain. Fields that do not apply to the format are null or 0.</summary>
public sealed class VirtualDiskFileInfo
{
    /// <summary>Full path of the file.</summary>
    public required string Path { get; init; }
    /// <summary>The format.</summary>
    public required VirtualDiskFormat Format { get; init; }
    /// <summary>Fixed, dynamic or differencing (None for ISO).</summary>
    public VirtualDiskProviderSubtype Subtype { get; init; }
    /// <summary>Virtual size in bytes.</summary>
    public long VirtualSize { get; init; }
    /// <summary>Length of the file in bytes.</summary>
    public long FileSize { get; init; }
    /// <summary>Block size of sparse layouts (0 otherwise).</summary>
    public uint BlockSize { get; init; }
    /// <summary>Logical sector size.</summary>
    public int LogicalSectorSize { get; init; } = 512;
    /// <summary>Physical sector size.</summary>
    public int PhysicalSectorSize { get; init; } = 512;
    /// <summary>VHD: footer unique id. VHDX: DataWriteGuid.</summary>
    public Guid Identifier { get; init; }
    /// <summary>VHDX: the Virtual Disk ID metadata item (page 83 data).</summary>
    public Guid? VirtualDiskId { get; init; }
    /// <summary>VHDX: FileWriteGuid of the current header.</summary>
    public Guid? FileWriteGuid { get; init; }
    /// <summary>VHDX: LogGuid of the current header.</summary>
    public Guid? LogGuid { get; init; }
    /// <summary>Creator application (VHD footer) or creator string (VHDX file identifier).</summary>
    public string? Creator { get; init; }
    /// <summary>VHD: creator version as "major.minor".</summary>
    public string? CreatorVersion { get; init; }
    /// <summary>VHD: creator host OS ("Wi2k", "Mac ").</summary>
    public string? CreatorHostOs { get; init; }
    /// <summary>VHD: footer time stamp.</summary>
    public DateTimeOffset? Timestamp { get; init; }
    /// <summary>VHD: CHS geometry from the footer.</summary>
    public DiskGeometry? Geometry { get; init; }
    /// <summary>VHD: original size from the footer.</summary>
    public long? OriginalSize { get; init; }
    /// <summary>Differencing: the parent identity recorded in this file.</summary>
    public Guid? ParentIdentifier { get; init; }
    /// <summary>VHD differencing: the parent time stamp recorded in this file.</summary>
    public DateTimeOffset? ParentTimestamp { get; init; }
    /// <summary>VHD differencing: the parent's Unicode name.</summary>
    public string? ParentName { get; init; }
    /// <summary>Differencing: every parent locator as "kind: path".</summary>
    public IReadOnlyList<string> ParentLocators { get; init; } = [];
    /// <summary>VHDX: whether a non-empty log was replayed into memory.</summary>
    public bool LogReplayed { get; init; }
    /// <summary>ISO: what the descriptor at byte 32,768 is ("CD001", "CDROM", "BEA01", ...).</summary>
    public string? VolumeDescriptorIdentifier { get; init; }
    /// <summary>ISO: the primary volume identifier, when there is an ISO 9660 primary descriptor.</summary>
    public string? VolumeLabel { get; init; }
    /// <summary>ISO: an El Torito boot record is present.</summary>
    public bool? HasElTorito { get; init; }
    /// <summary>ISO: UDF (NSR02/NSR03) is present in the volume recognition sequence.</summary>
    public bool? HasUdf { get; init; }
    /// <summary>Sparse formats: the number of blocks in the table.</summary>
    public long BlockCount { get; init; }
    /// <summary>Sparse formats: the number of blocks with data in this file.</summary>
    public long AllocatedBlockCount { get; init; }

    /// <summary>
    /// One line: format and subtype, virtual and file size, block and sector sizes, the identifiers, and the path, e.g.
    /// <c>Vhdx Differencing, virtual 16777216 bytes, file 8388608 bytes, block 1048576, sectors 512/4096, id …, parent …: /images/child.vhdx</c>.
    /// </summary>
    public override string ToString()
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        sb.Append(Format.ToString());
        if (Subtype != VirtualDiskProviderSubtype.None) sb.Append(' ').Append(Subtype.ToString());
        sb.Append(ci, $", virtual {VirtualSize} bytes, file {FileSize} bytes");
        if (BlockSize != 0) sb.Append(ci, $", block {BlockSize}");
        if (Format != VirtualDiskFormat.Iso) sb.Append(ci, $", sectors {LogicalSectorSize}/{PhysicalSectorSize}");
        if (BlockCount != 0) sb.Append(ci, $", {AllocatedBlockCount} of {Counted.Of(BlockCount, "block")} allocated");
        if (Identifier != Guid.Empty) sb.Append(ci, $", id {Identifier}");
        if (VirtualDiskId is { } diskId) sb.Append(ci, $", disk id {diskId}");
        if (ParentIdentifier is { } parent) sb.Append(ci, $", parent {parent}");
        if (LogReplayed) sb.Append(", log replayed");
        if (VolumeDescriptorIdentifier is not null) sb.Append(ci, $", {VolumeDescriptorIdentifier}");
        if (!string.IsNullOrEmpty(VolumeLabel)) sb.Append(ci, $", label \"{VolumeLabel}\"");
        if (HasElTorito == true) sb.Append(", El Torito");
        if (HasUdf == true) sb.Append(", UDF");
        return sb.Append(": ").Append(Path).ToString();
    }
}

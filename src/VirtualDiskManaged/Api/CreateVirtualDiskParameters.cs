namespace VirtualDiskManaged;

/// <summary>
/// CREATE_VIRTUAL_DISK_PARAMETERS: the members of versions 1 and 2 in one record. Version 1 ignores the members that
/// only version 2 has (<see cref="PhysicalSectorSizeInBytes"/>, <see cref="OpenFlags"/>, the two storage types and
/// <see cref="ResiliencyGuid"/>), as the C union does. Which values are accepted is in docs/create.md.
/// </summary>
public sealed record CreateVirtualDiskParameters
{
    /// <summary>CREATE_VIRTUAL_DISK_PARAMETERS_DEFAULT_BLOCK_SIZE = 0.</summary>
    public const uint DefaultBlockSize = 0;

    /// <summary>CREATE_VIRTUAL_DISK_PARAMETERS_DEFAULT_SECTOR_SIZE = 0.</summary>
    public const uint DefaultSectorSize = 0;

    /// <summary>The union's discriminant; 1 or 2 (3 and 4 are refused).</summary>
    public CreateVirtualDiskVersion Version { get; init; } = CreateVirtualDiskVersion.Version2;

    /// <summary>Identifier of the new disk (VHD footer Unique Id; VHDX Virtual Disk ID item). All-zero: a new random one.</summary>
    public Guid UniqueId { get; init; }

    /// <summary>Virtual size in bytes, a multiple of the sector size. 0 with ParentPath (must be) or SourcePath (the source's size).</summary>
    public ulong MaximumSize { get; init; }

    /// <summary>0 = default (VHD 2 MiB; VHDX 32 MiB; differencing: the parent's). VHD 512 KiB or 2 MiB; VHDX a power of two from 1 to 256 MiB.</summary>
    public uint BlockSizeInBytes { get; init; }

    /// <summary>Logical sector size: 0 = 512; VHD 512 only; VHDX 512 or 4096 (differencing: 0 or the parent's).</summary>
    public uint SectorSizeInBytes { get; init; }

    /// <summary>Version 2: physical sector size: 0 = default (VHD 512, VHDX 4096); VHD 512; VHDX 512 or 4096.</summary>
    public uint PhysicalSectorSizeInBytes { get; init; }

    /// <summary>The parent's path: creates a differencing disk. Must be null when <see cref="SourcePath"/> is set.</summary>
    public string? ParentPath { get; init; }

    /// <summary>An image (any the library opens, chains included) whose content fills the new disk. Null when <see cref="ParentPath"/> is set.</summary>
    public string? SourcePath { get; init; }

    /// <summary>Version 2: OPEN_VIRTUAL_DISK_FLAG values for opening the new disk (and its parent).</summary>
    public OpenVirtualDiskFlags OpenFlags { get; init; }

    /// <summary>Version 2: the type of <see cref="ParentPath"/>; device id 0 = detect.</summary>
    public VirtualStorageType ParentVirtualStorageType { get; init; }

    /// <summary>Version 2: the type of <see cref="SourcePath"/>; device id 0 = detect.</summary>
    public VirtualStorageType SourceVirtualStorageType { get; init; }

    /// <summary>Version 2: resiliency GUID (resilient change tracking). Must be all-zero here (ERROR_NOT_SUPPORTED otherwise).</summary>
    public Guid ResiliencyGuid { get; init; }
}

namespace VirtualDiskManaged;

/// <summary>What kind of disk <see cref="VirtualDisk.Create"/> makes.</summary>
public enum VirtualDiskCreateType
{
    /// <summary>Dynamically expanding: blocks are allocated as they are written.</summary>
    Dynamic = 0,
    /// <summary>Fixed: every block allocated at creation (CREATE_VIRTUAL_DISK_FLAG_FULL_PHYSICAL_ALLOCATION).</summary>
    Fixed = 1,
    /// <summary>Differencing: a child of <see cref="VirtualDiskCreateOptions.ParentPath"/>.</summary>
    Differencing = 2,
}

/// <summary>How <see cref="VirtualDiskCreateOptions.SourcePath"/> is read.</summary>
public enum VirtualDiskSourceFormat
{
    /// <summary>An image the library opens (VHD, VHDX, ISO; chains included), detected as OpenVirtualDisk does.</summary>
    Auto = 0,
    /// <summary>A plain file whose bytes are the disk's content (its length rounded up to whole sectors).</summary>
    Raw = 1,
}

/// <summary>Options of <see cref="VirtualDisk.Create"/>: the .NET face of CREATE_VIRTUAL_DISK_PARAMETERS version 2.</summary>
public sealed record VirtualDiskCreateOptions
{
    /// <summary><see cref="VirtualDiskFormat.Vhd"/> or <see cref="VirtualDiskFormat.Vhdx"/> (default).</summary>
    public VirtualDiskFormat Format { get; init; } = VirtualDiskFormat.Vhdx;

    /// <summary>Fixed, dynamic (default) or differencing.</summary>
    public VirtualDiskCreateType Type { get; init; } = VirtualDiskCreateType.Dynamic;

    /// <summary>Virtual size in bytes; 0 for a differencing disk (the parent's) or to take the source's size.</summary>
    public long Size { get; init; }

    /// <summary>The parent of a differencing disk.</summary>
    public string? ParentPath { get; init; }

    /// <summary>An image or (with <see cref="SourceFormat"/> Raw) a plain file whose content fills the new disk.</summary>
    public string? SourcePath { get; init; }

    /// <summary>How the source is read; default <see cref="VirtualDiskSourceFormat.Auto"/>.</summary>
    public VirtualDiskSourceFormat SourceFormat { get; init; }

    /// <summary>
    /// How an image source is opened (convert's source open options, docs/operations.md "convert"): its storage type,
    /// flags, rule set, strictness and parent restriction are used; it is always opened read-only (validation mode),
    /// whatever the access mask and parameters say. Null: auto-detected, documented rules.
    /// </summary>
    internal VirtualDiskOpenOptions? SourceOpenOptions { get; init; }

    /// <summary>Block size in bytes; 0 = the format's default (VHD 2 MiB, VHDX 32 MiB, differencing: the parent's).</summary>
    public uint BlockSize { get; init; }

    /// <summary>Logical sector size; 0 = 512 (differencing: the parent's).</summary>
    public int LogicalSectorSize { get; init; }

    /// <summary>Physical sector size; 0 = default (VHD 512, VHDX 4096; differencing: the parent's).</summary>
    public int PhysicalSectorSize { get; init; }

    /// <summary>Identifier of the new disk; empty = a new random one.</summary>
    public Guid UniqueId { get; init; }

    /// <summary>Fixed disks only: keep the host file sparse (CREATE_VIRTUAL_DISK_FLAG_SPARSE_FILE).</summary>
    public bool Sparse { get; init; }

    /// <summary>Receives the count of virtual bytes of the source processed so far (source copies only).</summary>
    public IProgress<long>? Progress { get; init; }

    /// <summary>Cancels a source copy; the half-made file is removed and the create fails with ERROR_OPERATION_ABORTED.</summary>
    public CancellationToken CancellationToken { get; init; }
}

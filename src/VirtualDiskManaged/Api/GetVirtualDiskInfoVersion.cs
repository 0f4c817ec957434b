namespace VirtualDiskManaged;

/// <summary>GET_VIRTUAL_DISK_INFO_VERSION.</summary>
public enum GetVirtualDiskInfoVersion : uint
{
    /// <summary>Not supported.</summary>
    Unspecified = 0,
    /// <summary>VirtualSize, PhysicalSize, BlockSize, SectorSize.</summary>
    Size = 1,
    /// <summary>The disk's unique identifier.</summary>
    Identifier = 2,
    /// <summary>The parent's location (differencing disks).</summary>
    ParentLocation = 3,
    /// <summary>The parent's identifier (differencing disks).</summary>
    ParentIdentifier = 4,
    /// <summary>The parent's time stamp (VHD differencing disks).</summary>
    ParentTimestamp = 5,
    /// <summary>Device id and vendor.</summary>
    VirtualStorageType = 6,
    /// <summary>Fixed, dynamic or differencing.</summary>
    ProviderSubtype = 7,
    /// <summary>Whether the disk is 4 KiB aligned.</summary>
    Is4kAligned = 8,
    /// <summary>Host physical disk information (not available offline).</summary>
    PhysicalDisk = 9,
    /// <summary>The physical sector size the disk reports.</summary>
    VhdPhysicalSectorSize = 10,
    /// <summary>Smallest safe virtual size (not available offline).</summary>
    SmallestSafeVirtualSize = 11,
    /// <summary>Fragmentation (not available offline).</summary>
    Fragmentation = 12,
    /// <summary>Whether the disk is loaded (not available offline).</summary>
    IsLoaded = 13,
    /// <summary>The VHDX virtual disk id.</summary>
    VirtualDiskId = 14,
    /// <summary>Change tracking state (not available offline).</summary>
    ChangeTrackingState = 15,
}

/// <summary>GET_VIRTUAL_DISK_INFO: the member that applies is the one of <see cref="Version"/>.</summary>
public sealed class VirtualDiskInformation
{
    /// <summary>The version asked for.</summary>
    public GetVirtualDiskInfoVersion Version { get; init; }
    /// <summary>SIZE: virtual size.</summary>
    public ulong VirtualSize { get; init; }
    /// <summary>SIZE: size of the backing file(s) on the host.</summary>
    public ulong PhysicalSize { get; init; }
    /// <summary>SIZE: block size (0 for fixed and ISO).</summary>
    public uint BlockSize { get; init; }
    /// <summary>SIZE: logical sector size.</summary>
    public uint SectorSize { get; init; }
    /// <summary>IDENTIFIER, PARENT_IDENTIFIER, VIRTUAL_DISK_ID.</summary>
    public Guid Identifier { get; init; }
    /// <summary>PARENT_LOCATION: whether the parent was resolved.</summary>
    public bool ParentResolved { get; init; }
    /// <summary>PARENT_LOCATION: the resolved path, or every candidate path when unresolved.</summary>
    public IReadOnlyList<string> ParentLocationBuffer { get; init; } = [];
    /// <summary>PARENT_TIMESTAMP.</summary>
    public uint ParentTimestamp { get; init; }
    /// <summary>VIRTUAL_STORAGE_TYPE.</summary>
    public VirtualStorageType VirtualStorageType { get; init; }
    /// <summary>PROVIDER_SUBTYPE.</summary>
    public VirtualDiskProviderSubtype ProviderSubtype { get; init; }
    /// <summary>IS_4K_ALIGNED.</summary>
    public bool Is4kAligned { get; init; }
    /// <summary>VHD_PHYSICAL_SECTOR_SIZE.</summary>
    public uint VhdPhysicalSectorSize { get; init; }

    /// <summary>The version asked for and the members that apply to it, e.g. <c>Size: virtual 1073741824 bytes, physical 4194304 bytes, block 33554432, sector 512</c>.</summary>
    public override string ToString() => Version switch
    {
        GetVirtualDiskInfoVersion.Size => Invariant($"Size: virtual {VirtualSize} bytes, physical {PhysicalSize} bytes, block {BlockSize}, sector {SectorSize}"),
        GetVirtualDiskInfoVersion.Identifier or GetVirtualDiskInfoVersion.ParentIdentifier or GetVirtualDiskInfoVersion.VirtualDiskId =>
            Invariant($"{Version}: {Identifier}"),
        GetVirtualDiskInfoVersion.ParentLocation => ParentResolved
            ? Invariant($"ParentLocation: {string.Join("; ", ParentLocationBuffer)}")
            : Invariant($"ParentLocation: not resolved; candidates: {string.Join("; ", ParentLocationBuffer)}"),
        GetVirtualDiskInfoVersion.ParentTimestamp => Invariant($"ParentTimestamp: {ParentTimestamp}"),
        GetVirtualDiskInfoVersion.VirtualStorageType => Invariant($"VirtualStorageType: device {VirtualStorageType.DeviceId}, vendor {VirtualStorageType.VendorId}"),
        GetVirtualDiskInfoVersion.ProviderSubtype => Invariant($"ProviderSubtype: {ProviderSubtype}"),
        GetVirtualDiskInfoVersion.Is4kAligned => Invariant($"Is4kAligned: {Is4kAligned}"),
        GetVirtualDiskInfoVersion.VhdPhysicalSectorSize => Invariant($"VhdPhysicalSectorSize: {VhdPhysicalSectorSize}"),
        _ => Version.ToString(),
    };

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}

namespace VirtualDiskManaged;

/// <summary>OPEN_VIRTUAL_DISK_VERSION.</summary>
public enum OpenVirtualDiskVersion : uint
{
    /// <summary>Not supported (always rejected with 87).</summary>
    Unspecified = 0,
    /// <summary>Version 1: <see cref="OpenVirtualDiskParameters.RWDepth"/>.</summary>
    Version1 = 1,
    /// <summary>Version 2: GetInfoOnly, ReadOnly, ResiliencyGuid.</summary>
    Version2 = 2,
    /// <summary>Version 3: version 2 plus SnapshotId (rule set Current only).</summary>
    Version3 = 3,
}

/// <summary>OPEN_VIRTUAL_DISK_PARAMETERS (versions 1, 2 and 3). Only the fields of <see cref="Version"/> are used.</summary>
public sealed record OpenVirtualDiskParameters
{
    /// <summary>OPEN_VIRTUAL_DISK_RW_DEPTH_DEFAULT.</summary>
    public const uint DefaultRWDepth = 1;

    /// <summary>The structure version.</summary>
    public OpenVirtualDiskVersion Version { get; init; } = OpenVirtualDiskVersion.Version1;

    /// <summary>Version 1: how many files of a chain, counting from the child, are opened read/write.</summary>
    public uint RWDepth { get; init; } = DefaultRWDepth;

    /// <summary>Version 2/3: the handle may only query information.</summary>
    public bool GetInfoOnly { get; init; }

    /// <summary>Version 2/3: the backing files are opened read-only.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Version 2/3: resiliency GUID (recorded, not used by this library).</summary>
    public Guid ResiliencyGuid { get; init; }

    /// <summary>Version 3: VHD Set snapshot id (recorded, not used by this library).</summary>
    public Guid SnapshotId { get; init; }

    /// <summary>Version 1 parameters with the given RW depth.</summary>
    public static OpenVirtualDiskParameters V1(uint rwDepth = DefaultRWDepth) => new() { Version = OpenVirtualDiskVersion.Version1, RWDepth = rwDepth };

    /// <summary>Version 2 parameters.</summary>
    public static OpenVirtualDiskParameters V2(bool readOnly = true, bool getInfoOnly = false) =>
        new() { Version = OpenVirtualDiskVersion.Version2, ReadOnly = readOnly, GetInfoOnly = getInfoOnly };

    /// <summary>Version 3 parameters.</summary>
    public static OpenVirtualDiskParameters V3(bool readOnly = true, bool getInfoOnly = false) =>
        new() { Version = OpenVirtualDiskVersion.Version3, ReadOnly = readOnly, GetInfoOnly = getInfoOnly };
}

/// <summary>Which reading of the OpenVirtualDisk rules applies (docs/open-path.md §3).</summary>
public enum OpenRuleSet
{
    /// <summary>The reference page's rules: flags NO_PARENTS and BLANK_FILE only, versions 1 and 2, 618/6002 for compressed/encrypted host files.</summary>
    Documented = 0,
    /// <summary>What current Windows accepts: all twelve flags, versions 1–3, 0xC03A001A for compressed/encrypted host files.</summary>
    Current = 1,
}

/// <summary>VIRTUAL_DISK provider subtypes (GET_VIRTUAL_DISK_INFO_PROVIDER_SUBTYPE); same numbers as the VHD footer disk type.</summary>
public enum VirtualDiskProviderSubtype : uint
{
    /// <summary>Not a VHD/VHDX (ISO).</summary>
    None = 0,
    /// <summary>Fixed.</summary>
    Fixed = 2,
    /// <summary>Dynamically expanding (sparse).</summary>
    Dynamic = 3,
    /// <summary>Differencing.</summary>
    Differencing = 4,
}

namespace VirtualDiskManaged.Create;

/// <summary>The arguments of one create, as both API layers hand them to <see cref="CreateCore"/>.</summary>
internal sealed record CreateRequest
{
    public VirtualStorageType? StorageType { get; init; }
    public string? Path { get; init; }
    public VirtualDiskAccessMask Access { get; init; }
    public CreateVirtualDiskFlags Flags { get; init; }
    /// <summary>False when the Win32 caller passed null parameters.</summary>
    public bool HasParameters { get; init; } = true;
    public CreateVirtualDiskVersion Version { get; init; } = CreateVirtualDiskVersion.Version2;
    public Guid UniqueId { get; init; }
    public ulong MaximumSize { get; init; }
    public uint BlockSize { get; init; }
    public uint SectorSize { get; init; }
    public uint PhysicalSectorSize { get; init; }
    public string? ParentPath { get; init; }
    public string? SourcePath { get; init; }
    public OpenVirtualDiskFlags OpenFlags { get; init; }
    public VirtualStorageType ParentType { get; init; }
    public VirtualStorageType SourceType { get; init; }
    public Guid ResiliencyGuid { get; init; }
    /// <summary>.NET layer: read the source as a plain file.</summary>
    public bool SourceRaw { get; init; }
    /// <summary>Convert's source open options (see VirtualDiskCreateOptions.SourceOpenOptions); null: the defaults.</summary>
    public VirtualDiskOpenOptions? SourceOpenOptions { get; init; }
    public IProgress<long>? Progress { get; init; }
    public CancellationToken CancellationToken { get; init; }

    public bool IsFixed => (Flags & CreateVirtualDiskFlags.FullPhysicalAllocation) != 0;
    public bool IsSparseFile => (Flags & CreateVirtualDiskFlags.SparseFile) != 0;

    public static CreateRequest FromParameters(VirtualStorageType? storageType, string? path, VirtualDiskAccessMask mask,
        CreateVirtualDiskFlags flags, CreateVirtualDiskParameters? p)
    {
        var r = new CreateRequest { StorageType = storageType, Path = path, Access = mask, Flags = flags, HasParameters = p is not null };
        if (p is null) return r;
        r = r with
        {
            Version = p.Version, UniqueId = p.UniqueId, MaximumSize = p.MaximumSize, BlockSize = p.BlockSizeInBytes,
            SectorSize = p.SectorSizeInBytes, ParentPath = p.ParentPath, SourcePath = p.SourcePath,
            // A physical disk (\\.\PhysicalDriveN on Windows, /dev/... elsewhere) is read as raw bytes, as Windows does.
            SourceRaw = p.SourcePath is { } s && (s.StartsWith(@"\\.\", StringComparison.Ordinal) || s.StartsWith("/dev/", StringComparison.Ordinal)),
        };
        // Version 1 has no members after SourcePath (the C union's Version1 arm): they read as zero.
        if (p.Version != CreateVirtualDiskVersion.Version1)
            r = r with
            {
                PhysicalSectorSize = p.PhysicalSectorSizeInBytes, OpenFlags = p.OpenFlags, ParentType = p.ParentVirtualStorageType,
                SourceType = p.SourceVirtualStorageType, ResiliencyGuid = p.ResiliencyGuid,
            };
        return r;
    }
}

/// <summary>The request after the parameter rules: every default resolved except what the parent or source decides.</summary>
internal sealed record CreatePlan
{
    public required string Path { get; init; }
    public required uint DeviceId { get; init; }
    public required VirtualDiskProviderSubtype Subtype { get; init; }
    public long Size { get; set; }
    public uint BlockSize { get; set; }
    public int LogicalSectorSize { get; set; }
    public int PhysicalSectorSize { get; set; }
    public Guid UniqueId { get; set; }
    public bool SparseFile { get; init; }
    public bool IsVhdx => DeviceId == VirtualStorageDeviceId.Vhdx;
}

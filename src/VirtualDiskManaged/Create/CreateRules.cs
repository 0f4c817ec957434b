using VirtualDiskManaged.Vhd;
using VirtualDiskManaged.Vhdx;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged.Create;

/// <summary>
/// CreateVirtualDisk's parameter rules, checked in this order before any file is touched; the first failure wins
/// (docs/create.md lists them with their codes). Sources: the CreateVirtualDisk, CREATE_VIRTUAL_DISK_PARAMETERS and
/// CREATE_VIRTUAL_DISK_FLAG pages of the Windows SDK documentation ("About VHD" for the 3 MB minimum and the
/// 2040 GB VHD limit), MS-VHDX §2.6.2.1 (block sizes), §2.6.2.4–§2.6.2.5 (sector sizes) and §1.5 / §2.6.2.2
/// (64 TB limit), and the VHD specification's "Dynamic Disk Header Format" (block size).
/// </summary>
internal static class CreateRules
{
    /// <summary>Every bit CREATE_VIRTUAL_DISK_FLAG defines (0x1 … 0x400).</summary>
    private const CreateVirtualDiskFlags DefinedFlags = (CreateVirtualDiskFlags)0x7FF;

    /// <summary>Defined flags this library does not implement.</summary>
    private const CreateVirtualDiskFlags UnsupportedFlags = CreateVirtualDiskFlags.CreateBackingStorage
        | CreateVirtualDiskFlags.UseChangeTrackingSourceLimit | CreateVirtualDiskFlags.PreserveParentChangeTrackingState
        | CreateVirtualDiskFlags.VhdSetUseOriginalBackingStorage | CreateVirtualDiskFlags.PmemCompatible;

    /// <summary>Every bit OPEN_VIRTUAL_DISK_FLAG defines (0x1 … 0x800).</summary>
    private const OpenVirtualDiskFlags DefinedOpenFlags = (OpenVirtualDiskFlags)0xFFF;

    /// <summary>"About VHD": every disk type is at least 3 MB.</summary>
    public const long MinSize = 3L * 1024 * 1024;

    public const uint VhdSmallBlock = 512 * 1024, VhdDefaultBlock = 2 * 1024 * 1024;

    /// <summary>The VHDX block size Windows writes for CreateVirtualDisk's default (0): 32 MiB.</summary>
    public const uint VhdxDefaultBlock = 32 * 1024 * 1024;

    /// <summary>Windows' default VHDX physical sector size (4096).</summary>
    public const int VhdxDefaultPhysicalSector = 4096;

    /// <summary>Rules 1–19 (no file is touched). On success <paramref name="plan"/> holds the resolved request.</summary>
    public static R Check(CreateRequest r, out CreatePlan? plan, out string? detail)
    {
        plan = null;
        detail = null;
        // 1–3. Null pointers (CreateVirtualDisk: VirtualStorageType, Path and Parameters are required).
        if (r.StorageType is null) return R.CreateNullStorageType;
        if (r.Path is null) return R.CreateNullPath;
        if (!r.HasParameters) return R.CreateNullParameters;
        // 4. Version 1 or 2 (CREATE_VIRTUAL_DISK_VERSION; 3 and 4 exist in the header but their members are undocumented).
        if (r.Version is CreateVirtualDiskVersion.Version3 or CreateVirtualDiskVersion.Version4) { detail = $"Version {(uint)r.Version}"; return R.CreateVersionNotSupported; }
        if (r.Version is not (CreateVirtualDiskVersion.Version1 or CreateVirtualDiskVersion.Version2)) { detail = $"Version {(uint)r.Version}"; return R.CreateVersionInvalid; }
        // 5. Mask inside VIRTUAL_DISK_ACCESS_ALL; 6. version 2 needs VIRTUAL_DISK_ACCESS_NONE (CreateVirtualDisk page).
        if ((r.Access & ~VirtualDiskAccessMask.All) != 0) { detail = $"Mask 0x{(uint)r.Access:X8}"; return R.CreateAccessMaskInvalid; }
        if (r.Version == CreateVirtualDiskVersion.Version2 && r.Access != VirtualDiskAccessMask.None) { detail = $"Mask 0x{(uint)r.Access:X8}"; return R.CreateAccessMaskMustBeNone; }
        // 7. Flags: defined bits only; the defined ones this library cannot honour are refused, never ignored.
        if ((r.Flags & ~DefinedFlags) != 0) { detail = $"Flags 0x{(uint)r.Flags:X8}"; return R.CreateFlagsInvalid; }
        if ((r.Flags & UnsupportedFlags) != 0) { detail = $"Flags 0x{(uint)(r.Flags & UnsupportedFlags):X}"; return R.CreateFlagNotSupported; }
        // 8. Vendor and device id; device 0 picks the format from the extension.
        var type = r.StorageType.Value;
        if (type.VendorId != VirtualStorageType.VendorMicrosoft && type.VendorId != VirtualStorageType.VendorUnknown) { detail = $"Vendor {type.VendorId}"; return R.CreateVendorNotSupported; }
        uint deviceId = type.DeviceId;
        if (deviceId == VirtualStorageDeviceId.Iso) return R.CreateIsoNotSupported;
        if (deviceId > VirtualStorageDeviceId.Vhdx) { detail = $"Device id {deviceId}"; return R.CreateDeviceIdNotSupported; }
        if (deviceId == VirtualStorageDeviceId.Unknown)
        {
            deviceId = FromExtension(r.Path);
            if (deviceId == VirtualStorageDeviceId.Unknown) { detail = $"Extension \"{System.IO.Path.GetExtension(r.Path)}\""; return R.CreateFormatNotDetermined; }
        }
        bool vhdx = deviceId == VirtualStorageDeviceId.Vhdx;
        bool differencing = r.ParentPath is not null;
        // 9. ParentPath and SourcePath exclude each other (CREATE_VIRTUAL_DISK_PARAMETERS).
        if (differencing && r.SourcePath is not null) return R.CreateParentAndSource;
        // 10. Fixed = FULL_PHYSICAL_ALLOCATION, never with a parent; SPARSE_FILE only for fixed disks.
        if (differencing && r.IsFixed) return R.CreateFixedDifferencing;
        if (r.IsSparseFile && !r.IsFixed) return R.CreateSparseNeedsFixed;
        // 11–13. Size: 0 with a parent; needed without parent or source; a multiple of the sector size; 3 MB to the format's limit
        // (VHD 2040 GB: "About VHD"; VHDX 64 TB: MS-VHDX §2.6.2.2).
        if (differencing && r.MaximumSize != 0) { detail = $"MaximumSize {r.MaximumSize}"; return R.CreateSizeWithParent; }
        if (!differencing && r.SourcePath is null && r.MaximumSize == 0) return R.CreateSizeMissing;
        uint logical = r.SectorSize, physical = r.PhysicalSectorSize, block = r.BlockSize;
        if (r.MaximumSize != 0)
        {
            uint sector = vhdx && logical == 4096 ? 4096u : 512u;
            if (r.MaximumSize % sector != 0) { detail = $"MaximumSize {r.MaximumSize} is not a multiple of {sector}"; return R.CreateSizeNotSectorMultiple; }
            if (r.MaximumSize < MinSize) { detail = $"MaximumSize {r.MaximumSize}"; return R.CreateSizeTooSmall; }
            ulong max = vhdx ? (ulong)VhdxConstants.MaxVirtualSize : (ulong)VhdProvider.MaxVirtualSize;
            if (r.MaximumSize > max) { detail = $"MaximumSize {r.MaximumSize} exceeds {max}"; return R.CreateSizeTooLarge; }
        }
        // 14. Block size. VHD: 0, 512 KiB or 2 MiB, and a fixed VHD only 0 (CREATE_VIRTUAL_DISK_PARAMETERS); VHDX: a power
        // of two from 1 MiB to 256 MiB (MS-VHDX §2.6.2.1 "MUST be at least 1 MB and not greater than 256 MB, and MUST be a power of 2").
        if (block != 0)
        {
            if (!vhdx && r.IsFixed) { detail = $"BlockSizeInBytes {block}"; return R.CreateBlockSizeFixedVhd; }
            bool ok = vhdx
                ? uint.IsPow2(block) && block >= VhdxFileParameters.MinBlockSize && block <= VhdxFileParameters.MaxBlockSize
                : block is VhdSmallBlock or VhdDefaultBlock;
            if (!ok) { detail = $"BlockSizeInBytes {block}"; return R.CreateBlockSizeInvalid; }
        }
        // 15. Sector sizes: VHD sectors are 512 bytes (VHD spec "Hard Disk Footer Format": sizes count 512-byte sectors);
        // VHDX logical and physical 512 or 4096 (MS-VHDX §2.6.2.4, §2.6.2.5).
        if (logical != 0 && !(logical == 512 || (vhdx && logical == 4096))) { detail = $"SectorSizeInBytes {logical}"; return R.CreateSectorSizeInvalid; }
        if (physical != 0 && !(physical == 512 || (vhdx && physical == 4096))) { detail = $"PhysicalSectorSizeInBytes {physical}"; return R.CreatePhysicalSectorSizeInvalid; }
        // 16. Resiliency GUID (version 2): resilient change tracking is not implemented.
        if (r.ResiliencyGuid != Guid.Empty) { detail = $"ResiliencyGuid {r.ResiliencyGuid}"; return R.CreateResiliencyNotSupported; }
        // 17. OpenFlags (version 2): defined bits only.
        if ((r.OpenFlags & ~DefinedOpenFlags) != 0) { detail = $"OpenFlags 0x{(uint)r.OpenFlags:X8}"; return R.CreateOpenFlagsInvalid; }
        // 18. Parent and source storage types (version 2; zero = detect).
        if (!TypeOk(r.ParentType, allowIso: false)) { detail = $"Device {r.ParentType.DeviceId}, vendor {r.ParentType.VendorId}"; return R.CreateParentTypeInvalid; }
        if (!TypeOk(r.SourceType, allowIso: true)) { detail = $"Device {r.SourceType.DeviceId}, vendor {r.SourceType.VendorId}"; return R.CreateSourceTypeInvalid; }
        // 19. An empty path names no file.
        if (r.Path.Length == 0) return R.CreatePathEmpty;

        plan = new CreatePlan
        {
            Path = r.Path,
            DeviceId = deviceId,
            Subtype = differencing ? VirtualDiskProviderSubtype.Differencing : r.IsFixed ? VirtualDiskProviderSubtype.Fixed : VirtualDiskProviderSubtype.Dynamic,
            Size = (long)r.MaximumSize,
            BlockSize = block,
            LogicalSectorSize = (int)logical,
            PhysicalSectorSize = (int)physical,
            UniqueId = r.UniqueId,
            SparseFile = r.IsSparseFile,
        };
        return R.None;
    }

    private static bool TypeOk(VirtualStorageType t, bool allowIso)
    {
        if (t.VendorId != VirtualStorageType.VendorMicrosoft && t.VendorId != VirtualStorageType.VendorUnknown) return false;
        return t.DeviceId switch
        {
            VirtualStorageDeviceId.Unknown or VirtualStorageDeviceId.Vhd or VirtualStorageDeviceId.Vhdx => true,
            VirtualStorageDeviceId.Iso => allowIso,
            _ => false,
        };
    }

    /// <summary>Device id 0: .vhd/.avhd make a VHD, .vhdx/.avhdx a VHDX (as Windows' open path reads extensions).</summary>
    public static uint FromExtension(string path)
    {
        string ext = System.IO.Path.GetExtension(path);
        if (ext.Equals(".vhd", StringComparison.OrdinalIgnoreCase) || ext.Equals(".avhd", StringComparison.OrdinalIgnoreCase)) return VirtualStorageDeviceId.Vhd;
        if (ext.Equals(".vhdx", StringComparison.OrdinalIgnoreCase) || ext.Equals(".avhdx", StringComparison.OrdinalIgnoreCase)) return VirtualStorageDeviceId.Vhdx;
        return VirtualStorageDeviceId.Unknown;
    }

    /// <summary>Rules 25–26 once the source's or parent's size is known (the size limits of rule 13 for a size taken from elsewhere).</summary>
    public static R CheckResolvedSize(CreatePlan plan, out string? detail)
    {
        detail = null;
        long max = plan.IsVhdx ? VhdxConstants.MaxVirtualSize : VhdProvider.MaxVirtualSize;
        if (plan.Size < MinSize) { detail = $"Size {plan.Size}"; return R.CreateSizeTooSmall; }
        if (plan.Size > max) { detail = $"Size {plan.Size} exceeds {max}"; return R.CreateSizeTooLarge; }
        if (plan.Size % plan.LogicalSectorSize != 0) { detail = $"Size {plan.Size} is not a multiple of {plan.LogicalSectorSize}"; return R.CreateSizeNotSectorMultiple; }
        return R.None;
    }
}

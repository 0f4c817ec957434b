namespace VirtualDiskManaged;

/// <summary>
/// CREATE_VIRTUAL_DISK_FLAG (virtdisk.h), with the header's exact values. The Microsoft Learn page of the enumeration
/// prints the last two members without a value; the SDK header (10.0.22000 and later) gives them 0x200 and 0x400, and
/// so does every binding generated from it. What this library does with each flag is in docs/create.md.
/// </summary>
[Flags]
public enum CreateVirtualDiskFlags : uint
{
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_NONE: system defaults (a dynamic disk, or a differencing disk with a parent).</summary>
    None = 0x0,
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_FULL_PHYSICAL_ALLOCATION: pre-allocate all space, i.e. create a fixed disk.</summary>
    FullPhysicalAllocation = 0x1,
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_PREVENT_WRITES_TO_SOURCE_DISK: own a physical source disk during the copy (no effect for a virtual-disk source or without a source).</summary>
    PreventWritesToSourceDisk = 0x2,
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_DO_NOT_COPY_METADATA_FROM_PARENT: a differencing disk does not take the parent's virtual disk id.</summary>
    DoNotCopyMetadataFromParent = 0x4,
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_CREATE_BACKING_STORAGE (not supported: ERROR_NOT_SUPPORTED).</summary>
    CreateBackingStorage = 0x8,
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_USE_CHANGE_TRACKING_SOURCE_LIMIT (not supported: no resilient change tracking).</summary>
    UseChangeTrackingSourceLimit = 0x10,
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_PRESERVE_PARENT_CHANGE_TRACKING_STATE (not supported: no resilient change tracking).</summary>
    PreserveParentChangeTrackingState = 0x20,
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_VHD_SET_USE_ORIGINAL_BACKING_STORAGE (not supported: no VHD Set provider).</summary>
    VhdSetUseOriginalBackingStorage = 0x40,
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_SPARSE_FILE: a fixed disk in a sparse host file (needs FULL_PHYSICAL_ALLOCATION).</summary>
    SparseFile = 0x80,
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_PMEM_COMPATIBLE (not supported).</summary>
    PmemCompatible = 0x100,
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_SUPPORT_COMPRESSED_VOLUMES: allow a compressed host volume (accepted).</summary>
    SupportCompressedVolumes = 0x200,
    /// <summary>CREATE_VIRTUAL_DISK_FLAG_SUPPORT_SPARSE_FILES_ANY_FS: allow SPARSE_FILE on any file system (accepted).</summary>
    SupportSparseFilesAnyFs = 0x400,
}

/// <summary>CREATE_VIRTUAL_DISK_VERSION.</summary>
public enum CreateVirtualDiskVersion : uint
{
    /// <summary>CREATE_VIRTUAL_DISK_VERSION_UNSPECIFIED: never valid (ERROR_INVALID_PARAMETER).</summary>
    Unspecified = 0,
    /// <summary>CREATE_VIRTUAL_DISK_VERSION_1 (Windows 7).</summary>
    Version1 = 1,
    /// <summary>CREATE_VIRTUAL_DISK_VERSION_2 (Windows 8): physical sector size, open flags, parent and source types.</summary>
    Version2 = 2,
    /// <summary>CREATE_VIRTUAL_DISK_VERSION_3: undocumented members (refused with ERROR_INVALID_PARAMETER, reason CreateVersionNotSupported).</summary>
    Version3 = 3,
    /// <summary>CREATE_VIRTUAL_DISK_VERSION_4: undocumented members (refused with ERROR_INVALID_PARAMETER, reason CreateVersionNotSupported).</summary>
    Version4 = 4,
}

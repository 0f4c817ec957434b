using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>CreateVirtualDisk parameter rules and image creation: range 1300–1399.</summary>
    private static readonly Row[] CreateRows =
    [
        new(R.CreateNullStorageType, E.InvalidParameter, F, "The storage type argument is null."),
        new(R.CreateNullPath, E.InvalidParameter, F, "The path argument is null."),
        new(R.CreateNullParameters, E.InvalidParameter, F, "The parameters argument is null (CreateVirtualDisk requires parameters)."),
        new(R.CreateVersionInvalid, E.InvalidParameter, F, "The parameters' version is not 1 or 2."),
        new(R.CreateVersionNotSupported, E.InvalidParameter, F, "Parameters versions 3 and 4 are not supported (their members are undocumented); use version 1 or 2."),
        new(R.CreateAccessMaskInvalid, E.InvalidParameter, F, "The access mask has bits outside VIRTUAL_DISK_ACCESS_ALL (0x3F0000)."),
        new(R.CreateAccessMaskMustBeNone, E.InvalidParameter, F, "Version 2 parameters need access mask VIRTUAL_DISK_ACCESS_NONE."),
        new(R.CreateFlagsInvalid, E.InvalidParameter, F, "The flags have bits that CREATE_VIRTUAL_DISK_FLAG does not define (above 0x400)."),
        new(R.CreateFlagNotSupported, E.NotSupported, F, "A create flag is not supported by this library (CREATE_BACKING_STORAGE, change tracking, VHD Set or PMEM)."),
        new(R.CreateVendorNotSupported, E.VirtdiskProviderNotFound, F, "The vendor GUID is neither Microsoft nor unknown."),
        new(R.CreateDeviceIdNotSupported, E.VirtdiskProviderNotFound, F, "The device id names no format that can be created (VHD Set and unknown ids have no provider)."),
        new(R.CreateIsoNotSupported, E.NotSupported, F, "ISO images cannot be created through CreateVirtualDisk."),
        new(R.CreateFormatNotDetermined, E.VirtdiskProviderNotFound, F, "The device id is unknown and the path's extension is neither .vhd nor .vhdx."),
        new(R.CreateParentAndSource, E.InvalidParameter, F, "ParentPath and SourcePath cannot both be set."),
        new(R.CreateFixedDifferencing, E.InvalidParameter, F, "FULL_PHYSICAL_ALLOCATION cannot be combined with ParentPath: a differencing disk is never fixed."),
        new(R.CreateSparseNeedsFixed, E.InvalidParameter, F, "SPARSE_FILE applies to fixed disks only (it needs FULL_PHYSICAL_ALLOCATION)."),
        new(R.CreateSizeWithParent, E.InvalidParameter, F, "MaximumSize must be 0 with ParentPath: a differencing disk has its parent's size."),
        new(R.CreateSizeMissing, E.InvalidParameter, F, "MaximumSize is 0 without ParentPath or SourcePath: the size is needed."),
        new(R.CreateSizeNotSectorMultiple, E.InvalidParameter, F, "MaximumSize is not a multiple of the logical sector size."),
        new(R.CreateSizeTooSmall, E.InvalidParameter, F, "MaximumSize is below the 3 MiB minimum of every disk type."),
        new(R.CreateSizeTooLarge, E.VhdInvalidSize, F, "MaximumSize exceeds the format's limit (VHD 2040 GiB, VHDX 64 TiB)."),
        new(R.CreateBlockSizeInvalid, E.InvalidParameter, F, "BlockSizeInBytes is not allowed (VHD: 0, 512 KiB or 2 MiB; VHDX: 0 or a power of two from 1 MiB to 256 MiB)."),
        new(R.CreateBlockSizeFixedVhd, E.InvalidParameter, F, "A fixed VHD has no blocks: BlockSizeInBytes must be 0."),
        new(R.CreateSectorSizeInvalid, E.InvalidParameter, F, "SectorSizeInBytes is not allowed (VHD: 0 or 512; VHDX: 0, 512 or 4096)."),
        new(R.CreatePhysicalSectorSizeInvalid, E.InvalidParameter, F, "PhysicalSectorSizeInBytes is not allowed (VHD: 0 or 512; VHDX: 0, 512 or 4096)."),
        new(R.CreateResiliencyNotSupported, E.NotSupported, F, "ResiliencyGuid must be all-zero: resilient change tracking is not supported."),
        new(R.CreateOpenFlagsInvalid, E.InvalidParameter, F, "OpenFlags has bits that OPEN_VIRTUAL_DISK_FLAG does not define (above 0x800)."),
        new(R.CreateParentTypeInvalid, E.VirtdiskProviderNotFound, F, "ParentVirtualStorageType names no VHD or VHDX provider."),
        new(R.CreateSourceTypeInvalid, E.VirtdiskProviderNotFound, F, "SourceVirtualStorageType names no provider."),
        new(R.CreatePathEmpty, E.PathNotFound, F, "The path is empty."),
        new(R.CreateFolderNotFound, E.PathNotFound, F, "The folder of the new image does not exist."),
        new(R.CreateTargetExists, E.FileExists, F, "A file (or folder) already exists at the path; CreateVirtualDisk never overwrites."),
        new(R.CreateParentOpenFailed, E.VhdParentVhdNotFound, F, "The parent could not be opened (the cause is inside)."),
        new(R.CreateParentFormatMismatch, E.VhdInvalidType, F, "The parent is of another format than the new disk (a VHD's parent is a VHD, a VHDX's a VHDX)."),
        new(R.CreateParentSectorSizeMismatch, E.InvalidParameter, F, "A sector size was given that differs from the parent's."),
        new(R.CreateSourceOpenFailed, E.VirtdiskProviderNotFound, F, "The source could not be opened (the cause is inside)."),
        new(R.CreateSourceLargerThanSize, E.InvalidParameter, F, "MaximumSize is smaller than the source's size."),
        new(R.CreateSourceOwnershipNotSupported, E.NotSupported, F, "PREVENT_WRITES_TO_SOURCE_DISK cannot take ownership of a raw (physical) source here."),
        new(R.CreateTypeNeedsParent, E.InvalidParameter, F, "A differencing disk needs ParentPath."),
        new(R.CreateParentNeedsDifferencing, E.InvalidParameter, F, "ParentPath is only for a differencing disk."),
        new(R.CreateFormatInvalid, E.InvalidParameter, F, "The format must be VHD or VHDX."),
        new(R.CreateWriteFailed, E.IoDevice, F, "Writing the new image failed; the partly written file was removed."),
        new(R.CreateDiskFull, E.DiskFull, F, "The host volume is full; the partly written file was removed."),
        new(R.CreateSourceReadFailed, E.IoDevice, F, "Reading the source failed; the partly written file was removed."),
        new(R.CreateCanceled, E.OperationAborted, F, "The create was canceled; the partly written file was removed."),
        new(R.CreateReopenFailed, E.FileCorrupt, F, "The new image was written but could not be opened again (a bug); it was removed."),
    ];
}

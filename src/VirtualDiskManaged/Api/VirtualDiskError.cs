namespace VirtualDiskManaged;

/// <summary>
/// The Win32 error codes that <c>VirtDisk.OpenVirtualDisk</c> and the handle's operations return,
/// with the exact numeric values of winerror.h. The meaning of each is summarised in our own words.
/// </summary>
public enum VirtualDiskError : uint
{
    /// <summary>ERROR_SUCCESS: the operation completed.</summary>
    Success = 0,
    /// <summary>ERROR_FILE_NOT_FOUND: the file does not exist.</summary>
    FileNotFound = 2,
    /// <summary>ERROR_PATH_NOT_FOUND: a folder of the path does not exist, or the path is empty.</summary>
    PathNotFound = 3,
    /// <summary>ERROR_ACCESS_DENIED: no permission, not a regular file, or an operation the handle was not opened for.</summary>
    AccessDenied = 5,
    /// <summary>ERROR_SHARING_VIOLATION: another open handle holds the file in a conflicting way.</summary>
    SharingViolation = 32,
    /// <summary>ERROR_HANDLE_EOF: a read went past the end of the backing file (it shrank while open).</summary>
    HandleEof = 38,
    /// <summary>ERROR_NOT_SUPPORTED: the request is not supported.</summary>
    NotSupported = 50,
    /// <summary>ERROR_FILE_EXISTS: the file exists (CreateVirtualDisk never overwrites).</summary>
    FileExists = 80,
    /// <summary>ERROR_INVALID_PARAMETER: an argument is not valid.</summary>
    InvalidParameter = 87,
    /// <summary>ERROR_DISK_FULL: there is not enough space on the host volume.</summary>
    DiskFull = 112,
    /// <summary>ERROR_UNSUPPORTED_COMPRESSION: the backing file is compressed (documented rule set).</summary>
    UnsupportedCompression = 618,
    /// <summary>ERROR_FILE_SYSTEM_LIMITATION: the path is on a loopback network share.</summary>
    FileSystemLimitation = 665,
    /// <summary>ERROR_OPERATION_ABORTED: the operation was canceled.</summary>
    OperationAborted = 995,
    /// <summary>ERROR_IO_DEVICE: the backing file could not be read.</summary>
    IoDevice = 1117,
    /// <summary>ERROR_FILE_CORRUPT: the file is corrupted and unreadable.</summary>
    FileCorrupt = 1392,
    /// <summary>ERROR_FILE_ENCRYPTED: the backing file is encrypted (documented rule set).</summary>
    FileEncrypted = 6002,
    /// <summary>ERROR_NOT_FOUND: the element (for example a metadata item) does not exist.</summary>
    NotFound = 1168,
    /// <summary>ERROR_VHD_DRIVE_FOOTER_MISSING: no VHD footer where one must be.</summary>
    VhdDriveFooterMissing = 0xC03A0001,
    /// <summary>ERROR_VHD_DRIVE_FOOTER_CHECKSUM_MISMATCH: the VHD footer's checksum is wrong.</summary>
    VhdDriveFooterChecksumMismatch = 0xC03A0002,
    /// <summary>ERROR_VHD_DRIVE_FOOTER_CORRUPT: the VHD footer holds impossible values.</summary>
    VhdDriveFooterCorrupt = 0xC03A0003,
    /// <summary>ERROR_VHD_FORMAT_UNKNOWN: the file format is not recognised.</summary>
    VhdFormatUnknown = 0xC03A0004,
    /// <summary>ERROR_VHD_FORMAT_UNSUPPORTED_VERSION: the format version is not supported.</summary>
    VhdFormatUnsupportedVersion = 0xC03A0005,
    /// <summary>ERROR_VHD_SPARSE_HEADER_CHECKSUM_MISMATCH: the dynamic header's checksum is wrong.</summary>
    VhdSparseHeaderChecksumMismatch = 0xC03A0006,
    /// <summary>ERROR_VHD_SPARSE_HEADER_UNSUPPORTED_VERSION: the dynamic header's version is not supported.</summary>
    VhdSparseHeaderUnsupportedVersion = 0xC03A0007,
    /// <summary>ERROR_VHD_SPARSE_HEADER_CORRUPT: the dynamic header holds impossible values.</summary>
    VhdSparseHeaderCorrupt = 0xC03A0008,
    /// <summary>ERROR_VHD_BLOCK_ALLOCATION_FAILURE: a new block could not be allocated.</summary>
    VhdBlockAllocationFailure = 0xC03A0009,
    /// <summary>ERROR_VHD_BLOCK_ALLOCATION_TABLE_CORRUPT: the block allocation table is corrupt.</summary>
    VhdBlockAllocationTableCorrupt = 0xC03A000A,
    /// <summary>ERROR_VHD_INVALID_BLOCK_SIZE: the block size is not allowed.</summary>
    VhdInvalidBlockSize = 0xC03A000B,
    /// <summary>ERROR_VHD_BITMAP_MISMATCH: a block's bitmap does not match its data.</summary>
    VhdBitmapMismatch = 0xC03A000C,
    /// <summary>ERROR_VHD_PARENT_VHD_NOT_FOUND: the parent of a differencing disk was not found.</summary>
    VhdParentVhdNotFound = 0xC03A000D,
    /// <summary>ERROR_VHD_CHILD_PARENT_ID_MISMATCH: the parent's identifier is not the one the child records.</summary>
    VhdChildParentIdMismatch = 0xC03A000E,
    /// <summary>ERROR_VHD_CHILD_PARENT_TIMESTAMP_MISMATCH: the parent's time stamp is not the one the child records.</summary>
    VhdChildParentTimestampMismatch = 0xC03A000F,
    /// <summary>ERROR_VHD_METADATA_READ_FAILURE: the metadata could not be read.</summary>
    VhdMetadataReadFailure = 0xC03A0010,
    /// <summary>ERROR_VHD_METADATA_WRITE_FAILURE: the metadata could not be written.</summary>
    VhdMetadataWriteFailure = 0xC03A0011,
    /// <summary>ERROR_VHD_INVALID_SIZE: the virtual size is not valid.</summary>
    VhdInvalidSize = 0xC03A0012,
    /// <summary>ERROR_VHD_INVALID_FILE_SIZE: the file's length does not fit the disk it describes.</summary>
    VhdInvalidFileSize = 0xC03A0013,
    /// <summary>ERROR_VIRTDISK_PROVIDER_NOT_FOUND: no provider handles this storage type or file.</summary>
    VirtdiskProviderNotFound = 0xC03A0014,
    /// <summary>ERROR_VIRTDISK_NOT_VIRTUAL_DISK: the disk is not a virtual disk.</summary>
    VirtdiskNotVirtualDisk = 0xC03A0015,
    /// <summary>ERROR_VHD_PARENT_VHD_ACCESS_DENIED: the parent exists but cannot be opened.</summary>
    VhdParentVhdAccessDenied = 0xC03A0016,
    /// <summary>ERROR_VHD_CHILD_PARENT_SIZE_MISMATCH: parent and child virtual sizes differ.</summary>
    VhdChildParentSizeMismatch = 0xC03A0017,
    /// <summary>ERROR_VHD_DIFFERENCING_CHAIN_CYCLE_DETECTED: a file appears twice in one chain, or the chain is too deep.</summary>
    VhdDifferencingChainCycleDetected = 0xC03A0018,
    /// <summary>ERROR_VHD_DIFFERENCING_CHAIN_ERROR_IN_PARENT: a disk further up the chain failed to open.</summary>
    VhdDifferencingChainErrorInParent = 0xC03A0019,
    /// <summary>ERROR_VIRTUAL_DISK_LIMITATION: the backing file must be uncompressed, unencrypted and not sparse.</summary>
    VirtualDiskLimitation = 0xC03A001A,
    /// <summary>ERROR_VHD_INVALID_TYPE: not possible on a virtual disk of this type.</summary>
    VhdInvalidType = 0xC03A001B,
    /// <summary>ERROR_VHD_INVALID_STATE: not possible in the disk's current state.</summary>
    VhdInvalidState = 0xC03A001C,
    /// <summary>ERROR_VHD_METADATA_FULL: the virtual disk's metadata has no room for the item.</summary>
    VhdMetadataFull = 0xC03A0028,
    /// <summary>ERROR_VHD_RESIZE_WOULD_TRUNCATE_DATA: the resize would cut off data in use (a partition).</summary>
    VhdResizeWouldTruncateData = 0xC03A0025,
    /// <summary>ERROR_VHD_COULD_NOT_COMPUTE_MINIMUM_VIRTUAL_SIZE: the smallest safe size cannot be computed (no usable partition table).</summary>
    VhdCouldNotComputeMinimumVirtualSize = 0xC03A0026,
    /// <summary>ERROR_VHD_ALREADY_AT_OR_BELOW_MINIMUM_VIRTUAL_SIZE: the disk is already at or below its smallest safe size.</summary>
    VhdAlreadyAtOrBelowMinimumVirtualSize = 0xC03A0027,
}

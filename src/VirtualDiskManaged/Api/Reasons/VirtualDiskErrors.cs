using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

/// <summary>
/// Lookups over the reason table behind both API layers: every <see cref="VirtualDiskErrorReason"/> with its
/// Win32 code, its severity and the sentence a person reads. The rows live in <c>ReasonTable.*.cs</c>, one row
/// per reason; nothing else in the library chooses codes, messages or severities.
/// </summary>
public static class VirtualDiskErrors
{
    /// <summary>The Win32 code a reason produces (for warnings: the code used in strict mode).</summary>
    public static VirtualDiskError CodeOf(VirtualDiskErrorReason reason) => ReasonTable.Find(reason).Code;

    /// <summary>A one-sentence description of the reason.</summary>
    public static string MessageOf(VirtualDiskErrorReason reason) => ReasonTable.Find(reason).Message;

    /// <summary>Whether the reason is a failure or a warning.</summary>
    public static VirtualDiskReasonSeverity SeverityOf(VirtualDiskErrorReason reason) => ReasonTable.Find(reason).Severity;

    /// <summary>True for reasons that are warnings on a successful operation (failures only in strict mode).</summary>
    public static bool IsWarning(VirtualDiskErrorReason reason) => SeverityOf(reason) == VirtualDiskReasonSeverity.Warning;

    /// <summary>The winerror.h symbol of a code, e.g. <c>ERROR_VHD_DRIVE_FOOTER_MISSING</c>.</summary>
    public static string SymbolOf(VirtualDiskError code) => code switch
    {
        E.Success => "ERROR_SUCCESS",
        E.FileNotFound => "ERROR_FILE_NOT_FOUND",
        E.PathNotFound => "ERROR_PATH_NOT_FOUND",
        E.AccessDenied => "ERROR_ACCESS_DENIED",
        E.SharingViolation => "ERROR_SHARING_VIOLATION",
        E.HandleEof => "ERROR_HANDLE_EOF",
        E.NotSupported => "ERROR_NOT_SUPPORTED",
        E.FileExists => "ERROR_FILE_EXISTS",
        E.DiskFull => "ERROR_DISK_FULL",
        E.OperationAborted => "ERROR_OPERATION_ABORTED",
        E.InvalidParameter => "ERROR_INVALID_PARAMETER",
        E.UnsupportedCompression => "ERROR_UNSUPPORTED_COMPRESSION",
        E.FileSystemLimitation => "ERROR_FILE_SYSTEM_LIMITATION",
        E.IoDevice => "ERROR_IO_DEVICE",
        E.FileCorrupt => "ERROR_FILE_CORRUPT",
        E.FileEncrypted => "ERROR_FILE_ENCRYPTED",
        E.VhdDriveFooterMissing => "ERROR_VHD_DRIVE_FOOTER_MISSING",
        E.VhdDriveFooterChecksumMismatch => "ERROR_VHD_DRIVE_FOOTER_CHECKSUM_MISMATCH",
        E.VhdDriveFooterCorrupt => "ERROR_VHD_DRIVE_FOOTER_CORRUPT",
        E.VhdFormatUnknown => "ERROR_VHD_FORMAT_UNKNOWN",
        E.VhdFormatUnsupportedVersion => "ERROR_VHD_FORMAT_UNSUPPORTED_VERSION",
        E.VhdSparseHeaderChecksumMismatch => "ERROR_VHD_SPARSE_HEADER_CHECKSUM_MISMATCH",
        E.VhdSparseHeaderUnsupportedVersion => "ERROR_VHD_SPARSE_HEADER_UNSUPPORTED_VERSION",
        E.VhdSparseHeaderCorrupt => "ERROR_VHD_SPARSE_HEADER_CORRUPT",
        E.VhdBlockAllocationFailure => "ERROR_VHD_BLOCK_ALLOCATION_FAILURE",
        E.VhdBlockAllocationTableCorrupt => "ERROR_VHD_BLOCK_ALLOCATION_TABLE_CORRUPT",
        E.VhdInvalidBlockSize => "ERROR_VHD_INVALID_BLOCK_SIZE",
        E.VhdBitmapMismatch => "ERROR_VHD_BITMAP_MISMATCH",
        E.VhdParentVhdNotFound => "ERROR_VHD_PARENT_VHD_NOT_FOUND",
        E.VhdChildParentIdMismatch => "ERROR_VHD_CHILD_PARENT_ID_MISMATCH",
        E.VhdChildParentTimestampMismatch => "ERROR_VHD_CHILD_PARENT_TIMESTAMP_MISMATCH",
        E.VhdMetadataReadFailure => "ERROR_VHD_METADATA_READ_FAILURE",
        E.VhdMetadataWriteFailure => "ERROR_VHD_METADATA_WRITE_FAILURE",
        E.VhdInvalidSize => "ERROR_VHD_INVALID_SIZE",
        E.VhdInvalidFileSize => "ERROR_VHD_INVALID_FILE_SIZE",
        E.VirtdiskProviderNotFound => "ERROR_VIRTDISK_PROVIDER_NOT_FOUND",
        E.VirtdiskNotVirtualDisk => "ERROR_VIRTDISK_NOT_VIRTUAL_DISK",
        E.VhdParentVhdAccessDenied => "ERROR_VHD_PARENT_VHD_ACCESS_DENIED",
        E.VhdChildParentSizeMismatch => "ERROR_VHD_CHILD_PARENT_SIZE_MISMATCH",
        E.VhdDifferencingChainCycleDetected => "ERROR_VHD_DIFFERENCING_CHAIN_CYCLE_DETECTED",
        E.VhdDifferencingChainErrorInParent => "ERROR_VHD_DIFFERENCING_CHAIN_ERROR_IN_PARENT",
        E.VirtualDiskLimitation => "ERROR_VIRTUAL_DISK_LIMITATION",
        E.VhdInvalidType => "ERROR_VHD_INVALID_TYPE",
        E.VhdInvalidState => "ERROR_VHD_INVALID_STATE",
        E.NotFound => "ERROR_NOT_FOUND",
        E.VhdMetadataFull => "ERROR_VHD_METADATA_FULL",
        E.VhdResizeWouldTruncateData => "ERROR_VHD_RESIZE_WOULD_TRUNCATE_DATA",
        E.VhdCouldNotComputeMinimumVirtualSize => "ERROR_VHD_COULD_NOT_COMPUTE_MINIMUM_VIRTUAL_SIZE",
        E.VhdAlreadyAtOrBelowMinimumVirtualSize => "ERROR_VHD_ALREADY_AT_OR_BELOW_MINIMUM_VIRTUAL_SIZE",
        _ => "0x" + ((uint)code).ToString("X8", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>What Windows says for a code, in our words.</summary>
    public static string DescriptionOf(VirtualDiskError code) => code switch
    {
        E.Success => "The operation completed successfully.",
        E.FileNotFound => "The file cannot be found.",
        E.PathNotFound => "The path cannot be found.",
        E.AccessDenied => "Access is denied.",
        E.SharingViolation => "The file is in use by another handle.",
        E.HandleEof => "Reached the end of the file.",
        E.NotSupported => "The request is not supported.",
        E.FileExists => "The file exists.",
        E.DiskFull => "There is not enough space on the disk.",
        E.OperationAborted => "The operation was canceled.",
        E.InvalidParameter => "A parameter is incorrect.",
        E.UnsupportedCompression => "The file is compressed, which is not supported here.",
        E.FileSystemLimitation => "The file system cannot do this (loopback network share).",
        E.IoDevice => "The backing file could not be read.",
        E.FileCorrupt => "The file is corrupted and unreadable.",
        E.FileEncrypted => "The file is encrypted, which is not supported here.",
        E.VhdDriveFooterMissing => "The virtual disk is corrupted: its footer is missing.",
        E.VhdDriveFooterChecksumMismatch => "The virtual disk is corrupted: its footer checksum does not match.",
        E.VhdDriveFooterCorrupt => "The virtual disk is corrupted: its footer is corrupt.",
        E.VhdFormatUnknown => "The virtual disk's file format is not recognised.",
        E.VhdFormatUnsupportedVersion => "The virtual disk uses an unsupported version of its format.",
        E.VhdSparseHeaderChecksumMismatch => "The virtual disk is corrupted: its dynamic header checksum does not match.",
        E.VhdSparseHeaderUnsupportedVersion => "The virtual disk's dynamic header has an unsupported version.",
        E.VhdSparseHeaderCorrupt => "The virtual disk is corrupted: its dynamic header is corrupt.",
        E.VhdBlockAllocationFailure => "A new block of the virtual disk could not be allocated.",
        E.VhdBlockAllocationTableCorrupt => "The virtual disk is corrupted: its block allocation table is corrupt.",
        E.VhdInvalidBlockSize => "The virtual disk uses a block size that is not supported.",
        E.VhdBitmapMismatch => "The virtual disk is corrupted: a block bitmap does not match its data.",
        E.VhdParentVhdNotFound => "The differencing chain is broken: the parent disk was not found.",
        E.VhdChildParentIdMismatch => "The differencing chain is broken: the parent's identifier does not match.",
        E.VhdChildParentTimestampMismatch => "The differencing chain is broken: the parent's time stamp does not match.",
        E.VhdMetadataReadFailure => "The virtual disk's metadata could not be read.",
        E.VhdMetadataWriteFailure => "The virtual disk's metadata could not be written.",
        E.VhdInvalidSize => "The virtual disk's size is not valid.",
        E.VhdInvalidFileSize => "The file's size is not valid for the virtual disk it holds.",
        E.VirtdiskProviderNotFound => "No virtual disk support provider was found for the file.",
        E.VirtdiskNotVirtualDisk => "The disk is not a virtual disk.",
        E.VhdParentVhdAccessDenied => "The parent disk of the differencing chain cannot be accessed.",
        E.VhdChildParentSizeMismatch => "The differencing chain is broken: parent and child sizes differ.",
        E.VhdDifferencingChainCycleDetected => "The differencing chain contains a cycle (or is too deep).",
        E.VhdDifferencingChainErrorInParent => "A disk further up the differencing chain failed to open.",
        E.VirtualDiskLimitation => "The backing file must be uncompressed, unencrypted and not sparse.",
        E.VhdInvalidType => "The operation is not possible on a virtual disk of this type.",
        E.VhdInvalidState => "The operation is not possible in the virtual disk's current state.",
        E.NotFound => "Element not found.",
        E.VhdMetadataFull => "The virtual disk's metadata has no room for the item.",
        E.VhdResizeWouldTruncateData => "The resize would cut off data in use.",
        E.VhdCouldNotComputeMinimumVirtualSize => "The smallest safe virtual size could not be computed.",
        E.VhdAlreadyAtOrBelowMinimumVirtualSize => "The virtual disk is already at or below its smallest safe size.",
        _ => "Unknown error.",
    };

}

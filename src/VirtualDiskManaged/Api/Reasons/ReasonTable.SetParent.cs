using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Set-parent and VHDX metadata items (SetVirtualDiskInformation PARENT_PATH, Set/DeleteVirtualDiskMetadata): range 1580–1599.</summary>
    private static readonly Row[] SetParentRows =
    [
        new(R.SetParentNotDifferencing, E.VhdInvalidType, F, "The image is not a differencing disk; it has no parent to re-point."),
        new(R.SetParentOpenFailed, E.VhdParentVhdNotFound, F, "The new parent cannot be opened."),
        new(R.SetParentIdMismatch, E.VhdChildParentIdMismatch, F, "The new parent's identifier is not the one the child records."),
        new(R.SetParentFormatMismatch, E.VhdChildParentIdMismatch, F, "The new parent is of another format than the child."),
        new(R.SetParentSizeMismatch, E.VhdChildParentSizeMismatch, F, "The new parent's virtual size is not the child's."),
        new(R.SetParentPathInvalid, E.InvalidParameter, F, "The parent path is empty or leads back to the child."),
        new(R.MetadataNoRoom, E.VhdMetadataFull, F, "The image's metadata has no room left for the change."),
        new(R.MetadataWriteFailed, E.VhdMetadataWriteFailure, F, "Writing the metadata change failed."),
        new(R.MetadataItemInvalid, E.InvalidParameter, F, "The item id is the all-zero GUID or a system item's, or the data is empty or longer than 1 MiB."),
        new(R.MetadataItemNotFound, E.NotFound, F, "The VHDX has no user metadata item with that id."),
    ];
}

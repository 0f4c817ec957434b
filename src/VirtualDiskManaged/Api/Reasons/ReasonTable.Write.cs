using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Writing through ATTACH_RW handles: range 1400–1499.</summary>
    private static readonly Row[] WriteRows =
    [
        new(R.HandleNotWritable, E.AccessDenied, F, "The handle was not opened for writing."),
        new(R.WriteBeyondEnd, E.InvalidParameter, F, "The write reaches beyond the end of the virtual disk."),
        new(R.WriteFailed, E.IoDevice, F, "Writing the backing file failed."),
        new(R.FlushFailed, E.IoDevice, F, "Flushing the backing file to stable storage failed."),
        new(R.BlockAllocationFailed, E.VhdBlockAllocationFailure, F, "A new block cannot be allocated in the image."),
        new(R.WriteHandleFaulted, E.VhdMetadataWriteFailure, F, "An earlier write or flush of this handle failed; reopen the image to write again."),
        new(R.WriteLayoutNotSupported, E.NotSupported, F, "The image has a layout this writer does not change."),
        new(R.VhdxLogReplayedIntoFile, E.FileCorrupt, W, "A pending VHDX log was replayed into the file by a writable open."),
    ];
}

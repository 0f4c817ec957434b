using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Resize (ResizeVirtualDisk): range 1560–1579.</summary>
    private static readonly Row[] ResizeRows =
    [
        new(R.ResizeSizeInvalid, E.InvalidParameter, F, "The new size is zero, not a multiple of the logical sector size, or beyond the format's maximum."),
        new(R.ResizeShrinkNotSupported, E.VhdInvalidType, F, "A VHD cannot shrink; only a VHDX can."),
        new(R.ResizeWouldTruncateData, E.VhdResizeWouldTruncateData, F, "The shrink would cut into a partition; allow an unsafe shrink to do it anyway."),
        new(R.ResizeDifferencingNotSupported, E.VhdInvalidType, F, "A differencing disk is not resized; its size follows its parent's."),
        new(R.ResizeLayoutNotSupported, E.NotSupported, F, "The image's layout is not one this resize changes."),
        new(R.ResizeWriteFailed, E.IoDevice, F, "Writing the image failed; it opens with the old or the new size."),
        new(R.ResizeCanceled, E.OperationAborted, F, "The resize was canceled before the size changed."),
        new(R.ResizeMinimumUnknown, E.VhdCouldNotComputeMinimumVirtualSize, F, "No partition table can be read, so the smallest safe size is unknown."),
        new(R.ResizeAlreadyAtMinimum, E.VhdAlreadyAtOrBelowMinimumVirtualSize, F, "The disk is already at its smallest safe size."),
    ];
}

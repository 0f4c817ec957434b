using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Compact (CompactVirtualDisk): range 1540–1559.</summary>
    private static readonly Row[] CompactRows =
    [
        new(R.CompactFixedDisk, E.VhdInvalidType, F, "A fixed disk cannot be compacted; only dynamic and differencing disks can."),
        new(R.CompactLayoutNotSupported, E.NotSupported, F, "The image has a layout compact does not rewrite; nothing was changed."),
        new(R.CompactWriteFailed, E.IoDevice, F, "Writing the compacted image failed part-way; it still reads the same content."),
        new(R.CompactCanceled, E.OperationAborted, F, "The compact was canceled; the image reads the same content, compacted in part or not at all."),
    ];
}

using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Resize (ResizeVirtualDisk): range 1560–1579.</summary>
    private static readonly Row[] ResizeRows =
    [
    ];
}

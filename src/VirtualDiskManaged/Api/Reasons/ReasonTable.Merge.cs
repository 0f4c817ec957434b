using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Merge (MergeVirtualDisk): range 1520–1539.</summary>
    private static readonly Row[] MergeRows =
    [
    ];
}

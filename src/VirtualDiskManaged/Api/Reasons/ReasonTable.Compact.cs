using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Compact (CompactVirtualDisk): range 1540–1559.</summary>
    private static readonly Row[] CompactRows =
    [
    ];
}

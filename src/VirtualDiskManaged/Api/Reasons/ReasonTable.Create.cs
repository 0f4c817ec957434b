using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>CreateVirtualDisk parameter rules and image creation: range 1300–1399.</summary>
    private static readonly Row[] CreateRows =
    [
    ];
}

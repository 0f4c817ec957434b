using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Writing through ATTACH_RW handles: range 1400–1499.</summary>
    private static readonly Row[] WriteRows =
    [
    ];
}

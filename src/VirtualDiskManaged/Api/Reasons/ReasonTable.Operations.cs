using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Pipeline operations (convert, merge, compact, resize, repair, set-parent, map, compare): range 1500–1599.</summary>
    private static readonly Row[] OperationsRows =
    [
    ];
}

using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>The ISO builder: range 1600–1699.</summary>
    private static readonly Row[] IsoBuilderRows =
    [
    ];
}

using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>The UDF file system reader and its deep check: range 1200–1299.</summary>
    private static readonly Row[] UdfRows =
    [
    ];
}

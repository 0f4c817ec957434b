using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>El Torito boot catalogs, isohybrid and the embedded MD5: range 1100–1199.</summary>
    private static readonly Row[] ElToritoRows =
    [
    ];
}

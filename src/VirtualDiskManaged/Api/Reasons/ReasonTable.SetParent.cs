using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Set-parent and VHDX metadata items (SetVirtualDiskInformation PARENT_PATH, Set/DeleteVirtualDiskMetadata): range 1580–1599.</summary>
    private static readonly Row[] SetParentRows =
    [
    ];
}

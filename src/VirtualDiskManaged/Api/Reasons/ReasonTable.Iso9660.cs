using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>The ISO 9660 file system reader and its deep check (Joliet, Rock Ridge, zisofs): range 1000–1099.</summary>
    private static readonly Row[] Iso9660Rows =
    [
    ];
}

using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Extracting files from an image to a folder: range 1700–1799.</summary>
    private static readonly Row[] ExtractionRows =
    [
    ];
}

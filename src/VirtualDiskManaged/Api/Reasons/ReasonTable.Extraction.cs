using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Extracting files from an image to a folder: range 1700–1799.</summary>
    private static readonly Row[] ExtractionRows =
    [
        new(R.ExtractionUnsafeName, E.InvalidParameter, F, "The entry's name would leave the target folder or is not a valid name there; it was not extracted."),
        new(R.ExtractionPathThroughLink, E.AccessDenied, F, "A folder on the way to the entry is not a directory this extraction made (a symbolic link or a file stands there); nothing was written through it."),
        new(R.ExtractionTargetExists, E.AccessDenied, F, "Something already exists at the entry's place in the target folder; it was left as it was."),
        new(R.ExtractionSymlinkNotCreated, E.NotSupported, F, "The host refused to create the symbolic link."),
        new(R.ExtractionSpecialFileSkipped, E.NotSupported, F, "Device nodes, FIFOs and sockets are not extracted."),
        new(R.ExtractionWriteFailed, E.IoDevice, F, "Writing the entry to the target folder failed."),
        new(R.ExtractionReadFailed, E.FileCorrupt, F, "The entry's content could not be read from the image."),
        new(R.ExtractionLengthMismatch, E.FileCorrupt, F, "The entry's content did not have its recorded length; the partial file was removed."),
        new(R.ExtractionTimeNotSet, E.AccessDenied, W, "The entry was extracted but its modification time could not be set."),
        new(R.ExtractionDirectoryRepeated, E.FileCorrupt, F, "The directory was reached a second time (a cycle or a shared directory); its entries were not extracted again."),
    ];
}

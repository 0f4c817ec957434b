using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>File systems, shared by every namespace: range 1900–1999 (docs/iso9660.md, docs/udf.md).</summary>
    private static readonly Row[] FileSystemRows =
    [
        new(R.FileSystemEntryNotFound, E.FileNotFound, F, "No entry has this path in the image's file system."),
        new(R.FileSystemNotADirectory, E.PathNotFound, F, "A component of the path is not a directory."),
        new(R.FileSystemNotAFile, E.AccessDenied, F, "The entry is not a regular file."),
        new(R.FileSystemPathInvalid, E.InvalidParameter, F, "The path is not a valid absolute path inside the image."),
        new(R.FileSystemTreeTooDeep, E.FileCorrupt, F, "The directory tree is deeper than the reader's cap."),
        new(R.FileSystemDirectoryCycle, E.FileCorrupt, F, "A directory is its own ancestor (a cycle in the directory tree)."),
        new(R.FileSystemNotFound, E.FileCorrupt, F, "The image holds no file system of the kind asked for."),
        new(R.FileSystemReadFailed, E.IoDevice, F, "A read of the volume failed or ended before the structure did."),
    ];
}

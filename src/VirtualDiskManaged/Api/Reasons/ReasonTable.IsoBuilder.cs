using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>The ISO builder: range 1600–1699.</summary>
    private static readonly Row[] IsoBuilderRows =
    [
        new(R.IsoBuildOptionInvalid, E.InvalidParameter, F, "An ISO builder option is not valid."),
        new(R.IsoBuildPathInvalid, E.InvalidParameter, F, "The image path is not valid."),
        new(R.IsoBuildDuplicatePath, E.InvalidParameter, F, "An entry already exists at this image path."),
        new(R.IsoBuildSourceMissing, E.FileNotFound, F, "The source file or folder does not exist."),
        new(R.IsoBuildFileTooLarge, E.InvalidParameter, F, "The file is larger than the interchange level allows (use level 3 for files of 4 GiB and more)."),
        new(R.IsoBuildSourceChanged, E.IoDevice, F, "A source file changed length while the image was being written."),
        new(R.IsoBuildBootImageInvalid, E.InvalidParameter, F, "The boot image is not a usable file of the image."),
        new(R.IsoBuildTooManyDirectories, E.InvalidParameter, F, "The tree has more directories than ISO 9660 path tables can number (65,535)."),
        new(R.IsoBuildVolumeTooLarge, E.InvalidParameter, F, "The image would exceed the 2^32 blocks an ISO 9660 volume can address."),
        new(R.IsoBuildSourceUnreadable, E.IoDevice, F, "A source file or folder cannot be opened or read."),
        new(R.IsoBuildOutputIsSource, E.InvalidParameter, F, "The output would replace one of the image's own source files."),
    ];
}

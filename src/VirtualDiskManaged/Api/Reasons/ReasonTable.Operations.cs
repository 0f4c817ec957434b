using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Pipeline operations (convert, merge, compact, resize, repair, set-parent, map, compare): range 1500–1599.</summary>
    private static readonly Row[] OperationsRows =
    [
        new(R.OperationOpenFailed, E.FileCorrupt, F, "The operation's input image cannot be opened."),
        new(R.OperationNotSupported, E.NotSupported, F, "The operation does not apply to this kind of image."),
        new(R.ConvertFormatNotDetermined, E.InvalidParameter, F, "The output format is not given and the output's extension names none (.vhd, .vhdx, .raw, .img)."),
        new(R.ConvertOptionsInvalid, E.InvalidParameter, F, "The convert options contradict each other or the output format."),
        new(R.ConvertTargetExists, E.FileExists, F, "Something already stands at the output path; convert never overwrites."),
        new(R.ConvertFolderNotFound, E.PathNotFound, F, "The output folder does not exist."),
        new(R.ConvertWriteFailed, E.IoDevice, F, "The output could not be written; nothing was left at the output path."),
        new(R.ConvertReadFailed, E.IoDevice, F, "The source could not be read; nothing was left at the output path."),
        new(R.ConvertCanceled, E.OperationAborted, F, "The convert was canceled; nothing was left at the output path."),
        new(R.ConvertDiskFull, E.DiskFull, F, "The host volume is full; nothing was left at the output path."),
        new(R.OperationReadFailed, E.FileCorrupt, F, "A block table page or data read failed part-way through the image."),
        new(R.RepairNoIntactFooter, E.VhdDriveFooterChecksumMismatch, F, "Neither the trailing footer nor the copy at offset 0 is intact; there is nothing to restore from."),
        new(R.RepairWouldLoseData, E.FileCorrupt, F, "The repair would lose data, so it was refused."),
        new(R.RepairWriteFailed, E.IoDevice, F, "Writing the repaired structure failed."),
        new(R.SetValueInvalid, E.InvalidParameter, F, "Nothing to change was given, or a value is not one the format takes."),
        new(R.SetPendingLog, E.NotSupported, F, "The VHDX has a pending log; repair it first."),
    ];
}

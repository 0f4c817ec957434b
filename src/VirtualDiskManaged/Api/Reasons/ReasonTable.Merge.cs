using R = VirtualDiskManaged.VirtualDiskErrorReason;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

internal static partial class ReasonTable
{
    /// <summary>Merge (MergeVirtualDisk): range 1520–1539.</summary>
    private static readonly Row[] MergeRows =
    [
        new(R.MergeDepthInvalid, E.InvalidParameter, F, "The merge depth must be at least 1."),
        new(R.MergeNotDifferencing, E.InvalidParameter, F, "The image is not a differencing disk; it has no parent to merge into."),
        new(R.MergeDepthBeyondChain, E.InvalidParameter, F, "The merge depth reaches past the last parent of the chain."),
        new(R.MergeTargetInUse, E.SharingViolation, F, "The merge target is held by another handle or process (for example another child's open chain)."),
        new(R.MergeTargetOpenFailed, E.FileCorrupt, F, "The merge target cannot be opened for writing."),
        new(R.MergeChainChanged, E.VhdChildParentIdMismatch, F, "A file of the chain changed while the merge opened it; nothing was written."),
        new(R.MergeReadFailed, E.IoDevice, F, "Reading the child chain failed part-way; the target may hold part of the merge, the child chain is unchanged."),
        new(R.MergeWriteFailed, E.IoDevice, F, "Writing the merge target failed part-way; the target may hold part of the merge, the child chain is unchanged."),
        new(R.MergeCanceled, E.OperationAborted, F, "The merge was canceled; the target may hold part of the merge, the child chain is unchanged."),
        new(R.MergeChainInUse, E.SharingViolation, F, "A file of the chain is held by a writer (another handle or process), so the chain cannot be opened for the merge."),
    ];
}

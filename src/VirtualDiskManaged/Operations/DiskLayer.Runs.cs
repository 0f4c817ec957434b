namespace VirtualDiskManaged.IO;

/// <summary>The per-run mapping of a layer, for the map and compare operations (docs/operations.md "map").</summary>
internal abstract partial class DiskLayer
{
    /// <summary>
    /// The run at <paramref name="virtualOffset"/> of at most <paramref name="maxLength"/> bytes, clamped to the
    /// virtual size; lazily loaded table pages may throw <see cref="VirtualDiskException"/>. A zero or parent run is
    /// extended over the following blocks whose table entries are empty (<see cref="EmptyBlocksEnd"/>), found by a bulk
    /// scan of the table, so a walk over a sparse disk costs one call per allocated block, not one per block.
    /// </summary>
    internal Run RunAt(long virtualOffset, long maxLength)
    {
        maxLength = Math.Min(maxLength, VirtualSize - virtualOffset);
        var run = MapRun(virtualOffset, maxLength);
        if (run.Kind != RunKind.Data && run.Length < maxLength)
        {
            long end = EmptyBlocksEnd(virtualOffset + run.Length, virtualOffset + maxLength, run.Kind);
            if (end > virtualOffset + run.Length) run = run with { Length = end - virtualOffset };
        }
        return run;
    }

    /// <summary>
    /// From <paramref name="blockStart"/> (a block boundary), the end of the stretch of blocks whose table entries say
    /// "nothing stored here" and so read as <paramref name="kind"/>, at most <paramref name="end"/>; <paramref name="blockStart"/>
    /// when the block there is not such a block or the layer has no such scan. Reads only block tables.
    /// </summary>
    protected virtual long EmptyBlocksEnd(long blockStart, long end, RunKind kind) => blockStart;
}

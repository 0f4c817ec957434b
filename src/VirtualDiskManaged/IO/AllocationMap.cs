namespace VirtualDiskManaged.IO;

/// <summary>One stretch of virtual bytes that some file of the chain holds data for.</summary>
/// <param name="Offset">Virtual offset.</param>
/// <param name="Length">Length in bytes (&gt; 0).</param>
internal readonly record struct AllocatedRange(long Offset, long Length)
{
    public long End => Offset + Length;
}

/// <summary>
/// The allocation map of a chain: which virtual ranges are backed by data in this layer or any parent, and which read
/// as zeros without touching a file (unallocated blocks, zero states, holes of a sparse layer with no parent). Built
/// from <see cref="RunAt"/>, so it needs no I/O beyond the block tables' pages. Used by source copies (docs/create.md)
/// to read only what is allocated; a data range may still hold zeros (it was written with zeros).
/// </summary>
internal abstract partial class DiskLayer
{
    /// <summary>
    /// Appends to <paramref name="ranges"/> the allocated ranges inside [<paramref name="offset"/>, offset + length),
    /// in order, adjacent ranges merged. The range is clamped to <see cref="VirtualSize"/>.
    /// </summary>
    internal void MapAllocation(long offset, long length, List<AllocatedRange> ranges)
    {
        if (offset < 0 || length <= 0 || offset >= VirtualSize) return;
        long end = Math.Min(VirtualSize, offset + length);
        long position = offset;
        while (position < end)
        {
            var run = RunAt(position, end - position); // empty blocks in bulk (docs/operations.md "map")
            long len = Math.Min(run.Length, end - position);
            if (len <= 0) break; // defensive: a run is never empty
            switch (run.Kind)
            {
                case RunKind.Data:
                    Add(ranges, position, len);
                    break;
                case RunKind.Parent:
                    if (Parent is { } parent) parent.MapAllocation(position, len, ranges);
                    else if (ParentsOmitted) Add(ranges, position, len); // unknown content: treat as allocated so a read reports it
                    break;
            }
            position += len;
        }
    }

    private static void Add(List<AllocatedRange> ranges, long offset, long length)
    {
        if (ranges.Count > 0 && ranges[^1].End == offset)
            ranges[^1] = new AllocatedRange(ranges[^1].Offset, ranges[^1].Length + length);
        else
            ranges.Add(new AllocatedRange(offset, length));
    }
}

using VirtualDiskManaged.IO;

namespace VirtualDiskManaged;

/// <summary>
/// One run of the allocation map (as <c>qemu-img map --output=json</c> gives it): a stretch of virtual bytes with one
/// source. See docs/operations.md "map".
/// </summary>
/// <param name="Start">Virtual offset of the run.</param>
/// <param name="Length">Length in bytes (&gt; 0).</param>
/// <param name="Depth">Which file of the chain answers for the run: 0 the top file, 1 its parent, ...</param>
/// <param name="Present">False only where the run's content is in a parent that was not opened (NO_PARENTS).</param>
/// <param name="Zero">The run reads as zeros without reading data (an unallocated or zero-state block).</param>
/// <param name="Data">The run's bytes are stored in <paramref name="FilePath"/> at <paramref name="FileOffset"/>.</param>
/// <param name="FilePath">The file that answers for the run (the one at <paramref name="Depth"/>).</param>
/// <param name="FileOffset">Offset of the data in <paramref name="FilePath"/>; null unless <paramref name="Data"/>.</param>
public sealed record AllocationMapEntry(long Start, long Length, int Depth, bool Present, bool Zero, bool Data, string FilePath, long? FileOffset)
{
    /// <summary>The virtual offset just past the run.</summary>
    public long End => Start + Length;
}

public static partial class VirtualDiskOperations
{
    /// <summary>Cap on chain depth walked by the map (the open path caps chains lower; this guards against a cycle).</summary>
    private const int MaxMapDepth = 1024;

    /// <summary>
    /// The allocation map of the image at <paramref name="path"/> (opened read-only, chains included): every virtual byte
    /// in exactly one entry, in order, adjacent entries with the same source merged. Only block tables are read (no data),
    /// one entry per block at most, so the time grows with the block count, not the virtual size.
    /// </summary>
    /// <param name="path">The image.</param>
    /// <returns>The entries, covering 0 to the virtual size.</returns>
    public static IReadOnlyList<AllocationMapEntry> Map(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var handle = OrThrow(OpenInput(path, out var h), h);
        return Map(handle);
    }

    /// <summary>The allocation map of an open image (see <see cref="Map(string)"/>).</summary>
    /// <param name="handle">An open image.</param>
    /// <returns>The entries, covering 0 to the virtual size.</returns>
    public static IReadOnlyList<AllocationMapEntry> Map(VirtualDiskHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var entries = new List<AllocationMapEntry>();
        try
        {
            Walk(handle.TopLayer, 0, 0, handle.VirtualSize, entries);
        }
        catch (VirtualDiskException e)
        {
            ThrowHelper.Throw(new VirtualDiskDiagnostic(VirtualDiskErrorReason.OperationReadFailed, handle.Path, e.Diagnostic.Detail, e.Diagnostic.Offset, inner: e.Diagnostic, code: e.Diagnostic.Code));
        }
        return entries;
    }

    private static void Walk(DiskLayer layer, int depth, long position, long end, List<AllocationMapEntry> entries)
    {
        if (depth > MaxMapDepth) ThrowHelper.Throw(VirtualDiskErrorReason.OperationReadFailed, layer.File.Path, "The chain is deeper than the map walks");
        end = Math.Min(end, layer.VirtualSize);
        while (position < end)
        {
            var run = layer.RunAt(position, end - position);
            long length = Math.Min(run.Length, end - position);
            if (length <= 0) break; // defensive: a run is never empty
            switch (run.Kind)
            {
                case RunKind.Data:
                    Add(entries, new(position, length, depth, true, false, true, layer.File.Path, run.FileOffset));
                    break;
                case RunKind.Zero:
                    Add(entries, new(position, length, depth, true, true, false, layer.File.Path, null));
                    break;
                default:
                    if (layer.Parent is { } parent) Walk(parent, depth + 1, position, position + length, entries);
                    else if (layer.ParentsOmitted) Add(entries, new(position, length, depth + 1, false, false, false, layer.File.Path, null));
                    else Add(entries, new(position, length, depth, true, true, false, layer.File.Path, null));
                    break;
            }
            position += length;
        }
        // A parent smaller than the child (not possible through the open path's size rule) would leave a gap: zeros.
        if (position < end) Add(entries, new(position, end - position, depth, true, true, false, layer.File.Path, null));
    }

    private static void Add(List<AllocationMapEntry> entries, AllocationMapEntry e)
    {
        if (entries.Count > 0)
        {
            var last = entries[^1];
            if (last.End == e.Start && last.Depth == e.Depth && last.Present == e.Present && last.Zero == e.Zero && last.Data == e.Data
                && string.Equals(last.FilePath, e.FilePath, StringComparison.Ordinal)
                && (last.FileOffset is null ? e.FileOffset is null : e.FileOffset == last.FileOffset + last.Length))
            {
                entries[^1] = last with { Length = last.Length + e.Length };
                return;
            }
        }
        entries.Add(e);
    }
}

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// A file's ICB as read: where its direct entry (FE/EFE) was found, the entry, its allocation (partition-relative
/// extents cut to the information length) and the same bytes as volume runs.
/// </summary>
internal sealed class UdfNode
{
    public required ushort Partition { get; init; }
    public required uint Block { get; init; }
    /// <summary>Volume byte offset of the direct entry.</summary>
    public required long Offset { get; init; }
    public required UdfFileEntry Entry { get; init; }
    /// <summary>The allocation descriptors (extent type 3 resolved), covering the information length; empty when embedded.</summary>
    public required UdfAllocationDescriptor[] Allocation { get; init; }
    /// <summary>The content as volume runs (embedded data: one run inside the entry's block).</summary>
    public required FileExtent[] Extents { get; init; }
    /// <summary>Bytes the extents hold (less than the information length when the allocation is short).</summary>
    public required long RecordedLength { get; init; }
    public bool IsEmbedded => Entry.Icb.AllocationForm == UdfAllocationDescriptor.FormEmbedded;
    public long Key => (long)Partition << 32 | Block;
}

/// <summary>The path of directory ICBs from the root to a directory (for cycle detection; at most the depth cap long).</summary>
internal sealed record UdfAncestry(long Key, UdfAncestry? Parent, int Depth)
{
    public bool Contains(long key)
    {
        for (var a = this; a is not null; a = a.Parent) if (a.Key == key) return true;
        return false;
    }
}

/// <summary>What <see cref="FileSystemEntry"/>.Tag holds for a UDF entry.</summary>
internal sealed record UdfEntryState(UdfNode Node, UdfAncestry? Ancestry);

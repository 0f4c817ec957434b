namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// A metadata partition (OSTA UDF 2.60 §2.2.10, §2.2.13): its blocks are the bytes of the metadata file (file type
/// 250) whose allocation descriptors point into the physical partition of the same partition number; the metadata
/// mirror file (251) holds a copy, read when the main copy is damaged.
/// </summary>
internal sealed class UdfMetadataPartition(int reference, UdfPartitionMap map, UdfPartitionDescriptor descriptor, UdfPartition physical,
    UdfMetadataPartition.Run[]? main, UdfMetadataPartition.Run[]? mirror)
    : UdfPartition(reference, map, descriptor)
{
    /// <summary>A run of the metadata file: <see cref="Block"/> is the first metadata-partition block it holds.</summary>
    internal readonly record struct Run(long Block, long Blocks, uint PhysicalBlock);

    /// <summary>Cap on the metadata file's extents.</summary>
    public const int MaxRuns = 65536;

    public UdfPartition Physical { get; } = physical;
    public Run[]? Main { get; } = main;
    public Run[]? Mirror { get; } = mirror;
    public override long BlockCount => Math.Max(Count(Main), Count(Mirror));

    private static long Count(Run[]? runs) => runs is { Length: > 0 } ? runs[^1].Block + runs[^1].Blocks : 0;

    public override bool TryTranslate(uint lbn, bool mirror, out long sector, out long contiguous)
    {
        sector = 0;
        contiguous = 0;
        var runs = mirror ? Mirror : Main;
        if (runs is null) return false;
        int lo = 0, hi = runs.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var r = runs[mid];
            if (lbn < r.Block) hi = mid - 1;
            else if (lbn >= r.Block + r.Blocks) lo = mid + 1;
            else
            {
                long into = lbn - r.Block;
                long physical = r.PhysicalBlock + into;
                if (physical > uint.MaxValue || !Physical.TryTranslate((uint)physical, false, out sector, out long c)) return false;
                contiguous = Math.Min(c, r.Blocks - into);
                return true;
            }
        }
        return false;
    }
}

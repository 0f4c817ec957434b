namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// A partition as the logical volume addresses it through one partition map (ECMA-167 3/10.7, 4/7.1 lb_addr;
/// OSTA UDF 2.60 §2.2.8–2.2.13): turns a partition-relative logical block number into a volume sector.
/// </summary>
internal abstract class UdfPartition(int reference, UdfPartitionMap map, UdfPartitionDescriptor descriptor)
{
    public int Reference { get; } = reference;
    public UdfPartitionMap Map { get; } = map;
    public UdfPartitionDescriptor Descriptor { get; } = descriptor;

    /// <summary>How many logical blocks the partition addresses.</summary>
    public abstract long BlockCount { get; }

    /// <summary>
    /// The volume sector of <paramref name="lbn"/> and how many blocks from it follow contiguously in the volume
    /// (at least 1). <paramref name="mirror"/> asks a metadata partition for its mirror copy. False when the block is
    /// outside the partition or does not map.
    /// </summary>
    public abstract bool TryTranslate(uint lbn, bool mirror, out long sector, out long contiguous);
}

/// <summary>A Type 1 map (3/10.7.2): the partition's blocks are its sectors from the partition start.</summary>
internal sealed class UdfPhysicalPartition(int reference, UdfPartitionMap map, UdfPartitionDescriptor descriptor)
    : UdfPartition(reference, map, descriptor)
{
    public override long BlockCount => Descriptor.Length;

    public override bool TryTranslate(uint lbn, bool mirror, out long sector, out long contiguous)
    {
        sector = Descriptor.Start + (long)lbn;
        contiguous = BlockCount - lbn;
        return lbn < BlockCount;
    }
}

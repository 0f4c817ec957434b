using System.Buffers.Binary;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// One volume descriptor sequence walked (ECMA-167 3/8.4.2, 3/10.3 for pointers, 3/10.9 terminating descriptor):
/// block by block until a Terminating Descriptor, an unreadable or invalid block, or the end of the extent; Volume
/// Descriptor Pointers continue it elsewhere (capped, with a visited set). The prevailing descriptor of each kind is
/// the one with the highest volume descriptor sequence number (3/8.4.3; the later of equal numbers, as Linux);
/// partition descriptors prevail per partition number.
/// </summary>
internal sealed class UdfVolumeDescriptorSequence
{
    private const int PointerNextExtentOffset = 20;
    private const int SequenceNumberOffset = 16;
    /// <summary>Cap on VDP hops (Linux UDF_MAX_TD_NESTING = 64).</summary>
    public const int MaxPointerHops = 64;
    /// <summary>Cap on descriptors read in one sequence.</summary>
    public const int MaxDescriptors = 4096;
    /// <summary>Cap on distinct partition descriptors (7-Zip: 64).</summary>
    public const int MaxPartitions = 64;

    public UdfPrimaryVolumeDescriptor? Primary { get; private set; }
    public UdfLogicalVolumeDescriptor? LogicalVolume { get; private set; }
    public Dictionary<ushort, UdfPartitionDescriptor> Partitions { get; } = [];
    /// <summary>The first problem met (the walk stops there), or null.</summary>
    public VirtualDiskDiagnostic? Problem { get; private set; }

    public bool IsComplete => Primary is not null && LogicalVolume is not null && Partitions.Count > 0;

    public static UdfVolumeDescriptorSequence Walk(VolumeSource source, int blockSize, uint length, uint location)
    {
        var seq = new UdfVolumeDescriptorSequence();
        var block = new byte[blockSize];
        var visited = new HashSet<uint>();
        int hops = 0, read = 0;
        long blocks = length / (uint)blockSize;
        long sector = location;
        while (true)
        {
            if (!visited.Add((uint)sector)) { seq.Fail(VirtualDiskErrorReason.UdfDescriptorChainTooLong, source, "Volume descriptor pointer loop", sector * blockSize); break; }
            bool next = false;
            for (long i = 0; i < blocks; i++, sector++)
            {
                if (++read > MaxDescriptors) { seq.Fail(VirtualDiskErrorReason.UdfDescriptorChainTooLong, source, $"Cap: {MaxDescriptors} descriptors", sector * blockSize); return seq; }
                long offset = sector * blockSize;
                if (sector > uint.MaxValue || !source.TryReadExactlyAt(offset, block)) { seq.Fail(VirtualDiskErrorReason.FileSystemReadFailed, source, $"Volume descriptor at sector {sector}", offset); return seq; }
                var problem = UdfTag.Check(block, -1, (uint)sector, out var tag);
                if (problem != UdfTagProblem.None)
                {
                    // 3/8.4.2: the sequence ends at an unrecorded block; a damaged one is reported.
                    if (!block.AsSpan(0, UdfTag.Size).ContainsAnyExcept((byte)0))
                        return seq;
                    seq.Fail(UdfTag.ReasonOf(problem), source, UdfTag.Describe(problem, block, -1, (uint)sector), offset);
                    return seq;
                }
                switch (tag.Identifier)
                {
                    case UdfTagId.PrimaryVolume:
                        var pvd = UdfPrimaryVolumeDescriptor.Parse(block);
                        if (seq.Primary is null || pvd.SequenceNumber >= seq.Primary.SequenceNumber) seq.Primary = pvd;
                        break;
                    case UdfTagId.LogicalVolume:
                        if (!UdfLogicalVolumeDescriptor.TryParse(block, offset, out var lvd, out var why))
                        {
                            seq.Fail(VirtualDiskErrorReason.UdfPartitionMapInvalid, source, why, offset);
                            return seq;
                        }
                        if (seq.LogicalVolume is null || lvd!.SequenceNumber >= seq.LogicalVolume.SequenceNumber) seq.LogicalVolume = lvd;
                        break;
                    case UdfTagId.Partition:
                        var pd = UdfPartitionDescriptor.Parse(block, offset);
                        if (seq.Partitions.TryGetValue(pd.Number, out var had))
                        {
                            if (pd.SequenceNumber >= had.SequenceNumber) seq.Partitions[pd.Number] = pd;
                        }
                        else if (seq.Partitions.Count < MaxPartitions) seq.Partitions[pd.Number] = pd;
                        else { seq.Fail(VirtualDiskErrorReason.UdfDescriptorChainTooLong, source, $"Cap: {MaxPartitions} partition descriptors", offset); return seq; }
                        break;
                    case UdfTagId.VolumePointer:
                        if (++hops > MaxPointerHops) { seq.Fail(VirtualDiskErrorReason.UdfDescriptorChainTooLong, source, $"Cap: {MaxPointerHops} volume descriptor pointers", offset); return seq; }
                        length = BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(PointerNextExtentOffset));
                        location = BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(PointerNextExtentOffset + 4));
                        _ = BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(SequenceNumberOffset));
                        blocks = length / (uint)blockSize;
                        sector = location;
                        next = true;
                        break;
                    case UdfTagId.Terminating:
                        return seq;
                    default:
                        // IUVD, USD and others are not needed to read (3/10.4, 3/10.8).
                        break;
                }
                if (next) break;
            }
            if (!next) break;
        }
        return seq;
    }

    private void Fail(VirtualDiskErrorReason reason, VolumeSource source, string? detail, long offset) =>
        Problem ??= new VirtualDiskDiagnostic(reason, source.Name, detail, offset);
}
